// Package format is what the delivery engine asks of a vendor's dialect: how a delivery is
// sent and signed, when it is retried, what follows giving up, and which events a subscription
// wants. Each dialect implements Format in its own package; the engine knows none by name.
package format

import (
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
