package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
)

func TestAViewerSeesFailuresButCannotRetryOrChangeChannels(t *testing.T) {
	t.Parallel()
	f := setupRoles(t)
	run := dbtest.InsertRun(t, f.q, f.job.ID, runstatus.PermanentlyFailed, "", "HTTP 500")
	ch, err := f.q.ChannelInsert(context.Background(), sqlcgen.ChannelInsertParams{Name: "ops", Type: "slack",
		Config: []byte(`{"webhook_url": "https://hooks.slack.com/services/T0/B0/SECRETPATH"}`)})
	if err != nil {
		t.Fatal(err)
	}
	viewer, editor := f.loginAs("vera", "vera's password"), f.loginAs("ed", "ed's password")
	pages := map[string][]string{
		fmt.Sprintf("/runs/%d", run.ID):    {`data-testid="run-retry"`},
		"/runs?status=permanently_failed":  {`data-testid="run-select"`, `data-testid="bulk-retry"`},
		"/channels":                        {`data-testid="channel-form"`},
		fmt.Sprintf("/channels/%d", ch.ID): {`data-testid="channel-form"`, `data-testid="channel-test"`, "SECRETPATH"},
	}
	for path, actions := range pages {
		seen := f.send(http.MethodGet, path, nil, "Cookie", viewer).Body.String()
		edited := f.send(http.MethodGet, path, nil, "Cookie", editor).Body.String()
		for _, action := range actions {
			if strings.Contains(seen, action) {
				t.Errorf("%s shows a viewer %s", path, action)
			}
			if !strings.Contains(edited, action) {
				t.Errorf("%s does not show an editor %s", path, action)
			}
		}
	}
	if code, out := f.basicJSON(http.MethodGet, fmt.Sprintf("/api/channels/%d", ch.ID), "vera", "vera's password", ""); code != http.StatusOK ||
		strings.Contains(fmt.Sprint(out["config"]), "SECRETPATH") {
		t.Errorf("a viewer's GET of a channel: %d %v, want its webhook masked", code, out["config"])
	}
	if code, _ := f.basicJSON(http.MethodPost, fmt.Sprintf("/api/runs/%d/retry", run.ID), "vera", "vera's password", ""); code != http.StatusForbidden {
		t.Errorf("a viewer's retry: %d, want 403", code)
	}
	if code, _ := f.basicJSON(http.MethodPost, fmt.Sprintf("/api/runs/%d/retry", run.ID), "ed", "ed's password", ""); code != http.StatusAccepted {
		t.Errorf("an editor's retry: %d, want 202", code)
	}
}
