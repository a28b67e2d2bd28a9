package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/worker/secret"
)

// withSecretKey gives the server a fresh secret key.
func withSecretKey(t *testing.T) func(*Deps) {
	key := make([]byte, secret.KeySize)
	_, _ = rand.Read(key)
	keys, err := secret.NewKeyring(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return func(d *Deps) { d.Secrets = keys }
}

// sendJSON sends a JSON body to the API.
func (f *fixture) sendJSON(method, target, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.send(method, target, strings.NewReader(body), "Content-Type", "application/json")
}

func TestAPISecrets(t *testing.T) {
	t.Parallel()

	t.Run("CreateListChangeDeleteNeverShowTheValue", func(t *testing.T) {
		t.Parallel()
		f := setup(t, withSecretKey(t))
		rec := f.sendJSON(http.MethodPost, "/api/secrets", `{"name": "API_TOKEN", "value": "v-123456"}`)
		var created map[string]any
		f.expect(rec, http.StatusCreated, &created)
		if created["name"] != "API_TOKEN" || rec.Header().Get("Location") != "/api/secrets/API_TOKEN" {
			t.Errorf("created = %v, Location %q", created, rec.Header().Get("Location"))
		}
		f.expect(f.sendJSON(http.MethodPut, "/api/secrets/API_TOKEN", `{"value": "v-654321"}`), http.StatusOK, &created)
		list := f.send(http.MethodGet, "/api/secrets", nil)
		var out struct {
			Secrets []struct {
				Name string `json:"name"`
				Jobs int64  `json:"jobs"`
			} `json:"secrets"`
		}
		f.expect(list, http.StatusOK, &out)
		if len(out.Secrets) != 1 || out.Secrets[0].Name != "API_TOKEN" || bytes.Contains(list.Body.Bytes(), []byte("v-")) {
			t.Errorf("list = %s", list.Body)
		}
		stored, err := f.q.SecretGetMany(context.Background(), []string{"API_TOKEN"})
		if err != nil || len(stored) != 1 || bytes.Contains(stored[0].Sealed, []byte("v-654321")) {
			t.Errorf("stored %v, %v: the value must be sealed", stored, err)
		}
		f.expect(f.send(http.MethodDelete, "/api/secrets/API_TOKEN", nil), http.StatusNoContent, nil)
		f.expectProblem(f.send(http.MethodDelete, "/api/secrets/API_TOKEN", nil), http.StatusNotFound, "")
	})

	t.Run("BadInputIsRefusedByField", func(t *testing.T) {
		t.Parallel()
		f := setup(t, withSecretKey(t))
		f.expectProblem(f.sendJSON(http.MethodPost, "/api/secrets", `{"name": "api-token", "value": "x"}`), http.StatusUnprocessableEntity, "name")
		f.expectProblem(f.sendJSON(http.MethodPost, "/api/secrets", `{"name": "A", "value": ""}`), http.StatusUnprocessableEntity, "value")
		f.expectProblem(f.sendJSON(http.MethodPost, "/api/secrets", `{"name": 5}`), http.StatusUnprocessableEntity, "name")
		f.expectProblem(f.sendJSON(http.MethodPut, "/api/secrets/NOPE", `{"value": "x"}`), http.StatusNotFound, "")
		f.expectProblem(f.sendJSON(http.MethodPut, "/api/secrets/lower", `{"value": "x"}`), http.StatusNotFound, "")
		f.sendJSON(http.MethodPost, "/api/secrets", `{"name": "TAKEN", "value": "x"}`)
		p := f.expectProblem(f.sendJSON(http.MethodPost, "/api/secrets", `{"name": "TAKEN", "value": "y"}`), http.StatusConflict, "")
		if !strings.Contains(p.Error, "PUT /api/secrets/TAKEN") {
			t.Errorf("error = %q", p.Error)
		}
	})

	t.Run("WithoutAKeySecretsAreOff", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		p := f.expectProblem(f.sendJSON(http.MethodPost, "/api/secrets", `{"name": "A", "value": "x"}`), http.StatusConflict, "")
		if !strings.Contains(p.Error, "CRONFLOW_SECRET_KEY") {
			t.Errorf("error = %q", p.Error)
		}
		doc := f.page("/secrets", false, http.StatusOK)
		find(t, doc, "secrets-off")
	})

	t.Run("JobsMayNameOnlySecretsThatExistAndKeepThemFromDeletion", func(t *testing.T) {
		t.Parallel()
		f := setup(t, withSecretKey(t))
		job := `{"type": "ping", "cron": "@daily", "payload": {"url": "https://example.com", "headers": {"Authorization": "Bearer {{secrets.TOKEN}}"}}}`
		p := f.expectProblem(f.sendJSON(http.MethodPost, "/api/jobs", job), http.StatusUnprocessableEntity, "payload.headers")
		if !strings.Contains(p.Fields["payload.headers"], "TOKEN, which does not exist") || f.jobCount() != 0 {
			t.Errorf("problems = %v, jobs %d", p.Fields, f.jobCount())
		}
		f.sendJSON(http.MethodPost, "/api/secrets", `{"name": "TOKEN", "value": "x"}`)
		created := f.createJob(job)
		var refused struct {
			Error string   `json:"error"`
			Jobs  []jobRef `json:"jobs"`
		}
		f.expect(f.send(http.MethodDelete, "/api/secrets/TOKEN", nil), http.StatusConflict, &refused)
		if len(refused.Jobs) != 1 || refused.Jobs[0].ID != created.ID {
			t.Errorf("refused = %+v", refused)
		}
		f.expect(f.send(http.MethodDelete, "/api/jobs/"+itoa64(created.ID), nil), http.StatusNoContent, nil)
		f.expect(f.send(http.MethodDelete, "/api/secrets/TOKEN", nil), http.StatusNoContent, nil)
	})
}

