package task

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// noDeadline bounds a send whose context has no deadline of its own.
const noDeadline = 5 * time.Minute

// sendMail delivers msg to the recipients over one SMTP connection that lives no longer than ctx.
// go-mail connects, greets, applies the TLS policy and logs in; each envelope step below is named
// in its error, so that a run says which recipient the server refused.
func sendMail(ctx context.Context, cfg MailConfig, msg *gomail.Msg, to []string) error {
	timeout := noDeadline
	if deadline, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(deadline), time.Millisecond)
	}
	var auth *loginAuth
	var smtpAuth smtp.Auth
	if cfg.Username != "" {
		auth = &loginAuth{username: cfg.Username, password: cfg.Password, host: cfg.Host}
		smtpAuth = auth
	}
	client, err := mailClient(cfg, smtpAuth, timeout)
	if err != nil {
		return err
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return connectError(cfg, auth, err)
	}
	defer sc.Close()
	stop := context.AfterFunc(ctx, func() { _ = sc.Close() })
	defer stop()
	from, err := msg.GetSender(false)
	if err != nil {
		return fmt.Errorf("read sender address: %w", err)
	}
	if err := sc.Mail(from); err != nil {
		return fmt.Errorf("smtp MAIL FROM %s: %w", from, err)
	}
	for _, addr := range to {
		if err := sc.Rcpt(addr); err != nil {
			return fmt.Errorf("smtp RCPT %s: %w", addr, err)
		}
	}
	w, err := sc.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := msg.WriteTo(w); err != nil {
		return fmt.Errorf("smtp DATA: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	_ = sc.Quit() // The server has accepted the message; a failed goodbye does not unsend it.
	return nil
}

// connectError names the step of connecting that failed: the dial, the login, or the greeting and
// STARTTLS between them.
func connectError(cfg MailConfig, auth *loginAuth, err error) error {
	var opErr *net.OpError
	switch {
	case auth != nil && auth.mechanism != "":
		return fmt.Errorf("smtp AUTH %s as %s: %w", auth.mechanism, cfg.Username, err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("dial SMTP server %s: %w", cfg.Host, err)
	case cfg.TLS == "starttls":
		return fmt.Errorf("smtp STARTTLS with %s: %w", cfg.Host, err)
	}
	return fmt.Errorf("smtp greeting from %s: %w", cfg.Host, err)
}

// mailClient is the go-mail client for cfg: its TLS policy and trust, port and authentication.
func mailClient(cfg MailConfig, auth smtp.Auth, timeout time.Duration) (*gomail.Client, error) {
	tlsConfig := &tls.Config{ServerName: cfg.Host, RootCAs: cfg.RootCAs, InsecureSkipVerify: cfg.SkipVerify} //nolint:gosec // SMTP_TLS_SKIP_VERIFY is explicit and warned about
	opts := []gomail.Option{gomail.WithTimeout(timeout), gomail.WithTLSConfig(tlsConfig)}
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
