package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/worker/runstatus"
)

// latestAudit is the newest entries of the whole log, read as the bootstrap admin.
func (s *secure) latestAudit(n int) []apiAuditEntry {
	s.t.Helper()
	return s.audit(fmt.Sprintf("/api/audit?limit=%d", n), "Authorization", "Basic "+basic(testAdmin, testPassword)).Entries
}

func TestRetriesAreAuditedInTheJobsHistory(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	code, token := s.basicJSON(http.MethodPost, "/api/tokens", testAdmin, testPassword, `{"name": "retry bot", "role": "editor"}`)
	if code != http.StatusCreated {
		t.Fatalf("create token: %d %v", code, token)
	}
	bot := token["token"].(string)
	job := dbtest.InsertJob(t, s.q, pingJobParams("flaky"))
	other := dbtest.InsertJob(t, s.q, pingJobParams("other"))
	one := dbtest.InsertRun(t, s.q, job.ID, runstatus.PermanentlyFailed, "", "HTTP 500")

	if code, out := s.bearerJSON(http.MethodPost, fmt.Sprintf("/api/runs/%d/retry", one.ID), bot, ""); code != http.StatusAccepted {
		t.Fatalf("retry one: %d %v", code, out)
	}
	e := s.latestAudit(1)
	if len(e) != 1 || e[0].Action != "run.retry" || e[0].Actor != "retry bot" || e[0].Subject != "flaky" || e[0].JobID == nil ||
		*e[0].JobID != job.ID || len(e[0].Changes) != 1 || e[0].Changes["run_id"].From != nil || e[0].Changes["run_id"].To != float64(one.ID) {
		t.Fatalf("entry of one retry = %+v", e)
	}

	t.Run("ARefusedRetryRecordsNothing", func(t *testing.T) {
		if code, _ := s.bearerJSON(http.MethodPost, fmt.Sprintf("/api/runs/%d/retry", one.ID), bot, ""); code != http.StatusConflict {
			t.Fatalf("retry of a queued run: %d, want 409", code)
		}
		retries := 0
		for _, e := range s.latestAudit(10) {
			if e.Action == "run.retry" {
				retries++
			}
		}
		if retries != 1 {
			t.Fatalf("a refused retry was recorded: %+v", s.latestAudit(10))
		}
	})
	t.Run("ABulkRetryRecordsOneEntryPerJobWithItsRuns", func(t *testing.T) {
		a := dbtest.InsertRun(t, s.q, job.ID, runstatus.PermanentlyFailed, "", "x")
		b := dbtest.InsertRun(t, s.q, job.ID, runstatus.PermanentlyFailed, "", "x")
		c := dbtest.InsertRun(t, s.q, other.ID, runstatus.PermanentlyFailed, "", "x")
		body := fmt.Sprintf(`{"ids": [%d, %d, %d]}`, b.ID, c.ID, a.ID)
		if code, out := s.bearerJSON(http.MethodPost, "/api/runs/retry", bot, body); code != http.StatusAccepted || out["queued"] != float64(3) {
			t.Fatalf("bulk retry: %d %v", code, out)
		}
		bySubject := map[string]apiAuditEntry{}
		for _, e := range s.latestAudit(2) {
			bySubject[e.Subject] = e
		}
		flaky, rest := bySubject["flaky"], bySubject["other"]
		if flaky.Action != "run.retry" || flaky.Actor != "retry bot" || flaky.Changes["runs"].To != float64(2) ||
			fmt.Sprint(flaky.Changes["run_ids"].To) != fmt.Sprintf("[%d %d]", a.ID, b.ID) {
			t.Errorf("the flaky job's entry = %+v", flaky)
		}
		if rest.Action != "run.retry" || rest.JobID == nil || *rest.JobID != other.ID || rest.Changes["run_id"].To != float64(c.ID) {
			t.Errorf("the other job's entry = %+v", rest)
		}
	})
	t.Run("TheDashboardsRetryIsTheUsersAndShowsInTheJobsHistory", func(t *testing.T) {
		again := dbtest.InsertRun(t, s.q, job.ID, runstatus.PermanentlyFailed, "", "x")
		cookie := s.login()
		if code := s.postPage(cookie, fmt.Sprintf("/runs/%d/retry", again.ID), url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("retry from the run page: %d", code)
		}
		if e := s.latestAudit(1); e[0].Action != "run.retry" || e[0].Actor != testAdmin {
			t.Fatalf("entry = %+v", e)
		}
		doc := s.parse(s.send(http.MethodGet, fmt.Sprintf("/jobs/%d", job.ID), nil, "Cookie", cookie), http.StatusOK)
		row := doc.Find(`[data-testid="history-row"][data-action="run.retry"]`).First()
		if row.Find(`[data-testid="history-action"]`).Text() != "Retried" || !strings.Contains(row.Find(`[data-field="run_id"]`).Text(), fmt.Sprint(again.ID)) {
			t.Errorf("the job's history shows the retry as %q", row.Text())
		}
	})
}

