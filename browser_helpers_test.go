package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// stepTimeout bounds every browser step, so that a hang fails with what was being done.
const stepTimeout = 10 * time.Second

// browser is one headless Chromium tab, and everything its console said that a person would call
// a problem: console errors, uncaught exceptions and Content-Security-Policy violations.
type browser struct {
	ctx   context.Context // the tab; every step runs under a timeout derived from it
	base  string          // the app's URL
	shots string          // where screenshots go; "" saves none

	mu       sync.Mutex
	problems []string
	expected []string
	// expect says which failed responses the flow causes on purpose (a form sent back with 422).
	expect []func(*log.Entry) bool
}

// cspReporter runs before every page's own scripts and turns each Content-Security-Policy
// violation into a console error, which the listener records with the rest.
const cspReporter = `document.addEventListener("securitypolicyviolation", function (e) {
	console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline code") +
		" in " + e.sourceFile + ":" + e.lineNumber);
});`

// chromiumPath finds Debian's chromium. Without it the test is skipped, unless CI is set: CI
// must run it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is not installed, and CI must run the browser test: apt-get install chromium (%v)", err)
		}
		t.Skipf("chromium is not installed (apt-get install chromium); skipping the browser test: %v", err)
	}
	return path
}

// newBrowser starts the headless Chromium at path on a fresh profile, for the app at base.
func newBrowser(t *testing.T, path, base string) *browser {
	t.Helper()
	// The defaults already hold most of these; they are repeated so that the flags the test relies
	// on are visible here.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{base: base, shots: os.Getenv("SCREENSHOTS")}
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = chromedp.Cancel(stop)
		cancelTab()
		cancelAlloc()
		if p := b.consoleProblems(); t.Failed() && len(p) > 0 {
			t.Logf("browser console problems:\n%s", strings.Join(p, "\n"))
		}
	})

	// The first Do starts the browser and binds it to ctx, so it gets no timeout of its own
	// (a timeout would stop the browser); a timer fails a start that hangs instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v", path, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("start %s: no answer within 30 s", path)
	}
	b.do(t, "install the CSP violation reporter", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspReporter})
		return err
	}))
	b.do(t, "emulate a light desktop", b.emulate(screenModes[0]))
	return b
}

// listen records the console's problems. It runs on the tab's reading loop: it must be quick and
// must not call the browser.
func (b *browser) listen(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		problem = fmt.Sprintf("uncaught exception: %s %s at %s:%d", d.Text, describeObject(d.Exception), d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		args := make([]string, len(ev.Args))
		for i, a := range ev.Args {
			args[i] = describeObject(a)
		}
		problem = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError {
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		text := fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL)
		if slices.ContainsFunc(b.expect, func(f func(*log.Entry) bool) bool { return f(e) }) {
			b.expected = append(b.expected, text)
		} else {
			b.problems = append(b.problems, text)
		}
		return
	default:
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, problem)
}

// allow tells the console listener of more failed responses that the flow causes on purpose.
func (b *browser) allow(expected func(*log.Entry) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expect = append(b.expect, expected)
}

// forget drops the problems recorded since the first n that expected says were caused on purpose.
func (b *browser) forget(n int, expected func(string) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := b.problems[:n]
	for _, p := range b.problems[n:] {
		if !expected(p) {
			kept = append(kept, p)
		}
	}
	b.problems = kept
}

// consoleProblems returns the problems recorded so far.
func (b *browser) consoleProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// describeObject is how the console would show a value.
func describeObject(o *runtime.RemoteObject) string {
	switch {
	case o == nil:
		return ""
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
		return string(o.Value)
	}
	return string(o.Type)
}

