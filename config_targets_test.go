package main

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestConfigRefusesPrivateTargetsByDefault(t *testing.T) {
	t.Parallel()
	c, err := loadConfig("serve", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.Targets.AllowPrivate || len(c.Targets.Allowed.Networks) != 0 || len(c.Targets.Allowed.Hosts) != 0 {
		t.Fatalf("targets = %+v, want public addresses only", c.Targets)
	}
}

func TestConfigReadsAllowedTargets(t *testing.T) {
	t.Parallel()
	env := map[string]string{"CRONFLOW_ALLOWED_TARGETS": "10.0.0.0/8, 192.168.1.7,grafana.internal", "CRONFLOW_ALLOW_PRIVATE_TARGETS": "true"}
	c, err := loadConfig("serve", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}
	if !c.Targets.AllowPrivate || !slices.Equal(c.Targets.Allowed.Networks, want) || !slices.Equal(c.Targets.Allowed.Hosts, []string{"grafana.internal"}) {
		t.Fatalf("targets = %+v", c.Targets)
	}
	for value, entry := range map[string]string{"10.0.0.0/8,10.0.0.0/40": "10.0.0.0/40", "http://grafana.internal": "http://grafana.internal"} {
		env := map[string]string{"CRONFLOW_ALLOWED_TARGETS": value}
		if _, err := loadConfig("serve", func(k string) string { return env[k] }); err == nil ||
			!strings.Contains(err.Error(), "CRONFLOW_ALLOWED_TARGETS") || !strings.Contains(err.Error(), entry) {
			t.Errorf("CRONFLOW_ALLOWED_TARGETS=%s: %v, want an error naming the variable and %q", value, err, entry)
		}
	}
}
