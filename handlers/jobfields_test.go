package handlers

import (
	"net/http"
	"testing"
)

func TestTaskFieldsFollowTheType(t *testing.T) {
	t.Parallel()
	d := setup(t)
	for typ, ids := range map[string][]string{
		"ping":    {"payload-url-input"},
		"email":   {"payload-to-input", "payload-subject-input", "payload-body-input"},
		"slack":   {"payload-webhook_url-input", "payload-text-input"},
		"webhook": {"payload-url-input", "payload-body-input"},
	} {
		// d's helpers fail the test they were set up with, so the types share it instead of subtests.
		doc := d.page("/jobs/task-fields?type="+typ, true, http.StatusOK)
		if got := find(t, doc, "task-fields").AttrOr("data-type", ""); got != typ {
			t.Errorf("%s: data-type = %q", typ, got)
		}
		for _, id := range ids {
			find(t, doc, id)
		}
		if n := doc.Find("input:not([type=hidden]), textarea").Length(); n != len(ids) {
			t.Errorf("%s: %d fields, want %d", typ, n, len(ids))
		}
	}
}
