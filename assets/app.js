// Cronflow's own script: small behaviours that htmx has no attribute for. No inline scripts exist
// anywhere, so that a Content-Security-Policy without 'unsafe-inline' can be added.
(function () {
  "use strict";

  function on(type, handler) { document.addEventListener(type, handler); }

  // ---- Copy buttons ------------------------------------------------------------------------------
  // A button with data-copy puts its value on the clipboard (an id, a token, a signing secret, a run
  // attempt's "Copy as curl") and says "Copied" for two seconds; data-copied="true" records the last
  // copy. Without the Clipboard API (a page not served over HTTPS or from localhost) a hidden text
  // area is copied instead. The small copy buttons beside values are hidden by the stylesheet until
  // the "js" class says the script runs (views.CopyButton): the value itself stays selectable.
  document.documentElement.classList.add("js");
  on("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    var text = button.getAttribute("data-copy");
    var done = function () {
      if (!button.hasAttribute("data-label")) {
        button.setAttribute("data-label", button.textContent);
        button.setAttribute("data-aria-label", button.getAttribute("aria-label") || "");
      }
      button.setAttribute("data-copied", "true");
      button.textContent = "Copied";
      if (button.getAttribute("data-aria-label")) { button.setAttribute("aria-label", "Copied"); }
      setTimeout(function () {
        button.textContent = button.getAttribute("data-label");
        if (button.getAttribute("data-aria-label")) { button.setAttribute("aria-label", button.getAttribute("data-aria-label")); }
      }, 2000);
    };
    var fallback = function () {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); } catch (err) { /* nothing more to try */ }
      area.remove();
      done();
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  });
  function byKey(key) { return document.querySelector('[data-key="' + CSS.escape(key) + '"]'); }
  function isPoll(elt) { return !!(elt && elt.hasAttribute && elt.hasAttribute("data-poll")); }

  // ---- Swaps keep what the person was doing ----------------------------------------------------
  // Polled tables replace themselves every few seconds, and a row's actions replace the row. Keep
  // what the person did to them: expanded output and open menus stay open, and the keyboard focus
  // stays on the same control, or on its replacement (Pause becomes Resume under the same key).
  var open = [];
  var focused = null;
  var ticked = []; // the tick boxes of a bulk selection (issue 27), by data-key

  on("htmx:beforeSwap", function (e) {
    open = Array.prototype.map.call(
      document.querySelectorAll("details[data-key][open]"),
      function (d) { return d.getAttribute("data-key"); }
    );
    ticked = Array.prototype.map.call(
      document.querySelectorAll('input[type="checkbox"][data-key]:checked'),
      function (box) { return box.getAttribute("data-key"); }
    );
    var a = document.activeElement;
    focused = a && a.getAttribute ? a.getAttribute("data-key") : null;
    // A successful answer means Cronflow is reachable again.
    var xhr = e.detail && e.detail.xhr;
    // It also says whether runs reach the broker (handlers/broker_state.go).
    if (xhr && xhr.status >= 200 && xhr.status < 400) { connection(xhr.getResponseHeader("X-Cronflow-Broker-State") || ""); }
  });

  on("htmx:afterSwap", function () {
    open.forEach(function (key) {
      var d = byKey(key);
      if (d) { d.open = true; }
    });
    ticked.forEach(function (key) {
      var box = byKey(key);
      if (box) { box.checked = true; }
    });
    if (focused && (!document.activeElement || document.activeElement === document.body)) {
      var f = byKey(focused);
      if (f) { f.focus({ preventScroll: true }); }
    }
    openDialog();
  });

  // A "select all" box ticks or clears every box of the name it gives (the runs to retry).
  on("change", function (e) {
    var all = e.target.closest && e.target.closest("[data-select-all]");
    if (!all) { return; }
    var name = all.getAttribute("data-select-all");
    document.querySelectorAll('input[type="checkbox"][name="' + CSS.escape(name) + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });

  // After a failed submit the summary of problems takes the focus, so that the keyboard and the
  // screen reader start from what to fix; its items link to the fields.
  function focusProblems() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary && !summary.contains(document.activeElement)) {
      summary.removeAttribute("data-focus-on-load");
      summary.focus();
    }
  }
  on("htmx:afterSettle", focusProblems);
  on("DOMContentLoaded", focusProblems);

  // ---- The live schedule check --------------------------------------------------------------
  // Its answer fills the problem slots under the schedule's fields. Mark each field invalid or
  // valid to match, and say what changed in a live region, once.
  on("htmx:afterSettle", function () {
    var region = document.getElementById("schedule-problems");
    if (!region) { return; }
    var said = [];
    document.querySelectorAll(".schedule small.error[id]").forEach(function (err) {
      var text = err.textContent.trim();
      document.querySelectorAll('[aria-describedby~="' + CSS.escape(err.id) + '"]').forEach(function (field) {
        if (text) { field.setAttribute("aria-invalid", "true"); } else { field.removeAttribute("aria-invalid"); }
      });
      var hidden = err.closest("[data-modes]");
      if (text && !(hidden && hidden.offsetParent === null)) { said.push(text); }
    });
    var message = said.join(" ");
    if (region.textContent !== message) { region.textContent = message; }
  });

  // ---- Header rows (issue 27) -------------------------------------------------------------------
  // A headers list shows the rows filled in and one empty row, with "Add header" and a "Remove" per
  // row. Rows are named by index (payload.headers.3.name), which the server reads whatever the gaps;
  // without JavaScript the server's rows (two empty ones) are all there is, and these buttons stay
  // hidden.
  function headerRows(list) { return Array.prototype.slice.call(list.querySelectorAll(".header-item")); }
  function rowEmpty(item) {
    return Array.prototype.every.call(item.querySelectorAll("input"), function (i) { return i.value.trim() === ""; });
  }
  function renumber(list) {
    var items = headerRows(list);
    items.forEach(function (item, k) {
      var inputs = item.querySelectorAll("input");
      inputs[0].setAttribute("aria-label", "Header " + (k + 1) + " name");
      inputs[1].setAttribute("aria-label", "Header " + (k + 1) + " value");
      item.querySelector("[data-remove-header]").setAttribute("aria-label", "Remove header " + (k + 1));
    });
    var add = list.querySelector("[data-add-header]");
    if (add) { add.disabled = items.length >= Number(list.getAttribute("data-max-rows") || 0); }
  }
  function setUpHeaders(root) {
    (root || document).querySelectorAll("[data-headers]").forEach(function (list) {
      if (list.hasAttribute("data-ready")) { return; }
      list.setAttribute("data-ready", "");
      list.querySelectorAll("[data-add-header], [data-remove-header]").forEach(function (b) { b.hidden = false; });
      var items = headerRows(list), k = items.length - 1;
      while (k > 0 && rowEmpty(items[k]) && rowEmpty(items[k - 1]) && !items[k].querySelector(".error")) {
        items[k].remove(); // the empty rows at the end but one: "Add header" makes more
        k--;
      }
      renumber(list);
    });
  }
  on("DOMContentLoaded", function () { setUpHeaders(document); });
  // A new task type's fields tell the live summary (issue 27), which asked before they came.
  on("htmx:afterSettle", function (e) {
    var fields = e.detail && e.detail.elt;
    if (fields && fields.id === "task-fields") { fields.dispatchEvent(new Event("change", { bubbles: true })); }
  });
  on("htmx:afterSettle", function () { setUpHeaders(document); });
  on("click", function (e) {
    var add = e.target.closest && e.target.closest("[data-add-header]");
    var remove = e.target.closest && e.target.closest("[data-remove-header]");
    var list = (add || remove) && (add || remove).closest("[data-headers]");
    if (!list) { return; }
    e.preventDefault();
    var items = headerRows(list);
    if (remove) {
      var item = remove.closest(".header-item");
      var next = items[items.indexOf(item) + 1] || items[items.indexOf(item) - 1];
      if (items.length === 1) {
        item.querySelectorAll("input").forEach(function (i) { i.value = ""; i.removeAttribute("aria-invalid"); });
        item.querySelectorAll(".error").forEach(function (s) { s.remove(); });
        item.querySelector("input").focus();
      } else {
        item.remove();
        (next ? next.querySelector("input") : list.querySelector("[data-add-header]")).focus();
      }
    } else {
      var max = Number(list.getAttribute("data-max-rows") || 0), field = list.getAttribute("data-headers");
      var used = {};
      items.forEach(function (it) {
        var m = /\.(\d+)\.name$/.exec(it.querySelector("input").name);
        if (m) { used[m[1]] = true; }
      });
      var free = -1;
      for (var i = 0; i < max; i++) { if (!used[i]) { free = i; break; } }
      if (free < 0 || items.length === 0) { return; }
      var copy = items[items.length - 1].cloneNode(true);
      copy.querySelectorAll(".error").forEach(function (s) { s.remove(); });
      var inputs = copy.querySelectorAll("input");
      inputs[0].name = field + "." + free + ".name";
      inputs[1].name = field + "." + free + ".value";
      inputs.forEach(function (inp) { inp.value = ""; inp.removeAttribute("aria-invalid"); });
      items[items.length - 1].after(copy);
      inputs[0].focus();
    }
    renumber(list);
    list.dispatchEvent(new Event("input", { bubbles: true })); // the live summary follows
  });

  // ---- Polling --------------------------------------------------------------------------------
  // Polling stops while the tab is hidden (nobody watches it) and catches up when it is shown.
  on("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    if (document.hidden && isPoll(elt)) { e.preventDefault(); }
  });
  on("visibilitychange", function () {
    if (document.hidden || !window.htmx) { return; }
    document.querySelectorAll("[data-poll]").forEach(function (el) { window.htmx.trigger(el, "refresh"); });
  });

  // ---- Problems -------------------------------------------------------------------------------
  // A refresh that fails says so in the connection status, which clears itself as soon as an
  // answer arrives again. An action that fails says so where flash messages appear, in the
  // server's words and with its link back.
  function connection(text) {
    var box = document.getElementById("connection");
    if (!box || box.textContent === text) { return; }
    if (!text) { box.replaceChildren(); return; }
    var p = document.createElement("p");
    p.setAttribute("data-testid", "connection-problem");
    p.textContent = text;
    box.replaceChildren(p);
  }

  function flashProblem(text, back) {
    var flash = document.getElementById("flash");
    if (!flash) { return; }
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.setAttribute("data-testid", "flash");
    p.textContent = text + " ";
    if (back) {
      var a = document.createElement("a");
      a.href = back.getAttribute("href");
      a.textContent = back.textContent;
      p.append(a);
    }
    flash.replaceChildren(p);
  }

  // serverProblem reads the error panel the server answers with (views.ErrorPanel), if it is one.
  function serverProblem(xhr) {
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") !== 0) { return null; }
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var msg = doc.querySelector("[data-error-message]");
    var back = doc.querySelector("a[data-error-back][href^='/']");
    return msg ? { text: msg.textContent.trim(), back: back } : null;
  }

  on("htmx:responseError", function (e) {
    var xhr = e.detail && e.detail.xhr;
    var found = xhr ? serverProblem(xhr) : null;
    var text = found ? found.text : "Something went wrong. The error has been logged; try again.";
    if (isPoll(e.detail.elt)) {
      connection(text + " The page keeps trying.");
    } else {
      flashProblem(text, found && found.back);
    }
  });
  on("htmx:sendError", function (e) {
    if (isPoll(e.detail && e.detail.elt)) {
      connection("Cronflow did not answer. Check the connection; the page keeps trying and this message goes away when it answers.");
    } else {
      flashProblem("Cronflow did not answer, so nothing was done. Check the connection and try again.", null);
    }
  });

  // ---- Dialogs --------------------------------------------------------------------------------
  // A dialog swapped into #dialog opens as a modal, so that the page behind is out of reach (Tab
  // stays inside). Closing it (Cancel, Escape) removes it and gives the focus back to the control
  // that opened it, or to its replacement if a refresh replaced that control meanwhile.
  var opener = null;
  on("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.getAttribute("hx-target") === "#dialog") { opener = elt; }
  });

  function openDialog() {
    var dialog = document.querySelector("#dialog dialog[data-modal]:not([open])");
    if (!dialog) { return; }
    var back = opener;
    var backKey = back && back.getAttribute("data-key");
    dialog.addEventListener("close", function () {
      dialog.remove();
      var target = back && back.isConnected ? back : (backKey && byKey(backKey));
      if (target) { target.focus(); }
    });
    dialog.showModal();
    var first = dialog.querySelector("[autofocus]");
    if (first) { first.focus(); }
  }

  on("click", function (e) {
    var dismiss = e.target.closest && e.target.closest("[data-dismiss]");
    var dialog = dismiss && dismiss.closest("dialog");
    if (dialog) { e.preventDefault(); dialog.close(); }
  });

  // ---- Menus ----------------------------------------------------------------------------------
  // A row's menu closes when the person clicks elsewhere or presses Escape in it (which puts the
  // focus back on its button); opening one closes the others.
  on("click", function (e) {
    if (e.target.closest && e.target.closest("dialog")) { return; } // a dialog the menu opened
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(e.target)) { menu.open = false; }
    });
  });
  on("keydown", function (e) {
    var menu = e.key === "Escape" && e.target.closest && e.target.closest("details.menu[open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
  document.addEventListener("toggle", function (e) {
    var menu = e.target;
    if (!menu.matches || !menu.matches("details.menu") || !menu.open) { return; }
    document.querySelectorAll("details.menu[open]").forEach(function (other) {
      if (other !== menu) { other.open = false; }
    });
  }, true);

  // ---- The runs page's job picker ---------------------------------------------------------------
  // Typing shows matching jobs as suggestions; picking one writes its id into the form's job_id, so
  // that the URL names the job by id, and filters at once. Clearing the field shows every job's runs.
  on("input", function (e) {
    var picker = e.target;
    if (!picker.hasAttribute || !picker.hasAttribute("data-job-picker")) { return; }
    var form = picker.form;
    var id = form && form.querySelector('input[name="job_id"]');
    if (!id) { return; }
    var list = document.getElementById(picker.getAttribute("list"));
    var text = picker.value.trim();
    var match = list && Array.prototype.find.call(list.options, function (o) { return o.value === text; });
    if (match) {
      id.value = match.getAttribute("data-id");
      form.requestSubmit();
    } else {
      id.value = "";
      if (text === "") { form.requestSubmit(); }
    }
  });
  // ---- Times in the viewer's own zone (issue 27) --------------------------------------------
  // The server writes them in UTC; the browser knows its zone and says it, with the zone's name.
  function viewerTimes() {
    document.querySelectorAll("time[data-viewer-time]:not([data-done])").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      t.textContent = d.toLocaleString(undefined, {
        weekday: "short", day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
      t.setAttribute("data-done", "");
    });
  }
  on("DOMContentLoaded", viewerTimes);
  on("htmx:afterSettle", viewerTimes);

  // ---- The Filters toggle's count (issue 27) -------------------------------------------------
  // The filters change the list without a reload: count the fields in use again once a change has
  // been handled (htmx and the job picker first).
  on("change", function (e) {
    var form = e.target.closest && e.target.closest("form.filters");
    if (!form) { return; }
    setTimeout(function () {
      var out = document.querySelector('[data-filter-count="' + CSS.escape(form.getAttribute("id") || "") + '"]');
      if (!out) { return; }
      var n = 0;
      form.querySelectorAll("input[name]:not([type=hidden]), select[name]").forEach(function (f) {
        if (f.value.trim() !== "") { n++; }
      });
      out.textContent = n ? "(" + n + ")" : "";
    }, 0);
  });
})();
