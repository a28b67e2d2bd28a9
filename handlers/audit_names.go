package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// The audit log records what a change touched by id (a run's id, a job's alert channels, the job
// another one runs after), as it was at the time. The pages name them as they are now, looked up
// once a page: runs as links, channels and jobs by name, and what has been deleted since as such.

// auditRefKind is what kind of thing an id in a change names.
type auditRefKind int

const (
	refRun auditRefKind = iota + 1
	refChannel
	refJob
)

// auditRefFields are the fields whose values are ids, with what they name and whether the value
// is a list of them.
var auditRefFields = map[string]struct {
	kind auditRefKind
	list bool
}{
	"run_id": {refRun, false}, "run_ids": {refRun, true}, "alerts.channels": {refChannel, true},
	"after": {refJob, false},
}

// auditNames are the current names of the things a page of changes names by id; a missing id
// is one deleted since.
type auditNames struct {
	runs     map[int64]bool
	channels map[int64]string
	jobs     map[int64]string
}

// refIDs reads the ids of a field's value, and the rest of the value that goes with them (the
// "on" of an after).
func refIDs(field string, raw json.RawMessage) (ids []int64, on string, ok bool) {
	spec, known := auditRefFields[field]
	if !known || len(raw) == 0 || string(raw) == "null" {
		return nil, "", false
	}
	switch {
	case spec.kind == refJob:
		var a store.After
		if json.Unmarshal(raw, &a) != nil || a.JobID == 0 {
			return nil, "", false
		}
		return []int64{a.JobID}, a.On, true
	case spec.list:
		if json.Unmarshal(raw, &ids) != nil {
			return nil, "", false
		}
		return ids, "", true
	}
	var id int64
	if json.Unmarshal(raw, &id) != nil {
		return nil, "", false
	}
	return []int64{id}, "", true
}

// loadAuditNames looks up, in at most one query per kind, every id the changes name.
func loadAuditNames(ctx context.Context, q *sqlcgen.Queries, all []map[string]store.FieldChange) (*auditNames, error) {
	want := map[auditRefKind][]int64{}
	for _, changes := range all {
		for field, ch := range changes {
			for _, raw := range []json.RawMessage{ch.From, ch.To} {
				if ids, _, ok := refIDs(field, raw); ok {
					k := auditRefFields[field].kind
					want[k] = append(want[k], ids...)
				}
			}
		}
	}
	n := &auditNames{runs: map[int64]bool{}, channels: map[int64]string{}, jobs: map[int64]string{}}
	if ids := compactIDs(want[refRun]); len(ids) > 0 {
		found, err := q.RunListExistingIDs(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("look up runs of audit entries: %w", err)
		}
		for _, id := range found {
			n.runs[id] = true
		}
	}
	if ids := compactIDs(want[refChannel]); len(ids) > 0 {
		rows, err := q.ChannelNamesByIDs(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("look up channels of audit entries: %w", err)
		}
		for _, r := range rows {
			n.channels[r.ID] = r.Name
		}
	}
	if ids := compactIDs(want[refJob]); len(ids) > 0 {
		rows, err := q.JobNamesByIDs(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("look up jobs of audit entries: %w", err)
		}
		for _, r := range rows {
			n.jobs[r.ID] = r.Name
		}
	}
	return n, nil
}

// compactIDs is ids sorted, each once.
func compactIDs(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// refValue is a field's value with its ids named, or nil when the field names nothing by id.
func (n *auditNames) refValue(field string, raw json.RawMessage) *views.RefValue {
	if n == nil {
		return nil
	}
	ids, on, ok := refIDs(field, raw)
	if !ok || len(ids) == 0 { // an empty list reads "[]" as it is
		return nil
	}
	spec := auditRefFields[field]
	v := &views.RefValue{List: spec.list}
	for _, id := range ids {
		v.Refs = append(v.Refs, n.ref(spec.kind, id))
	}
	if w, ok := afterWords[on]; ok {
		v.Suffix = " (when it " + w + ")"
	}
	return v
}

// ref names one id: a link to what it names, or its kind and id marked deleted.
func (n *auditNames) ref(kind auditRefKind, id int64) views.Ref {
	switch kind {
	case refRun:
		if n.runs[id] {
			return views.Ref{Text: fmt.Sprintf("Run #%d", id), Href: fmt.Sprintf("/runs/%d", id)}
		}
		return views.Ref{Text: fmt.Sprintf("run #%d (deleted)", id), Gone: true}
	case refChannel:
		if name, ok := n.channels[id]; ok {
			return views.Ref{Text: name, Href: fmt.Sprintf("/channels/%d", id)}
		}
		return views.Ref{Text: fmt.Sprintf("channel #%d (deleted)", id), Gone: true}
	}
	if name, ok := n.jobs[id]; ok {
		return views.Ref{Text: name, Href: fmt.Sprintf("/jobs/%d", id)}
	}
	return views.Ref{Text: fmt.Sprintf("job #%d (deleted)", id), Gone: true}
}