func TestSecretsPage(t *testing.T) {
	t.Parallel()
	f := setup(t, withSecretKey(t))
	post := func(target string, v url.Values) *httptest.ResponseRecorder {
		return f.send(http.MethodPost, target, formBody(v), "Sec-Fetch-Site", "same-origin")
	}
	if rec := post("/secrets", url.Values{"name": {"DB_PASS"}, "value": {"hunter2-long"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	doc := f.page("/secrets", false, http.StatusOK)
	if rows := doc.Find("[data-testid=secret-row]"); rows.Length() != 1 || rows.AttrOr("data-name", "") != "DB_PASS" {
		t.Errorf("%d rows", rows.Length())
	}
	if html, _ := doc.Html(); strings.Contains(html, "hunter2") {
		t.Error("the page shows the value")
	}
	rec := post("/secrets", url.Values{"name": {"bad name"}, "value": {"hunter2-long"}})
	doc = f.parse(rec, http.StatusUnprocessableEntity)
	if html, _ := doc.Html(); strings.Contains(html, "hunter2") || find(t, doc, "secret-name").AttrOr("aria-invalid", "") != "true" {
		t.Errorf("a refused form must mark the name and not echo the value")
	}
	if rec := post("/secrets/DB_PASS", url.Values{"value": {"new-value"}}); rec.Code != http.StatusSeeOther {
		t.Errorf("change: %d", rec.Code)
	}
	f.createJob(`{"type": "email", "cron": "@daily", "payload": {"to": "a@example.com", "subject": "s", "body": "pw {{secrets.DB_PASS}}"}}`)
	doc = f.parse(post("/secrets/DB_PASS/delete", url.Values{}), http.StatusConflict)
	if find(t, doc, "secret-in-use").Find("a").Length() != 1 {
		t.Error("the refusal does not list the job")
	}
}

func TestJobRetryPolicyAndSigning(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.expectProblem(f.sendJSON(http.MethodPost, "/api/jobs", `{"type": "ping", "cron": "@daily", "retry_on": "sometimes",
		"payload": {"url": "https://example.com"}}`), http.StatusUnprocessableEntity, "retry_on")
	f.expectProblem(f.sendJSON(http.MethodPost, "/api/jobs", `{"type": "ping", "cron": "@daily", "retry_backoff": "linear",
		"payload": {"url": "https://example.com"}}`), http.StatusUnprocessableEntity, "retry_backoff")

	var job map[string]any
	f.expect(f.sendJSON(http.MethodPost, "/api/jobs", `{"type": "webhook", "cron": "@daily", "retry_on": "any", "retry_backoff": "exponential",
		"payload": {"url": "https://example.com", "sign": true, "body": {}}}`), http.StatusCreated, &job)
	secretText, _ := job["signing_secret"].(string)
	if job["retry_on"] != "any" || job["retry_backoff"] != "exponential" || !strings.HasPrefix(secretText, "whsec_") {
		t.Fatalf("job = %v", job)
	}
	id := itoa64(int64(job["id"].(float64)))
	var again map[string]any
	f.expect(f.sendJSON(http.MethodPut, "/api/jobs/"+id, `{"type": "webhook", "cron": "@hourly",
		"payload": {"url": "https://example.com/2", "sign": true, "body": {}}}`), http.StatusOK, &again)
	if again["signing_secret"] != secretText || again["retry_on"] != "transient" {
		t.Errorf("after an edit: %v; the signing secret must stay", again)
	}
	list := f.send(http.MethodGet, "/api/jobs", nil)
	if strings.Contains(list.Body.String(), secretText) {
		t.Error("the list shows the signing secret")
	}
	doc := f.page("/jobs/"+id, false, http.StatusOK)
	if find(t, doc, "job-signing-secret").Text() != secretText || !strings.Contains(find(t, doc, "job-retry-on").Text(), "Transient") {
		t.Errorf("job page: %q, %q", find(t, doc, "job-signing-secret").Text(), find(t, doc, "job-retry-on").Text())
	}
}

func TestJobFormCarriesTheRequestOptions(t *testing.T) {
	t.Parallel()
	f := setup(t)
	v := url.Values{"mode": {"advanced"}, "cron": {"@daily"}, "timezone": {"UTC"}, "type": {"webhook"},
		"payload.url": {"https://example.com/hook"}, "payload.body": {`{"a": 1}`}, "payload.method": {"PUT"},
		"payload.headers.0.name": {"X-Team"}, "payload.headers.0.value": {"ops"},
		"payload.headers.1.name": {""}, "payload.headers.1.value": {""},
		"payload.expect_status": {"201, 204"}, "payload.expect_body": {"queued"}, "payload.sign": {"true"},
		"max_retries": {"2"}, "retry_delay": {"5s"}, "timeout": {"30s"}, "retry_on": {"any"}, "retry_backoff": {"exponential"}}
	rec := f.send(http.MethodPost, "/jobs", formBody(v), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	id := strings.TrimPrefix(rec.Header().Get("Location"), "/jobs/")
	job := f.storedJob(mustInt(t, id))
	var p map[string]any
	_ = json.Unmarshal(job.Payload, &p)
	if p["method"] != "PUT" || p["sign"] != true || p["expect_body"] != "queued" || job.RetryOn != "any" || job.RetryBackoff != "exponential" {
		t.Errorf("stored %s, %s/%s", job.Payload, job.RetryOn, job.RetryBackoff)
	}
	doc := f.page("/jobs/"+id+"/edit", false, http.StatusOK)
	if got := find(t, doc, "payload-expect_status-input").AttrOr("value", ""); got != "201, 204" {
		t.Errorf("expect_status in the form = %q", got)
	}
	if got := doc.Find("[data-testid=header-name]").First().AttrOr("value", ""); got != "X-Team" {
		t.Errorf("first header = %q", got)
	}
	if doc.Find("#field-retry_on option[selected]").AttrOr("value", "") != "any" {
		t.Error("retry_on is not kept")
	}

	v.Set("payload.headers.1.value", "a value without a name")
	doc = f.parse(f.send(http.MethodPost, "/jobs", formBody(v), "Sec-Fetch-Site", "same-origin"), http.StatusUnprocessableEntity)
	if doc.Find("[data-testid=header-name][aria-invalid=true]").Length() != 1 {
		t.Error("the header row without a name is not marked")
	}
}

// mustInt reads an id from a URL.
func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return n
}

func TestImportKeepsTheRetryPolicyAndChecksSecrets(t *testing.T) {
	t.Parallel()
	f := setup(t, withSecretKey(t))
	doc := `{"version": 1, "jobs": [{"name": "Signed", "type": "webhook", "cron": "@hourly", "retry_on": "any",
		"retry_backoff": "exponential", "payload": {"url": "https://example.com/in", "sign": true, "body": {"k": "{{secrets.HOOK_KEY}}"}}}]}`
	var refused apiImportErrors
	f.expect(f.send(http.MethodPost, "/api/import", jsonBody(doc), "Content-Type", "application/json"), http.StatusUnprocessableEntity, &refused)
	if len(refused.Errors) != 1 || !strings.Contains(refused.Errors[0].Fields["payload.body"], "HOOK_KEY, which does not exist") {
		t.Fatalf("import naming a missing secret: %+v", refused)
	}
	f.sendJSON(http.MethodPost, "/api/secrets", `{"name": "HOOK_KEY", "value": "k-1"}`)
	if res := f.importDoc("", doc); res.Created != 1 {
		t.Fatalf("import = %+v", res)
	}
	rows, err := f.q.JobListByNames(context.Background(), []string{"Signed"})
	if err != nil || len(rows) != 1 {
		t.Fatalf("imported jobs: %v, %v", rows, err)
	}
	j := rows[0]
	if j.RetryOn != "any" || j.RetryBackoff != "exponential" || j.SigningSecret == nil || fmt.Sprint(j.SecretRefs) != "[HOOK_KEY]" {
		t.Errorf("imported job: retry %s/%s, signing %v, refs %v", j.RetryOn, j.RetryBackoff, j.SigningSecret, j.SecretRefs)
	}
	var exported struct {
		Jobs []map[string]any `json:"jobs"`
	}
	f.expect(f.send(http.MethodGet, "/api/export", nil), http.StatusOK, &exported)
	if got := exported.Jobs[0]; got["retry_on"] != "any" || got["retry_backoff"] != "exponential" || got["signing_secret"] != nil {
		t.Errorf("exported job = %v", got)
	}
	f.expect(f.send(http.MethodDelete, "/api/secrets/HOOK_KEY", nil), http.StatusConflict, nil)
}
