package handlers

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/cronflow/cronflow/views"
	"github.com/cronflow/cronflow/worker/task"
)

// readExchange reads an attempt's stored exchange; nothing stored, or what cannot be read, is nil.
func readExchange(raw []byte) *task.Exchange {
	if len(raw) == 0 {
		return nil
	}
	var x task.Exchange
	if json.Unmarshal(raw, &x) != nil {
		return nil
	}
	return &x
}

// toExchangeView is an attempt's exchange as its page shows it.
func toExchangeView(x *task.Exchange) views.Exchange {
	switch {
	case x == nil:
		return views.Exchange{}
	case x.Mail != nil:
		m := x.Mail
		return views.Exchange{Kind: "mail", Mail: []views.Setting{
			{Label: "Server", Value: m.Server}, {Label: "TLS", Value: m.TLS},
			{Label: "MAIL FROM", Value: m.From}, {Label: "RCPT TO", Value: strings.Join(m.To, ", ")},
		}}
	case x.Request == nil:
		return views.Exchange{}
	}
	req := x.Request
	v := views.Exchange{Kind: "http", Curl: curlCommand(req),
		Request: &views.ExchangeSide{Line: req.Method + " " + req.URL, Headers: headerSettings(req.Headers), Body: req.Body,
			BodyNote: bodyNote(req.BodyBytes, req.BodyTruncated, "sent")},
		Timings: timingViews(x.Timings)}
	if r := x.Response; r != nil {
		v.Response = &views.ExchangeSide{Line: "HTTP " + r.Status, Headers: headerSettings(r.Headers), Body: r.Body,
			BodyNote: bodyNote(r.BodyBytes, r.BodyTruncated, "received")}
	}
	return v
}

func headerSettings(hs []task.Header) []views.Setting {
	out := make([]views.Setting, len(hs))
	for i, h := range hs {
		out[i] = views.Setting{Label: h.Name, Value: h.Value}
	}
	return out
}

// bodyNote says what the page shows of a body: nothing to show, or only its start.
func bodyNote(size int, cut bool, verb string) string {
	switch {
	case size == 0:
		return "No body " + verb + "."
	case cut:
		return fmt.Sprintf("The first %d KiB of %s %s, as kept with the attempt.", task.MaxExchangeBody>>10, byteSize(size), verb)
	}
	return ""
}

// byteSize writes a size in bytes or KiB.
func byteSize(n int) string {
	if n < 1<<10 {
		return strconv.Itoa(n) + " bytes"
	}
	return strconv.FormatFloat(math.Round(float64(n)/1024*10)/10, 'f', -1, 64) + " KiB"
}

// timingViews lists an HTTP attempt's phases, each with its share of the whole for the bar.
func timingViews(t *task.Timings) []views.Timing {
	if t == nil {
		return nil
	}
	phases := []struct {
		label string
		ms    float64
	}{{"DNS lookup", t.DNSMs}, {"Connect", t.ConnectMs}, {"TLS handshake", t.TLSMs}, {"First byte", t.FirstByteMs}, {"Total", t.TotalMs}}
	out := make([]views.Timing, len(phases))
	for i, p := range phases {
		pct := 0
		if t.TotalMs > 0 {
			pct = int(math.Round(min(p.ms/t.TotalMs, 1) * 100))
		}
		out[i] = views.Timing{Label: p.label, Value: msText(p.ms), Percent: pct}
	}
	return out
}

// msText writes milliseconds to a tenth below 10 ms and whole above.
func msText(ms float64) string {
	if ms < 10 {
		return strconv.FormatFloat(math.Round(ms*10)/10, 'f', -1, 64) + " ms"
	}
	return strconv.FormatFloat(math.Round(ms), 'f', -1, 64) + " ms"
}

// secretRef finds a secret's reference as the worker leaves it in what it keeps.
var secretRef = regexp.MustCompile(`\{\{\s*secrets\.([A-Z][A-Z0-9_]*)\s*\}\}`)

// curlCommand is the request as a curl command to paste into a shell: every value single-quoted,
// and each secret, kept as {{secrets.NAME}}, put back as "$CRONFLOW_SECRET_NAME" for the shell
// to fill in, so that the command never holds a secret's value. A body kept only in part is said
// so in a comment, since the command would not send the same.
func curlCommand(r *task.ExchangeRequest) string {
	var b strings.Builder
	if r.BodyTruncated {
		fmt.Fprintf(&b, "# The body was cut at %d KiB: this command does not send all of it.\n", task.MaxExchangeBody>>10)
	}
	b.WriteString("curl -X " + shellWord(r.Method) + " " + shellWord(r.URL))
	for _, h := range r.Headers {
		b.WriteString(" \\\n  -H " + shellWord(h.Name+": "+h.Value))
	}
	if r.BodyBytes > 0 {
		b.WriteString(" \\\n  --data-raw " + shellWord(r.Body))
	}
	return b.String()
}

// shellWord quotes s for a POSIX shell, secret references as variables.
func shellWord(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range secretRef.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(singleQuoted(s[last:m[0]]))
		b.WriteString(`"$CRONFLOW_SECRET_` + s[m[2]:m[3]] + `"`)
		last = m[1]
	}
	if rest := s[last:]; rest != "" || last == 0 {
		b.WriteString(singleQuoted(rest))
	}
	return b.String()
}

// singleQuoted quotes s in single quotes; "" stays "", as part of a longer word.
func singleQuoted(s string) string {
	if s == "" {
		return ""
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
