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

// Templates stay visible (issue 27, item 10): an admin sees the URL template as written, its
// references included, in the list and on the job page; only literal secrets are masked.
func TestTemplatesStayVisibleWhileSecretsAreMasked(t *testing.T) {
	t.Parallel()
	l := setup(t, withAuth(AuthConfig{}))
	p := pingJobParams("templated")
	p.Type, p.Payload = "webhook", []byte(`{"url": "https://example.com/hooks/{{job.id}}?key={{secret.HOOK_KEY}}&sig=9f8e7d6c5b4a39281706", "body": {}}`)
	j, err := l.q.JobInsert(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	cookie := l.login()
	for _, path := range []string{"/api/jobs", fmt.Sprintf("/jobs/%d", j.ID)} {
		body := l.send(http.MethodGet, path, nil, "Cookie", cookie).Body.String()
		for _, kept := range []string{"/hooks/{{job.id}}", "key={{secret.HOOK_KEY}}"} {
			if !strings.Contains(body, kept) {
				t.Errorf("%s hides the template %q", path, kept)
			}
		}
		if strings.Contains(body, "9f8e7d6c5b4a39281706") {
			t.Errorf("%s shows the literal secret", path)
		}
	}
}
