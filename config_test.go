package main

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/worker/workertest"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/worker"
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
		"SMTPCAFileMissing":                {map[string]string{"SMTP_CA_FILE": "/nonexistent/ca.pem"}},
		"SMTPSkipVerifyNotABool":           {map[string]string{"SMTP_TLS_SKIP_VERIFY": "sometimes"}},
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
			var logs workertest.LogBuffer
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

func TestPrefetchIsNotTiedToConsumers(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		env  map[string]string
		want int
	}{
		"ByDefault":           {map[string]string{}, 1024},
		"WithASmallPool":      {map[string]string{"CONSUMERS": "16"}, 1024},
		"WithTheLargestPool":  {map[string]string{"CONSUMERS": "1024"}, 1024},
		"WhenSet":             {map[string]string{"CONSUMERS": "16", "PREFETCH": "32"}, 32},
		"WhenSetBelowThePool": {map[string]string{"CONSUMERS": "64", "PREFETCH": "8"}, 8},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := loadConfig("worker", func(k string) string { return tc.env[k] })
			if err != nil || cfg.Prefetch != tc.want {
				t.Fatalf("Prefetch = %d, %v; want %d", cfg.Prefetch, err, tc.want)
			}
		})
	}
}
