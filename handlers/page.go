package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/views"
)

// flashCookie carries the message about an action across the redirect that follows it.
const flashCookie = "cronflow_flash"

// newPage is the frame of a page: its title, its navigation entry, and the flash message left by
// the action before, which it clears.
func newPage(c echo.Context, title, nav string) views.Page {
	p := views.Page{Title: title, Nav: nav, Assets: assetURLs(), User: currentUser(c)}
	if ck, err := c.Cookie(flashCookie); err == nil && ck.Value != "" {
		if v, err := url.QueryUnescape(ck.Value); err == nil {
			kind, text, _ := strings.Cut(v, ":")
			if kind != "error" {
				kind = "success"
			}
			text, link, _ := strings.Cut(text, flashLinkSep)
			p.Flash = views.Flash{Kind: kind, Text: text, Link: localPath(link, "")}
		}
		setCookie(c, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	return p
}

// flashLinkSep parts a flash message's text from the page it links to, in the flash cookie.
const flashLinkSep = "\x1f"

// setFlash leaves a message for the next page this browser loads.
func setFlash(c echo.Context, text string) { setFlashLink(c, text, "") }

// setFlashLink leaves a message that links to a page on this site (link "" for none).
func setFlashLink(c echo.Context, text, link string) {
	if link != "" {
		text += flashLinkSep + link
	}
	setCookie(c, &http.Cookie{
		Name: flashCookie, Value: url.QueryEscape("success:" + text), Path: "/", MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// redirectAfter ends a successful action: a 303 to target for a plain form post, or HX-Redirect for
// htmx, which then loads target as a whole page. Either way the page shows the flash message.
func redirectAfter(c echo.Context, target, flash string) error {
	if flash != "" {
		setFlash(c, flash)
	}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// isHTMX reports whether htmx sent the request and expects a fragment. A history restore is htmx
// asking for a whole page, because the page was not in its cache.
func isHTMX(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-History-Restore-Request") != "true"
}

// localPath returns raw if it is a path on this site, and fallback otherwise, so that a "back"
// field cannot send anyone elsewhere.
func localPath(raw, fallback string) string {
	// Browsers drop tabs and line breaks from URLs and read a backslash as a slash, so "/\t/evil"
	// would lead to //evil, another site: any control character, space or backslash is refused.
	bad := strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) >= 0
	if bad || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return fallback
	}
	if u, err := url.Parse(raw); err != nil || u.Scheme != "" || u.Host != "" {
		return fallback
	}
	return raw
}

// requestPath is the request's path and query, for actions to come back to.
func requestPath(c echo.Context) string {
	return c.Request().URL.RequestURI()
}

// pageHeaders marks dashboard answers as depending on HX-Request, since one URL answers with a page
// or with a fragment, so that no cache hands the fragment to a browser that wants the page.
func pageHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Add("Vary", "HX-Request")
		return next(c)
	}
}

// readForm reads a posted form: a body over the limit is a 413, one that cannot be parsed a 400.
func readForm(c echo.Context) (url.Values, error) {
	form, err := c.FormParams()
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return nil, err
	}
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The form cannot be read: "+err.Error())
	}
	return form, nil
}

// renderError answers a dashboard request that failed: a whole page inside the layout for a page
// load, the error panel alone for htmx (which app.js shows where the page keeps its messages). Either
// way the person reads what happened and gets a link to the nearest page that works.
func renderError(c echo.Context, code int, msg string) error {
	e := errorView(c.Request().URL.Path, code, msg)
	if isHTMX(c) {
		return render(c, code, views.ErrorPanel(e))
	}
	return render(c, code, views.ErrorPage(newPage(c, e.Title, ""), e))
}

// errorView words an error for the page at path. Echo's own messages ("Not Found") are replaced by
// sentences; the handlers' messages are sentences already.
func errorView(path string, code int, msg string) views.ErrorView {
	e := views.ErrorView{Status: code, Title: "Something went wrong", Message: msg, BackURL: "/", BackLabel: "Go to the dashboard"}
	thing := "page"
	switch {
	case strings.HasPrefix(path, "/jobs/"):
		e.BackURL, e.BackLabel, thing = "/jobs", "Go to the jobs", "job"
	case strings.HasPrefix(path, "/runs/"):
		e.BackURL, e.BackLabel, thing = "/runs", "Go to the runs", "run"
	}
	switch code {
	case http.StatusNotFound:
		e.Title = "Not found"
		if msg == http.StatusText(code) {
			e.Message = "There is no page at this address. It may have been moved or deleted."
		} else if rest, ok := strings.CutPrefix(msg, "Not found: "); ok {
			e.Message = "There is no such " + thing + ": " + rest
		}
	case http.StatusForbidden:
		e.Title = "Not allowed"
	case http.StatusMethodNotAllowed:
		e.Title, e.Message = "Not allowed", "This address cannot be used that way. Follow a link or a button instead."
	case http.StatusTooManyRequests:
		e.Title = "Too many requests"
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		e.Title = "The request cannot be used"
	}
	if e.Message == http.StatusText(code) {
		e.Message = "The request cannot be answered (" + strings.ToLower(e.Message) + ")."
	}
	return e
}
