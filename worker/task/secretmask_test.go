package task

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSecretsAreMaskedInEveryEncoding(t *testing.T) {
	t.Parallel()
	const secret = `p<a>&ss"wörd/+?=12`
	goJSON, _ := json.Marshal(secret) // Go escapes <, > and & as \u003c, \u003e, \u0026
	b64 := func(enc *base64.Encoding, s string) string { return enc.EncodeToString([]byte(s)) }
	for name, echoed := range map[string]string{
		"AsItIs":            secret,
		"GoJSON":            string(goJSON),
		"JSONEveryEscape":   `"\u0070\u003C\u0061\u003E\u0026\u0073\u0073\"\u0077\u00f6\u0072\u0064\/\u002B?\u003d12"`,
		"QueryEscaped":      url.QueryEscape(secret),
		"PathEscaped":       url.PathEscape(secret),
		"EveryBytePercent":  percentAll(secret),
		"Base64":            b64(base64.StdEncoding, secret),
		"Base64URL":         b64(base64.URLEncoding, secret),
		"Base64RawURL":      b64(base64.RawURLEncoding, secret),
		"InsideBasicAuth":   "Basic " + b64(base64.StdEncoding, "ops:"+secret),
		"InsideBasicAuthB2": "Basic " + b64(base64.StdEncoding, "ops2:"+secret+":x"),
		"JSONAndPercentMix": `p%3C\u0061>%26s\u0073\"w%C3%B6rd\/%2b?%3D1\u0032`,
		"SurrogateAndShort": `p\u003ca\u003e\u0026ss\"w\u00F6rd\/+?=12`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := maskSecrets("before "+echoed+" after", map[string]string{"PASS": secret})
			if !strings.Contains(got, "{{secrets.PASS}}") || strings.Contains(got, strings.Trim(echoed, `"`)) ||
				!strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") {
				t.Errorf("masked %q as %q", echoed, got)
			}
		})
	}
}

// percentAll percent-encodes every byte of s, as some clients do.
func percentAll(s string) string {
	var b strings.Builder
	for i := range len(s) {
		fmt.Fprintf(&b, "%%%02x", s[i])
	}
	return b.String()
}

func TestASecretAcrossTheOutputCutIsMasked(t *testing.T) {
	t.Parallel()
	e := NewExecutor(NewHTTPClient(2, true), MailConfig{})
	const secret = "FIRSTPARTOFIT-and-the-rest-9f8e7d"
	for _, at := range []int{maxOutputBody - 20, maxOutputBody - 5, maxOutputBody - 1} {
		target, _ := echoTarget(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			fmt.Fprint(w, strings.Repeat("x", at)+secret+strings.Repeat("y", 100))
		})
		out, err := runTask(t, e, "ping", `{"url": "`+target+`"}`, map[string]string{"KEY": secret})
		if err != nil {
			t.Fatal(err)
		}
		for n := 3; n <= len(secret); n++ {
			if strings.Contains(out, "x"+secret[:n]) {
				t.Errorf("a secret %d bytes before the cut shows its first %d bytes", maxOutputBody-at, n)
				break
			}
		}
	}
}

func TestASecretWithSpacesAndPlusSignsIsMaskedInEachSpelling(t *testing.T) {
	t.Parallel()
	const secret = "a b+c 😀 d"
	for _, echoed := range []string{secret, "a+b+c+😀+d", "a%20b%2Bc+%F0%9F%98%80 d", `a\u0020b+c \ud83d\ude00\u0020d`} {
		got := maskSecrets("<"+echoed+">", map[string]string{"S": secret})
		if got != "<{{secrets.S}}>" {
			t.Errorf("masked %q as %q", echoed, got)
		}
	}
	// A '+' in the value is a plus, never a space.
	if got := maskSecrets("a b c 😀 d", map[string]string{"S": secret}); got != "a b c 😀 d" {
		t.Errorf("a space stood for the value's '+': %q", got)
	}
}

func TestOverlappingSecretsLeaveNothingShowing(t *testing.T) {
	t.Parallel()
	got := maskSecrets("x-abcdef-x", map[string]string{"A": "abc", "B": "cdef"})
	if got != "x-{{secrets.A}}{{secrets.B}}-x" {
		t.Errorf("got %q", got)
	}
}
