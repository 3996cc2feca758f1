package admin

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// The one place where history's rows become the admin API's wire types.

// deliveryRow is a delivery as the listing and the look-up read it (the same columns).
type deliveryRow = db.ListAccountDeliveriesRow

// deliveryView is a delivery with its attempts, in order.
func deliveryView(r deliveryRow, attempts []db.DeliveryAttempt) gen.Delivery {
	d := r.Delivery
	log := make([]gen.DeliveryAttempt, len(attempts))
	for i, at := range attempts {
		log[i] = attemptView(at)
	}
	return gen.Delivery{
		Id: d.ID, Dialect: gen.DeliveryDialect(d.Dialect), SubscriptionId: r.SubscriptionExternalID, SubscriptionUuid: d.SubscriptionID,
		EventId: d.EventID, EventType: r.EventType, Status: gen.DeliveryStatus(d.Status), Attempts: int(d.Attempts),
		NextAttemptAt: d.NextAttemptAt.UTC(), LastStatusCode: int(d.LastStatus), LastError: d.LastError,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), AttemptLog: log,
	}
}

// attemptView is one attempt. Attempts logged before requests and answers were kept have no
// request, and their error class is judged from what was kept.
func attemptView(at db.DeliveryAttempt) gen.DeliveryAttempt {
	v := gen.DeliveryAttempt{
		Attempt: int(at.Attempt), Trigger: gen.DeliveryAttemptTrigger(at.Trigger), RequestId: at.RequestID,
		StatusCode: int(at.StatusCode), Error: at.Error, DurationMs: int(at.DurationMs), CreatedAt: at.CreatedAt.UTC(),
		ErrorClass: gen.DeliveryAttemptErrorClass(at.ErrorClass.String),
	}
	if !at.ErrorClass.Valid {
		v.ErrorClass = legacyClass(at)
	}
	if at.RequestUrl.Valid {
		v.Request = &gen.AttemptRequest{Url: at.RequestUrl.String, Headers: headerMap(at.RequestHeaders), BodyBytes: int(at.RequestBodyBytes)}
	}
	if at.ResponseHeaders != nil {
		v.Response = &gen.AttemptResponse{
			Headers: headerMap(at.ResponseHeaders), Body: strings.ToValidUTF8(string(at.ResponseBody), string(utf8.RuneError)),
			BodyTruncated: at.ResponseTruncated,
		}
	}
	return v
}

func legacyClass(at db.DeliveryAttempt) gen.DeliveryAttemptErrorClass {
	switch {
	case at.Error == "":
		return gen.None
	case at.StatusCode != 0:
		return gen.HttpStatus
	}
	return gen.Other
}

// headerMap reads the headers the engine logged (an object of strings).
func headerMap(raw db.JSON) map[string]string {
	h := map[string]string{}
	_ = json.Unmarshal(raw, &h) // the engine writes only objects of strings
	return h
}

// attemptsByDelivery groups attempts, listed in order, by their delivery.
func attemptsByDelivery(attempts []db.DeliveryAttempt) map[uuid.UUID][]db.DeliveryAttempt {
	by := map[uuid.UUID][]db.DeliveryAttempt{}
	for _, at := range attempts {
		by[at.DeliveryID] = append(by[at.DeliveryID], at)
	}
	return by
}

// eventRow is an event as the listing and the look-up read it (the same columns).
type eventRow = db.ListAccountEventsRow

// eventView is an event as ingested, with the scope it was sent to.
func eventView(r eventRow) gen.EventRecord {
	e := r.Event
	v := gen.EventRecord{Id: e.ID, ExternalId: e.ExternalID, Type: e.Type, CreatedAt: e.CreatedAt.UTC(),
		Data: map[string]any{}, Attributes: map[string]string{}}
	// Ingestion stores an object of each; anything else shows as empty rather than failing the page.
	_ = json.Unmarshal(e.Data, &v.Data)
	_ = json.Unmarshal(e.Attributes, &v.Attributes)
	if v.Data == nil {
		v.Data = map[string]any{}
	}
	if v.Attributes == nil {
		v.Attributes = map[string]string{}
	}
	if r.ScopeDialect.Valid {
		v.Scope = &gen.EventScope{Dialect: gen.EventScopeDialect(r.ScopeDialect.String), Id: r.ScopeExternalID.String}
	}
	return v
}

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
