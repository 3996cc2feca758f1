package admin

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// AdminResendDelivery makes a delivery due now, its next attempt a manual one outside the
// retry schedule, whatever its status; its subscription must be active.
func (a Admin) AdminResendDelivery(ctx context.Context, req gen.AdminResendDeliveryRequestObject) (gen.AdminResendDeliveryResponseObject, error) {
	row, err := a.deliveryRow(ctx, req.AccountId, req.DeliveryId)
	if kit.IsNotFound(err) {
		return gen.AdminResendDelivery404JSONResponse{AdminNotFoundJSONResponse: notFoundOf(err)}, nil
	} else if err != nil {
		return nil, err
	}
	if row.SubscriptionStatus != kit.StatusActive {
		return gen.AdminResendDelivery409JSONResponse{AdminConflictJSONResponse: subscriptionNotActive(row.SubscriptionStatus)}, nil
	}
	_, err = a.Q.ResendDelivery(ctx, db.ResendDeliveryParams{AccountID: req.AccountId, ID: req.DeliveryId})
	if errors.Is(err, sql.ErrNoRows) {
		// Its subscription stopped (or the delivery went with its account) since it was read.
		return gen.AdminResendDelivery409JSONResponse{AdminConflictJSONResponse: subscriptionNotActive("no longer active")}, nil
	} else if err != nil {
		return nil, err
	}
	a.Audit.Record(ctx, "resend", req.AccountId, slog.String("delivery_id", req.DeliveryId.String()),
		slog.String("previous_status", row.Delivery.Status))
	d, err := a.accountDelivery(ctx, req.AccountId, req.DeliveryId)
	if err != nil {
		return nil, err
	}
	return gen.AdminResendDelivery202JSONResponse(d), nil
}

// subscriptionNotActive is the refusal to deliver to a subscription that is not active.
func subscriptionNotActive(status string) gen.AdminConflictJSONResponse {
	return conflict("the subscription is " + status + "; enable the subscription first")
}
