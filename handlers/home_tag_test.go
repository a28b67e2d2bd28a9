package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cronflow/cronflow/queries/dbtest"
)

// Issue 27: the home page's tag filter narrows its lists, not its totals.

func TestHomeTagNarrowsEveryListButNotTheTotals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ids := map[string]string{}
	for _, tag := range []string{"a", "b"} {
		p := pingJobParams("Job " + tag)
		p.Tags = []string{tag}
		j := dbtest.InsertJob(f.t, f.q, p)
		ids[tag] = itoa64(j.ID)
		dbtest.InsertRun(f.t, f.q, j.ID, "running", "", "")
		f.failJob(j.ID, 1, "HTTP 503")
	}
	// jobsIn lists the jobs each home list shows, by id.
	jobsIn := func(doc *goquery.Document) map[string][]string {
		out := map[string][]string{}
		doc.Find(`[data-testid="running-job-link"]`).Each(func(_ int, s *goquery.Selection) {
			out["running"] = append(out["running"], strings.TrimPrefix(s.AttrOr("href", ""), "/jobs/"))
		})
		doc.Find(`[data-testid="upcoming-run"]`).Each(func(_ int, s *goquery.Selection) {
			out["upcoming"] = append(out["upcoming"], s.AttrOr("data-job-id", ""))
		})
		doc.Find(`[data-testid="failing-job"]`).Each(func(_ int, s *goquery.Selection) {
			out["failing"] = append(out["failing"], s.AttrOr("data-job-id", ""))
		})
		doc.Find(`[data-testid="failure"] .clip a`).Each(func(_ int, s *goquery.Selection) {
			out["failures"] = append(out["failures"], strings.TrimPrefix(s.AttrOr("href", ""), "/jobs/"))
		})
		return out
	}
	lists := []string{"running", "upcoming", "failing", "failures"}
	for _, target := range []string{"/?tag=a", "/home/stats?tag=a"} {
		doc := f.page(target, strings.HasPrefix(target, "/home"), http.StatusOK)
		got := jobsIn(doc)
		for _, list := range lists {
			if len(got[list]) != 1 || got[list][0] != ids["a"] {
				t.Errorf("%s: %s lists jobs %v, want only job a (%s)", target, list, got[list], ids["a"])
			}
		}
		if poll := find(t, doc, "home-stats").AttrOr("hx-get", ""); poll != "/home/stats?tag=a" {
			t.Errorf("%s polls %q, want the tag kept", target, poll)
		}
		if !strings.Contains(find(t, doc, "home-tag-note").Text(), "Totals are for all jobs") {
			t.Errorf("%s does not say the totals are for all jobs", target)
		}
		for id, want := range map[string]string{"total-jobs": "2", "total-failing": "2"} {
			if got := find(t, doc, id).Text(); got != want {
				t.Errorf("%s: %s = %q, want %q for all jobs", target, id, got, want)
			}
		}
		if href := find(t, doc, "home-tag-clear").AttrOr("href", ""); href != "/" {
			t.Errorf("%s: Show all jobs links to %q", target, href)
		}
	}
	for _, target := range []string{"/", "/home/stats"} {
		doc := f.page(target, target != "/", http.StatusOK)
		got := jobsIn(doc)
		for _, list := range lists {
			if len(got[list]) != 2 {
				t.Errorf("%s: %s lists jobs %v, want both", target, list, got[list])
			}
		}
		if poll := find(t, doc, "home-stats").AttrOr("hx-get", ""); poll != "/home/stats" {
			t.Errorf("%s polls %q", target, poll)
		}
		if doc.Find(`[data-testid="home-tag-note"]`).Length() != 0 {
			t.Errorf("%s says it is filtered", target)
		}
	}
}

func TestHomeTagPickerOffersTheTagsInUse(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, tag := range []string{"billing", "ops"} {
		p := pingJobParams("Job " + tag)
		p.Tags = []string{tag}
		dbtest.InsertJob(f.t, f.q, p)
	}
	doc := f.page("/?tag=ops", false, http.StatusOK)
	form := find(t, doc, "home-tag-filter")
	if form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != "/" {
		t.Errorf("the picker is not a GET form to /: %s %s", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}
	var values []string
	find(t, doc, "home-tag-select").Find("option").Each(func(_ int, s *goquery.Selection) {
		values = append(values, s.AttrOr("value", ""))
	})
	if strings.Join(values, ",") != ",billing,ops" {
		t.Errorf("the picker offers %q", values)
	}
	if got := find(t, doc, "home-tag-select").Find("option[selected]").AttrOr("value", ""); got != "ops" {
		t.Errorf("the picker has %q picked, want ops", got)
	}
}

func TestHomeTagUnknownMatchesNothingAndTooLongIsRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	p := pingJobParams("Tagged")
	p.Tags = []string{"a"}
	j := dbtest.InsertJob(f.t, f.q, p)
	dbtest.InsertRun(f.t, f.q, j.ID, "running", "", "")
	f.failJob(j.ID, 1, "HTTP 503")
	for _, target := range []string{"/?tag=nobody", "/?tag=Not+A+Tag!", "/home/stats?tag=nobody"} {
		doc := f.page(target, strings.HasPrefix(target, "/home"), http.StatusOK)
		for _, id := range []string{"running-run", "upcoming-run", "failing-job", "failure"} {
			if n := doc.Find(`[data-testid="` + id + `"]`).Length(); n != 0 {
				t.Errorf("%s shows %d %s, want none", target, n, id)
			}
		}
		find(t, doc, "failing-none")
		if got := find(t, doc, "total-failing").Text(); got != "1" {
			t.Errorf("%s: total-failing = %q, want 1 for all jobs", target, got)
		}
	}
	long := strings.Repeat("x", 33)
	for _, target := range []string{"/?tag=" + long, "/home/stats?tag=" + long} {
		rec := f.send(http.MethodGet, target, nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "(tag)") {
			t.Errorf("%s = %d %.300s, want 400 naming tag", target, rec.Code, rec.Body.String())
		}
	}
}
