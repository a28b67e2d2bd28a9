package worker

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"time"
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

// validateEmail checks an email payload and returns it with the recipients as a list of bare
// addresses. The subject must be a single line, since it becomes a header.
func validateEmail(payload json.RawMessage) (json.RawMessage, map[string]string) {
	var in emailInput
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, map[string]string{"payload": "must be a JSON object"}
	}
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
	if len(problems) > 0 {
		return nil, problems
	}
	out, err := json.Marshal(emailPayload{To: to, Subject: in.Subject, Body: in.Body})
	if err != nil {
		return nil, map[string]string{"payload": "cannot be stored: " + err.Error()}
	}
	return out, nil
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

// emailExecutor returns the executor for email tasks. It drives the SMTP conversation itself rather
// than through smtp.SendMail, so that ctx bounds the dial and every command after it.
func emailExecutor(cfg MailConfig) ExecuteFunc {
	return func(ctx context.Context, t Task) (string, error) {
		if cfg.Host == "" {
			return "", errors.New("SMTP is not configured: set SMTP_HOST")
		}
		var in emailInput
		if err := json.Unmarshal(t.Payload, &in); err != nil {
			return "", fmt.Errorf("decode email payload: %w", err)
		}
		to, problem := parseRecipients(in.To)
		if problem != "" {
			return "", fmt.Errorf("check email payload: \"to\" %s", problem)
		}
		from, err := mail.ParseAddress(cfg.From)
		if err != nil {
			return "", fmt.Errorf("parse sender address %q: %w", cfg.From, err)
		}
		if err := sendMail(ctx, cfg, from.Address, to, buildMessage(from, to, in.Subject, in.Body, t)); err != nil {
			return "", err
		}
		return fmt.Sprintf("sent to %d recipient(s)", len(to)), nil
	}
}

// sendMail delivers msg over one SMTP connection that lives no longer than ctx.
func sendMail(ctx context.Context, cfg MailConfig, from string, to []string, msg []byte) error {
	conn, err := dialSMTP(ctx, cfg)
	if err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp greeting from %s: %w", cfg.Host, err)
	}
	defer c.Close()
	hostname, err := os.Hostname()
	if err != nil || hostname == "" {
		hostname = "localhost"
	}
	if err := c.Hello(hostname); err != nil {
		return fmt.Errorf("smtp EHLO: %w", err)
	}
	if cfg.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp STARTTLS: %s does not offer it", cfg.Host)
		}
		if err := c.StartTLS(&tls.Config{ServerName: cfg.Host}); err != nil {
			return fmt.Errorf("smtp STARTTLS: %w", err)
		}
	}
	if cfg.Username != "" {
		// PlainAuth refuses to send the password over an unencrypted connection to anything but localhost.
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			return fmt.Errorf("smtp AUTH PLAIN as %s: %w", cfg.Username, err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("smtp MAIL FROM %s: %w", from, err)
	}
	for _, addr := range to {
		if err := c.Rcpt(addr); err != nil {
			return fmt.Errorf("smtp RCPT %s: %w", addr, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp DATA: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	_ = c.Quit() // The server has accepted the message; a failed goodbye does not unsend it.
	return nil
}

// dialSMTP connects to the SMTP server, with TLS from the first byte when cfg.TLS is "tls".
func dialSMTP(ctx context.Context, cfg MailConfig) (net.Conn, error) {
	var d interface {
		DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	}
	port := 25
	switch cfg.TLS {
	case "", "none":
		d = &net.Dialer{}
	case "starttls":
		d, port = &net.Dialer{}, 587
	case "tls":
		d, port = &tls.Dialer{Config: &tls.Config{ServerName: cfg.Host}}, 465
	default:
		return nil, fmt.Errorf("dial SMTP server %s: unknown TLS mode %q", cfg.Host, cfg.TLS)
	}
	if cfg.Port != 0 {
		port = cfg.Port
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(port))
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial SMTP server %s: %w", addr, err)
	}
	return conn, nil
}

// buildMessage renders the message: UTF-8 plain text, quoted-printable so that no line is too long,
// and the run's idempotency key in a header so that a retry can be recognised.
func buildMessage(from *mail.Address, to []string, subject, body string, t Task) []byte {
	var b bytes.Buffer
	header := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	header("From", from.String())
	header("To", strings.Join(to, ", "))
	// Fold between encoded words so that a long subject stays within the line limit.
	header("Subject", strings.ReplaceAll(mime.QEncoding.Encode("utf-8", subject), "?= =?", "?=\r\n =?"))
	header("Date", time.Now().Format(time.RFC1123Z))
	header("Message-ID", fmt.Sprintf("<%d.%s@cronflow>", t.RunID, strings.ToLower(rand.Text())))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	if t.IdempotencyKey != "" {
		header("X-Cronflow-Idempotency-Key", t.IdempotencyKey)
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = qp.Write([]byte(body))
	_ = qp.Close()
	return b.Bytes()
}
