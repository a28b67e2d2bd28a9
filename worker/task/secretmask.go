package task

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maskSecrets replaces every value of secrets in s with its reference {{secrets.NAME}}, so that a
// target that echoes a secret back cannot put it into a run's output, error or log line. A value
// is found as it is, and in the forms a target may echo it in: each character JSON-escaped in any
// way (\u003c, \u003C, \", \/, surrogate pairs) or percent-encoded (%3c, %3C, + for a space), in
// any mix, and base64-encoded (standard or URL alphabet, padded or not, alone or inside a longer
// encoded text such as a Basic credential). Where found values overlap, the whole stretch they
// cover is masked, so that a value inside another leaves no part of the longer one showing.
//
// It costs one pass to decode s into a shadow text (escapes undone, with a map back to s) and a
// plain substring search per value and form: no pattern is built from the values, whose length
// is up to the user.
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
	sort.Strings(names) // the same output for the same input
	sh := decodeShadow(s)
	var found []maskSpan
	for i, name := range names {
		found = append(found, secretSpans(s, sh, secrets[name], i)...)
	}
	if len(found) == 0 {
		return s
	}
	return replaceSpans(s, found, names)
}

// maskSpan is a stretch of the text, [start, end), that shows the value of names[secret].
type maskSpan struct{ start, end, secret int }

// secretSpans finds value in s as it is and base64-encoded, and in the shadow of s in every
// escaped form: the value itself, and the value with its own escapes undone, for a value that
// holds text such as %41 and is echoed with only some of its characters encoded.
func secretSpans(s string, sh shadow, value string, secret int) []maskSpan {
	var out []maskSpan
	add := func(start, end int) { out = append(out, maskSpan{start, end, secret}) }
	for _, form := range append([]string{value}, base64Forms(value)...) {
		for at := range occurrences(s, form) {
			add(at, at+len(form))
		}
	}
	keys := []string{value}
	if decoded := decodeShadow(value).text; decoded != value {
		keys = append(keys, decoded)
	}
	for _, key := range keys {
		folded := foldSpace(key)
		for at := range occurrences(sh.folded, folded) {
			if sh.matches(at, key) {
				add(sh.offset[at], sh.offset[at+len(key)])
			}
		}
	}
	return out
}

// occurrences yields where needle starts in haystack, left to right, without overlaps.
func occurrences(haystack, needle string) func(yield func(int) bool) {
	return func(yield func(int) bool) {
		for from := 0; needle != "" && from <= len(haystack)-len(needle); {
			i := strings.Index(haystack[from:], needle)
			if i < 0 || !yield(from+i) {
				return
			}
			from += i + len(needle)
		}
	}
}

// replaceSpans writes s with every span replaced by the reference of its secret; overlapping
// spans become one stretch holding the references of all the secrets in it.
func replaceSpans(s string, spans []maskSpan, names []string) string {
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].start != spans[j].start {
			return spans[i].start < spans[j].start
		}
		return spans[i].end > spans[j].end
	})
	var b strings.Builder
	b.Grow(len(s))
	last := 0 // s[:last] is written
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		refs := []int{spans[i].secret}
		for i++; i < len(spans) && spans[i].start < end; i++ {
			end = max(end, spans[i].end)
			if !containsInt(refs, spans[i].secret) {
				refs = append(refs, spans[i].secret)
			}
		}
		b.WriteString(s[last:start])
		for _, r := range refs {
			b.WriteString("{{" + secretsPrefix + names[r] + "}}")
		}
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// shadow is a text with its JSON escapes and percent-encoding undone. offset maps each byte of
// text (and its end) to where the escape or character that made it starts in the original, and
// plus marks the bytes that were a literal '+', which may stand for a space.
type shadow struct {
	text   string
	folded string // text with every space written as '+', what the search runs on
	offset []int
	plus   []bool
}

