package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/schedule"
	"github.com/cronflow/cronflow/worker/smtptest"
	"github.com/cronflow/cronflow/worker/workertest"
)

func TestBadConfigurationStopsStartup(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ env map[string]string }{
		"ConsumersNotANumber":              {map[string]string{"CONSUMERS": "many"}},
		"ConsumersZero":                    {map[string]string{"CONSUMERS": "0"}},
		"PrefetchZero":                     {map[string]string{"PREFETCH": "0"}},
		"PrefetchNotANumber":               {map[string]string{"PREFETCH": "lots"}},
		"PortOutOfRange":                   {map[string]string{"DASHBOARD_PORT": "70000"}},
		"PGPortNotANumber":                 {map[string]string{"PG_PORT": "five"}},
		"CatchUpNotADuration":              {map[string]string{"CATCHUP_WINDOW": "soon"}},
		"ShutdownGraceNegative":            {map[string]string{"SHUTDOWN_GRACE": "-5s"}},
		"SMTPTLSUnknown":                   {map[string]string{"SMTP_TLS": "maybe"}},
		"LogLevelUnknown":                  {map[string]string{"LOG_LEVEL": "loud"}},
		"DatabaseURLNotPostgres":           {map[string]string{"DATABASE_URL": "mysql://x"}},
		"AMQPURLNotAMQP":                   {map[string]string{"AMQP_URL": "http://x"}},
		"AMQPURLSecondNodeNotAMQP":         {map[string]string{"AMQP_URL": "amqp://h1:5672/,http://h2:5672/"}},
		"AMQPURLEmptyNode":                 {map[string]string{"AMQP_URL": "amqp://h1:5672/,,amqp://h2:5672/"}},
		"AMQPURLNodeTwice":                 {map[string]string{"AMQP_URL": "amqp://h1:5672/,amqp://h1:5672/"}},
		"AMQPURLTwoVirtualHosts":           {map[string]string{"AMQP_URL": "amqp://h1:5672/a,amqp://h2:5672/b"}},
		"RMQHostBadPort":                   {map[string]string{"RMQ_HOST": "h1,h2:seventy"}},
		"DatabaseURLHostsWithoutReadWrite": {map[string]string{"DATABASE_URL": "postgres://u@h1:5432,h2:5432/db"}},
		"DatabaseURLBadPort":               {map[string]string{"DATABASE_URL": "postgres://u@h1:port/db"}},
		"SecretKeyNotBase64":               {map[string]string{"CRONFLOW_SECRET_KEY": "not a key!"}},
		"SecretKeyTooShort":                {map[string]string{"CRONFLOW_SECRET_KEY": "c2hvcnQ="}},
		"PreviousKeyAlone":                 {map[string]string{"CRONFLOW_SECRET_KEY_PREVIOUS": "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo="}},
		"RetentionInWeeks":                 {map[string]string{"RETENTION_COMPLETED": "4w"}},
		"RetentionZero":                    {map[string]string{"RETENTION_FAILED": "0d"}},
		"RetentionFraction":                {map[string]string{"RETENTION_COMPLETED": "1.5d"}},
		"KeepPerJobNegative":               {map[string]string{"RETENTION_KEEP_PER_JOB": "-1"}},
		"IntervalOverADay":                 {map[string]string{"RETENTION_INTERVAL": "2d"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			err := run(context.Background(), []string{"cronflow"}, func(k string) string { return tc.env[k] }, &logs)
			for variable := range tc.env {
				if err == nil || !strings.Contains(err.Error(), variable) {
					t.Fatalf("run = %v, want an error naming %s", err, variable)
				}
			}
			if logs.String() != "" {
				t.Errorf("nothing may start before the configuration is valid, but it logged:\n%s", logs.String())
			}
		})
	}
	t.Run("EveryBadVariableIsNamedAtOnce", func(t *testing.T) {
		env := map[string]string{"CONSUMERS": "x", "RMQ_PORT": "y"}
		err := run(context.Background(), []string{"cronflow"}, func(k string) string { return env[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "CONSUMERS") || !strings.Contains(err.Error(), "RMQ_PORT") {
			t.Fatalf("run = %v, want both variables named", err)
		}
	})
	t.Run("APasswordInABadAddressIsNeverShown", func(t *testing.T) {
		env := map[string]string{"AMQP_URL": "amqp://u:hunter22@h1/,http://u:hunter22@h2/",
			"DATABASE_URL": "postgres://u:hunter22@h1:port/db"}
		err := run(context.Background(), []string{"cronflow"}, func(k string) string { return env[k] }, io.Discard)
		if err == nil || strings.Contains(err.Error(), "hunter22") {
			t.Fatalf("run = %v, want an error that does not show the password", err)
		}
	})
	t.Run("UnknownCommand", func(t *testing.T) {
		err := run(context.Background(), []string{"cronflow", "serv"}, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), `"serv"`) {
			t.Fatalf("run = %v, want the unknown command named", err)
		}
	})
}

