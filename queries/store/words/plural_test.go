package words

import "testing"

// One plural helper for every message (issue 27, item 13): "1 job", "3 jobs", "an hour field".
func TestPluralCountAndArticleAgree(t *testing.T) {
	t.Parallel()
	for got, want := range map[string]string{
		Count(1, "job", "jobs"):                "1 job",
		Count(0, "job", "jobs"):                "0 jobs",
		Count(3, "job is", "jobs are"):         "3 jobs are",
		Plural(1, "it is", "they are"):         "it is",
		Article("hour") + " hour field":        "an hour field",
		Article("minute") + " minute field":    "a minute field",
		Article("day of month") + " day field": "a day field",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
