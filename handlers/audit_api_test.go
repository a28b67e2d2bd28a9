package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// apiAuditEntry is an audit entry as the API contract names its fields.
type apiAuditEntry struct {
	ID      int64                             `json:"id"`
	At      time.Time                         `json:"at"`
	Actor   string                            `json:"actor"`
	Action  string                            `json:"action"`
	Subject string                            `json:"subject"`
	JobID   *int64                            `json:"job_id"`
	Changes map[string]struct{ From, To any } `json:"changes"`
}

type apiAuditPage struct {
	Entries    []apiAuditEntry `json:"entries"`
	NextBefore *int64          `json:"next_before"`
}

// audit reads the API's audit log at target, with the headers given as name, value pairs.
func (f *fixture) audit(target string, header ...string) apiAuditPage {
	f.t.Helper()
	var p apiAuditPage
	f.expect(f.send(http.MethodGet, target, nil, header...), http.StatusOK, &p)
	return p
}

func TestEveryJobChangeIsAudited(t *testing.T) {
	t.Parallel()
	f := setup(t)
	job := f.createJob(`{"name": "Nightly", "type": "ping", "cron": "0 2 * * *", "payload": {"url": "https://example.com/a"}}`)
	path := fmt.Sprintf("/api/jobs/%d", job.ID)
	f.expect(f.send(http.MethodPut, path, jsonBody(`{"name": "Nightly", "type": "ping", "cron": "0 3 * * *", "timeout": "10s", "payload": {"url": "https://example.com/b"}}`), "Content-Type", "application/json"), http.StatusOK, nil)
	f.expect(f.send(http.MethodPost, path+"/pause", jsonBody(""), "Content-Type", "application/json"), http.StatusOK, nil)
	f.expect(f.send(http.MethodPost, path+"/pause", jsonBody(""), "Content-Type", "application/json"), http.StatusOK, nil) // already paused: nothing changes
	f.expect(f.send(http.MethodPost, path+"/resume", jsonBody(""), "Content-Type", "application/json"), http.StatusOK, nil)
	var run apiRun
	f.expect(f.send(http.MethodPost, path+"/run", jsonBody(""), "Content-Type", "application/json"), http.StatusAccepted, &run)
	f.expect(f.send(http.MethodDelete, path, jsonBody(""), "Content-Type", "application/json"), http.StatusNoContent, nil)

	entries := f.audit(fmt.Sprintf("/api/audit?job_id=%d", job.ID)).Entries
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
		if e.Actor != "local" || e.JobID == nil || *e.JobID != job.ID || e.Subject != "Nightly" {
			t.Errorf("%s: actor %q, job %v, subject %q; want local, %d, Nightly", e.Action, e.Actor, e.JobID, e.Subject, job.ID)
		}
	}
	want := []string{"job.delete", "job.run", "job.resume", "job.pause", "job.update", "job.create"}
	if strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Fatalf("actions newest first = %v, want %v", actions, want)
	}
	byAction := map[string]apiAuditEntry{}
	for _, e := range entries {
		byAction[e.Action] = e
	}

	t.Run("AnUpdateListsExactlyTheFieldsThatChanged", func(t *testing.T) {
		got := byAction["job.update"].Changes
		if len(got) != 3 || got["cron"].From != "0 2 * * *" || got["cron"].To != "0 3 * * *" ||
			got["timeout"].From != "30s" || got["timeout"].To != "10s" || got["payload.url"].To != "https://example.com/b" {
			t.Errorf("changes = %+v", got)
		}
	})
	t.Run("PauseAndResumeChangePaused", func(t *testing.T) {
		if c := byAction["job.pause"].Changes["paused"]; c.From != false || c.To != true || len(byAction["job.pause"].Changes) != 1 {
			t.Errorf("pause changes = %+v", byAction["job.pause"].Changes)
		}
		if c := byAction["job.resume"].Changes["paused"]; c.From != true || c.To != false {
			t.Errorf("resume changes = %+v", byAction["job.resume"].Changes)
		}
	})
	t.Run("RunNowNamesTheRun", func(t *testing.T) {
		if c := byAction["job.run"].Changes["run_id"]; c.From != nil || c.To != float64(run.ID) {
			t.Errorf("run changes = %+v, want run %d", byAction["job.run"].Changes, run.ID)
		}
	})
	t.Run("CreateAndDeleteRecordEveryField", func(t *testing.T) {
		created, deleted := byAction["job.create"].Changes, byAction["job.delete"].Changes
		if created["name"].From != nil || created["name"].To != "Nightly" || created["cron"].To != "0 2 * * *" {
			t.Errorf("create changes = %+v", created)
		}
		if deleted["name"].From != "Nightly" || deleted["name"].To != nil || deleted["cron"].From != "0 3 * * *" {
			t.Errorf("delete changes = %+v", deleted)
		}
	})
	t.Run("TheHistoryOfADeletedJobStays", func(t *testing.T) {
		if len(entries) != len(want) {
			t.Errorf("%d entries after the delete, want %d", len(entries), len(want))
		}
	})
}

