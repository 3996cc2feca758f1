package kit

import (
	"github.com/webhookd/webhookd/internal/egress"
)

// TargetPolicy refuses, at registration, a webhook URL whose host is a literal IP address that
// deliveries may not connect to (egress.Policy.AllowsURL). Host names are checked when they
// resolve, by the delivery transport. The zero policy checks nothing; handlers.New sets the
// configured one.
type TargetPolicy struct {
	egress *egress.Policy
}

// NewTargetPolicy enforces p at registration.
func NewTargetPolicy(p egress.Policy) TargetPolicy { return TargetPolicy{egress: &p} }

// TargetRefusal is how every dialect words a refused target; it names no address but the
// caller's own.
const TargetRefusal = "must not point at a private, loopback, link-local or unspecified address"

// Allows reports whether raw may be stored as a webhook's target. URLs that do not parse are
// left to the dialect's URL checks.
func (p TargetPolicy) Allows(raw string) bool {
	return p.egress == nil || p.egress.AllowsURL(raw)
}
