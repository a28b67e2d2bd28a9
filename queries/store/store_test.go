package store

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker/runstatus"
)

func init() { PasswordCost = bcrypt.MinCost }

// setup is a store on a transaction of its own, rolled back when the test ends, and the queries
// that read what it wrote.
func setup(t *testing.T, adminUser string) (*Store, *sqlcgen.Queries) {
	t.Helper()
	tx := dbtest.Tx(t)
	return New(tx, adminUser, nil), sqlcgen.New(tx)
}

// auditLog is every entry, oldest first.
func auditLog(t *testing.T, q *sqlcgen.Queries) []sqlcgen.AuditLog {
	t.Helper()
	rows, err := q.AuditList(context.Background(), sqlcgen.AuditListParams{BeforeID: math.MaxInt64, MaxRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows
}

func validSpec(t *testing.T, body string) JobSpec {
	t.Helper()
	var in JobInput
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	spec, problems := in.Valid(time.Now())
	if len(problems) > 0 {
		t.Fatalf("problems = %v", problems)
	}
	return spec
}

func TestAChangeAndAnImportAreRecordedAlikeAsTheirActor(t *testing.T) {
	t.Parallel()
	s, q := setup(t, "")
	ctx := context.Background()
	job, err := s.CreateJob(ctx, "alice", validSpec(t, `{"name": "one", "type": "ping", "payload": {"url": "http://127.0.0.1:9/"}, "cron": "0 9 * * *"}`))
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"version": 1, "jobs": [
		{"name": "two", "type": "ping", "payload": {"url": "http://127.0.0.1:9/"}, "cron": "0 9 * * *"},
		{"name": "three", "type": "ping", "payload": {"url": "http://127.0.0.1:9/"}, "cron": "0 10 * * *"}]}`
	res, err := s.Import(ctx, "cli", strings.NewReader(doc), ImportOptions{})
	if err != nil || res.Created != 2 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	log := auditLog(t, q)
	if len(log) != 3 {
		t.Fatalf("audit log has %d entries, want 3", len(log))
	}
	want := []struct{ actor, action, subject string }{{"alice", "job.create", "one"}, {"cli", "job.create", "two"}, {"cli", "job.create", "three"}}
	for i, w := range want {
		e := log[i]
		if e.Actor != w.actor || e.Action != w.action || e.Subject != w.subject || e.JobID == nil {
			t.Errorf("entry %d = %s %s %s (job %v), want %s %s %s", i, e.Actor, e.Action, e.Subject, e.JobID, w.actor, w.action, w.subject)
		}
		var changes map[string]FieldChange
		if err := json.Unmarshal(e.Changes, &changes); err != nil || string(changes["cron"].To) == "" {
			t.Errorf("entry %d changes = %s, want the job's fields", i, e.Changes)
		}
	}
	if *log[0].JobID != job.ID {
		t.Errorf("the first entry names job %d, want %d", *log[0].JobID, job.ID)
	}
}

func TestADryRunStoresNothingAndRecordsNothing(t *testing.T) {
	t.Parallel()
	s, q := setup(t, "")
	doc := `{"version": 1, "jobs": [{"name": "two", "type": "ping", "payload": {"url": "http://127.0.0.1:9/"}, "cron": "0 9 * * *"}]}`
	res, err := s.Import(context.Background(), "cli", strings.NewReader(doc), ImportOptions{DryRun: true})
	if err != nil || res.Created != 1 || !res.DryRun {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if jobs, _ := q.JobListAll(context.Background(), sqlcgen.JobListAllParams{MaxRows: 10}); len(jobs) != 0 {
		t.Errorf("a dry run stored %d jobs", len(jobs))
	}
	if log := auditLog(t, q); len(log) != 0 {
		t.Errorf("a dry run recorded %d entries", len(log))
	}
}

func TestEnsureAdminCreatesOnceAndRepairsAsTheEnvironment(t *testing.T) {
	t.Parallel()
	s, q := setup(t, "root")
	ctx := context.Background()
	for range 2 {
		if err := s.EnsureAdmin(ctx, "environment", "root", "first password"); err != nil {
			t.Fatal(err)
		}
	}
	if log := auditLog(t, q); len(log) != 1 || log[0].Action != "user.create" || log[0].Actor != "environment" {
		t.Fatalf("after two starts with the same password the log is %+v, want one user.create by environment", log)
	}
	user, err := q.UserGetByName(ctx, "root")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.UserUpdate(ctx, sqlcgen.UserUpdateParams{ID: user.ID, Role: string(RoleViewer), Disabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureAdmin(ctx, "environment", "root", "first password"); err != nil {
		t.Fatal(err)
	}
	if user, _ = q.UserGetByName(ctx, "root"); user.Role != string(RoleAdmin) || user.DisabledAt != nil {
		t.Errorf("the bootstrap admin is %s, disabled %v; want an enabled admin again", user.Role, user.DisabledAt != nil)
	}
	if log := auditLog(t, q); len(log) != 2 || log[1].Action != "user.update" {
		t.Errorf("the repair was not recorded as user.update: %+v", log)
	}
}

func TestTheBootstrapAdminCannotBeDeletedAndNothingIsRecorded(t *testing.T) {
	t.Parallel()
	s, q := setup(t, "root")
	ctx := context.Background()
	if err := s.EnsureAdmin(ctx, "environment", "root", "first password"); err != nil {
		t.Fatal(err)
	}
	user, err := q.UserGetByName(ctx, "root")
	if err != nil {
		t.Fatal(err)
	}
	refusal, err := s.DeleteUser(ctx, "bob", Caller{Name: "bob", Role: RoleAdmin}, user.ID)
	if err != nil || !strings.Contains(refusal, "bootstrap admin") {
		t.Fatalf("delete: refusal %q, err %v; want a refusal naming the bootstrap admin", refusal, err)
	}
	if log := auditLog(t, q); len(log) != 1 {
		t.Errorf("a refused delete was recorded: %+v", log[1:])
	}
}

func TestRetryingACompletedRunIsRefusedWithItsStatus(t *testing.T) {
	t.Parallel()
	s, q := setup(t, "")
	job := dbtest.InsertJob(t, q, dbtest.Job("j", "ping", `{"url": "http://127.0.0.1:9/"}`, "0 9 * * *"))
	run := dbtest.InsertRun(t, q, job.ID, runstatus.Completed, "", "")
	_, err := s.RetryRun(context.Background(), "alice", run.ID)
	var refused *NotRetryableError
	if !errors.As(err, &refused) || refused.Status != runstatus.Completed {
		t.Fatalf("err = %v, want a NotRetryableError saying completed", err)
	}
	if log := auditLog(t, q); len(log) != 0 {
		t.Errorf("a refused retry was recorded: %+v", log)
	}
}
