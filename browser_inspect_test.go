package main

import (
	"context"
	_ "embed"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored from npm for this test only (see assets/VERSIONS.md).
//
//go:embed assets/testdata/axe.min.js
var axeSource string

// screenMode is a size and colour scheme the pages are looked at in.
type screenMode struct {
	name          string
	width, height int64
	phone         bool
	scheme        string
}

// screenModes are the screens every page must fit: a common laptop and a common phone, each in
// both colour schemes.
var screenModes = []screenMode{
	{name: "desktop-light", width: 1366, height: 900, scheme: "light"},
	{name: "desktop-dark", width: 1366, height: 900, scheme: "dark"},
	{name: "phone-light", width: 390, height: 844, phone: true, scheme: "light"},
	{name: "phone-dark", width: 390, height: 844, phone: true, scheme: "dark"},
}

// overflowJS lists what does not fit on the page shown: the page scrolling sideways, any element
// whose content is wider than its box (a table wider than its column, a word sticking out of a
// cell), any element sticking out of its parent, and any text cut with an ellipsis whose whole text
// is not in a tooltip. Form fields (whose text scrolls inside them by design) and visually hidden
// elements are left out; a menu or a dialog over the page must lie inside the window. At most 15
// are listed.
const overflowJS = `(function () {
	var doc = document.documentElement, vw = doc.clientWidth, out = [];
	function name(el) {
		var s = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
		if (typeof el.className === "string" && el.className.trim()) { s += "." + el.className.trim().split(/\s+/).join("."); }
		if (el.dataset && el.dataset.testid) { s += "[data-testid=" + el.dataset.testid + "]"; }
		var text = (el.textContent || "").trim().slice(0, 40);
		return s + (text ? " (" + JSON.stringify(text) + ")" : "");
	}
	function hidden(el) {
		for (var e = el; e && e !== doc; e = e.parentElement) {
			var cs = getComputedStyle(e);
			if (cs.clipPath === "inset(50%)" || e.classList.contains("skip-link")) { return true; }
			var up = e.parentElement; // the content of a closed details is laid out but not shown
			if (up && up.tagName === "DETAILS" && !up.open && e.tagName !== "SUMMARY") { return true; }
		}
		return false;
	}
	function titled(el) {
		return !!(el.closest("[title]") || el.querySelector("[title]"));
	}
	if (doc.scrollWidth > vw + 1) { out.push("the page is " + doc.scrollWidth + " px wide in a " + vw + " px window"); }
	document.querySelectorAll("body *").forEach(function (el) {
		if (out.length >= 15) { return; }
		var cs = getComputedStyle(el);
		if (cs.display === "none" || cs.visibility === "hidden") { return; }
		var r = el.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) { return; }
		if (/^(INPUT|SELECT|TEXTAREA|OPTION|svg)$/i.test(el.tagName) || el instanceof SVGElement || hidden(el)) { return; }
		var inline = cs.display === "inline" || cs.display === "contents";
		if (!inline && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
			if (cs.textOverflow === "ellipsis" && cs.overflowX !== "visible") {
				if (!titled(el)) { out.push(name(el) + " cuts its text with no tooltip holding the whole of it"); }
			} else {
				out.push(name(el) + " has content " + el.scrollWidth + " px wide in a box of " + el.clientWidth + " px");
			}
		}
		if (cs.position === "fixed" || cs.position === "absolute") { // a dialog or a menu over the page
			if (r.left < -1 || r.right > vw + 1) { out.push(name(el) + " lies outside the window: " + Math.round(r.left) + "–" + Math.round(r.right) + " px"); }
			return;
		}
		var p = el.parentElement;
		if (!p || p === document.body) { return; }
		var ps = getComputedStyle(p);
		if (ps.overflowX !== "visible" || ps.display === "contents") { return; }
		var pr = p.getBoundingClientRect();
		if (r.right > pr.right + 1 || r.left < pr.left - 1) {
			out.push(name(el) + " sticks out of its parent " + name(p) + ": " + Math.round(r.left) + "–" + Math.round(r.right) +
				" px in " + Math.round(pr.left) + "–" + Math.round(pr.right) + " px");
		}
	});
	return out;
})()`

// axeRunJS runs axe-core on the page with its default rules and lists the violations, each with
// the first few elements at fault.
const axeRunJS = `axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
	return r.violations.map(function (v) {
		return v.id + " (" + v.impact + "): " + v.help + "\n      " + v.nodes.slice(0, 4).map(function (n) {
			return n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " ");
		}).join("\n      ");
	});
})`

// settleJS holds the page's refreshes, so that nothing is swapped while it is measured, and waits
// for two frames, so that a change of size or scheme has been laid out.
const settleJS = `(function () {
	if (!window.__held) {
		window.__held = true;
		document.addEventListener("htmx:beforeRequest", function (e) {
			if (e.detail && e.detail.elt && e.detail.elt.hasAttribute("data-poll")) { e.preventDefault(); }
		});
	}
	return new Promise(function (done) { requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); }); }); });
})()`

// inspectedPage is a page the test looks at in every screen mode.
type inspectedPage struct {
	name, path string
	status     int64 // the status the page answers with; 0 means 200
	// prepare brings the page into the state to look at, such as a form sent back with problems.
	prepare func(t *testing.T)
}

// inspect loads the page once as it is served, so that the console listener sees any breach of the
// Content-Security-Policy, then again with the policy bypassed so that axe-core can be injected,
// and looks at it in every screen mode: nothing may be wider than its box, and axe-core may report
// no violation. With SCREENSHOTS set, each mode is saved as SCREENSHOTS/{name}-{mode}.png. It
// leaves the tab as a light desktop with the policy in force.
func (b *browser) inspect(t *testing.T, p inspectedPage) {
	t.Helper()
	want := p.status
	if want == 0 {
		want = 200
	}
	b.openWant(t, p.path, want)
	b.do(t, "bypass the CSP for axe-core", bypassCSP(true))
	defer b.do(t, "enforce the CSP again", bypassCSP(false), b.emulate(screenModes[0]))
	b.openWant(t, p.path, want)
	if p.prepare != nil {
		p.prepare(t)
	}
	js[chromedp.Void](t, b, axeSource+";undefined")
	for _, m := range screenModes {
		b.do(t, "emulate "+m.name, b.emulate(m))
		get(t, b, "let the page settle", chromedp.Evaluate[bool](settleJS, chromedp.EvalAwaitPromise))
		for _, problem := range js[[]string](t, b, overflowJS) {
			t.Errorf("%s at %s: %s", p.name, m.name, problem)
		}
		b.screenshot(t, p.name+"-"+m.name, m.width)
		for _, v := range get(t, b, "run axe-core", chromedp.Evaluate[[]string](axeRunJS, chromedp.EvalAwaitPromise)) {
			t.Errorf("%s at %s: axe-core: %s", p.name, m.name, v)
		}
	}
}

// bypassCSP turns the page's Content-Security-Policy off or on, from the next page load.
func bypassCSP(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: on})
		return err
	})
}

// screenshot saves the whole page as SCREENSHOTS/{name}.png, when SCREENSHOTS is set.
func (b *browser) screenshot(t *testing.T, name string, width int64) {
	t.Helper()
	if b.shots == "" {
		return
	}
	png := get(t, b, "screenshot "+name, fullPage(width))
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// openWant loads a page of the app and fails unless it answers with the status.
func (b *browser) openWant(t *testing.T, path string, status int64) {
	t.Helper()
	resp := get(t, b, "open "+path, chromedp.NavigateResponse(b.base+path))
	if resp.Status != status {
		t.Fatalf("open %s: status %d, want %d", path, resp.Status, status)
	}
}
