package views

import (
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Errors as people read them (issue 27). The task layer words a connection failure itself
// (worker/task/connerror.go: "nothing listens on 127.0.0.1:9399"); the rewriting below is only
// for errors stored by older releases, which quoted the transport's words, and leaves new ones
// as they are. It never adds an address the error did not name: a connection error names
// the host as the job's URL gives it, never the address it resolved to (issue 20).
var (
	// refusedURL is an HTTP task's refused connection: "POST http://host:port/path: connection refused".
	refusedURL = regexp.MustCompile(`^([A-Z]+) (\S+): connection refused$`)
	// dialRefused is Go's own wording, from older runs or other tasks: "dial tcp 10.0.0.7:80: connect: connection refused".
	dialRefused = regexp.MustCompile(`dial tcp \S+: connect: connection refused`)
)

// goWords are Go's error texts that reach a page, in people's words.
var goWords = strings.NewReplacer(
	"context deadline exceeded", "no answer in time",
	"i/o timeout", "timed out",
	"connection reset by peer", "the connection was reset",
)

// ErrorWords is an error as a page shows it: "GET http://127.0.0.1:9399/: nothing listens on
// 127.0.0.1:9399" for a refused connection, Go's phrases in words, anything else as it is.
func ErrorWords(s string) string {
	if m := refusedURL.FindStringSubmatch(s); m != nil {
		if hp := hostPort(m[2]); hp != "" {
			return m[1] + " " + m[2] + ": nothing listens on " + hp
		}
	}
	s = dialRefused.ReplaceAllString(s, "nothing listens at the target's address")
	return goWords.Replace(s)
}

// hostPort is the host and port a URL's request goes to, the port from the scheme if the URL
// gives none; "" if the URL does not parse.
func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port == "" {
		return u.Hostname()
	}
	return net.JoinHostPort(u.Hostname(), port)
}
