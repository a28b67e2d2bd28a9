package store

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTagsAndDescriptionAreCheckedByField(t *testing.T) {
	t.Parallel()
	base := `"type": "ping", "cron": "@hourly", "payload": {"url": "https://example.com"}`
	for name, c := range map[string]struct {
		extra, field string
	}{
		"UpperCase":     {`"tags": ["Billing"]`, "tags"},
		"Space":         {`"tags": ["a b"]`, "tags"},
		"TooLong":       {`"tags": ["` + strings.Repeat("x", 33) + `"]`, "tags"},
		"NotAList":      {`"tags": "billing"`, "tags"},
		"LongText":      {`"description": "` + strings.Repeat("é", 1001) + `"`, "description"},
		"NotAString":    {`"description": 7`, "description"},
		"TwentyOneTags": {`"tags": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u"]`, "tags"},
	} {
		t.Run(name, func(t *testing.T) {
			var in JobInput
			if err := json.Unmarshal([]byte("{"+base+", "+c.extra+"}"), &in); err != nil {
				t.Fatal(err)
			}
			if _, problems := in.Valid(time.Now()); problems[c.field] == "" {
				t.Errorf("problems %v, want one on %s", problems, c.field)
			}
		})
	}
	var in JobInput
	_ = json.Unmarshal([]byte(`{`+base+`, "tags": ["team:ops", "b_2", "team:ops", " "], "description": "  Nightly  "}`), &in)
	spec, problems := in.Valid(time.Now())
	if len(problems) > 0 || !slices.Equal(spec.Tags, []string{"team:ops", "b_2"}) || *spec.Description != "Nightly" {
		t.Errorf("spec %v %q, problems %v; want the tags once each and the description trimmed", spec.Tags, *spec.Description, problems)
	}
	if got := string(SplitTags("billing, team:ops  nightly,")); got != `["billing","team:ops","nightly"]` {
		t.Errorf("SplitTags = %s", got)
	}
}
