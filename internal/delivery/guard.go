package delivery

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"syscall"
	"time"
)

// NewTransport returns the transport deliveries go out through. Its dialer checks the address a
// name resolved to, just before connecting, so DNS cannot smuggle a request into the service's
// own network: loopback, private, link-local (cloud metadata included), multicast and
// unspecified addresses are refused unless an allowed prefix covers them. rootCAs, when given,
// replaces the system's trusted roots (tests serve TLS with their own certificates).
func NewTransport(allowed []netip.Prefix, rootCAs *x509.CertPool) *http.Transport {
	return NewTransportAllowing(allowed, nil, rootCAs)
}

// NewTransportAllowing is NewTransport that may also reach exactly the given addresses (IP and
// port), such as the service's own inspector, without opening the rest of their network.
func NewTransportAllowing(allowed []netip.Prefix, exact []netip.AddrPort, rootCAs *x509.CertPool) *http.Transport {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
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
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: rootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// ErrRefusedAddress marks a target the SSRF guard would not connect to.
type ErrRefusedAddress struct{ Addr netip.Addr }

func (e ErrRefusedAddress) Error() string {
	return fmt.Sprintf("refused: %s is not a public address", e.Addr)
}

func checkAddr(ip netip.Addr, allowed []netip.Prefix) error {
	for _, p := range allowed {
		if p.Contains(ip) {
			return nil
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsValid() || isSpecialPurpose(ip) {
		return ErrRefusedAddress{Addr: ip}
	}
	return nil
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
