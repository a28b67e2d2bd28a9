package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/sqlcgen"
)

// The audit log page (issue 27, item 12): admins see every entry, others those about jobs, as
// GET /api/audit decides; filters by actor, action and job; a page at a time.
func TestAuditPageFiltersPagesAndShowsWhatTheRoleMaySee(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	s.addUser("vera", "vera's password", roleViewer)
	ctx := context.Background()
	create := func(name string) int64 {
		code, out := s.basicJSON(http.MethodPost, "/api/jobs", testAdmin, testPassword,
			`{"name": "`+name+`", "type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}}`)
		if code != http.StatusCreated {
			t.Fatalf("create %s: %d %v", name, code, out)
		}
		return int64(out["id"].(float64))
	}
	jobID, otherID := create("Audited"), create("Other")
	for i := 0; i < auditPageSize+5; i++ {
		if err := s.q.AuditInsert(ctx, sqlcgen.AuditInsertParams{Actor: "deploy bot", Action: "job.pause", Subject: "Audited",
			JobID: &jobID, Changes: []byte(`{"paused": {"from": false, "to": true}}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.q.AuditInsert(ctx, sqlcgen.AuditInsertParams{Actor: testAdmin, Action: "token.create", Subject: "ci token", Changes: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	admin, viewer := s.loginAs(testAdmin, testPassword), s.loginAs("vera", "vera's password")
	all, err := s.q.AuditList(ctx, sqlcgen.AuditListParams{BeforeID: 1 << 62, MaxRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	get := func(cookie, target string, htmx bool) *goquery.Document {
		t.Helper()
		header := []string{"Cookie", cookie}
		if htmx {
			header = append(header, "HX-Request", "true")
		}
		return s.parse(s.send(http.MethodGet, target, nil, header...), http.StatusOK)
	}
	actions := func(doc *goquery.Document) string {
		return strings.Join(doc.Find(`[data-testid="audit-row"]`).Map(func(_ int, r *goquery.Selection) string { return r.AttrOr("data-action", "") }), " ")
	}

	t.Run("AdminsSeeEveryEntryAndTheNavigationLinksToIt", func(t *testing.T) {
		doc := get(admin, "/audit", false)
		if find(t, doc, "nav-audit").AttrOr("href", "") != "/audit" {
			t.Error("no Audit link in the navigation")
		}
		rows := find(t, doc, "audit-row")
		if rows.Length() != auditPageSize || !strings.Contains(actions(doc), "token.create") {
			t.Errorf("%d rows (%s); want %d with the token's", rows.Length(), actions(doc), auditPageSize)
		}
		if got := doc.Find(`[data-testid="audit-row"][data-action="token.create"] [data-testid="audit-action"]`).Text(); got != "Created an API token" {
			t.Errorf("the action in words: %q", got)
		}
		older := find(t, doc, "page-older").AttrOr("href", "")
		next := get(admin, older, false)
		if n := next.Find(`[data-testid="audit-row"]`).Length(); n != len(all)-auditPageSize {
			t.Errorf("the older page (%s) has %d rows, want the other %d", older, n, len(all)-auditPageSize)
		}
		newer := get(admin, find(t, next, "page-newer").AttrOr("href", ""), false)
		if actions(newer) != actions(doc) {
			t.Error("back to the newer page shows other entries")
		}
	})
	t.Run("OthersSeeOnlyTheEntriesAboutJobs", func(t *testing.T) {
		doc := get(viewer, "/audit", false)
		find(t, doc, "audit-scope")
		find(t, doc, "nav-audit")
		if strings.Contains(actions(doc), "token.") {
			t.Error("a viewer sees a token's entry")
		}
		if doc.Find(`[data-testid="audit-action-filter"] option[value="token.create"]`).Length() != 0 {
			t.Error("a viewer's filter offers token actions")
		}
	})
	t.Run("FiltersByActorActionAndJobWithAndWithoutHTMX", func(t *testing.T) {
		for _, htmx := range []bool{false, true} {
			doc := get(admin, fmt.Sprintf("/audit?actor="+testAdmin+"&action=job.create&job_id=%d", otherID), htmx)
			if isFragment(doc) != htmx {
				t.Errorf("htmx=%v: fragment %v", htmx, isFragment(doc))
			}
			rows := find(t, doc, "audit-row")
			if rows.Length() != 1 || rows.Find(`[data-testid="audit-subject"]`).Text() != "Other" {
				t.Errorf("htmx=%v: %d rows (%s)", htmx, rows.Length(), actions(doc))
			}
			if href := rows.Find(`[data-testid="audit-subject"] a`).AttrOr("href", ""); href != fmt.Sprintf("/jobs/%d", otherID) {
				t.Errorf("the job links to %q", href)
			}
		}
		if got := actions(get(admin, "/audit?actor="+url.QueryEscape("deploy bot")+"&action=token.create", false)); got != "" {
			t.Errorf("the bot made no token: %q", got)
		}
	})
	t.Run("AJobThatIsNotAnIdIsDroppedWithANote", func(t *testing.T) {
		doc := get(admin, "/audit?job_id=nightly", false)
		if !strings.Contains(find(t, doc, "audit-note").Text(), "Job: “nightly” is not a job id") {
			t.Error("no note naming the job filter")
		}
		if n := find(t, doc, "audit-row").Length(); n != auditPageSize {
			t.Errorf("%d rows, want a full page", n)
		}
	})
}