// httpTarget records the method, content type and body of every request it gets.
type httpTarget struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
}

func newHTTPTarget(t *testing.T, delay time.Duration) *httpTarget {
	tg := &httpTarget{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		tg.mu.Lock()
		tg.requests = append(tg.requests, r.Method+" "+r.Header.Get("Content-Type")+" "+string(body))
		tg.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(tg.Close)
	return tg
}

// newHTTPTargetWith starts a target that answers with h.
func newHTTPTargetWith(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func (tg *httpTarget) got() []string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]string(nil), tg.requests...)
}

func TestEveryTaskTypeRunsEndToEnd(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	smtp := smtptest.Start(t)
	env := testEnv(t)
	env["SMTP_HOST"], env["SMTP_PORT"], env["SMTP_TLS"] = smtp.Host, strconv.Itoa(smtp.Port), "none"
	env["SMTP_USERNAME"], env["MAIL_PASS"], env["SMTP_FROM"] = smtptest.Username, smtptest.Password, "cron@example.com"
	app := startApp(t, "serve", env)

	jobs := map[string]map[string]any{
		"ping":    {"url": tg.URL + "/health"},
		"slack":   {"webhook_url": tg.URL + "/slack", "text": "Line \"one\"\nline two ✓"},
		"webhook": {"url": tg.URL + "/hook", "body": map[string]any{"event": "tick", "n": 1}},
		"email":   {"to": []string{"ops@example.com"}, "subject": "Nightly", "body": "All good."},
	}
	for typ, payload := range jobs {
		t.Run(strings.ToUpper(typ[:1])+typ[1:]+"Completes", func(t *testing.T) {
			job := app.createJob(map[string]any{"type": typ, "cron": "0 0 1 1 *", "payload": payload})
			var run apiRun
			if code := app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run); code != http.StatusAccepted {
				t.Fatalf("run now: status %d", code)
			}
			if run.Trigger != "manual" {
				t.Errorf("trigger = %q, want manual", run.Trigger)
			}
			done := app.waitRun(run.ID, "completed")
			if done.Attempts != 1 || done.Output == "" {
				t.Errorf("completed run: attempts %d, output %q", done.Attempts, done.Output)
			}
		})
	}
	requests := strings.Join(tg.got(), "\n")
	for _, want := range []string{"GET  ", `POST application/json {"text":"Line \"one\"\nline two ✓"}`, `POST application/json {"event":"tick","n":1}`} {
		if !strings.Contains(requests, want) {
			t.Errorf("the target did not get %q; it got:\n%s", want, requests)
		}
	}
	select {
	case msg := <-smtp.Messages:
		if len(msg.To) != 1 || msg.To[0] != "ops@example.com" || msg.User != smtptest.Username {
			t.Errorf("mail server got %+v", msg)
		}
	default:
		t.Error("the mail server got no message")
	}
}

func TestJobsFireAgainAfterARestart(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	env := testEnv(t)
	first := startApp(t, "serve", env)
	job := first.createJob(map[string]any{"type": "ping", "cron": "* * * * * *", "payload": map[string]any{"url": tg.URL}})
	workertest.WaitFor(t, 15*time.Second, "a scheduled run completes", func() bool {
		runs := first.runs(job.ID)
		return len(runs) > 0 && runs[len(runs)-1].Status == "completed"
	})
	if err := first.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	restarted := time.Now()

	second := startApp(t, "serve", env)
	workertest.WaitFor(t, 20*time.Second, "a run scheduled after the restart completes", func() bool {
		for _, r := range second.runs(job.ID) {
			if r.ScheduledAt.After(restarted) && r.Status == "completed" {
				return true
			}
		}
		return false
	})
	seen := map[time.Time]bool{}
	for _, r := range second.runs(job.ID) {
		if seen[r.ScheduledAt] {
			t.Fatalf("slot %s ran twice across the restart", r.ScheduledAt)
		}
		seen[r.ScheduledAt] = true
	}
}

