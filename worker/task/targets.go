package task

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrPrivateTarget is the error of a connection refused by CRONFLOW_ALLOW_PRIVATE_TARGETS=false.
var ErrPrivateTarget = errors.New("private, loopback, link-local, reserved and this host's own addresses are not allowed (CRONFLOW_ALLOW_PRIVATE_TARGETS=false)")

// refusePrivate is a net.Dialer Control function: it runs after DNS resolution, on the very address
// about to be connected to, and refuses addresses inside private networks.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("refuse %s: %w", address, err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("refuse %s: %w", address, err)
	}
	if privateAddr(addr) {
		return fmt.Errorf("refused to connect to %s: %w", addr, ErrPrivateTarget)
	}
	return nil
}

// privateAddr reports whether addr is one that a job must not reach when private targets are not
// allowed: a special-purpose range (see refusedPrefixes; cloud metadata services such as
// 169.254.169.254 and fd00:ec2::254 are link-local or private), an IPv4 address of such a range
// embedded in an IPv6 one, or an address of this host.
func privateAddr(addr netip.Addr) bool {
	return specialPurpose(addr) || hostAddresses.has(addr)
}
