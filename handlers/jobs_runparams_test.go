package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Run now with other params from the job's page (issue 21): a field per param, filled with its
// default; the run uses what was posted; a name the job does not have is refused, no run made.
func TestRunNowWithParamsFromTheJobPage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var j chainJob
	f.expect(f.postJSON("/api/jobs", `{"name": "P", "type": "ping", "cron": "@daily", "payload": {"url": "https://example.com/{{params.region}}"},
		"params": {"region": "eu", "tier": "1"}}`), http.StatusCreated, &j)
	page := f.page(fmt.Sprintf("/jobs/%d", j.ID), false, http.StatusOK)
	for name, def := range map[string]string{"region": "eu", "tier": "1"} {
		if in := find(t, page, "run-param-"+name); in.AttrOr("name", "") != "params."+name || in.AttrOr("value", "") != def {
			t.Errorf("field for %s: name %q, value %q", name, in.AttrOr("name", ""), in.AttrOr("value", ""))
		}
	}
	if n := page.Find(`[data-testid="run-params"] input[name^="params."]`).Length(); n != 2 {
		t.Errorf("the form has %d param fields, want the job's 2", n)
	}
	plain := f.createJob(`{"name": "Plain", "type": "ping", "cron": "@daily", "payload": {"url": "https://example.com"}}`)
	if n := f.page(fmt.Sprintf("/jobs/%d", plain.ID), false, http.StatusOK).Find(`[data-testid="run-params"]`).Length(); n != 0 {
		t.Error("a job without params shows the params form")
	}

	lastRunParams := func() map[string]string {
		t.Helper()
		msgs := f.pub.published()
		if len(msgs) == 0 {
			t.Fatal("no run published")
		}
		run, err := f.q.RunGet(context.Background(), msgs[len(msgs)-1].RunID)
		if err != nil {
			t.Fatal(err)
		}
		params := map[string]string{}
		_ = json.Unmarshal(run.Params, &params)
		return params
	}
	for _, htmx := range []bool{false, true} {
		before := len(f.pub.published())
		header := []string{"Sec-Fetch-Site", "same-origin"}
		if htmx {
			header = append(header, "HX-Request", "true")
		}
		form := url.Values{"params.region": {"us"}, "params.tier": {"1"}, "back": {fmt.Sprintf("/jobs/%d", j.ID)}}
		rec := f.send(http.MethodPost, fmt.Sprintf("/jobs/%d/run", j.ID), formBody(form), header...)
		if rec.Code >= 400 || len(f.pub.published()) != before+1 {
			t.Fatalf("htmx %v: %d, %d runs published", htmx, rec.Code, len(f.pub.published())-before)
		}
		if p := lastRunParams(); p["region"] != "us" || p["tier"] != "1" {
			t.Errorf("htmx %v: run params %v, want region us and tier 1", htmx, p)
		}
	}

	before := len(f.pub.published())
	rec := f.send(http.MethodPost, fmt.Sprintf("/jobs/%d/run", j.ID), formBody(url.Values{"params.zone": {"x"}}), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "names parameters the job does not have: zone") ||
		len(f.pub.published()) != before {
		t.Errorf("an unknown name: %d, %d runs published; want 422 and none", rec.Code, len(f.pub.published())-before)
	}
	// The plain Run now button posts no params: a run as before, which overrides none.
	before = len(f.pub.published())
	f.send(http.MethodPost, fmt.Sprintf("/jobs/%d/run", j.ID), formBody(url.Values{}), "Sec-Fetch-Site", "same-origin")
	if p := lastRunParams(); len(f.pub.published()) != before+1 || len(p) != 0 {
		t.Errorf("plain Run now: %d runs, overrides %v", len(f.pub.published())-before, p)
	}
}
