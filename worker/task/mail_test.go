package task

import (
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestEmailCcBccAndTemplates(t *testing.T) {
	t.Parallel()

	t.Run("CcAndBccAreDeliveredAndOnlyCcIsShown", func(t *testing.T) {
		t.Parallel()
		cfg, delivered := newSMTPServer(t)
		out, err := runTask(t, NewExecutor(nil, cfg), "email", `{"to": "ann@example.com", "cc": ["Cid <cid@example.com>"],
			"bcc": "bea@example.com", "subject": "{{job.name}} #{{run.id}}", "body": "Key {{secrets.KEY}}"}`, map[string]string{"KEY": "k-998877"})
		if err != nil || out != "sent to 3 recipient(s)" {
			t.Fatalf("Execute = %q, %v", out, err)
		}
		got := receive(t, delivered)
		if !slices.Equal(got.To, []string{"ann@example.com", "cid@example.com", "bea@example.com"}) {
			t.Errorf("RCPT = %v", got.To)
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
		if err != nil {
			t.Fatal(err)
		}
		if msg.Header.Get("Cc") != "cid@example.com" || msg.Header.Get("Bcc") != "" || strings.Contains(string(got.Data), "bea@") {
			t.Errorf("Cc %q, Bcc %q; the bcc address must not be in the message", msg.Header.Get("Cc"), msg.Header.Get("Bcc"))
		}
		if msg.Header.Get("Subject") != "Nightly sync #42" || !strings.Contains(string(got.Data), "Key k-998877") {
			t.Errorf("subject %q; templates not filled in:\n%s", msg.Header.Get("Subject"), got.Data)
		}
	})

	t.Run("TheSMTPReplyIsInTheErrorAndA5xxIsPermanent", func(t *testing.T) {
		t.Parallel()
		cfg, _ := newSMTPServer(t)
		_, err := runTask(t, NewExecutor(nil, cfg), "email", `{"to": "ann@example.com", "bcc": "nobody@example.com", "subject": "s", "body": "b"}`, nil)
		if err == nil || !strings.Contains(err.Error(), "smtp RCPT nobody@example.com: 550") || !strings.Contains(err.Error(), "5.1.1 no such user") {
			t.Errorf("err = %v, want the server's reply", err)
		}
		if reason := PermanentReason(err); !strings.Contains(reason, "SMTP 550") {
			t.Errorf("PermanentReason = %q, want an SMTP 550", reason)
		}
	})

	t.Run("ASecretThatBreaksTheSubjectIsRefused", func(t *testing.T) {
		t.Parallel()
		cfg, _ := newSMTPServer(t)
		_, err := runTask(t, NewExecutor(nil, cfg), "email", `{"to": "ann@example.com", "subject": "{{secrets.S}}", "body": "b"}`,
			map[string]string{"S": "hi\r\nBcc: all@example.com"})
		if err == nil || !strings.Contains(err.Error(), "not a single line") || strings.Contains(err.Error(), "all@example.com") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestQuotedLocalPartsAreRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ field, to string }{
		{"payload.to", `"a b,c"@example.com`},
		{"payload.to", `["ok@example.com", "\"x y\"@example.com"]`},
		{"payload.cc", `Ann <"a b"@example.com>`},
	} {
		to, cc := tc.to, `"ok@example.com"`
		if !strings.HasPrefix(to, "[") {
			to = strconv.Quote(to)
		}
		if tc.field == "payload.cc" {
			to, cc = `"ok@example.com"`, strconv.Quote(tc.to)
		}
		_, problems := Validate("email", []byte(`{"to": `+to+`, "cc": `+cc+`, "subject": "s", "body": "b"}`))
		if !strings.Contains(problems[tc.field], "quoted") {
			t.Errorf("%s = %s: problems %v, want one on %s about the quoted local part", tc.field, tc.to, problems, tc.field)
		}
	}
	stored, problems := Validate("email", []byte(`{"to": ["\"Ann, B\" <ann@example.com>", "o'neil+tag@example.com"], "subject": "s", "body": "b"}`))
	if problems != nil || !strings.Contains(string(stored), `["ann@example.com","o'neil+tag@example.com"]`) {
		t.Errorf("a quoted display name and an unquoted local part: %s, %v", stored, problems)
	}
}
