package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/cronflow/cronflow/sqlcgen"
)

// transferVersion is the version of the export document's format, which import checks.
const transferVersion = 1

// ExportJob is a job in an export document: every field needed to make the job again, and
// nothing that belongs to one installation (ids, dates, the next run). References to secrets in a
// payload stay references.
type ExportJob struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Cron       string          `json:"cron"`
	Timezone   string          `json:"timezone"`
	Payload    json.RawMessage `json:"payload"`
	MaxRetries int32           `json:"max_retries"`
	RetryDelay string          `json:"retry_delay"`
	Timeout    string          `json:"timeout"`
	Catchup    string          `json:"catchup"`
	Paused     bool            `json:"paused"`
	Alerts     ExportAlerts    `json:"alerts"`
	// RetryOn and RetryBackoff are the retry policy; a signed webhook gets a signing secret of its
	// own where it is imported.
	RetryOn      string `json:"retry_on"`
	RetryBackoff string `json:"retry_backoff"`
	// issue 21, jitter and windows
	Jitter    string     `json:"jitter"`
	StartAt   *time.Time `json:"start_at"`
	EndAt     *time.Time `json:"end_at"`
	Blackouts []Blackout `json:"blackouts"`
	// overlap, after, params, pause_after_failures (issue 21, sched-b). after names the upstream job
	// by id, as alerts name channels.
	Overlap            string            `json:"overlap"`
	After              *After            `json:"after"`
	Params             map[string]string `json:"params"`
	PauseAfterFailures int32             `json:"pause_after_failures"`
	// Tags and Description (issue 27); a document from before them imports without.
	Tags        []string `json:"tags"`
	Description string   `json:"description"`
}

// ExportAlerts are a job's alerts in an export document: the channels told, after how many failed
// runs in a row, and on which events.
type ExportAlerts struct {
	Channels []int64  `json:"channels"`
	After    int32    `json:"after"`
	On       []string `json:"on"`
	// Repeat and FlapWindow are the alert rules (issue 22): durations ("1h0m0s"), null when off.
	Repeat     *string `json:"repeat"`
	FlapWindow *string `json:"flap_window"`
}

// ToExportJob is a job as export writes it, in the notation a job is given in (durations as Go
// writes them: "2s", "1m30s"). The audit log compares jobs in the same notation.
func ToExportJob(j sqlcgen.Job) ExportJob {
	return ExportJob{
		Name: j.Name, Type: j.Type, Cron: j.Cron, Timezone: j.Timezone, Payload: j.Payload, MaxRetries: j.MaxRetries,
		RetryDelay: (time.Duration(j.RetryDelayMs) * time.Millisecond).String(),
		Timeout:    (time.Duration(j.TimeoutMs) * time.Millisecond).String(),
		Catchup:    string(j.Catchup), Paused: j.Paused,
		Alerts: ExportAlerts{Channels: j.AlertChannels, After: j.AlertAfter, On: j.AlertOn,
			Repeat: AlertRuleText(j.AlertRepeatMs), FlapWindow: AlertRuleText(j.AlertFlapWindowMs)}, // rules: issue 22
		RetryOn: j.RetryOn, RetryBackoff: j.RetryBackoff,
		// issue 21, jitter and windows
		Jitter: (time.Duration(j.JitterMs) * time.Millisecond).String(), StartAt: utcOrNil(j.StartAt), EndAt: utcOrNil(j.EndAt),
		Blackouts: exportBlackouts(j),
		// overlap, after, params, pause_after_failures (issue 21, sched-b)
		Overlap: j.Overlap, After: exportAfter(j), Params: exportParams(j.Params), PauseAfterFailures: j.PauseAfterFailures,
		Tags: exportTags(j.Tags), Description: j.Description, // issue 27
	}
}

// exportTags is a job's tags, an empty list for none.
func exportTags(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}

// utcOrNil is a time in UTC, as every time is exported, or nil.
func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// exportBlackouts is a job's blackouts, an empty list for none.
func exportBlackouts(j sqlcgen.Job) []Blackout {
	if b := JobBlackouts(j); b != nil {
		return b
	}
	return []Blackout{}
}

// exportAfter is a job's after, or nil.
func exportAfter(j sqlcgen.Job) *After {
	if j.AfterJobID == nil {
		return nil
	}
	return &After{JobID: *j.AfterJobID, On: j.AfterOn}
}

// exportParams reads a job's stored params.
func exportParams(raw []byte) map[string]string {
	params := map[string]string{}
	_ = json.Unmarshal(raw, &params)
	return params
}

// exportPage is how many jobs export reads at a time.
const exportPage = 1000

// Export writes every job as an export document: {"version": 1, "exported_at", "jobs": [...]}. It
// reads and writes a page of jobs at a time, so that 100,000 jobs need no more memory than 1,000.
func (s *Store) Export(ctx context.Context, w io.Writer) error {
	q := s.q
	bw := bufio.NewWriter(w)
	head, _ := json.Marshal(time.Now().UTC())
	fmt.Fprintf(bw, "{\"version\": %d, \"exported_at\": %s, \"jobs\": [", transferVersion, head)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var after int64
	for first := true; ; {
		jobs, err := q.JobListAll(ctx, sqlcgen.JobListAllParams{AfterID: after, MaxRows: exportPage})
		if err != nil {
			return fmt.Errorf("list jobs to export: %w", err)
		}
		for _, j := range jobs {
			if !first {
				bw.WriteString(",")
			}
			first = false
			bw.WriteString("\n  ")
			if err := enc.Encode(ToExportJob(j)); err != nil {
				return fmt.Errorf("encode job %d: %w", j.ID, err)
			}
			after = j.ID
		}
		if len(jobs) < exportPage {
			break
		}
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}
