package task

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf16"
)

// maskSecrets replaces every value of secrets in s with its reference {{secrets.NAME}}, so that a
// target that echoes a secret back cannot put it into a run's output, error or log line. A value
// is found as it is, and in the forms a target may echo it in: each character JSON-escaped in any
// way (\u003c, \u003C, \", \/, surrogate pairs) or percent-encoded (%3c, %3C, + for a space), in
// any mix, and base64-encoded (standard or URL alphabet, padded or not, alone or inside a longer
// encoded text such as a Basic credential). Longer values are masked first, so that a value
// inside another does not leave part of the longer one showing. Values are valid UTF-8, as the
// JSON API and PostgreSQL's text keep them.
func maskSecrets(s string, secrets map[string]string) string {
	if len(secrets) == 0 || s == "" {
		return s
	}
	names := make([]string, 0, len(secrets))
	for name, value := range secrets {
		if value != "" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return s
	}
	sort.Slice(names, func(i, j int) bool { return len(secrets[names[i]]) > len(secrets[names[j]]) })
	groups := make([]string, len(names))
	for i, name := range names {
		groups[i] = "(" + secretPattern(secrets[name]) + ")"
	}
	re, err := regexp.Compile(strings.Join(groups, "|"))
	if err != nil {
		// Cannot happen for valid UTF-8; mask the plain values rather than nothing.
		for _, name := range names {
			s = strings.ReplaceAll(s, secrets[name], "{{"+secretsPrefix+name+"}}")
		}
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		for g := range names {
			if m[2+2*g] >= 0 {
				b.WriteString("{{" + secretsPrefix + names[g] + "}}")
				break
			}
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// secretPattern matches value in every form maskSecrets masks, the longest forms first.
func secretPattern(value string) string {
	var alts []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		alts = append(alts, regexp.QuoteMeta(enc.EncodeToString([]byte(value))))
	}
	var chars strings.Builder
	for _, r := range value {
		chars.WriteString(runePattern(r))
	}
	alts = append(alts, chars.String())
	return strings.Join(append(alts, base64Cores(value)...), "|")
}

// jsonShortEscapes are the two-character escapes JSON has besides \uXXXX.
var jsonShortEscapes = map[rune]string{'"': `\"`, '\\': `\\`, '/': `\/`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`}

// runePattern matches one character of a secret as it is, JSON-escaped or percent-encoded.
func runePattern(r rune) string {
	alts := []string{regexp.QuoteMeta(string(r))}
	if r > 0xFFFF {
		hi, lo := utf16.EncodeRune(r)
		alts = append(alts, fmt.Sprintf(`\\u(?i:%04x)\\u(?i:%04x)`, hi, lo))
	} else {
		alts = append(alts, fmt.Sprintf(`\\u(?i:%04x)`, r))
	}
	if short, ok := jsonShortEscapes[r]; ok {
		alts = append(alts, regexp.QuoteMeta(short))
	}
	var pct strings.Builder
	for _, c := range []byte(string(r)) {
		fmt.Fprintf(&pct, `%%(?i:%02x)`, c)
	}
	alts = append(alts, pct.String())
	if r == ' ' {
		alts = append(alts, `\+`)
	}
	return "(?:" + strings.Join(alts, "|") + ")"
}

// minBase64Core is the shortest run of base64 characters taken for a secret inside a longer
// encoded text: shorter runs would mask innocent text.
const minBase64Core = 8

// base64Cores are the base64 characters that value alone decides when it is encoded after 0, 1
// or 2 other bytes (the three ways it can fall in base64's groups of three bytes), in both
// alphabets: an encoded "user:secret" holds one of them whatever the user.
func base64Cores(value string) []string {
	var out []string
	for shift := range 3 {
		encoded := base64.RawStdEncoding.EncodeToString(append(make([]byte, shift), value...))
		start := []int{0, 2, 3}[shift] // the first characters mix in the bytes before
		end := 8 * (shift + len(value)) / 6
		if end-start < minBase64Core {
			continue
		}
		core := encoded[start:end]
		out = append(out, regexp.QuoteMeta(core))
		if url := strings.NewReplacer("+", "-", "/", "_").Replace(core); url != core {
			out = append(out, regexp.QuoteMeta(url))
		}
	}
	return out
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
