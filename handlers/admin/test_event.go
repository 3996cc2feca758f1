package admin

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
	"github.com/webhookd/webhookd/internal/delivery"
)

// AdminSendTestEvent queues an example event for one active subscription only.
func (a Admin) AdminSendTestEvent(ctx context.Context, req gen.AdminSendTestEventRequestObject) (gen.AdminSendTestEventResponseObject, error) {
	sub, err := a.subscription(ctx, req.AccountId, req.SubscriptionUuid)
	if kit.IsNotFound(err) {
		return gen.AdminSendTestEvent404JSONResponse{AdminNotFoundJSONResponse: notFoundOf(err)}, nil
	} else if err != nil {
		return nil, err
	}
	eventType := delivery.TestEventType
	if len(sub.Events) > 0 {
		eventType = sub.Events[0]
	}
	if req.Body != nil && req.Body.EventType != nil {
		eventType = *req.Body.EventType
		// A subscription without a list of events (Arkyn's) receives any type.
		if len(sub.Events) > 0 && !slices.Contains(sub.Events, eventType) {
			return gen.AdminSendTestEvent400JSONResponse{AdminBadRequestJSONResponse: badRequest(
				"eventType: the subscription does not receive " + eventType + "; it receives " + strings.Join(sub.Events, ", "))}, nil
		}
	}
	if sub.Status != kit.StatusActive {
		return gen.AdminSendTestEvent409JSONResponse{AdminConflictJSONResponse: subscriptionNotActive(sub.Status)}, nil
	}
	queued, err := delivery.QueueTestEvent(ctx, a.Conn, req.AccountId, sub.ID, eventType)
	if errors.Is(err, delivery.ErrNotQueued) {
		return gen.AdminSendTestEvent409JSONResponse{AdminConflictJSONResponse: subscriptionNotActive("no longer active")}, nil
	} else if err != nil {
		return nil, err
	}
	a.Audit.Record(ctx, "test_event", req.AccountId, slog.String("subscription_id", sub.ID.String()),
		slog.String("event_id", queued.EventID.String()), slog.String("delivery_id", queued.DeliveryID.String()),
		slog.String("event_type", eventType))
	return gen.AdminSendTestEvent202JSONResponse{EventId: queued.EventID, DeliveryId: queued.DeliveryID}, nil
}
