package task

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrPrivateTarget is the error of a connection refused by CRONFLOW_ALLOW_PRIVATE_TARGETS=false.
var ErrPrivateTarget = errors.New("private, loopback, link-local and cloud-metadata addresses are not allowed (CRONFLOW_ALLOW_PRIVATE_TARGETS=false)")

// sharedAddressSpace is 100.64.0.0/10 (RFC 6598): carrier-grade NAT, and where some clouds put
// their metadata service.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

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

// privateAddr reports whether addr is inside a network that a job must not reach when private
// targets are not allowed. Cloud metadata services (169.254.169.254, fd00:ec2::254) are link-local
// or private addresses, so they are covered.
func privateAddr(addr netip.Addr) bool {
	addr = addr.Unmap()
	return addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsUnspecified() || addr.IsMulticast() ||
		sharedAddressSpace.Contains(addr)
}