func TestAuditNeverShowsSecrets(t *testing.T) {
	t.Parallel()
	f := setup(t)
	job := f.createJob(`{"name": "Standup", "type": "slack", "cron": "0 9 * * 1-5", "payload": {"webhook_url": "https://hooks.slack.com/services/T000/B000/FIRSTSECRET", "text": "hi"}}`)
	f.expect(f.send(http.MethodPut, fmt.Sprintf("/api/jobs/%d", job.ID), jsonBody(`{"name": "Standup", "type": "slack", "cron": "0 9 * * 1-5", "payload": {"webhook_url": "https://hooks.slack.com/services/T000/B000/NEWSECRET", "text": "hi"}}`), "Content-Type", "application/json"), http.StatusOK, nil)
	rec := f.send(http.MethodGet, fmt.Sprintf("/api/audit?job_id=%d", job.ID), nil)
	if strings.Contains(rec.Body.String(), "FIRSTSECRET") || strings.Contains(rec.Body.String(), "NEWSECRET") {
		t.Fatalf("the audit log shows a Slack secret: %s", rec.Body)
	}
	entries := f.audit(fmt.Sprintf("/api/audit?job_id=%d", job.ID)).Entries
	if len(entries) != 2 || entries[0].Action != "job.update" || entries[0].Changes["payload.webhook_url"].From == nil {
		t.Fatalf("a changed secret must show as a change, masked: %+v", entries)
	}
	page := f.send(http.MethodGet, fmt.Sprintf("/jobs/%d", job.ID), nil).Body.String()
	if !strings.Contains(page, `data-testid="job-history"`) || strings.Contains(page, "NEWSECRET") || strings.Contains(page, "FIRSTSECRET") {
		t.Fatal("the job's page, with its history, must show no Slack secret")
	}
}

func TestTheActorIsWhoeverMadeTheChange(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	admin := func(method, target, body string) map[string]any {
		code, out := s.basicJSON(method, target, testAdmin, testPassword, body)
		if code >= 300 {
			t.Fatalf("%s %s: %d %v", method, target, code, out)
		}
		return out
	}
	token := admin(http.MethodPost, "/api/tokens", `{"name": "deploy bot", "role": "editor"}`)
	if code, out := s.bearerJSON(http.MethodPost, "/api/jobs", token["token"].(string),
		`{"name": "By token", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}}`); code != http.StatusCreated {
		t.Fatalf("create with the token: %d %v", code, out)
	}
	form := url.Values{"mode": {"advanced"}, "cron": {"@daily"}, "timezone": {"UTC"}, "type": {"ping"},
		"payload.url": {"https://example.com"}, "name": {"By form"}}
	if code := s.postPage(s.login(), "/jobs", form); code != http.StatusSeeOther {
		t.Fatalf("create with the form: %d", code)
	}
	user := admin(http.MethodPost, "/api/users", `{"name": "ann", "password": "long enough", "role": "viewer"}`)
	admin(http.MethodPut, fmt.Sprintf("/api/users/%v", user["id"]), `{"role": "editor", "password": "another long one"}`)
	admin(http.MethodDelete, fmt.Sprintf("/api/users/%v", user["id"]), "")
	admin(http.MethodDelete, fmt.Sprintf("/api/tokens/%v", token["id"]), "")

	entries := s.audit("/api/audit", "Authorization", "Basic "+basic(testAdmin, testPassword)).Entries
	byKey := map[string]apiAuditEntry{}
	for _, e := range entries {
		byKey[e.Action+" "+e.Subject] = e
	}
	for key, actor := range map[string]string{
		"job.create By token": "deploy bot", "job.create By form": testAdmin,
		"token.create deploy bot": testAdmin, "token.revoke deploy bot": testAdmin,
		"user.create ann": testAdmin, "user.update ann": testAdmin, "user.delete ann": testAdmin,
		"user.create " + testAdmin: "environment",
	} {
		if byKey[key].Actor != actor {
			t.Errorf("actor of %q = %q, want %q (entries: %+v)", key, byKey[key].Actor, actor, entries)
		}
	}
	t.Run("AUserChangeListsWhatChangedAndHidesThePassword", func(t *testing.T) {
		ch := byKey["user.update ann"].Changes
		if len(ch) != 2 || ch["role"].From != "viewer" || ch["role"].To != "editor" || ch["password"].To != "(secret)" {
			t.Errorf("changes = %+v", ch)
		}
		rec := s.send(http.MethodGet, "/api/audit", nil, "Authorization", "Basic "+basic(testAdmin, testPassword))
		raw := rec.Body.String()
		if rec.Code != http.StatusOK || strings.Contains(raw, "long enough") || strings.Contains(raw, "another long one") ||
			strings.Contains(raw, token["token"].(string)) {
			t.Errorf("the audit log (%d) shows a password or a token", rec.Code)
		}
	})
	t.Run("ChangingYourOwnPasswordIsRecorded", func(t *testing.T) {
		form := url.Values{"current": {testPassword}, "password": {"a new password"}, "confirm": {"a new password"}}
		if code := s.postPage(s.login(), "/settings/password", form); code != http.StatusSeeOther {
			t.Fatalf("change password: %d", code)
		}
		e := s.audit("/api/audit?limit=1", "Authorization", "Basic "+basic(testAdmin, "a new password")).Entries
		if len(e) != 1 || e[0].Action != "user.password" || e[0].Actor != testAdmin || e[0].Changes["password"].To != "(secret)" {
			t.Fatalf("latest entry = %+v", e)
		}
	})
}

