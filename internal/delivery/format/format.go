// Package format is what the delivery engine asks of a vendor's dialect: how a delivery is
// sent and signed, when it is retried, what follows giving up, and which events a subscription
// wants. Each dialect implements Format in its own package; the engine knows none by name.
package format

import (
	"database/sql"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
)

// Format is one vendor's delivery behaviour.
type Format interface {
	// Name is the dialect as subscriptions store it.
	Name() string
	// Request builds the call a delivery makes, signed as the vendor signs it. A format that
	// needs settings of its own (Arkyn's Discord bot) carries them in its value.
	Request(m Message) (Request, error)
	// Retry returns the delay before the next attempt after failures failed attempts, elapsed
	// after the first attempt, or false when the vendor gives up. Both are unscaled.
	Retry(failures int, elapsed time.Duration) (time.Duration, bool)
	// GiveUp returns the status and reason a subscription is stopped with once a delivery
	// exhausted its retries (after attempts attempts, streak deliveries failed in a row), or ""
	// when it stays active.
	GiveUp(attempts, streak int, lastError string) (status, reason string)
	// Matches tells whether an active subscription wants an event.
	Matches(s db.Subscription, ev Event) bool
}

// Message is one attempt at one delivery.
type Message struct {
	Event        db.Event
	Subscription db.Subscription
	Scope        db.Scope
	DeliveryID   uuid.UUID
	// Attempt counts from 0.
	Attempt   int
	RequestID string
	Now       time.Time
}

// Secrets are what a delivery is signed with: the current secret and, while a rotation's
// overlap window is open, the previous one, which keeps signing beside it until the window ends.
// Each format decides how its scheme carries the two.
type Secrets struct {
	Current string
	// Previous is "" outside a window.
	Previous string
}

// SubscriptionSecrets are the subscription's own secrets as they sign at m.Now.
func (m Message) SubscriptionSecrets() Secrets {
	s := m.Subscription
	return secretsAt(s.Secret, s.PreviousSecret, s.PreviousSecretUntil, m.Now)
}

// ScopeSecrets are the secrets of the subscription's scope (a Voucherify project's, which
// signs all the project's webhooks) as they sign at m.Now.
func (m Message) ScopeSecrets() Secrets {
	sc := m.Scope
	return secretsAt(sc.Secret, sc.PreviousSecret, sc.PreviousSecretUntil, m.Now)
}

// secretsAt keeps previous while its window is open at now. The window is decided at signing
// time, so a retry after the window ends is signed with the current secret only.
func secretsAt(current, previous string, until sql.NullTime, now time.Time) Secrets {
	s := Secrets{Current: current}
	if current != "" && previous != "" && until.Valid && now.Before(until.Time) {
		s.Previous = previous
	}
	return s
}

// Request is one call to make.
type Request struct {
	URL    string
	Header http.Header
	Body   []byte
}

// Event is what matching looks at.
type Event struct {
	Type       string
	Attributes map[string]string
	ScopeID    uuid.NullUUID
}

// FromSchedule is the usual retry rule: the nth delay of a fixed schedule, then give up.
func FromSchedule(schedule []time.Duration, failures int) (time.Duration, bool) {
	if failures < 1 || failures > len(schedule) {
		return 0, false
	}
	return schedule[failures-1], true
}