// do runs the actions within stepTimeout, failing the test with what was being done.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value, within stepTimeout.
func get[T any](t *testing.T, b *browser, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// js evaluates a JavaScript expression in the page.
func js[T any](t *testing.T, b *browser, expression string) T {
	t.Helper()
	return get(t, b, "evaluate "+expression, chromedp.Evaluate[T](expression))
}

// open loads a page of the app and fails unless it answers 200.
func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	resp := get(t, b, "open "+path, chromedp.NavigateResponse(b.base+path))
	if resp.Status != 200 {
		t.Fatalf("open %s: status %d", path, resp.Status)
	}
}

// follow runs actions that load a new page, such as a click on a submit button, and fails unless
// the page it lands on answers 200.
func (b *browser) follow(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		t.Fatalf("%s: no page loaded: %v", what, err)
	}
	if resp.Status != 200 {
		t.Fatalf("%s: landed on %s with status %d", what, resp.URL, resp.Status)
	}
}

// path is the path of the page the tab shows, with its query.
func (b *browser) path(t *testing.T) string {
	t.Helper()
	loc := get(t, b, "read the location", chromedp.Location())
	return strings.TrimPrefix(loc, b.base)
}

// waitUntil polls a JavaScript condition until it is true, failing after within.
func (b *browser) waitUntil(t *testing.T, within time.Duration, what, condition string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, within+stepTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](condition,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(within)))
	if errors.Is(err, chromedp.ErrPollingTimeout) {
		t.Fatalf("timed out after %s waiting for: %s", within, what)
	}
	if err != nil {
		t.Fatalf("wait for %s: %v", what, err)
	}
}

// markPage leaves a marker on the page that a reload or a navigation would remove.
func (b *browser) markPage(t *testing.T) {
	t.Helper()
	js[chromedp.Void](t, b, `window.__noReload = 1`)
}

// samePage reports whether the page marked last is still the one shown.
func (b *browser) samePage(t *testing.T) bool {
	t.Helper()
	return js[bool](t, b, `window.__noReload === 1`)
}

// testid selects the first element with the data-testid.
func testid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// quoteJS is s as a JavaScript string literal.
func quoteJS(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// choose picks an option of a select as a person does: the value changes, and the select fires
// input and change, which is what htmx listens for.
func choose(selector, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(function () {
		var s = document.querySelector(` + quoteJS(selector) + `);
		s.value = ` + quoteJS(value) + `;
		if (s.value !== ` + quoteJS(value) + `) { throw new Error("no option " + ` + quoteJS(value) + `); }
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
	})()`)
}

// clearField empties a text field as a person does: select its text, then press Backspace.
// (chromedp.SetValue cannot set "": v0.23.0 reports "could not set value" for an empty string.)
func clearField(selector string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Focus(chromedp.CSS(selector)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+quoteJS(selector)+`).select()`),
		chromedp.KeyEvent(kb.Backspace),
	)
}

// emulate sets the viewport and the colour scheme. Motion is reduced, so that no screenshot
// catches a colour halfway through a transition.
func (b *browser) emulate(m screenMode) chromedp.Action[chromedp.Void] {
	var opts []chromedp.EmulateViewportOption
	if m.phone {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	return chromedp.Steps(
		chromedp.EmulateViewport(m.width, m.height, opts...),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{
					{Name: "prefers-color-scheme", Value: m.scheme},
					{Name: "prefers-reduced-motion", Value: "reduce"},
				},
			})
			return err
		}),
	)
}

// fullPage is a PNG of the whole page, as wide as the viewport and as long as the content.
func fullPage(width int64) chromedp.Action[[]byte] {
	return func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		m, err := cdp.Call(ctx, tg, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		height := 900.0
		if m.CSSContentSize != nil {
			height = m.CSSContentSize.Height
		}
		yes := true
		res, err := cdp.Call(ctx, tg, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			CaptureBeyondViewport: &yes,
			FromSurface:           &yes,
			Clip:                  &page.Viewport{Width: float64(width), Height: height, Scale: 1},
		})
		if err != nil {
			return nil, err
		}
		return res.Data, nil
	}
}
