package task

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cronflow/cronflow/worker/secret"
)

// templateRef matches one template reference, such as {{run.id}} or {{ secrets.API_TOKEN }}.
var templateRef = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// runNames are the names a template may use besides secrets.NAME.
var runNames = []string{"run.id", "run.scheduled_at", "run.attempt", "job.id", "job.name"}

// secretsPrefix starts a reference to a secret.
const secretsPrefix = "secrets."

// checkTemplates returns what is wrong with the template references in s, or "": each must name
// one of runNames or a secret by a valid name.
func checkTemplates(s string) string {
	for _, m := range templateRef.FindAllStringSubmatch(s, -1) {
		name := m[1]
		if slices.Contains(runNames, name) {
			continue
		}
		if problem, ok := checkRunTemplate(name); ok {
			if problem != "" {
				return problem
			}
			continue
		}
		if secretName, ok := strings.CutPrefix(name, secretsPrefix); ok {
			if problem := secret.CheckName(secretName); problem != "" {
				return fmt.Sprintf("names the secret %q, whose name %s", secretName, problem)
			}
			continue
		}
		return fmt.Sprintf("uses the unknown template {{%s}}: use %s, %s, params.NAME or secrets.NAME", name,
			strings.Join(runNames, ", "), strings.Join(triggerNames, ", "))
	}
	return ""
}

// SecretRefs lists the secrets a stored payload names, each once, sorted, by the top-level field
// that names them ("payload.headers"), so that a reference to a secret that does not exist can be
// reported on its field.
func SecretRefs(payload json.RawMessage) map[string][]string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(payload, &fields) != nil {
		return nil
	}
	out := map[string][]string{}
	for key, raw := range fields {
		for _, m := range templateRef.FindAllSubmatch(raw, -1) {
			if name, ok := bytes.CutPrefix(m[1], []byte(secretsPrefix)); ok && !slices.Contains(out["payload."+key], string(name)) {
				out["payload."+key] = append(out["payload."+key], string(name))
			}
		}
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out
}

// AllSecretRefs is every secret a stored payload names, each once, sorted.
func AllSecretRefs(payload json.RawMessage) []string {
	all := []string{}
	for _, names := range SecretRefs(payload) {
		for _, n := range names {
			if !slices.Contains(all, n) {
				all = append(all, n)
			}
		}
	}
	sort.Strings(all)
	return all
}

// escaping is how a replaced value is written where its template stood.
type escaping int

const (
	// asText inserts values as they are (header values, an email's subject and message).
	asText escaping = iota
	// inURL percent-encodes the job's name; secrets go in as they are, so that a secret can hold a
	// path or a whole URL, and the other values need no encoding.
	inURL
	// inJSON writes values as the inside of a JSON string, so that a body stays valid JSON.
	inJSON
)

// expand replaces the template references in s with this attempt's values. A secret the run was
// not given is an error that is not worth retrying.
func (t Task) expand(s string, esc escaping) (string, error) {
	var missing string
	out := templateRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := templateRef.FindStringSubmatch(ref)[1]
		value, isSecret, ok := t.value(name)
		if !ok {
			missing = name
			return ref
		}
		switch {
		case esc == inJSON:
			return jsonInner(value)
		case esc == inURL && name == "job.name":
			return strings.ReplaceAll(url.QueryEscape(value), "+", "%20")
		case esc == inURL && !isSecret:
			return url.PathEscape(value)
		}
		return value
	})
	if missing != "" {
		return "", Permanent(fmt.Errorf("fill in {{%s}}: no such value", missing), "the job names a value that does not exist")
	}
	return out, nil
}

// fill is expand for a payload's content, which a Literal task sends as it is.
func (t Task) fill(s string, esc escaping) (string, error) {
	if t.Literal {
		return s, nil
	}
	return t.expand(s, esc)
}

// value is the value of one template name for this attempt.
func (t Task) value(name string) (value string, isSecret, ok bool) {
	switch name {
	case "run.id":
		return strconv.FormatInt(t.RunID, 10), false, true
	case "run.scheduled_at":
		return templateTime(t.ScheduledAt), false, true
	case "run.attempt":
		return strconv.Itoa(t.Attempt), false, true
	case "job.id":
		return strconv.FormatInt(t.JobID, 10), false, true
	case "job.name":
		return t.JobName, false, true
	}
	if secretName, found := strings.CutPrefix(name, secretsPrefix); found {
		v, ok := t.Secrets[secretName]
		return v, true, ok
	}
	v, ok := t.runValue(name)
	return v, false, ok
}

// templateTime writes a time as the API shows it: in UTC, as encoding/json writes a time.Time
// (RFC 3339 with the fraction of a second it has, trailing zeros dropped), so that a receiver can
// match what it got with the run. Every time a template gives is written by it.
func templateTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// jsonInner is s written as the inside of a JSON string, without the quotes and without escaping
// <, > and &, which need none.
func jsonInner(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(buf.String(), "\n")
	return out[1 : len(out)-1]
}

// placeholderOnly matches text made of withPlaceholders' placeholders alone: a template's
// reference, which is no secret however random its stand-in looks ({{job.id}}, {{secret.KEY}}).
var placeholderOnly = regexp.MustCompile(`^(cronflowtemplate[0-9]+x)+$`)

// onlyPlaceholders reports whether s (a URL's path segment or query value) is nothing but template
// references: those are shown as written, and only what they resolve to is secret (issue 27).
func onlyPlaceholders(s string) bool { return placeholderOnly.MatchString(s) }

// withPlaceholders replaces each template reference in s with a placeholder made of letters and
// digits, which survives URL parsing anywhere in a URL, and returns how to put them back.
func withPlaceholders(s string) (string, func(string) string) {
	var refs []string
	out := templateRef.ReplaceAllStringFunc(s, func(ref string) string {
		refs = append(refs, ref)
		return fmt.Sprintf("cronflowtemplate%dx", len(refs)-1)
	})
	return out, func(shown string) string {
		for i, ref := range refs {
			shown = strings.ReplaceAll(shown, fmt.Sprintf("cronflowtemplate%dx", i), ref)
		}
		return shown
	}
}
