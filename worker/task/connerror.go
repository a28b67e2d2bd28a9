package task

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
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
func connError(err error) error {
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
	return &connFailure{text: connProblem(err), err: err}
}

// connProblem says in a few words what kind of failure err is.
func connProblem(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fmt.Sprintf("look up %s: no such host", dnsErr.Name)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("look up %s: the name could not be resolved", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
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
