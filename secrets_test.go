package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// newSecretKey is a key as `openssl rand -base64 32` prints one.
func newSecretKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

func TestASecretReachesTheTargetAndNothingElse(t *testing.T) {
	t.Parallel()
	tg := newEchoingTarget(t)
	env := testEnv(t)
	env["CRONFLOW_SECRET_KEY"] = newSecretKey(t)
	app := startApp(t, "serve", env)
	value := "tok-" + strings.ToLower(rand.Text())

	var created map[string]any
	if code := app.call(http.MethodPost, "/api/secrets", map[string]string{"name": "API_TOKEN", "value": value}, &created); code != http.StatusCreated {
		t.Fatalf("create secret: %d %v", code, created)
	}
	var job struct {
		ID            int64  `json:"id"`
		SigningSecret string `json:"signing_secret"`
	}
	code := app.call(http.MethodPost, "/api/jobs", map[string]any{"type": "webhook", "cron": "0 0 1 1 *", "payload": map[string]any{
		"url": tg.URL + "/hook", "sign": true, "headers": map[string]string{"Authorization": "Bearer {{secrets.API_TOKEN}}"},
		"body": map[string]string{"event": "tick"}}}, &job)
	if code != http.StatusCreated || !strings.HasPrefix(job.SigningSecret, "whsec_") {
		t.Fatalf("create job: %d, signing secret %q", code, job.SigningSecret)
	}
	var run apiRun
	app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
	done := app.waitRun(run.ID, "completed")

	if got := tg.lastAuthorization(); got != "Bearer "+value {
		t.Errorf("the target got Authorization %q", got)
	}
	if !strings.Contains(done.Output, `Bearer {{secrets.API_TOKEN}}`) {
		t.Errorf("output = %q, want the echoed secret masked by name", done.Output)
	}
	paths := []string{"/api/secrets", "/api/jobs", fmt.Sprintf("/api/jobs/%d", job.ID), fmt.Sprintf("/api/runs/%d", run.ID),
		"/api/runs", "/secrets", "/jobs", fmt.Sprintf("/jobs/%d", job.ID), fmt.Sprintf("/jobs/%d/edit", job.ID),
		fmt.Sprintf("/runs/%d", run.ID), "/runs", "/"}
	for _, path := range paths {
		if strings.Contains(app.get(path), value) {
			t.Errorf("GET %s shows the secret's value", path)
		}
	}
	if strings.Contains(app.logs.String(), value) {
		t.Error("the logs hold the secret's value")
	}
	if page := app.get(fmt.Sprintf("/jobs/%d", job.ID)); !strings.Contains(page, job.SigningSecret) || !strings.Contains(page, "{{secrets.API_TOKEN}}") {
		t.Error("the job page shows neither the signing secret nor the secret's reference")
	}
	if strings.Contains(app.get("/api/jobs"), job.SigningSecret) {
		t.Error("the job list shows the signing secret")
	}

	var refused struct {
		Jobs []struct{ ID int64 } `json:"jobs"`
	}
	if code := app.call(http.MethodDelete, "/api/secrets/API_TOKEN", nil, &refused); code != http.StatusConflict ||
		len(refused.Jobs) != 1 || refused.Jobs[0].ID != job.ID {
		t.Errorf("deleting a secret in use: %d, jobs %v", code, refused.Jobs)
	}
}

func TestAKeyRotationSealsTheSecretsAgain(t *testing.T) {
	t.Parallel()
	tg := newEchoingTarget(t)
	env := testEnv(t)
	oldKey := newSecretKey(t)
	env["CRONFLOW_SECRET_KEY"] = oldKey
	app := startApp(t, "serve", env)
	app.call(http.MethodPost, "/api/secrets", map[string]string{"name": "TOKEN", "value": "rotate-me"}, nil)
	job := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{
		"url": tg.URL, "headers": map[string]string{"Authorization": "{{secrets.TOKEN}}"}}})
	if err := app.shutdown(); err != nil {
		t.Fatal(err)
	}

	// The new key with the old one as the previous: startup seals every secret again.
	env["CRONFLOW_SECRET_KEY"], env["CRONFLOW_SECRET_KEY_PREVIOUS"] = newSecretKey(t), oldKey
	app = startApp(t, "serve", env)
	if !app.logs.Contains("Secrets sealed again", `"secrets":1`) {
		t.Errorf("no line says the secret was sealed again:\n%s", app.logs.String())
	}
	if err := app.shutdown(); err != nil {
		t.Fatal(err)
	}

	// The previous key can go: the secret opens with the new key alone.
	delete(env, "CRONFLOW_SECRET_KEY_PREVIOUS")
	app = startApp(t, "serve", env)
	var run apiRun
	app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
	app.waitRun(run.ID, "completed")
	if got := tg.lastAuthorization(); got != "rotate-me" {
		t.Errorf("after the rotation the target got %q", got)
	}
}

func TestWithoutAKeySecretsAreRefused(t *testing.T) {
	t.Parallel()
	app := startApp(t, "serve", testEnv(t))
	var answer struct{ Error string }
	code := app.call(http.MethodPost, "/api/secrets", map[string]string{"name": "TOKEN", "value": "x"}, &answer)
	if code != http.StatusConflict || !strings.Contains(answer.Error, "CRONFLOW_SECRET_KEY") {
		t.Errorf("create without a key: %d %q", code, answer.Error)
	}
}
