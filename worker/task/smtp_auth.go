package task

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/wneessen/go-mail/smtp"
)

// ReadCAFile reads a PEM bundle of certificate authorities for SMTP, or says what is wrong with it.
func ReadCAFile(path string) (*x509.CertPool, string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "cannot be read: " + err.Error()
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, "holds no PEM certificate"
	}
	return pool, ""
}

// loginAuth logs in by the mechanism the server offers, PLAIN first, else LOGIN, and notes which
// it started, so that a failed connection can say whether the server refused the login or failed
// before it. Either refuses to send the password over an unencrypted connection to anything but
// localhost.
type loginAuth struct {
	username, password, host string
	smtp.Auth
	mechanism string
}

// Start picks the mechanism among those the server offers and begins it.
func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	switch {
	case slices.ContainsFunc(server.Auth, func(m string) bool { return strings.EqualFold(m, "PLAIN") }):
		a.Auth, a.mechanism = smtp.PlainAuth("", a.username, a.password, a.host, false), "PLAIN"
	case slices.ContainsFunc(server.Auth, func(m string) bool { return strings.EqualFold(m, "LOGIN") }):
		a.Auth, a.mechanism = smtp.LoginAuth(a.username, a.password, a.host, false), "LOGIN"
	default:
		a.mechanism = "PLAIN or LOGIN"
		return "", nil, fmt.Errorf("the server offers neither (it offers %s)", orNone(server.Auth))
	}
	return a.Auth.Start(server)
}

// Next answers the server's challenges of the mechanism Start picked.
func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if a.Auth == nil {
		return nil, errors.New("smtp auth: no mechanism started")
	}
	return a.Auth.Next(fromServer, more)
}

// orNone lists mechanisms, or says there are none.
func orNone(mechanisms []string) string {
	if len(mechanisms) == 0 {
		return "none"
	}
	return strings.Join(mechanisms, " ")
}
