package kit

import (
	"net/netip"
	"testing"

	"github.com/webhookd/webhookd/internal/egress"
)

// The egress package tests the rules; here, that registration applies them with the allowances.
func TestTargetPolicy(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	inspector := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")}
	for _, tc := range []struct {
		policy TargetPolicy
		url    string
		want   bool
	}{
		{NewTargetPolicy(egress.Policy{}), "https://example.com/hook", true},
		{NewTargetPolicy(egress.Policy{}), "http://127.0.0.1:8080/hook", false},
		{NewTargetPolicy(egress.Policy{}), "http://10.0.0.5/", false},
		{NewTargetPolicy(egress.Policy{Allowed: loopback}), "http://127.0.0.1:8080/hook", true},
		{NewTargetPolicy(egress.Policy{Allowed: loopback}), "http://10.0.0.5/", false},
		{NewTargetPolicy(egress.Policy{Exact: inspector}), "http://127.0.0.1:8080/inspector/v1/requests", true},
		{NewTargetPolicy(egress.Policy{Exact: inspector}), "http://127.0.0.1:8081/", false},
		{TargetPolicy{}, "http://127.0.0.1/", true},
	} {
		if got := tc.policy.Allows(tc.url); got != tc.want {
			t.Errorf("%+v allows(%q) = %v, want %v", tc.policy.egress, tc.url, got, tc.want)
		}
	}
}