func TestChannelChangesAreAuditedWithSecretsMasked(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	admin := func(method, target, body string, want int) map[string]any {
		code, out := s.basicJSON(method, target, testAdmin, testPassword, body)
		if code != want {
			t.Fatalf("%s %s: %d %v", method, target, code, out)
		}
		return out
	}
	secret := "T0000/B0000/XXXXsecretXXXX" // Slack's path is the secret
	ch := admin(http.MethodPost, "/api/channels", `{"name": "Team", "type": "slack", "config": {"webhook_url": "https://hooks.slack.com/services/`+secret+`"}}`, http.StatusCreated)
	path := fmt.Sprintf("/api/channels/%v", ch["id"])
	admin(http.MethodPut, path, `{"name": "Team", "type": "slack", "config": {"webhook_url": "https://hooks.slack.com/services/`+secret+`2"}, "default": true}`, http.StatusOK)
	admin(http.MethodPut, path, `{"name": "Team", "type": "slack", "config": {"webhook_url": "https://hooks.slack.com/services/`+secret+`2"}, "default": true}`, http.StatusOK) // unchanged
	admin(http.MethodDelete, path, "", http.StatusNoContent)
	admin(http.MethodDelete, path, "", http.StatusNotFound)

	entries := s.latestAudit(10)
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
		if !strings.HasPrefix(e.Action, "channel.") {
			continue
		}
		if e.Actor != testAdmin || e.Subject != "Team" || e.JobID != nil {
			t.Errorf("%s: actor %q, subject %q, job %v", e.Action, e.Actor, e.Subject, e.JobID)
		}
	}
	if got := strings.Join(actions, " "); !strings.HasPrefix(got, "channel.delete channel.update channel.create") {
		t.Fatalf("actions newest first = %q", got)
	}
	update := entries[1].Changes
	hook := update["config.webhook_url"]
	if len(update) != 2 || update["default"].From != false || update["default"].To != true || !strings.Contains(fmt.Sprint(hook.To), "xxxxx") {
		t.Errorf("the update's changes = %+v, want default, and the URL as a change shown masked", update)
	}
	if raw := s.send(http.MethodGet, "/api/audit", nil, "Authorization", "Basic "+basic(testAdmin, testPassword)).Body.String(); strings.Contains(raw, "XXXXsecret") {
		t.Errorf("the audit log shows the channel's secret: %s", raw)
	}
	if e := entries[2]; e.Changes["type"].To != "slack" || e.Changes["config.webhook_url"].To == nil {
		t.Errorf("the creation's changes = %+v", e.Changes)
	}

	t.Run("TheDashboardsFormsAreAuditedToo", func(t *testing.T) {
		cookie := s.login()
		form := url.Values{"name": {"Hook"}, "type": {"webhook"}, "config.url": {"https://example.com/in"}}
		if code := s.postPage(cookie, "/channels", form); code != http.StatusSeeOther {
			t.Fatalf("add a channel: %d", code)
		}
		if e := s.latestAudit(1); e[0].Action != "channel.create" || e[0].Actor != testAdmin || e[0].Subject != "Hook" {
			t.Fatalf("entry = %+v", e)
		}
	})
}
