package kit

import (
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/webhookd/webhookd/internal/delivery"
)

// TargetPolicy refuses, at registration, a webhook URL whose host is a literal IP address that
// deliveries may not connect to (delivery.AddrAllowed: private, loopback, link-local,
// unspecified… unless WEBHOOKS_ALLOWED_TARGETS covers it). Host names are not resolved here, to
// keep DNS out of the request path: the delivery transport's guard checks what they resolve to
// when it connects. The zero policy checks nothing; handlers.New sets the configured one.
type TargetPolicy struct {
	enforced bool
	allowed  []netip.Prefix
	exact    []netip.AddrPort
}

// NewTargetPolicy enforces the delivery guard's rules, with the operator's allowances.
func NewTargetPolicy(allowed []netip.Prefix, exact []netip.AddrPort) TargetPolicy {
	return TargetPolicy{enforced: true, allowed: allowed, exact: exact}
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

// TargetRefusal is how every dialect words a refused target; it names no address but the
// caller's own.
const TargetRefusal = "must not point at a private, loopback, link-local or unspecified address"

// Allows reports whether raw may be stored as a webhook's target. URLs that do not parse are
// left to the dialect's URL checks.
func (p TargetPolicy) Allows(raw string) bool {
	if !p.enforced {
		return true
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return true
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return true // a host name, or no host at all
	}
	if port, err := strconv.ParseUint(urlPort(u), 10, 16); err == nil && slices.Contains(p.exact, netip.AddrPortFrom(ip.Unmap(), uint16(port))) {
		return true
	}
	return delivery.AddrAllowed(ip, p.allowed)
}
