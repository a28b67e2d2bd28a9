// Package smtptest runs a real SMTP server inside a test, on 127.0.0.1, and hands over every
// message it accepts.
package smtptest

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// The credentials the server wants, with PLAIN auth.
const (
	Username = "cron"
	Password = "s3cret"
)

// Message is what the server recorded of one delivery.
type Message struct {
	User, From string
	To         []string
	Data       []byte
}

// Server is a running SMTP server.
type Server struct {
	Host string
	Port int
	// Messages receives each message the server accepts.
	Messages <-chan Message
}

// Start starts a server that wants PLAIN auth as Username/Password, refuses any recipient at
// nobody@, and stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// Options change the server StartWith runs.
type Options struct {
	// TLS, if set, makes the server offer STARTTLS with it, and AUTH (and so mail) only after it.
	TLS *tls.Config
	// Mechanisms are the AUTH mechanisms offered: sasl.Plain (the default) and sasl.Login.
	Mechanisms []string
}

// StartWith starts a server as Start does, changed by o.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	if len(o.Mechanisms) == 0 {
		o.Mechanisms = []string{sasl.Plain}
	}
	delivered := make(chan Message, 16)
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &session{delivered: delivered, mechanisms: o.Mechanisms}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = o.TLS == nil
	srv.TLSConfig = o.TLS
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return &Server{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, Messages: delivered}
}

// session is one connection to the server.
type session struct {
	msg        Message
	delivered  chan<- Message
	mechanisms []string
}

func (s *session) AuthMechanisms() []string { return s.mechanisms }

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(username, password string) error {
		if username != Username || password != Password {
			return errors.New("invalid credentials")
		}
		s.msg.User = username
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, username, password string) error { return check(username, password) }), nil
}

// loginServer is the server side of AUTH LOGIN: it asks for the user name, then the password.
type loginServer struct {
	step     int
	username string
	check    func(username, password string) error
}

// Next takes the client's next response and answers the next challenge.
func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch {
	case l.step == 1 && response == nil:
		return []byte("Username:"), false, nil
	case l.step == 1:
		l.step++ // the user name came as an initial response
		l.username = string(response)
		return []byte("Password:"), false, nil
	case l.step == 2:
		l.username = string(response)
		return []byte("Password:"), false, nil
	case l.step == 3:
		return nil, true, l.check(l.username, string(response))
	}
	return nil, false, errors.New("unexpected AUTH LOGIN response")
}

func (s *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if s.msg.User == "" {
		return gosmtp.ErrAuthRequired
	}
	s.msg.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if strings.HasPrefix(to, "nobody@") {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	s.msg.Data = data
	s.delivered <- s.msg
	return err
}

func (s *session) Reset()        { s.msg = Message{User: s.msg.User} }
func (s *session) Logout() error { return nil }
