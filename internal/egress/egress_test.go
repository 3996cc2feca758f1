package egress

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestAllowsAddr(t *testing.T) {
	t.Parallel()
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	for _, tc := range []struct {
		addr    string
		allowed []netip.Prefix
		want    bool
	}{
		{"93.184.216.34", nil, true},
		{"2606:2800:220:1:248:1893:25c8:1946", nil, true},
		{"127.0.0.1", nil, false},
		{"127.0.0.1", loopback, true},
		{"::1", loopback, false},
		{"::ffff:127.0.0.1", loopback, true},
		{"::ffff:10.0.0.1", nil, false},
		{"10.1.2.3", nil, false},
		{"172.16.0.1", nil, false},
		{"192.168.1.1", nil, false},
		{"169.254.169.254", nil, false},
		{"fe80::1", nil, false},
		{"fd00::1", nil, false},
		{"0.0.0.0", nil, false},
		{"::", nil, false},
		{"100.64.0.1", nil, false},
		{"224.0.0.1", nil, false},
		{"192.0.0.8", nil, false},
		{"198.18.0.1", nil, false},
		{"240.0.0.1", nil, false},
		{"192.0.2.1", nil, false},
		{"198.51.100.1", nil, false},
		{"203.0.113.1", nil, false},
		{"2001:db8::1", nil, false},
		{"64:ff9b:1::1", nil, false},
		{"100::1", nil, false},
		{"fec0::1", nil, false},
		{"198.20.0.1", nil, true}, // just past the benchmarking range
	} {
		ap := netip.AddrPortFrom(netip.MustParseAddr(tc.addr), 443)
		if got := (Policy{Allowed: tc.allowed}).AllowsAddr(ap); got != tc.want {
			t.Errorf("AllowsAddr(%s) with %v = %v, want %v", ap, tc.allowed, got, tc.want)
		}
	}
	if (Policy{}).AllowsAddr(netip.AddrPort{}) {
		t.Error("the zero address is allowed")
	}
}

func TestAnExactAddressIsThatAddressAndPortOnly(t *testing.T) {
	t.Parallel()
	p := Policy{Exact: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")}}
	for addr, want := range map[string]bool{
		"127.0.0.1:8080":          true,
		"[::ffff:127.0.0.1]:8080": true,
		"127.0.0.1:8081":          false,
		"127.0.0.2:8080":          false,
		"[::1]:8080":              false,
	} {
		if got := p.AllowsAddr(netip.MustParseAddrPort(addr)); got != want {
			t.Errorf("AllowsAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestAllowsURL(t *testing.T) {
	t.Parallel()
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
		{"http://10.0.0.5:99999/", nil, false},
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
		if got := (Policy{Allowed: tc.allowed}).AllowsURL(tc.url); got != tc.want {
			t.Errorf("AllowsURL(%q) with %v = %v, want %v", tc.url, tc.allowed, got, tc.want)
		}
	}
	inspector := Policy{Exact: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")}}
	for url, want := range map[string]bool{
		"http://127.0.0.1:8080/inspector/v1/requests": true,
		"http://127.0.0.1:8081/":                      false,
		"http://127.0.0.1/":                           false,
		"https://127.0.0.1:8080/":                     true,
	} {
		if got := inspector.AllowsURL(url); got != want {
			t.Errorf("with one exact address, AllowsURL(%q) = %v, want %v", url, got, want)
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		list string
		want []netip.Prefix
		ok   bool
	}{
		{"", nil, true},
		{",", nil, true},
		{"127.0.0.0/8,,::1/128", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, true},
		{"127.0.0.0/8, 10.0.0.0/8", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}, true},
		{"10.1.2.3/8", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, true}, // masked
		{"127.0.0.1", nil, false},
		{"127.0.0.0/8,loopback", nil, false},
	} {
		got, err := ParsePrefixes(c.list)
		if (err == nil) != c.ok || len(got) != len(c.want) {
			t.Errorf("ParsePrefixes(%q) = %v, %v", c.list, got, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("ParsePrefixes(%q)[%d] = %v, want %v", c.list, i, got[i], c.want[i])
			}
		}
	}
}

func TestCallErrorHidesAddresses(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.ParseIP("10.0.0.7"), Port: 443},
		Err: &RefusedAddressError{Addr: netip.MustParseAddr("10.0.0.7")}}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{refused, "target address is not allowed"},
		{fmt.Errorf("wrapped: %w", refused), "target address is not allowed"},
		{&net.DNSError{Err: "no such host", Name: "intranet.example", Server: "10.0.0.53:53", IsNotFound: true}, "the host name does not resolve"},
		{&net.DNSError{Err: "server misbehaving", Name: "intranet.example", Server: "10.0.0.53:53"}, "the host name cannot be resolved"},
		{&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.ParseIP("10.0.0.7"), Port: 443},
			Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "dial: connection refused"},
		{errors.New("tls: handshake failure"), "tls: handshake failure"},
	} {
		got := CallError(tc.err).Error()
		if got != tc.want || strings.Contains(got, "10.0.0") {
			t.Errorf("CallError(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if !errors.Is(CallError(refused), ErrTargetNotAllowed) {
		t.Error("a refusal is not ErrTargetNotAllowed")
	}
}
