package queries

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// cannotPass says why a failed connection attempt cannot succeed by waiting, or "" if it may: a
// database that does not exist, credentials refused, a host name that does not exist, TLS refused
// or not trusted. PostgreSQL that is still starting, refusing connections or slow to answer may
// come up, so those are retried.
//
// With several hosts (or TLS tried before plain), err joins one error per attempt; it cannot pass
// only if none of them can: one host may be down while another is being restarted.
func cannotPass(err error) string {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		reason := ""
		for _, e := range joined.Unwrap() {
			if reason = cannotPass(e); reason == "" {
				return ""
			}
		}
		return reason
	}
	if reason := reasonOf(err); reason != "" {
		return reason
	}
	if next := errors.Unwrap(err); next != nil {
		return cannotPass(next)
	}
	return ""
}

// reasonOf classifies err itself, not what it wraps.
func reasonOf(err error) string {
	switch e := err.(type) {
	case *pgconn.PgError:
		switch {
		case e.Code == "3D000":
			return "the database does not exist"
		case strings.HasPrefix(e.Code, "28"): // 28000, 28P01: invalid authorization
			return "PostgreSQL refused the user or password"
		case e.Code == "42501":
			return "the user may not connect to this database"
		}
	case *net.DNSError:
		if e.IsNotFound {
			return "the host name does not exist"
		}
	case *tls.CertificateVerificationError, x509.UnknownAuthorityError, x509.HostnameError,
		x509.CertificateInvalidError:
		return "PostgreSQL's TLS certificate is not trusted"
	}
	// pgconn has no type for it.
	if err.Error() == "server refused TLS connection" {
		return "PostgreSQL refused TLS, which the URL's sslmode requires"
	}
	return ""
}
