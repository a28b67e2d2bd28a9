package task

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

const (
	// maxRecipients bounds the "to" list: Cronflow sends notifications, not newsletters.
	maxRecipients = 10
	// maxSubject is the longest line RFC 5322 allows, which bounds the subject before encoding.
	maxSubject = 998
)

// MailConfig is how Cronflow reaches its SMTP server. TLS is "none", "starttls" or "tls" (implicit
// TLS, usually port 465); an empty TLS means "none". A zero Port picks the usual port for TLS.
// From may carry a display name ("Cronflow <cron@example.com>").
type MailConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string
}

// emailInput is an email payload as a job's author may write it: "to" is one address or a list.
type emailInput struct {
	To      json.RawMessage `json:"to"`
	Subject string          `json:"subject"`
	Body    string          `json:"body"`
}

// emailPayload is an email payload as stored: "to" is always a list of bare addresses.
type emailPayload struct {
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Body    string   `json:"body"`
}

func init() {
	register(Type{
		Name: "email", Label: "Send an email", Order: 2,
		Fields: []Field{
			{Name: "payload.to", Label: "To", Input: "text", Hint: "One or more addresses, separated by commas."},
			{Name: "payload.subject", Label: "Subject", Input: "text"},
			{Name: "payload.body", Label: "Message", Input: "textarea", Hint: "Plain text."},
		},
		ValidateFunc: validateEmail,
		ExecutorFunc: func(env Env) ExecuteFunc { return emailExecutor(env.Mail) },
		SummaryFunc: func(payload json.RawMessage) string {
			p := decode[emailPayload](payload)
			return "To " + strings.Join(p.To, ", ") + ": " + Clip(p.Subject, 60)
		},
		SettingsFunc: func(payload json.RawMessage) []Setting {
			p := decode[emailPayload](payload)
			return []Setting{
				{Label: "To", Value: strings.Join(p.To, ", ")},
				{Label: "Subject", Value: p.Subject},
				{Label: "Message", Value: Clip(p.Body, 2000), Code: true},
			}
		},
		DefaultNameFunc: func(payload json.RawMessage) string {
			return "Email to " + strings.Join(decode[emailPayload](payload).To, ", ")
		},
		FormValuesFunc: func(payload json.RawMessage) map[string]string {
			p := decode[emailPayload](payload)
			return map[string]string{"payload.to": strings.Join(p.To, ", "), "payload.subject": p.Subject, "payload.body": p.Body}
		},
		FormPayloadFunc: func(v, _ map[string]string) any {
			return emailPayload{To: SplitAddresses(v["payload.to"]), Subject: v["payload.subject"], Body: v["payload.body"]}
		},
	})
}

// SplitAddresses reads a form's list of addresses separated by commas, semicolons or line breaks.
func SplitAddresses(s string) []string {
	out := []string{}
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// validateEmail checks an email payload and returns it with the recipients as a list of bare
// addresses.
func validateEmail(payload json.RawMessage) (json.RawMessage, map[string]string) {
	in, problems := given[emailInput](payload)
	if problems != nil {
		return nil, problems
	}
	p, problems := checkEmail(in)
	if len(problems) > 0 {
		return nil, problems
	}
	return store(p)
}

// checkEmail checks an email as given and returns it as stored, or its problems by field. The
// subject must be a single line, since it becomes a header: a line break would let the subject
// add headers of its own.
func checkEmail(in emailInput) (emailPayload, map[string]string) {
	problems := map[string]string{}
	to, problem := parseRecipients(in.To)
	if problem != "" {
		problems["payload.to"] = problem
	}
	switch {
	case strings.TrimSpace(in.Subject) == "":
		problems["payload.subject"] = "is required"
	case len(in.Subject) > maxSubject:
		problems["payload.subject"] = fmt.Sprintf("must be at most %d bytes", maxSubject)
	case strings.ContainsAny(in.Subject, "\r\n"):
		problems["payload.subject"] = "must be a single line"
	}
	if strings.TrimSpace(in.Body) == "" {
		problems["payload.body"] = "is required"
	}
	return emailPayload{To: to, Subject: in.Subject, Body: in.Body}, problems
}

// parseRecipients reads "to": one address or a list of 1 to maxRecipients addresses. It returns the
// bare addresses ("Ann <ann@example.com>" becomes "ann@example.com"), or a problem.
func parseRecipients(raw json.RawMessage) ([]string, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "need at least one address"
	}
	var list []string
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		list = []string{one}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, "must be an address or a list of addresses"
	}
	switch {
	case len(list) == 0:
		return nil, "need at least one address"
	case len(list) > maxRecipients:
		return nil, fmt.Sprintf("must list at most %d addresses", maxRecipients)
	}
	addrs := make([]string, 0, len(list))
	for _, s := range list {
		addr, err := mail.ParseAddress(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Sprintf("include “%s”, which is not an email address", strings.TrimSpace(s))
		}
		addrs = append(addrs, addr.Address)
	}
	return addrs, ""
}

