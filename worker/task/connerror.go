package task

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/cronflow/cronflow/queries/store/words"
)

// connFailure is a failed exchange described by what went wrong, in words of Cronflow's own. It
// unwraps to the original, so that callers can still tell a timeout or a refusal.
type connFailure struct {
	text string
	err  error
}

func (e *connFailure) Error() string { return e.text }
func (e *connFailure) Unwrap() error { return e.err }

// connError describes an error of net/http's client by the rule or the kind of failure, never by
// what answered or where: the errors of net and net/http quote the resolved address ("dial tcp
// 10.0.0.7:80") and the first bytes of a non-HTTP answer (`malformed HTTP status code "sink"`),
// which would turn a job's error into a port scanner and an internal DNS oracle for its author.
//
// target is where the request went as the job's URL names it (host:port, never the resolved
// address), and within how long the job had to answer: with them the failure is a sentence a
// person reads as it is ("nothing listens on 127.0.0.1:9399", "the target did not answer within
// 30 s"), so that pages need not reword it (views.ErrorWords does so only for older runs).
func connError(err error, target connTarget) error {
	err = unwrapURLError(err)
	if errors.Is(err, errTooManyRedirects) {
		return err
	}
	for _, rule := range []error{ErrMetadataTarget, ErrPrivateTarget} {
		if errors.Is(err, rule) {
			return Permanent(&connFailure{text: "refused by the target rules: " + rule.Error(), err: err},
				"the target rules refuse the address")
		}
	}
	return &connFailure{text: connProblem(err, target), err: err}
}

// connTarget is what a connection error may name: the host and port as the job's URL gives them
// ("" when unknown), and the time the job allowed (0 when unknown).
type connTarget struct {
	hostPort string
	within   time.Duration
}

// targetOf is the connTarget of a request to rawURL under ctx's deadline.
func targetOf(ctx context.Context, rawURL string) connTarget {
	var t connTarget
	if u, err := url.Parse(rawURL); err == nil && u.Hostname() != "" {
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		t.hostPort = u.Host
		if port != "" {
			t.hostPort = net.JoinHostPort(u.Hostname(), port)
		}
	}
	if deadline, ok := ctx.Deadline(); ok {
		t.within = time.Until(deadline).Round(time.Second)
	}
	return t
}

// connProblem says in a few words what kind of failure err is.
func connProblem(err error, target connTarget) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) && target.within > 0:
		return fmt.Sprintf("the target did not answer within %s", words.Duration(target.within))
	case errors.Is(err, context.DeadlineExceeded):
		return "the target did not answer in time"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fmt.Sprintf("look up %s: no such host", dnsErr.Name)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("look up %s: the name could not be resolved", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED) && target.hostPort != "":
		return "nothing listens on " + target.hostPort
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing listens at the target's address"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case errors.As(err, &certErr):
		return "TLS: the server's certificate is not trusted or not valid for this host"
	case errors.As(err, &recordErr):
		return "TLS: the server did not answer with TLS"
	case errors.As(err, &alert):
		return "TLS: the server refused the handshake"
	case strings.Contains(err.Error(), "response headers exceeded"):
		// net/http has no error value of its own for this one.
		return fmt.Sprintf("the answer's headers are larger than %d KiB", maxResponseHeaders>>10)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection closed before a full answer"
	}
	return "the target did not answer with valid HTTP"
}
