package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/views"
)

// Tags on jobs (issue 27): the tag filter the job, run and home pages and the API share, and the
// chips the lists show.

// maxTagChoices bounds the tags a filter offers to pick from.
const maxTagChoices = 200

// tagParam reads the tag filter (?tag=) of an API request; a tag that cannot be one is a problem
// on the field.
func tagParam(c echo.Context, problems map[string]string) string {
	tag := strings.TrimSpace(c.QueryParam("tag"))
	if tag != "" && !store.ValidTag(tag) {
		problems["tag"] = fmt.Sprintf("must be a tag: up to %d lower-case letters, digits, '-', '_' or ':'", store.MaxTagLength)
		return ""
	}
	return tag
}

// pageTag reads a page's tag filter; one that cannot be a tag is dropped with a note, like the
// other filters, rather than failing the page.
func pageTag(c echo.Context) (tag, note string) {
	tag = strings.TrimSpace(c.QueryParam("tag"))
	if tag != "" && !store.ValidTag(tag) {
		return "", fmt.Sprintf("Tag: “%.40s” is not a tag (lower-case letters, digits, '-', '_' and ':'), so it was left out.", tag)
	}
	return tag, ""
}

// tagChoices are the tags in use, for a filter's list, with the one picked first even if no job
// has it any more.
func tagChoices(ctx context.Context, q *sqlcgen.Queries, picked string) ([]views.Option, error) {
	rows, err := q.JobTagsAll(ctx, maxTagChoices)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	var opts []views.Option
	seen := false
	for _, r := range rows {
		seen = seen || r.Tag == picked
		opts = append(opts, views.Option{Value: r.Tag, Label: fmt.Sprintf("%s (%d)", r.Tag, r.Jobs)})
	}
	if picked != "" && !seen {
		opts = append([]views.Option{{Value: picked, Label: picked}}, opts...)
	}
	return opts, nil
}

// jobTags reads the tags and description of each of these jobs, by id.
func jobTags(ctx context.Context, q *sqlcgen.Queries, ids []int64) (map[int64]sqlcgen.JobTagsListRow, error) {
	out := map[int64]sqlcgen.JobTagsListRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.JobTagsList(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read tags of %d jobs: %w", len(ids), err)
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// nonZero is a filter on an id, nil for none (0).
func nonZero(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// nonEmpty is a filter on a word, nil for none ("").
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
