package delivery

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestAddrAllowed(t *testing.T) {
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
		if got := AddrAllowed(netip.MustParseAddr(tc.addr), tc.allowed); got != tc.want {
			t.Errorf("AddrAllowed(%s, %v) = %v, want %v", tc.addr, tc.allowed, got, tc.want)
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

func TestTheResponseMayTakeAsLongAsTheAttempt(t *testing.T) {
	t.Parallel()
	for _, attempt := range []time.Duration{2 * time.Second, 30 * time.Second, 2 * time.Minute} {
		e := New(nil, Config{AttemptTimeout: attempt, Transport: NewTransport(nil, nil)})
		tr := e.client.Transport.(*http.Transport)
		if tr.ResponseHeaderTimeout != attempt {
			t.Errorf("AttemptTimeout %s: ResponseHeaderTimeout = %s", attempt, tr.ResponseHeaderTimeout)
		}
		if tr.TLSHandshakeTimeout != tlsHandshakeTimeout || tr.IdleConnTimeout != idleConnTimeout || tr.DialContext == nil ||
			tr.HTTP2 == nil || tr.HTTP2.SendPingTimeout != http2PingAfter {
			t.Errorf("timeouts not set: %+v", tr)
		}
	}
	if e := New(nil, Config{}); e.client.Transport.(*http.Transport).ResponseHeaderTimeout != DefaultAttemptTimeout {
		t.Error("the default transport does not follow the default attempt timeout")
	}
}
