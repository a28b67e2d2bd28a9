package handlers

import (
	"net/http"
	"strings"
	"testing"
)

func TestErrorsAreShownInsideTheLayoutWithAWayBack(t *testing.T) {
	t.Parallel()
	d := setup(t)
	for name, tc := range map[string]struct {
		target   string
		status   int
		message  string
		backHref string
	}{
		"AnUnknownJob":           {"/jobs/987654321", http.StatusNotFound, "There is no such job: it may have been deleted.", "/jobs"},
		"AnUnknownRun":           {"/runs/987654321", http.StatusNotFound, "There is no such run: it may have been deleted.", "/runs"},
		"AnUnknownAddress":       {"/nowhere", http.StatusNotFound, "There is no page at this address.", "/"},
		"AJobIDThatIsNotANumber": {"/jobs/abc/edit", http.StatusNotFound, "", "/jobs"},
	} {
		t.Run(name, func(t *testing.T) {
			page := d.page(tc.target, false, tc.status)
			if isFragment(page) {
				t.Fatal("the error page is bare: it should be inside the layout, with the navigation")
			}
			if find(t, page, "nav-jobs").Length() != 1 {
				t.Error("the error page has no navigation")
			}
			if got := find(t, page, "error-message").Text(); !strings.Contains(got, tc.message) {
				t.Errorf("message %q, want it to say %q", got, tc.message)
			}
			if got := find(t, page, "error-back").AttrOr("href", ""); got != tc.backHref {
				t.Errorf("the way back leads to %q, want %q", got, tc.backHref)
			}

			fragment := d.page(tc.target, true, tc.status)
			if !isFragment(fragment) {
				t.Error("htmx gets a whole page; it should get the error panel alone")
			}
			if got := find(t, fragment, "error-message").Text(); got != find(t, page, "error-message").Text() {
				t.Errorf("htmx gets %q, the page says %q", got, find(t, page, "error-message").Text())
			}
		})
	}
	t.Run("AForbiddenPostSaysWhyInsideTheLayout", func(t *testing.T) {
		rec := d.send(http.MethodPost, "/jobs", nil, "Sec-Fetch-Site", "cross-site")
		page := d.parse(rec, http.StatusForbidden)
		if isFragment(page) || find(t, page, "error-title").Text() != "Not allowed" {
			t.Errorf("a refused post shows %q", find(t, page, "error-title").Text())
		}
	})
	t.Run("TheAPIKeepsAnsweringInJSON", func(t *testing.T) {
		rec := d.send(http.MethodGet, "/api/jobs/987654321", nil)
		if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("the API's 404: status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
		}
	})
}
