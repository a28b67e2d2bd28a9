package handlers

import (
	"net/http"
	"testing"
)

func TestTaskFieldsFollowTheType(t *testing.T) {
	t.Parallel()
	d := setup(t)
	request := []string{"payload-method-input", "payload-expect_status-input", "payload-expect_body-input"}
	for typ, ids := range map[string][]string{
		"ping":    append([]string{"payload-url-input"}, request...),
		"email":   {"payload-to-input", "payload-cc-input", "payload-bcc-input", "payload-subject-input", "payload-body-input"},
		"slack":   {"payload-webhook_url-input", "payload-text-input"},
		"webhook": append([]string{"payload-url-input", "payload-body-input", "payload-sign-input"}, request...),
	} {
		// d's helpers fail the test they were set up with, so the types share it instead of subtests.
		doc := d.page("/jobs/task-fields?type="+typ, true, http.StatusOK)
		if got := find(t, doc, "task-fields").AttrOr("data-type", ""); got != typ {
			t.Errorf("%s: data-type = %q", typ, got)
		}
		for _, id := range ids {
			find(t, doc, id)
		}
		if n := doc.Find("[data-testid$='-input']").Length(); n != len(ids) {
			t.Errorf("%s: %d fields, want %d", typ, n, len(ids))
		}
		// An HTTP task offers three empty header rows; the others have none.
		wantRows := map[string]int{"ping": 3, "webhook": 3}[typ]
		if n := doc.Find("[data-testid=header-row]").Length(); n != wantRows {
			t.Errorf("%s: %d header rows, want %d", typ, n, wantRows)
		}
	}
}
