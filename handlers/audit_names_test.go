package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/sqlcgen"
)

// Changes that name things by id show them by name (issue 27, item 12): runs as links, channels
// and jobs by their names, and what was deleted since as such, on the audit page and in a job's
// history alike.
func TestAuditChangesNameRunsChannelsAndJobs(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	ctx := context.Background()
	job, err := s.q.JobInsert(ctx, pingJobParams("Named"))
	if err != nil {
		t.Fatal(err)
	}
	upstream, err := s.q.JobInsert(ctx, pingJobParams("Upstream"))
	if err != nil {
		t.Fatal(err)
	}
	ops, err := s.q.ChannelInsert(ctx, sqlcgen.ChannelInsertParams{Name: "ops-slack", Type: "webhook", Config: []byte(`{"url": "https://example.com/in"}`)})
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.q.RunInsertManual(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	const goneChannel, goneRun = 990001, 990002
	for _, e := range []struct{ action, changes string }{
		{"job.run", fmt.Sprintf(`{"run_id": {"from": null, "to": %d}}`, run.ID)},
		{"job.run", fmt.Sprintf(`{"run_id": {"from": null, "to": %d}}`, goneRun)},
		{"job.update", fmt.Sprintf(`{"alerts.channels": {"from": [], "to": [%d, %d]}, "after": {"from": null, "to": {"job_id": %d, "on": "success"}}}`,
			ops.ID, goneChannel, upstream.ID)},
	} {
		if err := s.q.AuditInsert(ctx, sqlcgen.AuditInsertParams{Actor: testAdmin, Action: e.action, Subject: "Named",
			JobID: &job.ID, Changes: []byte(e.changes)}); err != nil {
			t.Fatal(err)
		}
	}
	admin := s.loginAs(testAdmin, testPassword)
	changes := func(doc *goquery.Document) map[string]string {
		out := map[string]string{}
		doc.Find(`[data-testid="change"]`).Each(func(_ int, ch *goquery.Selection) {
			out[ch.AttrOr("data-field", "")+" "+fmt.Sprint(len(out))] = strings.Join(strings.Fields(ch.Text()), " ")
		})
		return out
	}
	for _, page := range []string{"/audit", fmt.Sprintf("/jobs/%d", job.ID)} {
		t.Run("On"+page, func(t *testing.T) {
			doc := s.parse(s.send(http.MethodGet, page, nil, "Cookie", admin), http.StatusOK)
			all := changes(doc)
			text := fmt.Sprint(all)
			for _, want := range []string{
				fmt.Sprintf("run_id: – → Run #%d", run.ID),
				fmt.Sprintf("run_id: – → run #%d (deleted)", goneRun),
				fmt.Sprintf("alerts.channels: [] → [ops-slack, channel #%d (deleted)]", goneChannel),
				"after: – → Upstream (when it completes)",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("%s: no change reads %q; changes: %v", page, want, all)
				}
			}
			links := map[string]bool{}
			doc.Find(`[data-testid="change-ref"]`).Each(func(_ int, a *goquery.Selection) { links[a.AttrOr("href", "")] = true })
			for _, href := range []string{fmt.Sprintf("/runs/%d", run.ID), fmt.Sprintf("/channels/%d", ops.ID), fmt.Sprintf("/jobs/%d", upstream.ID)} {
				if !links[href] {
					t.Errorf("%s: no link to %s among %v", page, href, links)
				}
			}
			if strings.Contains(text, "[1]") || strings.Contains(text, fmt.Sprintf("→ %d", run.ID)) {
				t.Errorf("%s still shows ids: %v", page, all)
			}
		})
	}
}
