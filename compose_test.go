package main

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/worker/brokertest"
)

// loadCompose loads docker-compose.yml as docker compose does (compose-go is its loader), with
// env as the environment and .env, and profiles enabled ("*": all).
func loadCompose(t *testing.T, env map[string]string, profiles ...string) *types.Project {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	details := types.ConfigDetails{WorkingDir: dir, ConfigFiles: []types.ConfigFile{{Filename: "docker-compose.yml"}}, Environment: env}
	p, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("cronflow", true)
		o.Profiles = profiles
	})
	if err != nil {
		t.Fatalf("load docker-compose.yml with environment %v: %v", env, err)
	}
	return p
}

func TestCompose(t *testing.T) {
	t.Parallel()
	// No .env and no variable set, as for `docker compose down`, `logs` or `ps` in a fresh clone:
	// loading must still work.
	all := loadCompose(t, map[string]string{}, "*")

	t.Run("OneServiceBuildsTheImageTheOthersWaitForIt", func(t *testing.T) {
		var builders []string
		for name, s := range all.Services {
			if s.Build != nil {
				builders = append(builders, name)
			}
		}
		if len(builders) != 1 || builders[0] != "cronflow-image" {
			t.Fatalf("services that build: %v; want only cronflow-image", builders)
		}
		for name, s := range all.Services {
			if s.Image != "cronflow:local" || s.Build != nil {
				continue
			}
			dep, ok := s.DependsOn["cronflow-image"]
			if s.PullPolicy != types.PullPolicyNever || !ok || dep.Condition != types.ServiceConditionCompletedSuccessfully {
				t.Errorf("%s: pull_policy %q, depends on cronflow-image %v (%q); want never, and to wait for the build",
					name, s.PullPolicy, ok, dep.Condition)
			}
		}
	})
	t.Run("EveryServiceHasAHealthcheck", func(t *testing.T) {
		for name, s := range all.Services {
			if name == "cronflow-image" { // a one-off build job
				continue
			}
			if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0 {
				t.Errorf("%s has no healthcheck", name)
				continue
			}
			if s.Image == "cronflow:local" && !slices.Equal(s.HealthCheck.Test, types.HealthCheckTest{"CMD", "/cronflow", "healthcheck"}) {
				t.Errorf("%s's healthcheck is %v; want cronflow healthcheck", name, s.HealthCheck.Test)
			}
		}
	})
	t.Run("SecretsComeFromTheEnvironment", func(t *testing.T) {
		p := loadCompose(t, map[string]string{"CRONFLOW_ADMIN_PASSWORD": "from .env", "POSTGRES_PASSWORD": "pg secret"})
		env := p.Services["cronflow"].Environment
		if v := env["CRONFLOW_ADMIN_PASSWORD"]; v == nil || *v != "from .env" {
			t.Errorf("cronflow's CRONFLOW_ADMIN_PASSWORD = %v; want the .env value", v)
		}
		if v := p.Services["postgres"].Environment["POSTGRES_PASSWORD"]; v == nil || *v != "pg secret" {
			t.Errorf("postgres's POSTGRES_PASSWORD = %v; want the .env value", v)
		}
	})
	t.Run("TheDevProfileStartsOnlyTheBackingServicesOnLoopback", func(t *testing.T) {
		dev := loadCompose(t, map[string]string{}, "dev")
		want := map[string]string{"postgres-dev": "5432", "rabbitmq-dev": "5672"}
		for name, port := range want {
			s, ok := dev.Services[name]
			if !ok {
				t.Fatalf("the dev profile has no %s", name)
			}
			if len(s.DependsOn) != 0 || !slices.ContainsFunc(s.Ports, func(p types.ServicePortConfig) bool {
				return p.HostIP == "127.0.0.1" && p.Published == port
			}) {
				t.Errorf("%s: depends on %v, ports %v; want nothing, and 127.0.0.1:%s", name, s.DependsOn, s.Ports, port)
			}
			if slices.Contains(s.Profiles, "dev") != true {
				t.Errorf("%s is not only in the dev profile: %v", name, s.Profiles)
			}
		}
	})
}

// The compose file's PostgreSQL and RabbitMQ are the versions the tests run against.
func TestComposeVersionsAreTheTestedOnes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbtest.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pgVersion string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&pgVersion); err != nil {
		t.Fatal(err)
	}
	rmq, err := amqp.Dial(brokertest.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rmq.Close()
	rmqVersion, _ := rmq.Properties["version"].(string)
	pgMajor, _, _ := strings.Cut(pgVersion, ".")
	rmqMinor := strings.Join(strings.SplitN(rmqVersion, ".", 3)[:2], ".")

	for name, s := range loadCompose(t, map[string]string{}, "*").Services {
		var want string
		switch {
		case strings.HasPrefix(s.Image, "postgres:"):
			want = "postgres:" + pgMajor
		case strings.HasPrefix(s.Image, "rabbitmq:"):
			want = "rabbitmq:" + rmqMinor + "-management"
		default:
			continue
		}
		if s.Image != want {
			t.Errorf("%s runs %s; the tests run %s", name, s.Image, want)
		}
	}
}
