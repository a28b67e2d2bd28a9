package notify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/cronflow/cronflow/worker/task"
)

// The channel types that speak a service's HTTP API (discord.go, teams.go, … alertmanager.go) are
// each a kind: their settings, and the one request that delivers a notice. registerKind turns a
// kind into a Type, so that checking, masking, the form and sending are written once here.

// maxSetting bounds a setting's length; a URL is bounded as a job's is.
const maxSetting = 2048

// masked stands in for a secret setting in lists.
const masked = "xxxxx"

// setting is one setting of a kind.
type setting struct {
	key, label, hint string
	// def is stored when the setting is not given; a setting without one is required unless optional.
	def      string
	optional bool
	// secret settings are masked in lists and in what the service answers. A secret URL (a
	// webhook whose path is its credential) keeps only its scheme and host in lists.
	secret bool
	// url settings are absolute http or https URLs, checked as a job's target is; the target
	// rules apply to them when a notice is sent.
	url bool
	// check, if set, returns what else is wrong with a value, or "".
	check func(string) string
}

// settings are a channel's settings as stored, by key.
type settings map[string]string

// kind is a channel type that delivers each notice by one HTTP request to its service.
type kind struct {
	name, label string
	order       int
	settings    []setting
	// request builds the request that delivers e; key is the notice's idempotency key.
	request func(c settings, e Event, key string) task.Request
	// summary says where notices go; it is given the settings masked.
	summary func(c settings) string
}

// registerKind registers k as a channel type.
func registerKind(k kind) {
	fields := make([]Field, len(k.settings))
	for i, s := range k.settings {
		input := "text"
		switch {
		case s.secret && !s.url:
			input = "password"
		case s.url:
			input = "url"
		}
		fields[i] = Field{Name: k.name + "." + s.key, Key: s.key, Label: s.label, Input: input, Hint: s.hint}
	}
	register(Type{
		Name: k.name, Label: k.label, Order: k.order, Fields: fields,
		ValidateFunc: k.validate,
		MaskFunc: func(config json.RawMessage) json.RawMessage {
			out, _ := json.Marshal(k.mask(decode[settings](config)))
			return out
		},
		SummaryFunc: func(config json.RawMessage) string { return k.summary(k.mask(decode[settings](config))) },
		RequestFunc: func(config json.RawMessage, e Event, key string) task.Request {
			return k.request(decode[settings](config), e, key)
		},
		SecretsFunc: func(config json.RawMessage) map[string]string {
			c, out := decode[settings](config), map[string]string{}
			for _, s := range k.settings {
				if s.secret && !s.url && c[s.key] != "" {
					out[k.name+"."+s.key] = c[s.key]
				}
			}
			return out
		},
		FormValuesFunc: func(config json.RawMessage) map[string]string {
			c, out := decode[settings](config), map[string]string{}
			for _, f := range fields {
				out[f.Name] = c[f.Key]
			}
			return out
		},
		FormConfigFunc: func(v map[string]string) any {
			out := settings{}
			for _, f := range fields {
				out[f.Key] = v[f.Name]
			}
			return out
		},
	})
}

// validate checks settings as given and returns them as stored: every setting of the kind, text,
// trimmed, defaults filled in; anything else is dropped.
func (k kind) validate(config json.RawMessage) (json.RawMessage, map[string]string) {
	var given map[string]json.RawMessage
	if err := json.Unmarshal(config, &given); err != nil || given == nil {
		return nil, map[string]string{"config": "must be a JSON object"}
	}
	problems, out := map[string]string{}, settings{}
	for _, s := range k.settings {
		field := "config." + s.key
		v, problem := settingText(given[s.key])
		if problem == "" {
			v = strings.TrimSpace(v)
			if v == "" {
				v = s.def
			}
			problem = s.problem(v)
		}
		if problem != "" {
			problems[field] = problem
			continue
		}
		if v != "" {
			out[s.key] = v
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	stored, _ := json.Marshal(out) // strings only
	return stored, nil
}

// settingText reads a given setting: text, or a number (a chat id) as its text.
func settingText(raw json.RawMessage) (string, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, ""
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), ""
	}
	return "", "must be text"
}

