package views

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is one of a form's problems as its summary lists it: the sentence, and the id of the
// field it is about, which the summary links to.
type Problem struct {
	Field, Target, Text string
}

// formOrder is the order of the job form's fields on screen, which its summary of problems follows.
var formOrder = []string{
	"type", "payload", "payload.url", "payload.to", "payload.subject", "payload.webhook_url", "payload.body", "payload.text",
	"every_minutes", "every_hours", "weekday", "month_day", "hour", "minute", "cron", "timezone", "jitter", "start_at",
	"end_at", "blackouts", "name", "max_retries", "retry_delay", "timeout",
}

// taskFieldLabels name the fields whose label depends on the task type, as the form shows them: an
// email's and a Slack message's text is "Message", a webhook's body is "JSON body".
var taskFieldLabels = map[string]string{
	"email/payload.body":   "The message",
	"slack/payload.text":   "The message",
	"webhook/payload.body": "The JSON body",
}

// problem is the sentence under the named field, in the words of the form.
func (f JobForm) problem(name string) string {
	msg := f.Errors[name]
	if label, ok := taskFieldLabels[f.Values.Type+"/"+name]; ok && msg != "" {
		return sentence(label, msg)
	}
	return problemSentence(name, msg)
}

// Problems are the form's problems in the order of its fields, each linking to its field, for the
// summary that takes the focus after a failed submit.
func (f JobForm) Problems() []Problem {
	names := make([]string, 0, len(f.Errors))
	for name := range f.Errors {
		names = append(names, name)
	}
	rank := func(name string) int {
		if i := slices.Index(formOrder, name); i >= 0 {
			return i
		}
		return len(formOrder)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	out := make([]Problem, 0, len(names))
	for _, name := range names {
		target := "field-" + fieldID(name)
		switch name {
		case "payload":
			target = "field-type"
		case "cron", "hour", "minute":
			switch {
			case f.Values.Mode == "advanced":
				target = "field-cron"
			case name == "cron" && f.Values.Mode == "minutes":
				target = "field-every_minutes"
			case name == "cron" && f.Values.Mode == "hours":
				target = "field-every_hours"
			case name == "cron":
				target = "field-hour"
			}
		}
		out = append(out, Problem{Field: name, Target: target, Text: f.problem(name)})
	}
	return out
}

// problemCount introduces the summary's list: "Fix this problem", "Fix these 3 problems".
func problemCount(n int) string {
	if n == 1 {
		return "Fix this problem"
	}
	return "Fix these " + itoa(int64(n)) + " problems"
}

// sentence joins a field's label and its problem into a sentence that ends with a full stop.
// A problem that starts with the value itself ("600 is not an HTTP status code") follows the label
// after a colon: "Expected status: 600 is not an HTTP status code; use 100–599."
func sentence(label, msg string) string {
	sep := " "
	if r, _ := utf8.DecodeRuneInString(msg); unicode.IsDigit(r) || strings.ContainsRune("\"“'", r) {
		sep = ": "
	}
	s := label + sep + msg
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
