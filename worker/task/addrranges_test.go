package task

import (
	"net"
	"net/netip"
	"testing"
)

func TestTheDialCheckRefusesSpecialPurposeAddresses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		addr    string
		refused bool
		why     string
	}{
		{"0.0.0.0", true, "this host"},
		{"0.1.2.3", true, "this network, beyond 0.0.0.0"},
		{"10.1.2.3", true, "private"},
		{"100.100.100.200", true, "shared address space (a cloud's metadata)"},
		{"127.0.0.1", true, "loopback"},
		{"127.255.0.9", true, "loopback, anywhere in 127/8"},
		{"169.254.169.254", true, "link-local: cloud metadata"},
		{"172.16.0.1", true, "private"},
		{"192.0.0.8", true, "IETF protocol assignments"},
		{"192.0.0.170", true, "NAT64 discovery"},
		{"192.0.2.10", true, "documentation"},
		{"192.88.99.1", true, "6to4 relay anycast"},
		{"192.168.1.1", true, "private"},
		{"198.18.0.1", true, "benchmarking"},
		{"198.19.255.254", true, "benchmarking, the second /16"},
		{"198.51.100.7", true, "documentation"},
		{"203.0.113.7", true, "documentation"},
		{"224.0.0.1", true, "multicast"},
		{"240.0.0.1", true, "reserved"},
		{"255.255.255.255", true, "limited broadcast"},
		{"::", true, "unspecified"},
		{"::1", true, "loopback"},
		{"::127.0.0.1", true, "IPv4-compatible"},
		{"::ffff:127.0.0.1", true, "IPv4-mapped loopback"},
		{"::ffff:10.0.0.1", true, "IPv4-mapped private"},
		{"64:ff9b::10.0.0.1", true, "NAT64 of a private address"},
		{"64:ff9b::169.254.169.254", true, "NAT64 of the metadata address"},
		{"64:ff9b:1::1", true, "local-use NAT64"},
		{"2002:0a00:0001::1", true, "6to4 of 10.0.0.1"},
		{"2002:7f00:0001::", true, "6to4 of 127.0.0.1"},
		{"100::1", true, "discard-only"},
		{"2001::1", true, "Teredo"},
		{"2001:2::1", true, "benchmarking"},
		{"2001:db8::1", true, "documentation"},
		{"3fff::1", true, "documentation"},
		{"5f00::1", true, "segment routing"},
		{"fd00:ec2::254", true, "unique local: cloud metadata"},
		{"fe80::1", true, "link-local"},
		{"fe80::1%eth0", true, "link-local with a zone"},
		{"fec0::1", true, "site-local"},
		{"ff02::1", true, "multicast"},

		{"1.1.1.1", false, "public"},
		{"93.184.215.14", false, "public"},
		{"100.63.255.255", false, "just below the shared address space"},
		{"198.20.0.1", false, "just above benchmarking"},
		{"192.31.196.1", false, "AS112, globally reachable"},
		{"2606:4700:4700::1111", false, "public"},
		{"::ffff:1.1.1.1", false, "IPv4-mapped public"},
		{"64:ff9b::1.1.1.1", false, "NAT64 of a public address"},
		{"2002:0101:0101::1", false, "6to4 of 1.1.1.1"},
		{"2001:4:112::1", false, "AS112-v6, globally reachable"},
		{"2001:20::1", false, "ORCHIDv2, globally reachable"},
		{"2620:4f:8000::1", false, "AS112 direct delegation, globally reachable"},
	} {
		if got := privateAddr(netip.MustParseAddr(tt.addr)); got != tt.refused {
			t.Errorf("%s (%s): refused = %v, want %v", tt.addr, tt.why, got, tt.refused)
		}
	}
}

func TestTheDialCheckRefusesTheHostsOwnAddresses(t *testing.T) {
	t.Parallel()
	t.Run("EveryInterfaceAddress", func(t *testing.T) {
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			t.Skipf("no interface addresses: %v", err)
		}
		for _, a := range addrs {
			p, err := netip.ParsePrefix(a.String())
			if err != nil {
				continue
			}
			if !privateAddr(p.Addr()) {
				t.Errorf("%s is an address of this host, but it is not refused", p.Addr())
			}
		}
	})
	t.Run("APublicAddressOfTheHost", func(t *testing.T) {
		own := &ownAddresses{list: func() ([]net.Addr, error) {
			return []net.Addr{&net.IPNet{IP: net.ParseIP("93.184.215.14"), Mask: net.CIDRMask(24, 32)}}, nil
		}}
		if !own.has(netip.MustParseAddr("93.184.215.14")) || !own.has(netip.MustParseAddr("::ffff:93.184.215.14")) {
			t.Error("the host's own public address is not recognised")
		}
		if own.has(netip.MustParseAddr("93.184.215.15")) {
			t.Error("a neighbour of the host's address is taken for the host's")
		}
	})
}

func TestTheDialCheckRunsOnTheResolvedAddress(t *testing.T) {
	t.Parallel()
	for addr, refused := range map[string]bool{"127.0.0.1:80": true, "[::ffff:10.0.0.1]:443": true, "[64:ff9b::a00:1]:80": true, "1.1.1.1:443": false} {
		if err := (TargetRules{}).control("example.com")("tcp", addr, nil); (err != nil) != refused {
			t.Errorf("the dial check of %s = %v, want refused %v", addr, err, refused)
		}
	}
}