func TestShutdownLetsInFlightRunsFinish(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 1500*time.Millisecond)
	app := startApp(t, "serve", testEnv(t))
	job := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
	var run apiRun
	app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
	app.waitRun(run.ID, "running")

	if err := app.shutdown(); err != nil {
		t.Fatalf("run returned %v after SIGTERM, want nil", err)
	}
	// The app is gone; read the outcome from a new one on the same database.
	again := startApp(t, "serve", app.env)
	var after apiRun
	again.call(http.MethodGet, fmt.Sprintf("/api/runs/%d", run.ID), nil, &after)
	if after.Status != "completed" || after.Attempts != 1 {
		t.Fatalf("in-flight run after shutdown: status %s, attempts %d; want completed after 1", after.Status, after.Attempts)
	}
}

func TestWorkerModeOnlyConsumes(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	env := testEnv(t)
	w := startApp(t, "worker", env)

	t.Run("HealthEndpointsAnswer", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if code := w.call(http.MethodGet, path, nil, nil); code != http.StatusOK {
				t.Errorf("GET %s = %d", path, code)
			}
		}
		if code := w.call(http.MethodGet, "/api/jobs", nil, nil); code != http.StatusNotFound {
			t.Errorf("a worker serves no API, but GET /api/jobs = %d", code)
		}
	})
	t.Run("ItExecutesRunsAServerQueued", func(t *testing.T) {
		serverEnv := map[string]string{}
		for k, v := range env {
			serverEnv[k] = v
		}
		serverEnv["CONSUMERS"] = "1"
		srv := startApp(t, "serve", serverEnv)
		job := srv.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
		var ids []int64
		for range 20 {
			var run apiRun
			srv.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &run)
			ids = append(ids, run.ID)
		}
		for _, id := range ids {
			srv.waitRun(id, "completed")
		}
		if !w.logs.contains(`"msg":"Run completed"`) {
			t.Errorf("the worker executed none of the 20 runs")
		}
	})
}

func TestAnotherReplicaTakesOverScheduling(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	env := testEnv(t)
	a := startApp(t, "serve", env)
	b := startApp(t, "serve", env)
	job := a.createJob(map[string]any{"type": "ping", "cron": "* * * * * *", "payload": map[string]any{"url": tg.URL}})
	workertest.WaitFor(t, 15*time.Second, "a scheduled run", func() bool { return len(a.runs(job.ID)) > 0 })

	leader, other := a, b
	if b.logs.contains("Became the scheduler leader") {
		leader, other = b, a
	}
	if err := leader.shutdown(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	workertest.WaitFor(t, 15*time.Second, "the other replica schedules a run", func() bool {
		for _, r := range other.runs(job.ID) {
			if r.ScheduledAt.After(stopped) && r.Status == "completed" {
				return true
			}
		}
		return false
	})
	if !other.logs.contains("Became the scheduler leader") {
		t.Error("the surviving replica never said it leads")
	}
	var stats map[string]json.RawMessage
	other.call(http.MethodGet, "/api/stats", nil, &stats)
}

func TestWhereCronflowListens(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		mode string
		env  map[string]string
		want string
	}{
		"WithoutAPasswordOnLoopbackOnly":          {"serve", map[string]string{}, "127.0.0.1:8000"},
		"WithAPasswordOnEveryAddress":             {"serve", map[string]string{"CRONFLOW_ADMIN_PASSWORD": "long enough"}, "0.0.0.0:8000"},
		"WithoutAPasswordWhereToldIfInsecureIsOn": {"serve", map[string]string{"DASHBOARD_HOST": "0.0.0.0", "CRONFLOW_INSECURE_NO_AUTH": "true"}, "0.0.0.0:8000"},
		"AWorkerWithoutAPasswordOnLoopbackOnly":   {"worker", map[string]string{}, "127.0.0.1:8000"},
		"AWorkerWithAPasswordOnEveryAddress":      {"worker", map[string]string{"CRONFLOW_ADMIN_PASSWORD": "long enough"}, "0.0.0.0:8000"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := loadConfig(tc.mode, func(k string) string { return tc.env[k] })
			if err != nil || cfg.HTTPAddr != tc.want {
				t.Fatalf("HTTPAddr = %q, %v; want %q", cfg.HTTPAddr, err, tc.want)
			}
		})
	}
}

