package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
)

func TestHomePageShowsTotalsChartAndLists(t *testing.T) {
	t.Parallel()
	d := setup(t)
	j := dbtest.InsertJob(d.t, d.q, pingJobParams("Nightly ping"))
	dbtest.InsertRun(d.t, d.q, j.ID, "completed", "HTTP 200", "")
	dbtest.InsertRun(d.t, d.q, j.ID, "completed", "HTTP 200", "")
	dbtest.InsertRun(d.t, d.q, j.ID, "permanently_failed", "", "HTTP 503")
	retrying := dbtest.InsertRun(d.t, d.q, j.ID, "failed", "", "HTTP 502")

	t.Run("Page", func(t *testing.T) {
		doc := d.page("/", false, http.StatusOK)
		for id, want := range map[string]string{"total-jobs": "1", "total-completed": "2", "total-failed": "1"} {
			if got := find(t, doc, id).Text(); got != want {
				t.Errorf("%s = %q, want %q", id, got, want)
			}
		}
		if !strings.Contains(find(t, doc, "total-retrying").Text(), "1 failed run waiting") {
			t.Errorf("retrying = %q", find(t, doc, "total-retrying").Text())
		}
		if n := find(t, doc, "chart-svg").Find("rect.chart-completed").Length(); n != 1 {
			t.Errorf("%d completed bars, want the current hour's", n)
		}
		if got := find(t, doc, "upcoming-run").Find("a").AttrOr("href", ""); got != "/jobs/"+itoa64(j.ID) {
			t.Errorf("upcoming links to %q", got)
		}
		links := find(t, doc, "failure-link")
		if links.Length() != 2 || links.First().AttrOr("href", "") != "/runs/"+itoa64(retrying.ID) {
			t.Errorf("failures link to %q (%d)", links.First().AttrOr("href", ""), links.Length())
		}
		if stats := find(t, doc, "home-stats"); stats.AttrOr("hx-get", "") != "/home/stats" || !strings.Contains(stats.AttrOr("hx-trigger", ""), "every 5s") {
			t.Error("the home page refreshes itself")
		}
	})
	t.Run("Poll", func(t *testing.T) {
		doc := d.page("/home/stats", true, http.StatusOK)
		if !isFragment(doc) {
			t.Error("the poll answers with the panel alone")
		}
		find(t, doc, "total-jobs")
	})
}

func TestHomePageForANewUserSaysWhatToDo(t *testing.T) {
	t.Parallel()
	d := setup(t)
	doc := d.page("/", false, http.StatusOK)
	if find(t, doc, "home-create-job").AttrOr("href", "") != "/jobs/new" {
		t.Error("the empty home page links to the form")
	}
	find(t, doc, "chart-empty")
}

func TestStatsCacheCountsOnceAndServesStaleCountsWhileRecounting(t *testing.T) {
	t.Parallel()
	d := setup(t)
	dbtest.InsertJob(d.t, d.q, pingJobParams("A"))
	stats := newStatsCache(d.q, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	first, err := stats.get(ctx)
	if err != nil || first.totals.Jobs != 1 {
		t.Fatalf("first count = %+v, %v", first.totals, err)
	}
	dbtest.InsertJob(d.t, d.q, pingJobParams("B"))
	if again, _ := stats.get(ctx); again.at != first.at || again.totals.Jobs != 1 {
		t.Errorf("a fresh count is served from the cache: %+v", again.totals)
	}
	stats.mu.Lock()
	old := *stats.counts
	old.at = old.at.Add(-time.Minute)
	stats.counts = &old
	stats.mu.Unlock()
	got, err := stats.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.totals.Jobs != 2 {
		// The recount took longer than staleWait: the stale counts came back; wait for the new ones.
		time.Sleep(100 * time.Millisecond)
		got, _ = stats.get(ctx)
	}
	if got.totals.Jobs != 2 {
		t.Errorf("stale counts were not recounted: %+v", got.totals)
	}
}

func TestAssetsAreEmbeddedAndCachedForAYear(t *testing.T) {
	t.Parallel()
	d := setup(t)
	doc := d.page("/", false, http.StatusOK)
	for _, sel := range []string{`link[href^="/assets/pico.min.css?v="]`, `link[href^="/assets/app.css?v="]`,
		`script[src^="/assets/htmx.min.js?v="]`, `script[src^="/assets/app.js?v="]`} {
		el := doc.Find(sel)
		if el.Length() != 1 {
			t.Fatalf("no %s", sel)
		}
		href := el.AttrOr("href", el.AttrOr("src", ""))
		rec := d.send(http.MethodGet, href, nil)
		if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Errorf("%s: %d, %d bytes", href, rec.Code, rec.Body.Len())
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s: Cache-Control %q", href, cc)
		}
	}
	for _, p := range []string{"/assets/", "/assets/nope.js"} {
		if rec := d.send(http.MethodGet, p, nil); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
}

func TestPagesVaryOnHXRequestAndRefuseCrossSitePosts(t *testing.T) {
	t.Parallel()
	d := setup(t)
	j := dbtest.InsertJob(d.t, d.q, pingJobParams("Nightly"))
	if v := d.send(http.MethodGet, "/jobs", nil).Header().Values("Vary"); !containsFold(v, "HX-Request") {
		t.Errorf("Vary = %v", v)
	}
	rec := d.send(http.MethodPost, "/jobs/"+itoa64(j.ID)+"/run", formBody(url.Values{}), "Sec-Fetch-Site", "cross-site")
	if rec.Code != http.StatusForbidden || len(d.pub.published()) != 0 {
		t.Errorf("cross-site post: %d, %d published", rec.Code, len(d.pub.published()))
	}
}

func containsFold(vs []string, want string) bool {
	for _, v := range vs {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), want) {
				return true
			}
		}
	}
	return false
}
