package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
	"github.com/cronflow/cronflow/worker"
)

// recordingPublisher records the runs the dashboard asked to publish; the broker is not what these
// tests are about.
type recordingPublisher struct {
	mu   sync.Mutex
	msgs []worker.RunMessage
}

func (p *recordingPublisher) Publish(_ context.Context, msgs []worker.RunMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msgs...)
}

func (p *recordingPublisher) published() []worker.RunMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]worker.RunMessage(nil), p.msgs...)
}

// dash is a server on a transaction of its own, rolled back when the test ends.
type dash struct {
	t      *testing.T
	server http.Handler
	q      *sqlcgen.Queries
	pub    *recordingPublisher
}

func setupDash(t *testing.T) *dash {
	t.Helper()
	tx := dbtest.Tx(t)
	q := sqlcgen.New(tx)
	d := &dash{t: t, q: q, pub: &recordingPublisher{}}
	d.server = NewServer(Deps{
		Queries:   q,
		DB:        tx,
		Publisher: d.pub,
		ReadyFunc: func(context.Context) map[string]string { return nil },
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return d
}

// request sends a request as a browser on Cronflow's own page would (as htmx when htmx is true): a
// browser says a form post is same-origin with Sec-Fetch-Site, which is what lets it through the CSRF
// check without a token. The CSRF tests send requests without it.
func (d *dash) request(method, target string, form url.Values, htmx bool, header ...string) *httptest.ResponseRecorder {
	d.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	if method != http.MethodGet {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	d.server.ServeHTTP(rec, req)
	return rec
}

// page GETs a URL, checks the status, and parses the answer.
func (d *dash) page(target string, htmx bool, status int) *goquery.Document {
	d.t.Helper()
	rec := d.request(http.MethodGet, target, nil, htmx)
	return d.parse(rec, status)
}

func (d *dash) parse(rec *httptest.ResponseRecorder, status int) *goquery.Document {
	d.t.Helper()
	if rec.Code != status {
		d.t.Fatalf("status = %d, want %d; body: %.2000s", rec.Code, status, rec.Body)
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		d.t.Fatalf("parse: %v", err)
	}
	return doc
}

// find returns the elements with a data-testid, failing the test if there are none.
func find(t *testing.T, doc *goquery.Document, id string) *goquery.Selection {
	t.Helper()
	s := doc.Find(`[data-testid="` + id + `"]`)
	if s.Length() == 0 {
		html, _ := doc.Html()
		t.Fatalf("no element with data-testid=%q in %.3000s", id, html)
	}
	return s
}

// isFragment reports whether an answer is a fragment rather than a whole page.
func isFragment(doc *goquery.Document) bool {
	return doc.Find("header.site-header").Length() == 0 && doc.Find(`meta[name="htmx-config"]`).Length() == 0
}

// job stores a job directly.
func (d *dash) job(name, typ, payload, cron string) sqlcgen.Job {
	d.t.Helper()
	next := time.Now().Add(time.Hour).UTC()
	j, err := d.q.JobInsert(context.Background(), sqlcgen.JobInsertParams{
		Name: name, Type: typ, Payload: json.RawMessage(payload), Cron: cron, Timezone: "UTC",
		MaxRetries: 3, RetryDelayMs: 2000, TimeoutMs: 30000, NextRunAt: &next,
	})
	if err != nil {
		d.t.Fatalf("insert job: %v", err)
	}
	return j
}

func (d *dash) pingJob(name string) sqlcgen.Job {
	d.t.Helper()
	return d.job(name, "ping", `{"url":"https://example.com/health"}`, "30 2 * * *")
}

// run makes a run of a job and takes it, through the worker's own queries, to status.
func (d *dash) run(jobID int64, status, output, errText string) sqlcgen.Run {
	d.t.Helper()
	ctx := context.Background()
	r, err := d.q.RunInsertManual(ctx, jobID)
	if err != nil {
		d.t.Fatalf("insert run: %v", err)
	}
	if status != "queued" {
		if _, err := d.q.RunClaim(ctx, sqlcgen.RunClaimParams{ID: r.ID, LeaseMarginMs: 30000}); err != nil {
			d.t.Fatalf("claim run %d: %v", r.ID, err)
		}
	}
	switch status {
	case "completed":
		_, err = d.q.RunComplete(ctx, sqlcgen.RunCompleteParams{ID: r.ID, Attempt: 1, Output: output})
	case "failed":
		_, err = d.q.RunFail(ctx, sqlcgen.RunFailParams{ID: r.ID, Attempt: 1, Output: output, Error: errText, RetryDelayMs: 60000})
	case "permanently_failed":
		_, err = d.q.RunFailPermanently(ctx, sqlcgen.RunFailPermanentlyParams{ID: r.ID, Attempt: 1, Output: output, Error: errText})
	}
	if err != nil {
		d.t.Fatalf("take run %d to %s: %v", r.ID, status, err)
	}
	got, err := d.q.RunGet(ctx, r.ID)
	if err != nil || got.Status != status {
		d.t.Fatalf("run %d is %q (%v), want %s", r.ID, got.Status, err, status)
	}
	return got
}

func TestHomePageShowsTotalsChartAndLists(t *testing.T) {
	t.Parallel()
	d := setupDash(t)
	j := d.pingJob("Nightly ping")
	d.run(j.ID, "completed", "HTTP 200", "")
	d.run(j.ID, "completed", "HTTP 200", "")
	d.run(j.ID, "permanently_failed", "", "HTTP 503")
	retrying := d.run(j.ID, "failed", "", "HTTP 502")

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
	d := setupDash(t)
	doc := d.page("/", false, http.StatusOK)
	if find(t, doc, "home-create-job").AttrOr("href", "") != "/jobs/new" {
		t.Error("the empty home page links to the form")
	}
	find(t, doc, "chart-empty")
}

func TestStatsCacheCountsOnceAndServesStaleCountsWhileRecounting(t *testing.T) {
	t.Parallel()
	d := setupDash(t)
	d.pingJob("A")
	stats := newStatsCache(d.q, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	first, err := stats.get(ctx)
	if err != nil || first.totals.Jobs != 1 {
		t.Fatalf("first count = %+v, %v", first.totals, err)
	}
	d.pingJob("B")
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
	d := setupDash(t)
	doc := d.page("/", false, http.StatusOK)
	for _, sel := range []string{`link[href^="/assets/pico.min.css?v="]`, `link[href^="/assets/app.css?v="]`,
		`script[src^="/assets/htmx.min.js?v="]`, `script[src^="/assets/app.js?v="]`} {
		el := doc.Find(sel)
		if el.Length() != 1 {
			t.Fatalf("no %s", sel)
		}
		href := el.AttrOr("href", el.AttrOr("src", ""))
		rec := d.request(http.MethodGet, href, nil, false)
		if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Errorf("%s: %d, %d bytes", href, rec.Code, rec.Body.Len())
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s: Cache-Control %q", href, cc)
		}
	}
	for _, p := range []string{"/assets/", "/assets/nope.js"} {
		if rec := d.request(http.MethodGet, p, nil, false); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
}

func TestPagesVaryOnHXRequestAndRefuseCrossSitePosts(t *testing.T) {
	t.Parallel()
	d := setupDash(t)
	j := d.pingJob("Nightly")
	if v := d.request(http.MethodGet, "/jobs", nil, false).Header().Values("Vary"); !containsFold(v, "HX-Request") {
		t.Errorf("Vary = %v", v)
	}
	rec := d.request(http.MethodPost, "/jobs/"+itoa64(j.ID)+"/run", url.Values{}, false, "Sec-Fetch-Site", "cross-site")
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
