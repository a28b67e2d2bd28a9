package task

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// EmailName is the email task type's name; notification channels of the same name are delivered by it.
const EmailName = "email"

const (
	// maxRecipients bounds to, cc and bcc together: Cronflow sends notifications, not newsletters.
	maxRecipients = 10
	// maxSubject is the longest line RFC 5322 allows, which bounds the subject before encoding.
	maxSubject = 998
)

// MailConfig is how Cronflow reaches its SMTP server. TLS is "none", "starttls" or "tls" (implicit
// TLS, usually port 465); an empty TLS means "none". A zero Port picks the usual port for TLS.
// From may carry a display name ("Cronflow <cron@example.com>"). With a Username, Cronflow logs
// in by AUTH PLAIN, or AUTH LOGIN when the server offers only that (Office 365).
type MailConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string
	// RootCAs, if set, are the only authorities trusted for the SMTP server's certificate
	// (SMTP_CA_FILE); HTTP tasks keep trusting the system's. SkipVerify accepts any certificate
	// (SMTP_TLS_SKIP_VERIFY), for an internal relay only.
	RootCAs    *x509.CertPool
	SkipVerify bool
}

// emailInput is an email payload as a job's author may write it: "to" is one address or a list.
type emailInput struct {
	To      json.RawMessage `json:"to"`
	Cc      json.RawMessage `json:"cc"`
	Bcc     json.RawMessage `json:"bcc"`
	Subject string          `json:"subject"`
	Body    string          `json:"body"`
}

// emailPayload is an email payload as stored: the recipients are always lists of bare addresses.
// The subject and body may hold templates.
type emailPayload struct {
	To      []string `json:"to"`
	Cc      []string `json:"cc,omitempty"`
	Bcc     []string `json:"bcc,omitempty"`
	Subject string   `json:"subject"`
	Body    string   `json:"body"`
}

// recipients are every address the message goes to, to, cc and bcc.
func (p emailPayload) recipients() []string {
	return append(append(append([]string{}, p.To...), p.Cc...), p.Bcc...)
}

func init() {
	register(Type{
		Name: EmailName, Label: "Send an email", Order: 2,
		Fields: []Field{
			{Name: "payload.to", Label: "To", Input: "text", Hint: "One or more addresses, separated by commas; at most 10 with Cc and Bcc."},
			{Name: "payload.cc", Label: "Cc (optional)", Input: "text"},
			{Name: "payload.bcc", Label: "Bcc (optional)", Input: "text", Hint: "Bcc recipients get the message without appearing in it."},
			{Name: "payload.subject", Label: "Subject", Input: "text", Hint: "Templates such as {{job.name}} and {{secrets.NAME}} are filled in."},
			{Name: "payload.body", Label: "Message", Input: "textarea", Hint: "Plain text; templates are filled in."},
		},
		ValidateFunc: validateEmail,
		ExecutorFunc: func(env Env) ExecuteFunc { return emailExecutor(env.Mail) },
		SummaryFunc: func(payload json.RawMessage) string {
			p := decode[emailPayload](payload)
			return "To " + strings.Join(p.To, ", ") + ": " + Clip(p.Subject, 60)
		},
		SettingsFunc: func(payload json.RawMessage) []Setting {
			p := decode[emailPayload](payload)
			out := []Setting{{Label: "To", Value: strings.Join(p.To, ", ")}}
			if len(p.Cc) > 0 {
				out = append(out, Setting{Label: "Cc", Value: strings.Join(p.Cc, ", ")})
			}
			if len(p.Bcc) > 0 {
				out = append(out, Setting{Label: "Bcc", Value: strings.Join(p.Bcc, ", ")})
			}
			return append(out, Setting{Label: "Subject", Value: p.Subject}, Setting{Label: "Message", Value: Clip(p.Body, 2000), Code: true})
		},
		DefaultNameFunc: func(payload json.RawMessage) string {
			return "Email to " + strings.Join(decode[emailPayload](payload).To, ", ")
		},
		FormValuesFunc: func(payload json.RawMessage) map[string]string {
			p := decode[emailPayload](payload)
			return map[string]string{"payload.to": strings.Join(p.To, ", "), "payload.cc": strings.Join(p.Cc, ", "),
				"payload.bcc": strings.Join(p.Bcc, ", "), "payload.subject": p.Subject, "payload.body": p.Body}
		},
		FormPayloadFunc: func(v, _ map[string]string) any {
			return emailPayload{To: SplitAddresses(v["payload.to"]), Cc: SplitAddresses(v["payload.cc"]),
				Bcc: SplitAddresses(v["payload.bcc"]), Subject: v["payload.subject"], Body: v["payload.body"]}
		},
	})
}

