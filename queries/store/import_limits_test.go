package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/sqlcgen"
)

func TestAnImportOverTheCapIsRefusedNamingTheCapAndTheCount(t *testing.T) {
	t.Parallel()
	s, q := setup(t, "")
	doc := importDocument(MaxImportJobs + 5)
	_, err := s.Import(context.Background(), "cli", strings.NewReader(string(doc)), ImportOptions{})
	var invalid *InvalidImportError
	if !errors.As(err, &invalid) {
		t.Fatalf("err = %v, want an InvalidImportError", err)
	}
	problem := invalid.Document["jobs"]
	if !strings.Contains(problem, fmt.Sprint(MaxImportJobs)) || !strings.Contains(problem, fmt.Sprint(MaxImportJobs+5)) {
		t.Errorf("jobs problem = %q, want the cap (%d) and the count found (%d)", problem, MaxImportJobs, MaxImportJobs+5)
	}
	if jobs, _ := q.JobListAll(context.Background(), sqlcgen.JobListAllParams{MaxRows: 10}); len(jobs) != 0 {
		t.Errorf("a refused import stored %d jobs", len(jobs))
	}
}

func TestOneImportAtATime(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, "")
	r, w := io.Pipe()
	first := make(chan error, 1)
	go func() {
		_, err := s.Import(context.Background(), "alice", r, ImportOptions{DryRun: true})
		first <- err
	}()
	// The first import is reading its document: it holds the slot until the document ends.
	if _, err := io.WriteString(w, `{"version": 1, "jobs": [`); err != nil {
		t.Fatal(err)
	}
	doc := `{"version": 1, "jobs": []}`
	if _, err := s.Import(context.Background(), "bob", strings.NewReader(doc), ImportOptions{DryRun: true}); !errors.Is(err, ErrImportBusy) {
		t.Errorf("a second import while one runs: %v, want ErrImportBusy", err)
	}
	_, _ = io.WriteString(w, `]}`)
	_ = w.Close()
	if err := <-first; err != nil {
		t.Fatalf("the first import: %v", err)
	}
	if _, err := s.Import(context.Background(), "bob", strings.NewReader(doc), ImportOptions{DryRun: true}); err != nil {
		t.Errorf("an import after the first ended: %v", err)
	}
}

func TestAJobNestedTooDeepIsRefused(t *testing.T) {
	t.Parallel()
	s, q := setup(t, "")
	deep := strings.Repeat(`{"a":`, MaxJSONDepth) + `1` + strings.Repeat(`}`, MaxJSONDepth)
	doc := `{"version": 1, "jobs": [{"name": "deep", "type": "ping", "payload": {"url": "http://127.0.0.1:9/", "x": ` + deep + `}, "cron": "0 9 * * *"}]}`
	_, err := s.Import(context.Background(), "cli", strings.NewReader(doc), ImportOptions{})
	var invalid *InvalidImportError
	if !errors.As(err, &invalid) || len(invalid.Jobs) != 1 || !strings.Contains(invalid.Jobs[0].Fields["job"], "64") {
		t.Fatalf("err = %v (%+v), want job 0 refused for nesting deeper than 64", err, invalid)
	}
	if jobs, _ := q.JobListAll(context.Background(), sqlcgen.JobListAllParams{MaxRows: 10}); len(jobs) != 0 {
		t.Errorf("a refused import stored %d jobs", len(jobs))
	}
}

func TestJSONDepth(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]int{
		`1`: 0, `"[[["`: 0, `[]`: 1, `{"a": [1, {"b": "}}]]"}]}`: 3, `[[["\"]"]]]`: 3,
		strings.Repeat("[", 70) + strings.Repeat("]", 70): 70,
	} {
		if got := JSONDepth([]byte(text)); got != want {
			t.Errorf("JSONDepth(%.30s) = %d, want %d", text, got, want)
		}
	}
}
