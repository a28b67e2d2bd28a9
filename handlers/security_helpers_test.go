package handlers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cronflow/cronflow/worker/workertest"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/queries/store"
	"github.com/cronflow/cronflow/sqlcgen"
)

func init() { store.PasswordCost = bcrypt.MinCost }

// secure is a server with authentication on (see setup), whose log is kept.
type secure struct {
	*fixture
	echo *echo.Echo
	logs *workertest.LogBuffer
}

// setupSecure starts a server with authentication on, the bootstrap admin (testAdmin), and a JSON
// log the test can read, as the options then set it.
func setupSecure(t *testing.T, opts ...func(*Deps)) *secure {
	t.Helper()
	logs := &workertest.LogBuffer{}
	opts = append([]func(*Deps){withAuth(AuthConfig{AdminUser: testAdmin}), func(d *Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	}}, opts...)
	f := setup(t, opts...)
	return &secure{fixture: f, echo: f.echo, logs: logs}
}

// withPool gives the server a fresh database of its own, for tests that send requests at the
// same time: a test transaction serves one query at a time.
func withPool(t *testing.T) func(*Deps) {
	return func(d *Deps) {
		pool := dbtest.NewPool(t)
		d.Queries, d.DB = sqlcgen.New(pool), pool
	}
}

// addUser makes a user with a role, straight through the queries.
func (s *secure) addUser(name, password string, r role) sqlcgen.User {
	s.t.Helper()
	hash, err := store.HashPassword(password)
	if err != nil {
		s.t.Fatal(err)
	}
	u, err := s.q.UserInsert(context.Background(), sqlcgen.UserInsertParams{Username: name, PasswordHash: hash, Role: string(r)})
	if err != nil {
		s.t.Fatalf("add user %s: %v", name, err)
	}
	return u
}

// pageToken is the CSRF token that the pages of a session carry.
func (f *fixture) pageToken(cookie string) string {
	f.t.Helper()
	page := f.send(http.MethodGet, "/settings/account", nil, "Cookie", cookie)
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page.Body.String())
	if m == nil {
		f.t.Fatalf("the account page (%d) carries no CSRF token", page.Code)
	}
	return m[1]
}

// loginAs logs in through the form and returns the session cookie header value.
func (s *secure) loginAs(name, password string) string {
	s.t.Helper()
	form := url.Values{"username": {name}, "password": {password}}
	rec := s.send(http.MethodPost, "/login", strings.NewReader(form.Encode()), "Sec-Fetch-Site", "same-origin")
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	s.t.Fatalf("login as %s: %d, no session cookie", name, rec.Code)
	return ""
}

// loggedIn reports whether a session cookie still opens a page.
func (s *secure) loggedIn(cookie string) bool {
	return s.send(http.MethodGet, "/jobs", nil, "Cookie", cookie).Code == http.StatusOK
}

// postPage posts a form as a page of the session would: with its CSRF token.
func (s *secure) postPage(cookie, target string, form url.Values) int {
	s.t.Helper()
	form.Set("_csrf", s.pageToken(cookie))
	return s.send(http.MethodPost, target, strings.NewReader(form.Encode()), "Cookie", cookie).Code
}

// basicJSON sends a JSON request with HTTP Basic credentials.
func (s *secure) basicJSON(method, target, user, password, body string) (int, map[string]any) {
	s.t.Helper()
	return s.callJSON(method, target, "Basic "+basic(user, password), body)
}

// bearerJSON sends a JSON request with an API token.
func (s *secure) bearerJSON(method, target, token, body string) (int, map[string]any) {
	s.t.Helper()
	return s.callJSON(method, target, "Bearer "+token, body)
}

// callJSON sends a JSON request with an Authorization header and decodes the JSON answer.
func (s *secure) callJSON(method, target, authorization, body string) (int, map[string]any) {
	s.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	rec := s.send(method, target, r, "Content-Type", "application/json", "Authorization", authorization)
	var out map[string]any
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && len(bytes.TrimSpace(rec.Body.Bytes())) > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			s.t.Fatalf("decode %s: %v", rec.Body, err)
		}
	}
	return rec.Code, out
}

// logLines are the JSON log lines with the message msg.
func (s *secure) logLines(msg string) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.logs.String()))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
			out = append(out, line)
		}
	}
	return out
}