func TestNodeListsAreRead(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		env  map[string]string
		want []string
	}{
		"OneNodeByDefault": {map[string]string{}, []string{"amqp://guest:guest@127.0.0.1:5672/"}},
		"AMQPURLWithThreeNodes": {map[string]string{"AMQP_URL": "amqp://u:p@h1:5701/vh, amqp://u:p@h2:5702/vh,amqp://u:p@h3/vh"},
			[]string{"amqp://u:p@h1:5701/vh", "amqp://u:p@h2:5702/vh", "amqp://u:p@h3/vh"}},
		"RMQHostWithPortsOrNot": {map[string]string{"RMQ_HOST": "h1,h2:5673,[::1]", "RMQ_PORT": "5701", "RMQ_VHOST": "a/b"},
			[]string{"amqp://guest:guest@h1:5701/a%2Fb", "amqp://guest:guest@h2:5673/a%2Fb", "amqp://guest:guest@[::1]:5701/a%2Fb"}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := loadConfig("worker", func(k string) string { return tc.env[k] })
			if err != nil || !slices.Equal(cfg.AMQPURLs, tc.want) {
				t.Fatalf("AMQPURLs = %q, %v; want %q", cfg.AMQPURLs, err, tc.want)
			}
			for _, u := range cfg.AMQPURLs {
				if uri, err := amqp.ParseURI(u); err != nil || (tc.env["RMQ_VHOST"] != "" && uri.Vhost != tc.env["RMQ_VHOST"]) {
					t.Errorf("the driver reads %s as %+v, %v", u, uri, err)
				}
			}
		})
	}
	t.Run("DatabaseURLWithAStandby", func(t *testing.T) {
		env := map[string]string{"DATABASE_URL": "postgres://u@[::1]:5432,h2:5433/db?target_session_attrs=read-write"}
		if _, err := loadConfig("worker", func(k string) string { return env[k] }); err != nil {
			t.Fatalf("loadConfig = %v, want a multi-host URL with target_session_attrs accepted", err)
		}
	})
}

func TestMetricsAreScraped(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	app := startApp(t, "serve", testEnv(t))
	good := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
	bad := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "max_retries": 0,
		"payload": map[string]any{"url": "http://127.0.0.1:1/"}})
	for _, id := range []int64{good.ID, bad.ID} {
		var run apiRun
		app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", id), nil, &run)
		app.waitRun(run.ID, map[int64]string{good.ID: "completed", bad.ID: "permanently_failed"}[id])
	}
	resp, err := http.Get(app.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`cronflow_runs_total{outcome="completed",type="ping"} 1`,
		`cronflow_runs_total{outcome="permanently_failed",type="ping"} 1`,
		`cronflow_attempt_duration_seconds_count{type="ping"} 2`,
		`cronflow_schedule_lag_seconds_count 2`,
		`cronflow_publishes_total{result="confirmed"} 2`,
		`cronflow_publishes_total{result="returned"} 0`,
		`cronflow_publishes_total{result="failed"} 0`,
		`cronflow_broker_reconnects_total{connection="consumer"} 0`,
		`cronflow_consumers 4`,
		`cronflow_runs_in_flight 0`,
		`cronflow_scheduler_leader 1`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// newSecretKey is a key as `openssl rand -base64 32` prints one.
func newSecretKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

// echoingTarget answers every request with the Authorization header it got, as a careless API
// might in an error message, and keeps the last one it saw.
type echoingTarget struct {
	URL  string
	mu   sync.Mutex
	last string
}

func newEchoingTarget(t *testing.T) *echoingTarget {
	tg := &echoingTarget{}
	tg.URL = newHTTPTargetWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.last = r.Header.Get("Authorization")
		tg.mu.Unlock()
		_, _ = fmt.Fprintf(w, `{"you sent": %q}`, r.Header.Get("Authorization"))
	})).URL
	return tg
}

