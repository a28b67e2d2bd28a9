package handlers

import (
	"net/http"
	"testing"
)

// A field the API does not know is a 422 naming it, not dropped in silence: a client must be able
// to tell a typo from a setting (issue 21). Nothing is stored from such a request.
func TestUnknownFieldsAreRejected(t *testing.T) {
	t.Parallel()

	t.Run("AMisspeltJobFieldIsNamed", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		body := `{"name": "Health", "type": "ping", "cron": "*/5 * * * *", "payload": {"url": "https://example.com/health"}, "max_retry": 5}`
		p := f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(body), "Content-Type", "application/json"),
			http.StatusUnprocessableEntity, "max_retry")
		if p.Fields["max_retry"] != "is not a known field" || len(p.Fields) != 1 {
			t.Errorf("fields = %v, want only max_retry: is not a known field", p.Fields)
		}
		if n := f.jobCount(); n != 0 {
			t.Errorf("%d jobs stored from a rejected request", n)
		}
	})

	t.Run("EveryUnknownFieldAndEveryOtherProblemIsNamed", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		body := `{"colour": "red", "type": "ping", "cron": "*/5 * * * *", "max_retries": "many", "payload": {"url": "https://example.com/"}, "shape": 1}`
		p := f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(body), "Content-Type", "application/json"),
			http.StatusUnprocessableEntity, "colour")
		for _, field := range []string{"colour", "shape", "max_retries"} {
			if p.Fields[field] == "" {
				t.Errorf("fields = %v, want a problem on %s", p.Fields, field)
			}
		}
	})

	t.Run("AMisspeltPayloadFieldIsNamed", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		body := `{"type": "ping", "cron": "*/5 * * * *", "payload": {"url": "https://example.com/health", "methd": "HEAD"}}`
		p := f.expectProblem(f.send(http.MethodPost, "/api/jobs", jsonBody(body), "Content-Type", "application/json"),
			http.StatusUnprocessableEntity, "payload.methd")
		if p.Fields["payload.methd"] != "is not a known field" {
			t.Errorf("fields = %v", p.Fields)
		}
	})

	t.Run("AnUpdateRejectsThemToo", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.createJob(pingJob)
		body := `{"name": "Health", "type": "ping", "cron": "*/5 * * * *", "payload": {"url": "https://example.com/health"}, "overlaps": "skip"}`
		f.expectProblem(f.send(http.MethodPut, "/api/jobs/"+itoa64(j.ID), jsonBody(body), "Content-Type", "application/json"),
			http.StatusUnprocessableEntity, "overlaps")
	})

	// Users and tokens (which need a login) read their bodies with the same decodeJSON.
	t.Run("EveryJSONRouteRejectsThem", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		for _, tc := range []struct{ method, path, body string }{
			{http.MethodPost, "/api/create", `{"type": "ping", "hour": 1, "minute": 2, "url": "https://example.com/"}`},
			{http.MethodPost, "/api/secrets", `{"name": "TOKEN", "value": "v", "secret": "x"}`},
			{http.MethodPost, "/api/channels", `{"name": "ops", "type": "webhook", "config": {}, "enabled": true}`},
			{http.MethodPost, "/api/runs/retry", `{"ids": [1], "all": true}`},
		} {
			rec := f.send(tc.method, tc.path, jsonBody(tc.body), "Content-Type", "application/json")
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s %s = %d, want 422; body: %s", tc.method, tc.path, rec.Code, rec.Body)
				continue
			}
			p := f.expectProblem(rec, http.StatusUnprocessableEntity, "")
			unknown := 0
			for _, problem := range p.Fields {
				if problem == "is not a known field" {
					unknown++
				}
			}
			if unknown != 1 {
				t.Errorf("%s %s: fields = %v, want one unknown field named", tc.method, tc.path, p.Fields)
			}
		}
	})
}