// matches reports whether the shadow at i holds key with a space only where the original had a
// space, an escaped space or a literal '+', and a '+' only where it had a '+'; the folded search
// found the rest already.
func (sh shadow) matches(i int, key string) bool {
	for k := 0; k < len(key); k++ {
		switch got := sh.text[i+k]; key[k] {
		case ' ':
			if got != ' ' && !sh.plus[i+k] {
				return false
			}
		case '+':
			if got != '+' {
				return false
			}
		}
	}
	return true
}

// foldSpace writes every space as '+', so that one search finds both spellings.
func foldSpace(s string) string { return strings.ReplaceAll(s, " ", "+") }

// decodeShadow undoes, in one pass, every JSON escape (\uXXXX, surrogate pairs and the short
// escapes) and every percent-encoded byte of s.
func decodeShadow(s string) shadow {
	var b strings.Builder
	b.Grow(len(s))
	offset := make([]int, 0, len(s)+1)
	plus := make([]bool, 0, len(s)+1)
	for i := 0; i < len(s); {
		before := b.Len()
		n := decodeEscape(s[i:], &b)
		if n == 0 {
			b.WriteByte(s[i])
			n = 1
		}
		for range b.Len() - before {
			offset = append(offset, i)
			plus = append(plus, s[i] == '+')
		}
		i += n
	}
	offset = append(offset, len(s))
	text := b.String()
	return shadow{text: text, folded: foldSpace(text), offset: offset, plus: plus}
}

// jsonShortEscapes are the characters JSON's two-character escapes stand for.
var jsonShortEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// decodeEscape writes to b what the JSON escape or percent-encoded byte at the start of s stands
// for and returns its length, or 0, writing nothing, when s does not start with one.
func decodeEscape(s string, b *strings.Builder) int {
	switch {
	case len(s) >= 3 && s[0] == '%':
		if v, err := strconv.ParseUint(s[1:3], 16, 8); err == nil {
			b.WriteByte(byte(v))
			return 3
		}
	case len(s) >= 6 && s[0] == '\\' && s[1] == 'u':
		hi, ok := hex4(s[2:6])
		if !ok {
			return 0
		}
		if utf16.IsSurrogate(rune(hi)) && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
			if lo, ok := hex4(s[8:12]); ok {
				if r := utf16.DecodeRune(rune(hi), rune(lo)); r != utf8.RuneError {
					b.WriteRune(r)
					return 12
				}
			}
		}
		b.WriteRune(rune(hi))
		return 6
	case len(s) >= 2 && s[0] == '\\' && jsonShortEscapes[s[1]] != 0:
		b.WriteByte(jsonShortEscapes[s[1]])
		return 2
	}
	return 0
}

// hex4 reads four hexadecimal digits.
func hex4(s string) (uint16, bool) {
	v, err := strconv.ParseUint(s, 16, 16)
	return uint16(v), err == nil
}

// minBase64Core is the shortest run of base64 characters taken for a secret inside a longer
// encoded text: shorter runs would mask innocent text.
const minBase64Core = 8

// base64Forms are value base64-encoded, padded, in both alphabets, and the base64 characters
// that value alone decides when it is encoded after 0, 1 or 2 other bytes (the three ways it can
// fall in base64's groups of three bytes), in both alphabets: an encoded "user:secret" holds one
// of them whatever the user, and an unpadded encoding holds the first.
func base64Forms(value string) []string {
	out := []string{base64.StdEncoding.EncodeToString([]byte(value)), base64.URLEncoding.EncodeToString([]byte(value))}
	for shift := range 3 {
		encoded := base64.RawStdEncoding.EncodeToString(append(make([]byte, shift), value...))
		start := []int{0, 2, 3}[shift] // the first characters mix in the bytes before
		end := 8 * (shift + len(value)) / 6
		if end-start < minBase64Core {
			continue
		}
		core := encoded[start:end]
		out = append(out, core)
		if url := strings.NewReplacer("+", "-", "/", "_").Replace(core); url != core {
			out = append(out, url)
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
