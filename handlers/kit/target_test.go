package kit

import (
	"net/netip"
	"testing"
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
		{NewTargetPolicy(nil, nil), "https://example.com/hook", true},
		{NewTargetPolicy(nil, nil), "http://127.0.0.1:8080/hook", false},
		{NewTargetPolicy(nil, nil), "http://10.0.0.5/", false},
		{NewTargetPolicy(loopback, nil), "http://127.0.0.1:8080/hook", true},
		{NewTargetPolicy(loopback, nil), "http://10.0.0.5/", false},
		{NewTargetPolicy(nil, inspector), "http://127.0.0.1:8080/inspector/v1/requests", true},
		{NewTargetPolicy(nil, inspector), "http://127.0.0.1:8081/", false},
		{TargetPolicy{}, "http://127.0.0.1/", true},
	} {
		if got := tc.policy.Allows(tc.url); got != tc.want {
			t.Errorf("%+v allows(%q) = %v, want %v", tc.policy.egress, tc.url, got, tc.want)
		}
	}
}