// emailExecutor returns the executor for email tasks. The payload is checked again before sending,
// so that a stored payload edited around the API still cannot inject headers.
func emailExecutor(cfg MailConfig) ExecuteFunc {
	return func(ctx context.Context, t Task) (string, error) {
		if cfg.Host == "" {
			return "", errors.New("SMTP is not configured: set SMTP_HOST")
		}
		in, err := payloadOf[emailInput](t, "email")
		if err != nil {
			return "", err
		}
		p, problems := checkEmail(in)
		if len(problems) > 0 {
			return "", fmt.Errorf("check email payload: %v", problems)
		}
		msg, err := buildMessage(cfg.From, p, t)
		if err != nil {
			return "", err
		}
		if err := sendMail(ctx, cfg, msg, p.To); err != nil {
			return "", err
		}
		return fmt.Sprintf("sent to %d recipient(s)", len(p.To)), nil
	}
}

// buildMessage renders the message: UTF-8 plain text, quoted-printable so that no line is too long,
// and the run's idempotency key in a header so that a retry can be recognised.
func buildMessage(from string, p emailPayload, t Task) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithCharset(gomail.Charset("utf-8")), gomail.WithEncoding(gomail.EncodingQP),
		gomail.WithNoDefaultUserAgent())
	if err := m.From(from); err != nil {
		return nil, fmt.Errorf("parse sender address %q: %w", from, err)
	}
	// The recipients are bare addresses already; the header lists them as they are.
	m.SetGenHeader(gomail.Header("To"), strings.Join(p.To, ", "))
	m.Subject(p.Subject)
	m.SetDate()
	m.SetMessageIDWithValue(fmt.Sprintf("%d.%s@cronflow", t.RunID, strings.ToLower(rand.Text())))
	if t.IdempotencyKey != "" {
		m.SetGenHeader("X-Cronflow-Idempotency-Key", t.IdempotencyKey)
	}
	m.SetBodyString(gomail.TypeTextPlain, p.Body)
	return m, nil
}

// mailClient is the go-mail client for cfg: its TLS policy, port and PLAIN authentication.
func mailClient(cfg MailConfig, auth smtp.Auth, timeout time.Duration) (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithTimeout(timeout), gomail.WithTLSConfig(&tls.Config{ServerName: cfg.Host})}
	port := 25
	switch cfg.TLS {
	case "", "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case "starttls":
		port = 587
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "tls":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("dial SMTP server %s: unknown TLS mode %q", cfg.Host, cfg.TLS)
	}
	if cfg.Port != 0 {
		port = cfg.Port
	}
	opts = append(opts, gomail.WithPort(port))
	if auth != nil {
		opts = append(opts, gomail.WithSMTPAuthCustom(auth))
	}
	return gomail.NewClient(cfg.Host, opts...)
}
