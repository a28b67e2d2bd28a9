package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/worker/workertest"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestExportAndImportFromTheCommandLine(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	getenv := func(k string) string { return env[k] }
	command := func(args ...string) (string, error) {
		var out workertest.LogBuffer
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

func TestMigrateMigratesAndExits(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	if err := run(context.Background(), []string{"cronflow", "migrate"}, func(k string) string { return env[k] }, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}
