package admin

import (
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// The rows of the console's operations (portal sessions, the subscription overview, delivery
// statistics) as they go on the wire, converted here and nowhere else.

// toPortalSession is a session without its token, which is never stored.
func toPortalSession(s db.PortalSession) gen.PortalSession {
	out := gen.PortalSession{Id: s.ID, CreatedAt: s.CreatedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC()}
	if s.RevokedAt.Valid {
		out.RevokedAt = kit.Ptr(s.RevokedAt.Time.UTC())
	}
	return out
}

func toSubscriptionSummary(s db.Subscription) gen.SubscriptionSummary {
	events := s.Events
	if events == nil {
		events = []string{}
	}
	return gen.SubscriptionSummary{
		Id: s.ID, Dialect: gen.SubscriptionSummaryDialect(s.Dialect), ExternalId: s.ExternalID, Name: s.Name,
		Url: s.Url, Events: events, State: subscriptionState(s), StatusReason: s.StatusReason,
		ConsecutiveFailures: int(s.ConsecutiveFailures), LastError: s.LastError,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}
}

// subscriptionState reduces the dialects' statuses (active, inactive, stopped, too_many_errors)
// to the console's three.
func subscriptionState(s db.Subscription) gen.SubscriptionSummaryState {
	switch {
	case s.Status != kit.StatusActive:
		return "disabled"
	case s.ConsecutiveFailures > 0:
		return "failing"
	}
	return "active"
}

func toStatsMinute(r db.AccountDeliveryStatsRow) gen.DeliveryStatsMinute {
	return gen.DeliveryStatsMinute{
		Minute: r.Minute.UTC(), Succeeded: int(r.Succeeded), Failed: int(r.Failed), P50Ms: r.P50Ms, P99Ms: r.P99Ms,
	}
}