func TestAuditListPagesAndChecksItsParameters(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for i := range 3 {
		f.createJob(fmt.Sprintf(`{"name": "job %d", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}}`, i))
	}
	first := f.audit("/api/audit?limit=2")
	if len(first.Entries) != 2 || first.NextBefore == nil || first.Entries[0].ID <= first.Entries[1].ID {
		t.Fatalf("first page = %+v", first)
	}
	rest := f.audit(fmt.Sprintf("/api/audit?limit=2&before=%d", *first.NextBefore))
	if len(rest.Entries) != 1 || rest.NextBefore != nil || rest.Entries[0].ID >= first.Entries[1].ID {
		t.Fatalf("second page = %+v", rest)
	}
	for _, q := range []string{"limit=0", "before=x", "job_id=-1"} {
		field := strings.SplitN(q, "=", 2)[0]
		f.expectProblem(f.send(http.MethodGet, "/api/audit?"+q, nil), http.StatusUnprocessableEntity, field)
	}
}

func TestTheJobPageShowsItsHistory(t *testing.T) {
	t.Parallel()
	d := setup(t)
	form := url.Values{"mode": {"advanced"}, "cron": {"@daily"}, "timezone": {"UTC"}, "type": {"ping"}, "payload.url": {"https://example.com"}, "name": {"Paged"}}
	rec := d.send(http.MethodPost, "/jobs", formBody(form), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	page := rec.Header().Get("Location")
	if rec := d.send(http.MethodPost, page+"/pause", formBody(url.Values{}), "Sec-Fetch-Site", "same-origin"); rec.Code != http.StatusSeeOther {
		t.Fatalf("pause: %d", rec.Code)
	}
	doc := d.page(page, false, http.StatusOK)
	rows := find(t, doc, "history-row")
	if rows.Length() != 2 || rows.First().AttrOr("data-action", "") != "job.pause" || rows.Last().AttrOr("data-action", "") != "job.create" {
		t.Fatalf("history rows: %d, first %q", rows.Length(), rows.First().AttrOr("data-action", ""))
	}
	if actor := rows.First().Find(`[data-testid="history-actor"]`).Text(); actor != "local" {
		t.Errorf("actor = %q, want local", actor)
	}
	if ch := rows.First().Find(`[data-testid="change"][data-field="paused"]`).Text(); !strings.Contains(ch, "false → true") {
		t.Errorf("pause change = %q", ch)
	}
}

func TestWhoMayReadTheAuditLogAndMoveJobs(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	s.addUser("vera", "viewer password", roleViewer)
	s.addUser("ed", "editor password", roleEditor)
	if code, out := s.basicJSON(http.MethodPost, "/api/jobs", "ed", "editor password",
		`{"name": "Seen", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}}`); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	t.Run("AViewerSeesTheJobEntriesOnly", func(t *testing.T) {
		entries := s.audit("/api/audit", "Authorization", "Basic "+basic("vera", "viewer password")).Entries
		if len(entries) != 1 || entries[0].Action != "job.create" || entries[0].Actor != "ed" {
			t.Fatalf("a viewer's audit log = %+v", entries)
		}
		if all := s.audit("/api/audit", "Authorization", "Basic "+basic(testAdmin, testPassword)).Entries; len(all) < 2 {
			t.Fatalf("an admin's audit log = %+v, want the bootstrap admin's entry too", all)
		}
	})
	t.Run("ExportAndImportNeedAnEditor", func(t *testing.T) {
		for _, r := range []struct{ method, target, body string }{
			{http.MethodGet, "/api/export", ""}, {http.MethodPost, "/api/import?dry_run=true", threeJobs},
		} {
			if code, _ := s.basicJSON(r.method, r.target, "vera", "viewer password", r.body); code != http.StatusForbidden {
				t.Errorf("%s %s as a viewer: %d, want 403", r.method, r.target, code)
			}
			if code, out := s.basicJSON(r.method, r.target, "ed", "editor password", r.body); code != http.StatusOK {
				t.Errorf("%s %s as an editor: %d %v", r.method, r.target, code, out)
			}
		}
	})
}
