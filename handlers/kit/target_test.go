package kit

import (
	"net/netip"
	"testing"
)

func TestTargetPolicy(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	for _, tc := range []struct {
		url     string
		allowed []netip.Prefix
		want    bool
	}{
		{"https://example.com/hook", nil, true},
		{"https://localhost/hook", nil, true}, // names are checked when they resolve, at dial time
		{"https://93.184.216.34/hook", nil, true},
		{"https://[2606:2800:220:1::1]:8443/", nil, true},
		{"http://127.0.0.1:8080/hook", nil, false},
		{"http://127.0.0.1:8080/hook", loopback, true},
		{"http://10.0.0.5/", nil, false},
		{"http://10.0.0.5/", loopback, false},
		{"http://192.168.1.1/", nil, false},
		{"http://169.254.169.254/latest/meta-data/", nil, false},
		{"http://0.0.0.0/", nil, false},
		{"http://[::1]/", nil, false},
		{"http://[::]/", nil, false},
		{"http://[fe80::1%25eth0]/", nil, false},
		{"http://[::ffff:10.0.0.1]/", nil, false},
		{" http://10.0.0.5/ ", nil, false},
		{"crm-script-7", nil, true},
		{"://bad", nil, true},
	} {
		if got := NewTargetPolicy(tc.allowed, nil).Allows(tc.url); got != tc.want {
			t.Errorf("allows(%q) with %v = %v, want %v", tc.url, tc.allowed, got, tc.want)
		}
	}
	inspector := NewTargetPolicy(nil, []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")})
	for url, want := range map[string]bool{
		"http://127.0.0.1:8080/inspector/v1/requests": true,
		"http://127.0.0.1:8081/":                      false,
		"http://127.0.0.1/":                           false,
		"https://127.0.0.1:8080/":                     true,
	} {
		if got := inspector.Allows(url); got != want {
			t.Errorf("with one exact address, allows(%q) = %v, want %v", url, got, want)
		}
	}
	if !(TargetPolicy{}).Allows("http://127.0.0.1/") {
		t.Error("the zero policy refused a target")
	}
}
