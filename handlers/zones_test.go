package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestTheZoneFieldFindsZonesAsPeopleTypeThem(t *testing.T) {
	t.Parallel()
	for typed, want := range map[string]string{
		"":                 "UTC",
		"UTC":              "UTC",
		"Europe/Berlin":    "Europe/Berlin",
		"US/Eastern":       "US/Eastern", // an alias Go knows stays as typed
		"Berlin":           "Europe/Berlin",
		"berlin":           "Europe/Berlin",
		"  BERLIN ":        "Europe/Berlin",
		"america/new_york": "America/New_York",
		"new york":         "America/New_York",
		"New_York":         "America/New_York",
		"buenos":           "America/Argentina/Buenos_Aires",
		"kolkata":          "Asia/Kolkata",
	} {
		got, problem := findZone(typed)
		if got != want || problem != "" {
			t.Errorf("findZone(%q) = %q, %q; want %q", typed, got, problem, want)
		}
	}
	for typed, says := range map[string][]string{
		"america":   {"“america” fits", "zones, such as America/", "type more of the name"},
		"Berlinn":   {"“Berlinn” is not a zone or a city", "such as Berlin", "Europe/Berlin"},
		"Local":     {"“Local” is not a zone"},
		"../../etc": {"is not a zone"},
	} {
		got, problem := findZone(typed)
		if got != "" {
			t.Errorf("findZone(%q) = %q; want a problem", typed, got)
		}
		for _, s := range says {
			if !strings.Contains(problem, s) {
				t.Errorf("findZone(%q) problem %q does not say %q", typed, problem, s)
			}
		}
	}
}

func TestTheJobFormTakesACityForItsZone(t *testing.T) {
	t.Parallel()
	d := setup(t)
	f := validForm()
	f.Set("timezone", "berlin")
	preview := d.page("/jobs/schedule?"+f.Encode(), true, http.StatusOK)
	if got := find(t, preview, "schedule-preview").Text(); !strings.Contains(got, "Europe/Berlin") {
		t.Errorf("the live check of the zone “berlin” shows %q, want Europe/Berlin", got)
	}
	rec := d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d; body %.500s", rec.Code, rec.Body)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(rec.Header().Get("Location"), "/jobs/"), 10, 64)
	if err != nil {
		t.Fatalf("created job at %q", rec.Header().Get("Location"))
	}
	job, err := d.q.JobGet(context.Background(), id)
	if err != nil || job.Timezone != "Europe/Berlin" {
		t.Errorf("the job is stored in %q (%v), want Europe/Berlin", job.Timezone, err)
	}
	f.Set("timezone", "Berlinn")
	page := d.parse(d.send(http.MethodPost, "/jobs", formBody(f), "Sec-Fetch-Site", "same-origin"), http.StatusUnprocessableEntity)
	if got := find(t, page, "timezone-error").Text(); !strings.HasPrefix(got, "The time zone: “Berlinn” is not a zone or a city Cronflow knows; type a city") {
		t.Errorf("an unknown zone says %q", got)
	}
}
