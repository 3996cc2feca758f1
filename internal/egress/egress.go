// Package egress is the one policy for where the service's outgoing calls may go: webhook
// deliveries and SuperOffice's test calls. An address is refused when it is loopback, private,
// link-local (cloud metadata included), multicast, unspecified or of another special purpose,
// unless the operator allowed its range (Policy.Allowed) or that exact address and port
// (Policy.Exact, such as the built-in inspector).
//
// The policy is applied twice: when a webhook is registered, to a URL whose host is a literal
// IP (AllowsURL), so that the tenant is told at once; and by the transport's dialer, to the
// address a name resolved to just before connecting (Transport), so that DNS cannot smuggle a
// call into the service's own network.
package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Policy decides which addresses outgoing calls may reach. The zero Policy reaches public
// addresses only.
type Policy struct {
	// Allowed are ranges that may be reached although they are not public.
	Allowed []netip.Prefix
	// Exact are single addresses and ports that may be reached without opening their network.
	Exact []netip.AddrPort
}

// ErrTargetNotAllowed is what tenants are told when the policy refuses a target: never the
// address a name resolved to, which would let them map the service's internal DNS.
var ErrTargetNotAllowed = errors.New("target address is not allowed")

// RefusedAddressError is the policy's refusal; Addr is for operators' debug logs only.
type RefusedAddressError struct{ Addr netip.Addr }

func (e *RefusedAddressError) Error() string { return ErrTargetNotAllowed.Error() }
func (e *RefusedAddressError) Unwrap() error { return ErrTargetNotAllowed }

// Check returns nil when calls may connect to ap, else a *RefusedAddressError.
func (p Policy) Check(ap netip.AddrPort) error {
	ip := ap.Addr().Unmap()
	for _, e := range p.Exact {
		if e.Addr().Unmap() == ip && e.Port() == ap.Port() {
			return nil
		}
	}
	if slices.ContainsFunc(p.Allowed, func(pr netip.Prefix) bool { return pr.Contains(ip) }) || public(ip) {
		return nil
	}
	return &RefusedAddressError{Addr: ip}
}

// AllowsAddr reports whether calls may connect to ap.
func (p Policy) AllowsAddr(ap netip.AddrPort) bool { return p.Check(ap) == nil }

// AllowsURL reports whether raw may be stored as a webhook's target. Only a host that is a
// literal IP address is checked: names are not resolved, to keep DNS out of the request path
// (the transport checks what they resolve to). URLs that do not parse, or have no host, are
// left to the dialects' own URL checks.
func (p Policy) AllowsURL(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return true
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return true
	}
	// A port out of range matches no exact address; the address alone then decides.
	port, err := strconv.ParseUint(urlPort(u), 10, 16)
	if err != nil {
		port = 0
	}
	return p.AllowsAddr(netip.AddrPortFrom(ip, uint16(port)))
}

// urlPort is u's port, or its scheme's default.
func urlPort(u *url.URL) string {
	if port := u.Port(); port != "" {
		return port
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// public reports whether ip is an ordinary address on the internet.
func public(ip netip.Addr) bool {
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast() &&
		!ip.IsInterfaceLocalMulticast() && !ip.IsMulticast() && !ip.IsUnspecified() &&
		!slices.ContainsFunc(specialPurpose, func(p netip.Prefix) bool { return p.Contains(ip) })
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

// ParsePrefixes reads a comma-separated list of CIDRs (WEBHOOKS_ALLOWED_TARGETS); empty items
// are skipped and each prefix is masked.
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for s := range strings.SplitSeq(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
