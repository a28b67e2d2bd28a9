package task

import (
	"net/url"
	"sort"
	"strings"
)

// maskSecrets replaces every value of secrets in s, as it is and as it would be written in JSON or
// in a URL, with its reference {{secrets.NAME}}, so that a target that echoes a secret back cannot
// put it into a run's output, error or log line. Longer values are masked first, so that a value
// inside another does not leave part of the longer one showing.
func maskSecrets(s string, secrets map[string]string) string {
	if len(secrets) == 0 || s == "" {
		return s
	}
	type form struct{ text, name string }
	var forms []form
	for name, value := range secrets {
		if value == "" {
			continue
		}
		for _, text := range []string{value, jsonInner(value), url.QueryEscape(value), url.PathEscape(value)} {
			forms = append(forms, form{text, name})
		}
	}
	sort.Slice(forms, func(i, j int) bool { return len(forms[i].text) > len(forms[j].text) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f.text, "{{"+secretsPrefix+f.name+"}}")
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// maskedError is an error whose text has its secrets masked; it still unwraps to the original, so
// that the retry policy can read what kind of failure it was.
type maskedError struct {
	text string
	err  error
}

func (e *maskedError) Error() string { return e.text }
func (e *maskedError) Unwrap() error { return e.err }

// maskError returns err with the values of secrets masked in its text.
func maskError(err error, secrets map[string]string) error {
	if err == nil || len(secrets) == 0 {
		return err
	}
	return &maskedError{text: maskSecrets(err.Error(), secrets), err: err}
}
