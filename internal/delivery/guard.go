package delivery

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"time"
)

// Timeouts of a delivery call. Each attempt as a whole is bounded by the engine's
// AttemptTimeout (a context deadline); these bound its phases, so that a stalled peer fails fast.
const (
	// DefaultAttemptTimeout is Voucherify's documented limit for one call to a target.
	DefaultAttemptTimeout = 10 * time.Second
	// dialTimeout bounds connecting to one resolved address.
	dialTimeout = 5 * time.Second
	// tlsHandshakeTimeout bounds the TLS handshake after connecting.
	tlsHandshakeTimeout = 5 * time.Second
	// idleConnTimeout is how long a kept-alive connection to a target may sit unused.
	idleConnTimeout = 60 * time.Second
	// keepAlive is the TCP keep-alive probe interval of open connections.
	keepAlive = 30 * time.Second
	// http2PingAfter is how long an HTTP/2 connection may be silent before it is health-checked;
	// http2PingTimeout how long the ping's answer may take before the connection is dropped.
	http2PingAfter   = 30 * time.Second
	http2PingTimeout = 5 * time.Second
)

// NewTransport returns the transport deliveries go out through. Its dialer checks the address a
// name resolved to, just before connecting, so DNS cannot smuggle a request into the service's
// own network: loopback, private, link-local (cloud metadata included), multicast and
// unspecified addresses are refused unless an allowed prefix covers them. rootCAs, when given,
// replaces the system's trusted roots (tests serve TLS with their own certificates). The
// response-header timeout is DefaultAttemptTimeout; the engine sets it to its own attempt timeout.
func NewTransport(allowed []netip.Prefix, rootCAs *x509.CertPool) *http.Transport {
	return NewTransportAllowing(allowed, nil, rootCAs)
}

// NewTransportAllowing is NewTransport that may also reach exactly the given addresses (IP and
// port), such as the service's own inspector, without opening the rest of their network.
func NewTransportAllowing(allowed []netip.Prefix, exact []netip.AddrPort, rootCAs *x509.CertPool) *http.Transport {
	dialer := &net.Dialer{
		Timeout:   dialTimeout,
		KeepAlive: keepAlive,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("refused: %q is not an IP address and port", address)
			}
			ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
			if slices.Contains(exact, ap) {
				return nil
			}
			return checkAddr(ap.Addr(), allowed)
		},
	}
	return &http.Transport{
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: rootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ResponseHeaderTimeout:  DefaultAttemptTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        idleConnTimeout,
		ForceAttemptHTTP2:      true,
		HTTP2:                  &http.HTTP2Config{SendPingTimeout: http2PingAfter, PingTimeout: http2PingTimeout},
	}
}

// tuneTransport lets a response take as long as an attempt may (a transport's fixed
// response-header timeout would otherwise cut attempts the operator allowed more time) and keeps
// as many idle connections per host as calls may be in flight to it, so they are reused.
func tuneTransport(rt http.RoundTripper, attempt time.Duration, perHost int) http.RoundTripper {
	t, ok := rt.(*http.Transport)
	if !ok {
		return rt
	}
	t = t.Clone()
	t.ResponseHeaderTimeout = attempt
	t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, perHost)
	return t
}

// ErrTargetNotAllowed is what tenants are told when the guard refuses a target: never the
// address a name resolved to, which would let them map the service's internal DNS.
var ErrTargetNotAllowed = errors.New("target address is not allowed")

// RefusedAddressError is the guard's refusal; Addr is for operators' debug logs only.
type RefusedAddressError struct{ Addr netip.Addr }

func (e *RefusedAddressError) Error() string { return ErrTargetNotAllowed.Error() }
func (e *RefusedAddressError) Unwrap() error { return ErrTargetNotAllowed }

// AddrAllowed reports whether deliveries may connect to ip: a public address, or one an
// allowed prefix covers. It is the one place that decides, at registration and at dial time.
func AddrAllowed(ip netip.Addr, allowed []netip.Prefix) bool {
	return checkAddr(ip.Unmap(), allowed) == nil
}

func checkAddr(ip netip.Addr, allowed []netip.Prefix) error {
	for _, p := range allowed {
		if p.Contains(ip) {
			return nil
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsValid() || isSpecialPurpose(ip) {
		return &RefusedAddressError{Addr: ip}
	}
	return nil
}

// CallError describes a failed call for tenants: the guard's refusal as ErrTargetNotAllowed and
// network errors without the addresses involved (resolved IPs, the resolver's address).
func CallError(err error) error {
	var refused *RefusedAddressError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &refused):
		return ErrTargetNotAllowed
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return errors.New("the host name does not resolve")
		}
		return errors.New("the host name cannot be resolved")
	case errors.As(err, &opErr):
		var sysErr *os.SyscallError
		if opErr.Timeout() {
			return fmt.Errorf("%s: timed out", opErr.Op)
		}
		if errors.As(opErr.Err, &sysErr) {
			return fmt.Errorf("%s: %w", opErr.Op, sysErr.Err)
		}
		return fmt.Errorf("%s failed", opErr.Op)
	}
	return err
}

// specialPurpose are ranges that are neither public nor covered by netip's predicates.
var specialPurpose = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("::ffff:0:0/96"),   // mapped (checked unmapped)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
}

func isSpecialPurpose(ip netip.Addr) bool {
	for _, p := range specialPurpose {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParsePrefixes reads a comma-separated list of CIDRs.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("allowed target %q: %w", s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