func (tg *echoingTarget) lastAuthorization() string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.last
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
	if !app.logs.contains("Secrets sealed again", `"secrets":1`) {
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

func TestMissedRunsAreCountedAndShown(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// A job every hour whose last ten slots passed while no Cronflow was running (hourly, so that
	// no new slot comes while the test runs).
	q := sqlcgen.New(pool)
	tg := newHTTPTarget(t, 0)
	from := time.Now().Truncate(time.Hour).Add(-9 * time.Hour)
	insertJobs(t, q, 1, sqlcgen.JobInsertParams{Name: "hourly", Type: "ping", Payload: json.RawMessage(`{"url": "` + tg.URL + `"}`),
		Cron: "0 * * * *", Timezone: "UTC", MaxRetries: 0, RetryDelayMs: 1000, TimeoutMs: 5000,
		Catchup: schedule.CatchupLatest, NextRunAt: &from})
	app := startApp(t, "serve", env)

	var stats struct {
		Runs map[string]int64 `json:"runs"`
	}
	workertest.WaitFor(t, 20*time.Second, "one run and nine missed", func() bool {
		app.call(http.MethodGet, "/api/stats", nil, &stats)
		return stats.Runs["completed"] == 1 && stats.Runs["missed"] == 9
	})
	body := app.get("/metrics")
	if !strings.Contains(body, "cronflow_missed_slots_total 9\n") {
		t.Errorf("/metrics does not count the nine missed slots")
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(app.get("/runs?status=missed")))
	if err != nil {
		t.Fatal(err)
	}
	rows := doc.Find(`[data-testid="run-row"]`)
	rows.Each(func(_ int, row *goquery.Selection) {
		if !strings.Contains(row.Text(), "older than the catch-up window") {
			t.Errorf("a missed run's row does not say why: %q", strings.Join(strings.Fields(row.Text()), " "))
		}
	})
	if rows.Length() != 9 {
		t.Errorf("the runs page filtered by missed lists %d runs, want 9", rows.Length())
	}
	// The home page's totals are counted every few seconds.
	workertest.WaitFor(t, 20*time.Second, "the home page counts the missed runs", func() bool {
		return strings.Contains(app.get("/"), "9 missed runs")
	})
}
func TestRetentionSettings(t *testing.T) {
	t.Parallel()
	env := map[string]string{"RETENTION_COMPLETED": "7d", "RETENTION_FAILED": "36h", "RETENTION_KEEP_PER_JOB": "0", "RETENTION_INTERVAL": "1s"}
	cfg, err := loadConfig("serve", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := worker.RetentionConfig{Completed: 7 * 24 * time.Hour, Failed: 36 * time.Hour, KeepPerJob: 0, Interval: time.Second}
	if cfg.Retention != want {
		t.Fatalf("retention = %+v, want %+v", cfg.Retention, want)
	}
	defaults, _ := loadConfig("serve", func(string) string { return "" })
	if d := defaults.Retention; d.Completed != 30*24*time.Hour || d.Failed != 90*24*time.Hour || d.KeepPerJob != 20 || d.Interval != time.Minute {
		t.Fatalf("default retention = %+v", d)
	}
}

func TestRetentionRunsOnTheLeader(t *testing.T) {
	t.Parallel()
	tg := newHTTPTarget(t, 0)
	env := testEnv(t)
	env["RETENTION_COMPLETED"], env["RETENTION_KEEP_PER_JOB"], env["RETENTION_INTERVAL"] = "1s", "1", "1s"
	app := startApp(t, "serve", env)
	job := app.createJob(map[string]any{"type": "ping", "cron": "0 0 1 1 *", "payload": map[string]any{"url": tg.URL}})
	var newest apiRun
	for range 3 {
		app.call(http.MethodPost, fmt.Sprintf("/api/jobs/%d/run", job.ID), nil, &newest)
		app.waitRun(newest.ID, "completed")
	}
	workertest.WaitFor(t, 20*time.Second, "retention keeps only the newest run", func() bool {
		runs := app.runs(job.ID)
		return len(runs) == 1 && runs[0].ID == newest.ID
	})
	// The counters are updated as each batch is deleted, a moment after its rows are gone.
	workertest.WaitFor(t, 10*time.Second, "/metrics counts the two deleted runs", func() bool {
		body := app.get("/metrics")
		return strings.Contains(body, `cronflow_retention_deleted_total{kind="completed"} 2`+"\n") &&
			strings.Contains(body, `cronflow_retention_deleted_total{kind="failed"} 0`+"\n")
	})
}

// tenThousandJobs is an export document of n ping jobs to url that fire every 20 seconds.
func tenThousandJobs(n int, url string) []byte {
	jobs := make([]map[string]any, n)
	for i := range jobs {
		jobs[i] = map[string]any{"name": fmt.Sprintf("imported %05d", i), "type": "ping", "cron": "*/20 * * * * *",
			"payload": map[string]any{"url": url}}
	}
	doc, _ := json.Marshal(map[string]any{"version": 1, "jobs": jobs})
	return doc
}

func TestTenThousandImportedJobsAreScheduled(t *testing.T) {
	t.Parallel()
	const jobs = 10000
	tg := newHTTPTargetWith(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	env := testEnv(t)
	app := startApp(t, "serve", env)
	ctx := context.Background()
	listener, err := pgx.Connect(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(ctx)
	if _, err := listener.Exec(ctx, "LISTEN cronflow_jobs"); err != nil {
		t.Fatal(err)
	}

	doc := tenThousandJobs(jobs, tg.URL)
	start := time.Now()
	resp, err := http.Post(app.URL+"/api/import", "application/json", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("imported %d jobs (%d bytes) in %s", jobs, len(doc), time.Since(start).Round(time.Millisecond))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"created":10000`) {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}

	t.Run("TheSchedulersAreToldOnce", func(t *testing.T) {
		// Every notification of the import's transaction arrived at its commit; a marker sent
		// afterwards must be the next one.
		if _, err := app.pool(t).Exec(ctx, "SELECT pg_notify('cronflow_jobs', 'marker')"); err != nil {
			t.Fatal(err)
		}
		var got []string
		for len(got) == 0 || got[len(got)-1] != "marker" {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			n, err := listener.WaitForNotification(wctx)
			cancel()
			if err != nil {
				t.Fatalf("notifications so far %v: %v", got, err)
			}
			got = append(got, n.Payload)
		}
		if len(got) != 2 || got[0] != "*" {
			t.Fatalf("notifications = %.10v (%d), want one '*' and the marker", got, len(got))
		}
	})
	t.Run("EveryJobsNextSlotFires", func(t *testing.T) {
		workertest.WaitFor(t, 90*time.Second, "a run of every imported job", func() bool {
			var n int
			err := app.pool(t).QueryRow(ctx, "SELECT count(DISTINCT job_id) FROM runs").Scan(&n)
			return err == nil && n == jobs
		})
	})
}

func TestExportAndImportFromTheCommandLine(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	getenv := func(k string) string { return env[k] }
	command := func(args ...string) (string, error) {
		var out syncBuffer
		err := run(context.Background(), append([]string{"cronflow"}, args...), getenv, &out)
		return out.String(), err
	}
	file := t.TempDir() + "/jobs.json"
	doc := `{"version": 1, "jobs": [
		{"name": "Health", "type": "ping", "cron": "*/5 * * * *", "payload": {"url": "https://example.com/health"}},
		{"name": "Report", "type": "email", "cron": "0 8 * * 1", "paused": true, "payload": {"to": "ops@example.com", "subject": "Weekly", "body": "Hi"}}]}`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	exported := func() []string {
		out, err := command("export")
		var d struct {
			Version int
			Jobs    []struct{ Name string }
		}
		if err != nil || json.Unmarshal([]byte(out), &d) != nil || d.Version != 1 {
			t.Fatalf("export: %v\n%s", err, out)
		}
		var names []string
		for _, j := range d.Jobs {
			names = append(names, j.Name)
		}
		return names
	}

	out, err := command("import", file, "--dry-run")
	if err != nil || !strings.Contains(out, `{"created":2,"updated":0,"unchanged":0,"dry_run":true}`) {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if names := exported(); len(names) != 0 {
		t.Fatalf("a dry run stored %v", names)
	}
	if out, err := command("import", "--mode=upsert", file); err != nil || !strings.Contains(out, `"created":2`) {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if names := exported(); strings.Join(names, ",") != "Health,Report" {
		t.Fatalf("exported %v after the import", names)
	}
	t.Run("AnInvalidDocumentIsRefusedWithItsProblems", func(t *testing.T) {
		bad := t.TempDir() + "/bad.json"
		_ = os.WriteFile(bad, []byte(`{"version": 1, "jobs": [{"name": "New", "type": "ping", "cron": "nope", "payload": {"url": "https://example.com"}}]}`), 0o600)
		out, err := command("import", bad)
		if err == nil || !strings.Contains(out, `job 0 ("New"): cron`) {
			t.Fatalf("import of an invalid document: %v\n%s", err, out)
		}
		if names := exported(); len(names) != 2 {
			t.Fatalf("an invalid document changed the jobs: %v", names)
		}
	})
	t.Run("WithoutAFileItSaysHowToUseIt", func(t *testing.T) {
		if _, err := command("import", "--dry-run"); err == nil || !strings.Contains(err.Error(), "usage: cronflow import FILE") {
			t.Fatalf("import without a file: %v", err)
		}
	})
	t.Run("TheAuditLogNamesTheCommandLine", func(t *testing.T) {
		pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		var n int
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log WHERE actor = 'cli' AND action = 'job.create'").Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d job.create entries by cli, %v; want 2", n, err)
		}
	})
}

func TestBadServerLimitsStopStartup(t *testing.T) {
	t.Parallel()
	for variable, value := range map[string]string{
		"CRONFLOW_HTTP_IDLE_TIMEOUT":               "5m",
		"CRONFLOW_HTTP_READ_TIMEOUT":               "0",
		"CRONFLOW_HTTP_WRITE_TIMEOUT":              "soon",
		"CRONFLOW_HTTP_READ_HEADER_TIMEOUT":        "2m",
		"CRONFLOW_HTTP_MAX_HEADER_BYTES":           "100",
		"CRONFLOW_HTTP_MAX_CONNECTIONS":            "0",
		"CRONFLOW_HTTP_MAX_CONNECTIONS_PER_CLIENT": "-1",
		"CRONFLOW_SESSION_IDLE_TIMEOUT":            "1s",
		"CRONFLOW_SESSION_LIFETIME":                "forever",
		"CRONFLOW_RUN_NOW_PER_MINUTE":              "0",
		"CRONFLOW_ADMIN_PASSWORD":                  strings.Repeat("long", 19), // 76 bytes: bcrypt would cut it
	} {
		env := map[string]string{variable: value}
		if _, err := loadConfig("serve", func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), variable) {
			t.Errorf("%s=%s: %v, want an error naming it", variable, value, err)
		}
	}
}

// dialFrom connects to addr from a loopback address of its own, so that the server sees another
// client than the test's 127.0.0.1.
func dialFrom(local string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}}
}

func TestOneClientCannotHoldEveryConnection(t *testing.T) {
	// Not parallel: it holds 2,000 connections (the open-file limit here is far above that).
	env := testEnv(t)
	env["CRONFLOW_HTTP_IDLE_TIMEOUT"] = "1s"
	app := startApp(t, "serve", env)
	addr := strings.TrimPrefix(app.URL, "http://")
	const idle = 2000
	ended := make(chan error, idle)
	for range idle {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		go func() {
			// One request, then nothing: a keep-alive connection left idle.
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
			_, err := io.Copy(io.Discard, c) // returns when the server closes the connection
			ended <- err
		}()
	}
	// Another client is answered while they are open.
	resp, err := dialFrom("127.0.0.2").Get(app.URL + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("another client's /readyz beside %d idle connections: %v %v", idle, resp, err)
	}
	resp.Body.Close()
	for i := range idle {
		if err := <-ended; err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("%d of %d idle connections closed by the server within 20 s; the rest stay open", i, idle)
		}
	}
	// And the client itself is served again, once its idle connections are gone.
	if resp, err := http.Get(app.URL + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz after the idle connections: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestASlowRequestIsCutOff(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env["CRONFLOW_HTTP_READ_TIMEOUT"] = "2s"
	app := startApp(t, "serve", env)
	addr := strings.TrimPrefix(app.URL, "http://")
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	_, _ = io.WriteString(c, "POST /login HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n")
	ended := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, c); ended <- err }()
	began := time.Now()
	tick := time.NewTicker(100 * time.Millisecond) // one byte every 100 ms: 1,000 bytes take 100 s
	defer tick.Stop()
	for {
		select {
		case err := <-ended:
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("the server kept a slow request open for 30 s")
			}
			if took := time.Since(began); took > 15*time.Second {
				t.Fatalf("the server kept a slow request open for %s with a 2 s read timeout", took)
			}
			return
		case <-tick.C:
			_, _ = io.WriteString(c, "a")
		}
	}
}
