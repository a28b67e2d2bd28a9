package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/schedule"
)

func TestUserInfoAndPathSecretsAreMaskedInLists(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	ctx := context.Background()
	var ids []int64
	for typ, payload := range map[string]string{
		"ping":    `{"url": "https://TOKENASUSER@status.example.com/ping"}`,
		"webhook": `{"url": "https://hooks.example.com/catch/4f9Qz7KpW2xLmN8rT3vB/run", "body": {"a": 1}}`,
	} {
		j, err := l.q.JobInsert(ctx, sqlcgen.JobInsertParams{Catchup: schedule.CatchupLatest, Name: typ, Type: typ, Payload: []byte(payload), Cron: "@hourly",
			Timezone: "UTC", MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	cookie := l.login()
	for _, path := range []string{"/api/jobs", "/jobs", fmt.Sprintf("/jobs/%d", ids[0]), fmt.Sprintf("/jobs/%d", ids[1])} {
		body := l.send(http.MethodGet, path, nil, "Cookie", cookie).Body.String()
		for _, secret := range []string{"TOKENASUSER", "4f9Qz7KpW2xLmN8rT3vB"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %s", path, secret)
			}
		}
		for _, kept := range []string{"status.example.com/ping", "hooks.example.com/catch/"} {
			if !strings.Contains(body, kept) && strings.HasPrefix(path, "/api/") {
				t.Errorf("%s lost %q", path, kept)
			}
		}
	}
}