// problem returns what is wrong with a setting's value, or "".
func (s setting) problem(v string) string {
	switch {
	case v == "" && !s.optional:
		return "is required"
	case v == "":
		return ""
	case len(v) > maxSetting:
		return fmt.Sprintf("must be at most %d characters", maxSetting)
	case strings.ContainsFunc(v, unicode.IsControl):
		return "must be one line of text"
	case s.url:
		if problem := checkURL(v); problem != "" {
			return problem
		}
	}
	if s.check != nil {
		return s.check(v)
	}
	return ""
}

// checkURL checks a URL as a job's target is checked: by the webhook task type's own validation.
func checkURL(v string) string {
	if strings.Contains(v, "{{") {
		return "must be a URL, not a template"
	}
	raw, _ := json.Marshal(map[string]any{"url": v, "body": map[string]any{}})
	if _, problems := task.Validate(task.WebhookName, raw); problems["payload.url"] != "" {
		return problems["payload.url"]
	}
	return ""
}

// mask returns the settings fit for a list: secrets masked, URLs redacted.
func (k kind) mask(c settings) settings {
	out := settings{}
	for _, s := range k.settings {
		v, ok := c[s.key]
		switch {
		case !ok:
			continue
		case s.url && s.secret:
			v = task.RedactURLPath(v)
		case s.url:
			v = task.RedactURL(v)
		case s.secret:
			v = masked
		}
		out[s.key] = v
	}
	return out
}

// endpoint joins a base URL (an api_url setting, which may end in a slash or a path of its own)
// and a path of the service's API, each path segment of which is escaped.
func endpoint(base string, segments ...string) string {
	escaped := make([]string, len(segments))
	for i, s := range segments {
		escaped[i] = url.PathEscape(s)
	}
	return strings.TrimRight(base, "/") + "/" + strings.Join(escaped, "/")
}

// jsonRequest is a POST of body as JSON, or a request with the given method.
func jsonRequest(method, target string, body any, headers map[string]string) task.Request {
	data, err := json.Marshal(body)
	if err != nil {
		data = []byte("{}") // bodies are maps and structs of strings and numbers
	}
	return task.Request{Method: method, URL: target, ContentType: "application/json", Body: data, Headers: headers}
}

// oneOf returns a check that a value is one of choices.
func oneOf(choices ...string) func(string) string {
	return func(v string) string {
		if slices.Contains(choices, v) {
			return ""
		}
		return "must be one of " + strings.Join(choices, ", ")
	}
}

// severity is how grave a notice is, in the words PagerDuty and Alertmanager use: a failing job
// is an error, a recovered job or a test is information, anything else a warning.
func severity(e Event) string {
	switch e.Event {
	case Failing:
		return "error"
	case Recovered, Test:
		return "info"
	}
	return "warning"
}

// incidentKey names the incident of a notice in a pager: one per failing episode of a job, so
// that the recovered notice resolves what the failing notice opened. Other notices are their own.
func incidentKey(e Event, key string) string {
	if e.Job != nil && (e.Event == Failing || e.Event == Recovered) {
		return fmt.Sprintf("cronflow-job-%d-episode-%d", e.Job.ID, e.Episode)
	}
	return key
}

// runURL is the link a notice points to: the run, else the job, else nothing.
func runURL(e Event) string {
	switch {
	case e.Run != nil && e.Run.url != "":
		return e.Run.url
	case e.Job != nil:
		return e.Job.URL
	}
	return ""
}

// unknownSettings names each setting given that the type does not have, so that a misspelt
// setting is refused rather than dropped in silence.
func unknownSettings(t Type, given map[string]json.RawMessage) map[string]string {
	known := map[string]bool{}
	for _, f := range t.Fields {
		known[f.Name[strings.LastIndex(f.Name, ".")+1:]] = true // "config.url", "gotify.url"
	}
	problems := map[string]string{}
	for k := range given {
		if !known[k] {
			problems["config."+k] = "is not a known setting"
		}
	}
	return problems
}