// validateEmail checks an email payload and returns it with the recipients as a list of bare
// addresses.
func validateEmail(payload json.RawMessage) (json.RawMessage, map[string]string) {
	in, problems := given[emailInput](payload)
	if problems != nil {
		return nil, problems
	}
	p, problems := checkEmail(in, true)
	if len(problems) > 0 {
		return nil, problems
	}
	return store(p)
}

// checkEmail checks an email as given and returns it as stored, or its problems by field. The
// subject must be a single line, since it becomes a header: a line break would let the subject
// add headers of its own. With templates false, the subject and body are text, not templates.
func checkEmail(in emailInput, templates bool) (emailPayload, map[string]string) {
	problems := map[string]string{}
	p := emailPayload{Subject: in.Subject, Body: in.Body}
	lists := []struct {
		field    string
		raw      json.RawMessage
		required bool
		into     *[]string
	}{{"payload.to", in.To, true, &p.To}, {"payload.cc", in.Cc, false, &p.Cc}, {"payload.bcc", in.Bcc, false, &p.Bcc}}
	for _, l := range lists {
		addrs, problem := parseRecipients(l.raw, l.required)
		if problem != "" {
			problems[l.field] = problem
		}
		*l.into = addrs
	}
	if n := len(p.recipients()); n > maxRecipients && problems["payload.to"] == "" {
		problems["payload.to"] = fmt.Sprintf("with cc and bcc must list at most %d addresses, not %d", maxRecipients, n)
	}
	switch {
	case strings.TrimSpace(in.Subject) == "":
		problems["payload.subject"] = "is required"
	case len(in.Subject) > maxSubject:
		problems["payload.subject"] = fmt.Sprintf("must be at most %d bytes", maxSubject)
	case strings.ContainsAny(in.Subject, "\r\n"):
		problems["payload.subject"] = "must be a single line"
	}
	if problems["payload.subject"] == "" && templates {
		if problem := checkTemplates(in.Subject); problem != "" {
			problems["payload.subject"] = problem
		}
	}
	if strings.TrimSpace(in.Body) == "" {
		problems["payload.body"] = "is required"
	} else if problem := checkTemplates(in.Body); problem != "" && templates {
		problems["payload.body"] = problem
	}
	return p, problems
}

// emailExecutor returns the executor for email tasks. The payload is checked again before sending,
// so that a stored payload edited around the API still cannot inject headers.
func emailExecutor(cfg MailConfig) ExecuteFunc {
	return func(ctx context.Context, t Task) (string, error) {
		if cfg.Host == "" {
			return "", errors.New("SMTP is not configured: set SMTP_HOST")
		}
		in, err := payloadOf[emailInput](t, EmailName)
		if err != nil {
			return "", err
		}
		p, err := filledEmail(in, t)
		if err != nil {
			return "", err
		}
		msg, err := buildMessage(cfg.From, p, t)
		if err != nil {
			return "", err
		}
		from, _ := msg.GetSender(false)
		t.Exchange.captureMail(cfg, from, p.recipients())
		if err := sendMail(ctx, cfg, msg, p.recipients()); err != nil {
			return "", smtpFailure(err)
		}
		return fmt.Sprintf("sent to %d recipient(s)", len(p.recipients())), nil
	}
}

// filledEmail checks a stored email again, fills in the templates of its subject and body, and
// checks the subject once more: a value filled in must not add a line break to a header.
func filledEmail(in emailInput, t Task) (emailPayload, error) {
	p, problems := checkEmail(in, !t.Literal)
	if len(problems) > 0 {
		return p, Permanent(fmt.Errorf("check email payload: %v", problems), "the stored email is not valid")
	}
	var err error
	if p.Subject, err = t.fill(p.Subject, asText); err != nil {
		return p, err
	}
	if p.Body, err = t.fill(p.Body, asText); err != nil {
		return p, err
	}
	if strings.ContainsAny(p.Subject, "\r\n") {
		return p, Permanent(errors.New("the subject, templates filled in, is not a single line"), "the subject cannot be sent")
	}
	return p, nil
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
	if len(p.Cc) > 0 {
		m.SetGenHeader(gomail.Header("Cc"), strings.Join(p.Cc, ", "))
	}
	m.Subject(p.Subject)
	m.SetDate()
	m.SetMessageIDWithValue(fmt.Sprintf("%d.%s@cronflow", t.RunID, strings.ToLower(rand.Text())))
	if t.IdempotencyKey != "" {
		m.SetGenHeader("X-Cronflow-Idempotency-Key", t.IdempotencyKey)
	}
	m.SetBodyString(gomail.TypeTextPlain, p.Body)
	return m, nil
}
