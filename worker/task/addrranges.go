package task

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// refusedPrefixes are the special-purpose ranges of IANA's IPv4 and IPv6 registries
// (iana-ipv4-special-registry, iana-ipv6-special-registry) that are not globally reachable, with
// multicast, the deprecated site-local range and IPv4-compatible addresses: no HTTP task has
// business there when private targets are refused. Ranges the registries mark globally reachable
// (the AS112 and AMT anycast networks, 2001:3::/32, 2001:20::/28, ...) stay allowed, and ranges
// that embed an IPv4 address (NAT64, 6to4, IPv4-mapped) are judged by that address instead.
var refusedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		// IPv4
		"0.0.0.0/8",       // "this network" (RFC 791)
		"10.0.0.0/8",      // private (RFC 1918)
		"100.64.0.0/10",   // shared address space, carrier-grade NAT and some cloud metadata (RFC 6598)
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata (RFC 3927)
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments, DS-Lite, NAT64 discovery (RFC 6890)
		"192.0.2.0/24",    // documentation, TEST-NET-1 (RFC 5737)
		"192.88.99.0/24",  // deprecated 6to4 relay anycast (RFC 7526)
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking (RFC 2544)
		"198.51.100.0/24", // documentation, TEST-NET-2
		"203.0.113.0/24",  // documentation, TEST-NET-3
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved (RFC 1112), with 255.255.255.255, limited broadcast
		// IPv6
		"::/128",         // unspecified
		"::1/128",        // loopback
		"::/96",          // IPv4-compatible, deprecated (RFC 4291): never routed
		"64:ff9b:1::/48", // local-use IPv4/IPv6 translation (RFC 8215)
		"100::/64",       // discard-only (RFC 6666)
		"100:0:0:1::/64", // dummy prefix (RFC 9780)
		"2001::/23",      // IETF protocol assignments, Teredo included (RFC 2928); exceptions below
		"2001:db8::/32",  // documentation (RFC 3849)
		"3fff::/20",      // documentation (RFC 9637)
		"5f00::/16",      // segment routing SIDs (RFC 9602)
		"fc00::/7",       // unique local, cloud metadata such as fd00:ec2::254 (RFC 4193)
		"fe80::/10",      // link-local
		"fec0::/10",      // site-local, deprecated (RFC 3879)
		"ff00::/8",       // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// reachableExceptions are the globally reachable entries inside 2001::/23.
var reachableExceptions = []netip.Prefix{
	netip.MustParsePrefix("2001:1::1/128"),   // port control protocol anycast (RFC 7723)
	netip.MustParsePrefix("2001:1::2/128"),   // TURN anycast (RFC 8155)
	netip.MustParsePrefix("2001:1::3/128"),   // DNS-SD service registration anycast (RFC 9665)
	netip.MustParsePrefix("2001:3::/32"),     // AMT (RFC 7450)
	netip.MustParsePrefix("2001:4:112::/48"), // AS112-v6 (RFC 7535)
	netip.MustParsePrefix("2001:20::/28"),    // ORCHIDv2 (RFC 7343)
	netip.MustParsePrefix("2001:30::/28"),    // drone remote ID (RFC 9374)
}

// Ranges that carry an IPv4 address inside an IPv6 one.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96") // the address is the last 32 bits (RFC 6052)
	sixToFour   = netip.MustParsePrefix("2002::/16")    // the address is bits 16 to 47 (RFC 3056)
)

// embeddedIPv4 returns the IPv4 address that an IPv4-mapped, NAT64 or 6to4 address carries.
func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	if addr.Is4In6() {
		return addr.Unmap(), true
	}
	b := addr.As16()
	switch {
	case nat64Prefix.Contains(addr):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// specialPurpose reports whether addr is in a range a job may not reach when private targets are
// refused. An address that embeds an IPv4 one is judged by the IPv4 address.
func specialPurpose(addr netip.Addr) bool {
	addr = addr.WithZone("")
	if v4, ok := embeddedIPv4(addr); ok {
		return specialPurpose(v4)
	}
	for _, p := range reachableExceptions {
		if p.Contains(addr) {
			return false
		}
	}
	for _, p := range refusedPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ownAddresses are the addresses of this host's network interfaces: a job reaching one would reach
// Cronflow's own host, and what listens there on every address, by its public name. The list is
// read again every minute, since interfaces come and go.
type ownAddresses struct {
	mu   sync.Mutex
	read time.Time
	set  map[netip.Addr]bool
	// list reads the interfaces' addresses; a field so that tests can give their own.
	list func() ([]net.Addr, error)
}

var hostAddresses = &ownAddresses{list: net.InterfaceAddrs}

// has reports whether addr is one of the host's own.
func (o *ownAddresses) has(addr netip.Addr) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.set == nil || time.Since(o.read) > time.Minute {
		o.set, o.read = map[netip.Addr]bool{}, time.Now()
		addrs, _ := o.list() // on error the set stays empty: the ranges above still apply
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				o.set[p.Addr().Unmap().WithZone("")] = true
			}
		}
	}
	return o.set[addr.Unmap().WithZone("")]
}
