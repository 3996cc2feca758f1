package admin

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// AdminGetDelivery returns one of an account's deliveries with its attempts.
func (a Admin) AdminGetDelivery(ctx context.Context, req gen.AdminGetDeliveryRequestObject) (gen.AdminGetDeliveryResponseObject, error) {
	d, err := a.delivery(ctx, req.AccountId, req.DeliveryId)
	if kit.IsNotFound(err) {
		return gen.AdminGetDelivery404JSONResponse{AdminNotFoundJSONResponse: notFoundOf(err)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.AdminGetDelivery200JSONResponse(d), nil
}

// delivery is one of a live account's deliveries with its attempts, or a kit.NotFoundError
// for the account or the delivery.
func (a Admin) delivery(ctx context.Context, account, id uuid.UUID) (gen.Delivery, error) {
	if _, err := a.account(ctx, account); err != nil {
		return gen.Delivery{}, err
	}
	return a.accountDelivery(ctx, account, id)
}

// accountDelivery is delivery for an account already known to be live.
func (a Admin) accountDelivery(ctx context.Context, account, id uuid.UUID) (gen.Delivery, error) {
	row, err := a.accountDeliveryRow(ctx, account, id)
	if err != nil {
		return gen.Delivery{}, err
	}
	views, err := a.withAttempts(ctx, account, []deliveryRow{row})
	if err != nil {
		return gen.Delivery{}, err
	}
	return views[0], nil
}

// deliveryRow is one of a live account's deliveries, or a kit.NotFoundError for the account
// or the delivery.
func (a Admin) deliveryRow(ctx context.Context, account, id uuid.UUID) (deliveryRow, error) {
	if _, err := a.account(ctx, account); err != nil {
		return deliveryRow{}, err
	}
	return a.accountDeliveryRow(ctx, account, id)
}

func (a Admin) accountDeliveryRow(ctx context.Context, account, id uuid.UUID) (deliveryRow, error) {
	row, err := a.Q.GetAccountDelivery(ctx, db.GetAccountDeliveryParams{AccountID: account, ID: id})
	return deliveryRow(row), kit.Found(err, "delivery", id.String())
}

// notFoundOf words a kit.NotFoundError ("delivery not found").
func notFoundOf(err error) gen.AdminNotFoundJSONResponse {
	var nf *kit.NotFoundError
	if errors.As(err, &nf) {
		return notFound(nf.What)
	}
	return notFound("resource")
}
