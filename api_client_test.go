package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cronflow/cronflow/handlers/openapi/client"
	"github.com/cronflow/cronflow/worker/workertest"
)

// TestGeneratedClientDrivesARunToRetry uses the client generated from the OpenAPI document against
// the real app: create a job whose target fails, run it, read its run, list runs, retry the run,
// delete the job.
func TestGeneratedClientDrivesARunToRetry(t *testing.T) {
	t.Parallel()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(target.Close)
	app := startApp(t, "serve", testEnv(t))
	ctx := context.Background()
	c, err := client.NewClientWithResponses(app.URL)
	if err != nil {
		t.Fatal(err)
	}

	var noRetries client.WholeNumber
	if err := noRetries.FromWholeNumber0(0); err != nil {
		t.Fatal(err)
	}
	name, cron := "Failing check", "0 3 * * *"
	created, err := c.CreateJobWithResponse(ctx, client.JobInput{
		Name: &name, Type: client.JobTypePing, Cron: &cron, MaxRetries: &noRetries,
		Payload: client.Payload{"url": target.URL},
	})
	must(t, err)
	if created.JSON201 == nil {
		t.Fatalf("create job: %d %s", status(created.HTTPResponse), created.Body)
	}
	job := created.JSON201
	if job.Name != name || job.Type != client.JobTypePing || job.MaxRetries != 0 {
		t.Errorf("created job = %+v", job)
	}

	started, err := c.RunJobWithResponse(ctx, job.Id, client.RunJobJSONRequestBody{})
	must(t, err)
	if started.JSON202 == nil {
		t.Fatalf("run job: %d %s", status(started.HTTPResponse), started.Body)
	}
	runID := started.JSON202.Id
	if started.JSON202.JobId != job.Id || started.JSON202.Trigger != client.TriggerManual {
		t.Errorf("run = %+v", started.JSON202)
	}
	run := waitRunStatus(t, c, runID, client.RunStatusPermanentlyFailed, 1)
	if run.AttemptHistory[0].Outcome != client.AttemptOutcomePermanentlyFailed || run.Error == "" {
		t.Errorf("run = %+v", run)
	}

	listed, err := c.ListRunsWithResponse(ctx, &client.ListRunsParams{JobId: &job.Id})
	must(t, err)
	if listed.JSON200 == nil || len(listed.JSON200.Runs) != 1 || listed.JSON200.Runs[0].Id != runID {
		t.Fatalf("list runs: %d %s", status(listed.HTTPResponse), listed.Body)
	}

	retried, err := c.RetryRunWithResponse(ctx, runID)
	must(t, err)
	if retried.JSON202 == nil || retried.JSON202.Id != runID {
		t.Fatalf("retry run: %d %s", status(retried.HTTPResponse), retried.Body)
	}
	waitRunStatus(t, c, runID, client.RunStatusPermanentlyFailed, 2)
	again, err := c.RetryRunWithResponse(ctx, runID)
	must(t, err)
	if again.JSON202 == nil {
		t.Fatalf("second retry: %d %s", status(again.HTTPResponse), again.Body)
	}

	deleted, err := c.DeleteJobWithResponse(ctx, job.Id)
	must(t, err)
	if deleted.StatusCode() != http.StatusNoContent {
		t.Fatalf("delete job: %d %s", status(deleted.HTTPResponse), deleted.Body)
	}
	gone, err := c.GetRunWithResponse(ctx, runID)
	must(t, err)
	if gone.JSON404 == nil || gone.JSON404.Error == "" {
		t.Fatalf("run of a deleted job: %d %s", status(gone.HTTPResponse), gone.Body)
	}
}

// waitRunStatus polls the run until it is in status with attempts attempts, and returns it.
func waitRunStatus(t *testing.T, c *client.ClientWithResponses, id int64, want client.RunStatus, attempts int) *client.RunDetail {
	t.Helper()
	var run *client.RunDetail
	workertest.WaitFor(t, 20*time.Second, "run "+string(want), func() bool {
		got, err := c.GetRunWithResponse(context.Background(), id)
		must(t, err)
		if got.JSON200 == nil {
			t.Fatalf("get run: %d %s", status(got.HTTPResponse), got.Body)
		}
		run = got.JSON200
		return run.Status == want && len(run.AttemptHistory) == attempts
	})
	return run
}

// status is a response's status code, or 0 without one.
func status(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

// must fails the test on a client error: the request could not be made or its answer not read.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
