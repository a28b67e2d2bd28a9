// Cronflow's own script: small behaviours that htmx has no attribute for. No inline scripts exist
// anywhere, so that a Content-Security-Policy without 'unsafe-inline' can be added.
(function () {
  "use strict";

  // Polled tables replace themselves every 2 s. Keep what the person did to them: expanded output
  // and errors stay expanded, and the keyboard focus stays on the same link or summary.
  var open = [];
  var focused = null;

  document.addEventListener("htmx:beforeSwap", function () {
    open = Array.prototype.map.call(
      document.querySelectorAll("details[data-key][open]"),
      function (d) { return d.getAttribute("data-key"); }
    );
    var a = document.activeElement;
    focused = a && a.getAttribute ? a.getAttribute("data-key") : null;
  });

  document.addEventListener("htmx:afterSwap", function () {
    open.forEach(function (key) {
      var d = document.querySelector('details[data-key="' + CSS.escape(key) + '"]');
      if (d) { d.open = true; }
    });
    if (focused && (!document.activeElement || document.activeElement === document.body)) {
      var f = document.querySelector('[data-key="' + CSS.escape(focused) + '"]');
      if (f) { f.focus({ preventScroll: true }); }
    }
    // A dialog that was just swapped in gets the focus, so the keyboard is where the question is.
    var dialog = document.querySelector("#dialog dialog[open]");
    if (dialog && !dialog.contains(document.activeElement)) {
      var first = dialog.querySelector("[autofocus], button, a[href]");
      if (first) { first.focus(); }
    }
  });

  // Polling stops while the tab is hidden (nobody watches it) and catches up when it is shown.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    if (document.hidden && elt && elt.hasAttribute("data-poll")) { e.preventDefault(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden || !window.htmx) { return; }
    document.querySelectorAll("[data-poll]").forEach(function (el) { window.htmx.trigger(el, "refresh"); });
  });

  // Dialogs close with their Cancel button or Escape, without a round trip.
  function closeDialog(dialog) {
    var box = dialog.closest("#dialog");
    if (box) { box.innerHTML = ""; } else { dialog.remove(); }
  }
  document.addEventListener("click", function (e) {
    var dismiss = e.target.closest && e.target.closest("[data-dismiss]");
    var dialog = dismiss && dismiss.closest("dialog");
    if (dialog) { e.preventDefault(); closeDialog(dialog); }
  });
  document.addEventListener("keydown", function (e) {
    var dialog = document.querySelector("#dialog dialog[open]");
    if (e.key === "Escape" && dialog) { e.preventDefault(); closeDialog(dialog); }
  });

  // A request that failed says so where flash messages appear, instead of failing silently.
  function problem(text) {
    var flash = document.getElementById("flash");
    if (!flash) { return; }
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.setAttribute("data-testid", "flash");
    p.textContent = text;
    flash.replaceChildren(p);
  }
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail && e.detail.xhr;
    var status = xhr ? xhr.status : 0;
    // A refusal (a role that may not, a limit reached) says why in plain text; show that.
    var plain = xhr && /^text\/plain/.test(xhr.getResponseHeader("Content-Type") || "");
    var said = plain && (status === 403 || status === 429) ? xhr.responseText : "";
    problem(status === 404 ? "Not found: it may have been deleted." : said || "Something went wrong. The error has been logged; try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    problem("Cronflow did not answer. Check the connection; the page retries by itself.");
  });
  // Once a poll succeeds again, a connection problem shown before is over.
  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    var flash = document.getElementById("flash");
    if (e.detail && e.detail.successful && elt && elt.hasAttribute("data-poll") && flash) {
      var shown = flash.querySelector(".flash-error");
      if (shown && shown.textContent.indexOf("did not answer") >= 0) { flash.replaceChildren(); }
    }
  });
})();
