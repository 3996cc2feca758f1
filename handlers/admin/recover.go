package admin

import (
	"context"
	"log/slog"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// recoverBatch is the most deliveries one recover call queues again.
const recoverBatch = 10_000

// AdminRecoverSubscription queues again a subscription's failed and dropped deliveries of a
// time window, each with a fresh retry schedule, at most recoverBatch per call.
func (a Admin) AdminRecoverSubscription(ctx context.Context, req gen.AdminRecoverSubscriptionRequestObject) (gen.AdminRecoverSubscriptionResponseObject, error) {
	if msg := checkWindow(&req.Body.Since, req.Body.Until); msg != "" {
		return gen.AdminRecoverSubscription400JSONResponse{AdminBadRequestJSONResponse: badRequest(msg)}, nil
	}
	sub, err := a.subscription(ctx, req.AccountId, req.SubscriptionUuid)
	if kit.IsNotFound(err) {
		return gen.AdminRecoverSubscription404JSONResponse{AdminNotFoundJSONResponse: notFoundOf(err)}, nil
	} else if err != nil {
		return nil, err
	}
	if sub.Status != kit.StatusActive {
		return gen.AdminRecoverSubscription409JSONResponse{AdminConflictJSONResponse: subscriptionNotActive(sub.Status)}, nil
	}
	got, err := a.Q.RecoverSubscriptionDeliveries(ctx, db.RecoverSubscriptionDeliveriesParams{
		AccountID: req.AccountId, SubscriptionID: sub.ID, Since: req.Body.Since, Until: kit.NullTime(req.Body.Until), MaxRows: recoverBatch,
	})
	if err != nil {
		return nil, err
	}
	until := "open"
	if req.Body.Until != nil {
		until = req.Body.Until.UTC().Format(time.RFC3339Nano)
	}
	a.Audit.Record(ctx, "recover", req.AccountId, slog.String("subscription_id", sub.ID.String()),
		slog.String("since", req.Body.Since.UTC().Format(time.RFC3339Nano)), slog.String("until", until),
		slog.Int("queued", int(got.Queued)), slog.Bool("more", got.More))
	return gen.AdminRecoverSubscription202JSONResponse{Queued: int(got.Queued), More: got.More}, nil
}
