package admin

import (
	"context"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// AdminListDeliveries pages through an account's deliveries with their attempts.
func (a Admin) AdminListDeliveries(ctx context.Context, req gen.AdminListDeliveriesRequestObject) (gen.AdminListDeliveriesResponseObject, error) {
	if _, err := a.account(ctx, req.AccountId); kit.IsNotFound(err) {
		return gen.AdminListDeliveries404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	limit := 20
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	params := db.ListAccountDeliveriesParams{AccountID: req.AccountId, MaxRows: int32(limit + 1)}
	if req.Params.PageToken != nil && *req.Params.PageToken != "" {
		c, err := kit.DecodePageToken(*req.Params.PageToken)
		if err != nil {
			return gen.AdminListDeliveries400JSONResponse{AdminBadRequestJSONResponse: gen.AdminBadRequestJSONResponse{Code: "invalid_request", Message: "pageToken: is not a page token issued by this API"}}, nil
		}
		params.BeforeCreatedAt = kit.SQLTime(c.CreatedAt)
		params.BeforeID = uuid.NullUUID{UUID: c.ID, Valid: true}
	}
	rows, err := a.Q.ListAccountDeliveries(ctx, params)
	if err != nil {
		return nil, err
	}
	var list gen.DeliveryList
	rows, list.NextPageToken = kit.NextPage(rows, limit, func(r db.ListAccountDeliveriesRow) kit.PageCursor {
		return kit.PageCursor{CreatedAt: r.CreatedAt, ID: r.ID}
	})
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	attempts, err := a.Q.ListDeliveryAttempts(ctx, db.ListDeliveryAttemptsParams{AccountID: req.AccountId, DeliveryIds: ids})
	if err != nil {
		return nil, err
	}
	byDelivery := map[uuid.UUID][]gen.DeliveryAttempt{}
	for _, at := range attempts {
		byDelivery[at.DeliveryID] = append(byDelivery[at.DeliveryID], gen.DeliveryAttempt{
			Attempt: int(at.Attempt), RequestId: at.RequestID, StatusCode: int(at.StatusCode), Error: at.Error,
			DurationMs: int(at.DurationMs), CreatedAt: at.CreatedAt.UTC(),
		})
	}
	list.Results = make([]gen.Delivery, len(rows))
	for i, r := range rows {
		log := byDelivery[r.ID]
		if log == nil {
			log = []gen.DeliveryAttempt{}
		}
		list.Results[i] = gen.Delivery{
			Id: r.ID, Dialect: gen.DeliveryDialect(r.Dialect), SubscriptionId: r.SubscriptionExternalID, EventId: r.EventID,
			EventType: r.EventType, Status: gen.DeliveryStatus(r.Status), Attempts: int(r.Attempts),
			NextAttemptAt: r.NextAttemptAt.UTC(), LastStatusCode: int(r.LastStatus), LastError: r.LastError,
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), AttemptLog: log,
		}
	}
	return gen.AdminListDeliveries200JSONResponse(list), nil
}
