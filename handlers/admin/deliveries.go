package admin

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// AdminListDeliveries pages through an account's deliveries with their attempts, narrowed by
// the filters given.
func (a Admin) AdminListDeliveries(ctx context.Context, req gen.AdminListDeliveriesRequestObject) (gen.AdminListDeliveriesResponseObject, error) {
	q := req.Params
	if msg := checkWindow(q.Since, q.Until); msg != "" {
		return gen.AdminListDeliveries400JSONResponse{AdminBadRequestJSONResponse: badRequest(msg)}, nil
	}
	if _, err := a.account(ctx, req.AccountId); kit.IsNotFound(err) {
		return gen.AdminListDeliveries404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	limit := pageLimit(q.Limit)
	params := db.ListAccountDeliveriesParams{
		AccountID: req.AccountId, MaxRows: int32(limit + 1),
		Since: kit.NullTime(q.Since), Until: kit.NullTime(q.Until), Status: kit.NullString(q.Status), Dialect: kit.NullString(q.Dialect),
	}
	if q.SubscriptionUuid != nil {
		params.SubscriptionID = uuid.NullUUID{UUID: *q.SubscriptionUuid, Valid: true}
	}
	var ok bool
	if params.BeforeCreatedAt, params.BeforeID, ok = pageBefore(q.PageToken); !ok {
		return gen.AdminListDeliveries400JSONResponse{AdminBadRequestJSONResponse: badPageToken()}, nil
	}
	rows, err := a.listDeliveries(ctx, params, q.EventType)
	if err != nil {
		return nil, err
	}
	var list gen.DeliveryList
	rows, list.NextPageToken = kit.NextPage(rows, limit, func(r deliveryRow) kit.PageCursor {
		return kit.PageCursor{CreatedAt: r.Delivery.CreatedAt, ID: r.Delivery.ID}
	})
	if list.Results, err = a.withAttempts(ctx, req.AccountId, rows); err != nil {
		return nil, err
	}
	return gen.AdminListDeliveries200JSONResponse(list), nil
}

// listDeliveries runs the listing's statement, or its variant for one event type.
func (a Admin) listDeliveries(ctx context.Context, p db.ListAccountDeliveriesParams, eventType *string) ([]deliveryRow, error) {
	if eventType == nil {
		return a.Q.ListAccountDeliveries(ctx, p)
	}
	typed, err := a.Q.ListAccountDeliveriesOfType(ctx, db.ListAccountDeliveriesOfTypeParams{
		AccountID: p.AccountID, EventType: *eventType, BeforeCreatedAt: p.BeforeCreatedAt, BeforeID: p.BeforeID,
		Since: p.Since, Until: p.Until, Status: p.Status, Dialect: p.Dialect, SubscriptionID: p.SubscriptionID, MaxRows: p.MaxRows,
	})
	if err != nil {
		return nil, err
	}
	rows := make([]deliveryRow, len(typed))
	for i, r := range typed {
		rows[i] = deliveryRow(r)
	}
	return rows, nil
}

// withAttempts shows deliveries of an account with their attempts, read in one statement.
func (a Admin) withAttempts(ctx context.Context, account uuid.UUID, rows []deliveryRow) ([]gen.Delivery, error) {
	if len(rows) == 0 {
		return []gen.Delivery{}, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.Delivery.ID
	}
	attempts, err := a.Q.ListDeliveryAttempts(ctx, db.ListDeliveryAttemptsParams{AccountID: account, DeliveryIds: ids})
	if err != nil {
		return nil, err
	}
	by := attemptsByDelivery(attempts)
	out := make([]gen.Delivery, len(rows))
	for i, r := range rows {
		out[i] = deliveryView(r, by[r.Delivery.ID])
	}
	return out, nil
}

// checkWindow refuses a time window that ends before it begins.
func checkWindow(since, until *time.Time) string {
	if since != nil && until != nil && !until.After(*since) {
		return "until: must be after since"
	}
	return ""
}

func pageLimit(limit *int) int {
	if limit == nil {
		return 20
	}
	return *limit
}

func badRequest(msg string) gen.AdminBadRequestJSONResponse {
	return gen.AdminBadRequestJSONResponse{Code: "invalid_request", Message: msg}
}

func badPageToken() gen.AdminBadRequestJSONResponse {
	return badRequest("pageToken: is not a page token issued by this API")
}

// pageBefore reads a listing's pageToken: the row the page starts after (none without a
// token); ok is false for a token this API did not issue.
func pageBefore(token *string) (createdAt sql.NullTime, id uuid.NullUUID, ok bool) {
	if token == nil || *token == "" {
		return createdAt, id, true
	}
	c, err := kit.DecodePageToken(*token)
	if err != nil {
		return createdAt, id, false
	}
	return kit.SQLTime(c.CreatedAt), uuid.NullUUID{UUID: c.ID, Valid: true}, true
}

func notFound(what string) gen.AdminNotFoundJSONResponse {
	return gen.AdminNotFoundJSONResponse{Code: "not_found", Message: what + " not found"}
}

func conflict(msg string) gen.AdminConflictJSONResponse {
	return gen.AdminConflictJSONResponse{Code: "conflict", Message: msg}
}
