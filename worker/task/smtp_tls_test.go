package task

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/cronflow/cronflow/worker/smtptest"
)

// TestSMTPWithAPrivateCAAndAuthLogin sends mail to a server that requires STARTTLS with a
// certificate of a private CA and offers only AUTH LOGIN, as Office 365 does.
func TestSMTPWithAPrivateCAAndAuthLogin(t *testing.T) {
	t.Parallel()
	caPEM, serverTLS := smtptest.NewCA(t)
	srv := smtptest.StartWith(t, smtptest.Options{TLS: serverTLS, Mechanisms: []string{sasl.Login}})
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pool, problem := ReadCAFile(caFile)
	if problem != "" {
		t.Fatal(problem)
	}
	base := MailConfig{Host: srv.Host, Port: srv.Port, Username: smtptest.Username, Password: smtptest.Password,
		From: "cron@example.com", TLS: "starttls"}
	payload := json.RawMessage(`{"to": ["ann@example.com"], "subject": "Nightly", "body": "done"}`)
	send := func(cfg MailConfig) error {
		_, err := NewExecutor(nil, cfg).Execute(context.Background(), EmailName, 10*time.Second, Task{Payload: payload})
		return err
	}

	t.Run("TheCAFileIsTrustedAndLoginIsSpoken", func(t *testing.T) {
		cfg := base
		cfg.RootCAs = pool
		if err := send(cfg); err != nil {
			t.Fatalf("send = %v", err)
		}
		select {
		case m := <-srv.Messages:
			if m.User != smtptest.Username || !strings.Contains(string(m.Data), "Subject: Nightly") {
				t.Errorf("message = %+v", m)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no message arrived")
		}
	})
	t.Run("WithoutTheCAItIsRefused", func(t *testing.T) {
		err := send(base)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("send without the CA = %v, want a certificate error", err)
		}
	})
	t.Run("SkipVerifyIsExplicit", func(t *testing.T) {
		cfg := base
		cfg.SkipVerify = true
		if err := send(cfg); err != nil {
			t.Fatalf("send with SkipVerify = %v", err)
		}
		<-srv.Messages
	})
	t.Run("AWrongPasswordNamesLogin", func(t *testing.T) {
		cfg := base
		cfg.RootCAs, cfg.Password = pool, "guess"
		if err := send(cfg); err == nil || !strings.Contains(err.Error(), "smtp AUTH LOGIN as cron") {
			t.Fatalf("send with a wrong password = %v", err)
		}
	})
	t.Run("ACAFileWithoutCertificatesIsAProblem", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "empty.pem")
		_ = os.WriteFile(empty, []byte("not a certificate"), 0o600)
		if _, problem := ReadCAFile(empty); problem != "holds no PEM certificate" {
			t.Errorf("ReadCAFile = %q", problem)
		}
	})
}
