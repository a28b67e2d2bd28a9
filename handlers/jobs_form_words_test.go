package handlers

import (
	"net/http"
	"strings"
	"testing"
)

// A problem names the form's field (issue 27, item 13): an expected status of 600 reads
// "Expected status: 600 is not an HTTP status code; use 100–599.", under the field and in the
// summary, never "This field".
func TestAStatusCodeProblemNamesTheFormsField(t *testing.T) {
	t.Parallel()
	d := setup(t)
	f := validForm()
	f.Set("type", "ping")
	f.Set("payload.url", "https://example.com/ping")
	f.Set("payload.expect_status", "600")
	doc := d.parse(d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin"), http.StatusUnprocessableEntity)
	const want = "Expected status: 600 is not an HTTP status code; use 100–599."
	if got := strings.TrimSpace(find(t, doc, "payload-expect_status-error").Text()); got != want {
		t.Errorf("the field's problem reads %q, want %q", got, want)
	}
	if body := doc.Text(); strings.Contains(body, "This field") {
		t.Error("a problem still says \"This field\"")
	}
}
