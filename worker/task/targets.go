package task

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
)

// The errors of a connection the target rules refuse. They name the rule, never the address that
// was about to be dialled: a job's author must not learn what an internal name resolves to.
var (
	// ErrPrivateTarget refuses private, loopback, link-local, reserved and this host's own addresses.
	ErrPrivateTarget = errors.New("private, loopback, link-local, reserved and this host's own addresses are refused " +
		"(allow them with CRONFLOW_ALLOWED_TARGETS or CRONFLOW_ALLOW_PRIVATE_TARGETS=true)")
	// ErrMetadataTarget refuses cloud metadata addresses, which hand out the host's credentials.
	ErrMetadataTarget = errors.New("cloud metadata addresses are refused unless CRONFLOW_ALLOWED_TARGETS lists them")
)

// metadataPrefixes are the addresses of cloud metadata and credential services: refused even with
// private targets allowed, unless a network of CRONFLOW_ALLOWED_TARGETS holds them.
var metadataPrefixes = []netip.Prefix{
	netip.MustParsePrefix("169.254.169.254/32"), // AWS, GCP, Azure, Oracle, OpenStack, DigitalOcean, ...
	netip.MustParsePrefix("169.254.170.2/32"),   // AWS ECS task credentials
	netip.MustParsePrefix("169.254.170.23/32"),  // AWS EKS pod identity
	netip.MustParsePrefix("169.254.0.23/32"),    // Tencent Cloud
	netip.MustParsePrefix("169.254.42.42/32"),   // Scaleway
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud
	netip.MustParsePrefix("192.0.0.192/32"),     // Oracle Cloud, legacy
	netip.MustParsePrefix("168.63.129.16/32"),   // Azure WireServer: a public address, but the host's own channel
	netip.MustParsePrefix("fd00:ec2::/32"),      // AWS IMDS (fd00:ec2::254), EKS pod identity (fd00:ec2::23)
	netip.MustParsePrefix("fd00:42::42/128"),    // Scaleway
}

// TargetRules say which addresses HTTP tasks, and so notification channels, may connect to. The
// zero value is the default: public addresses only.
type TargetRules struct {
	// AllowPrivate lets requests reach private, loopback, link-local, reserved and this host's own
	// addresses (CRONFLOW_ALLOW_PRIVATE_TARGETS); cloud metadata addresses stay refused.
	AllowPrivate bool
	// Allowed are the networks and host names a deployment wants to reach whatever AllowPrivate
	// says (CRONFLOW_ALLOWED_TARGETS).
	Allowed AllowedTargets
}

// AllowedTargets are the entries of CRONFLOW_ALLOWED_TARGETS. A network allows every address in
// it, metadata addresses included; a host name allows the private addresses it resolves to, but
// not a metadata address, since whoever answers for the name chooses where it points.
type AllowedTargets struct {
	Networks []netip.Prefix
	// Hosts are lower-case names without a trailing dot.
	Hosts []string
}

// ParseAllowedTargets reads a comma-separated list of networks (10.0.0.0/8), addresses and host
// names (grafana.internal), and returns a problem per entry that is none of these.
func ParseAllowedTargets(s string) (AllowedTargets, []string) {
	var out AllowedTargets
	var problems []string
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if p, err := netip.ParsePrefix(entry); err == nil {
			out.Networks = append(out.Networks, p.Masked())
		} else if a, err := netip.ParseAddr(entry); err == nil && a.Zone() == "" {
			out.Networks = append(out.Networks, netip.PrefixFrom(a, a.BitLen()))
		} else if name, ok := hostName(entry); ok {
			out.Hosts = append(out.Hosts, name)
		} else {
			problems = append(problems, fmt.Sprintf("has %q, which is not a network (10.0.0.0/8), an address or a host name", entry))
		}
	}
	return out, problems
}

// hostName returns s as a lower-case DNS name without its trailing dot, if it is one: labels of
// letters, digits, hyphens and underscores, not starting or ending with a hyphen.
func hostName(s string) (string, bool) {
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	if s == "" || len(s) > 253 {
		return "", false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", false
			}
		}
	}
	return s, true
}

// hostAllowed reports whether host, as a URL names it, is one of the allowed host names.
func (r TargetRules) hostAllowed(host string) bool {
	name, ok := hostName(host)
	return ok && slices.Contains(r.Allowed.Hosts, name)
}

// check returns nil if addr may be connected to, or the error of the rule that refuses it.
// byAllowedName says the address is what an allowed host name resolved to.
func (r TargetRules) check(addr netip.Addr, byAllowedName bool) error {
	addr = addr.WithZone("")
	plain := addr
	if v4, ok := embeddedIPv4(addr); ok {
		plain = v4
	}
	for _, p := range r.Allowed.Networks {
		if p.Contains(addr) || p.Contains(plain) {
			return nil
		}
	}
	for _, p := range metadataPrefixes {
		if p.Contains(plain) {
			return ErrMetadataTarget
		}
	}
	if r.AllowPrivate || byAllowedName || !privateAddr(addr) {
		return nil
	}
	return ErrPrivateTarget
}

// control returns the net.Dialer Control function of a connection to host, as the URL names it.
// It runs after DNS resolution, on the very address about to be connected to, so that a name that
// resolves (or rebinds) to a refused address is refused too.
func (r TargetRules) control(host string) func(network, address string, _ syscall.RawConn) error {
	byAllowedName := r.hostAllowed(host)
	return func(_, address string, _ syscall.RawConn) error {
		ip, _, err := net.SplitHostPort(address)
		if err != nil {
			return ErrPrivateTarget // the dialler always passes host:port; refuse what cannot be read
		}
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return ErrPrivateTarget
		}
		return r.check(addr, byAllowedName)
	}
}

// privateAddr reports whether addr is one that a job must not reach when private targets are not
// allowed: a special-purpose range (see refusedPrefixes), an IPv4 address of such a range embedded
// in an IPv6 one, or an address of this host.
func privateAddr(addr netip.Addr) bool {
	return specialPurpose(addr) || hostAddresses.has(addr)
}
