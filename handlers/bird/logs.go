package bird

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// birdLogRetention is how far back Bird's logs go.
const birdLogRetention = 7 * 24 * time.Hour

// BirdListWebhookSubscriptionLogs lists a subscription's deliveries of the last 7 days.
func (b Bird) BirdListWebhookSubscriptionLogs(ctx context.Context, req gen.BirdListWebhookSubscriptionLogsRequestObject) (gen.BirdListWebhookSubscriptionLogsResponseObject, error) {
	list, err := b.logs(ctx, req)
	if nf, inv, err := birdOutcome(err); nf != nil {
		return gen.BirdListWebhookSubscriptionLogs404JSONResponse{ErrorResponseNotFoundJSONResponse: gen.ErrorResponseNotFoundJSONResponse(*nf)}, nil
	} else if inv != nil {
		return gen.BirdListWebhookSubscriptionLogs422JSONResponse{ErrorResponseInvalidRequestJSONResponse: gen.ErrorResponseInvalidRequestJSONResponse(*inv)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.BirdListWebhookSubscriptionLogs200JSONResponse(list), nil
}

func (b Bird) logs(ctx context.Context, req gen.BirdListWebhookSubscriptionLogsRequestObject) (gen.WebhookSubscriptionLogList, error) {
	where := scoped(ctx, req.WorkspaceId, req.WebhookSubscriptionId)
	// exists says why there is nothing to list: a missing workspace or subscription.
	exists := func() error {
		if _, err := b.Q.GetScopedSubscription(ctx, db.GetScopedSubscriptionParams(where)); err != nil {
			return b.missing(ctx, b.Q, err, req.WorkspaceId, req.WebhookSubscriptionId)
		}
		return nil
	}
	limit := birdDefaultPageSize
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	params := db.ListScopedSubscriptionDeliveriesParams{
		ScopeDialect: where.ScopeDialect, ScopeExternalID: where.ScopeExternalID, AccountID: where.AccountID,
		Dialect: where.Dialect, ExternalID: where.ExternalID,
		Since: time.Now().Add(-birdLogRetention), MaxRows: int32(limit + 1),
	}
	if s := req.Params.ExecutionStatus; s != nil {
		params.Status = sql.NullString{String: map[gen.WebhookExecutionStatus]string{"success": "succeeded", "failure": "failed", "pending": "pending"}[*s], Valid: true}
	}
	if req.Params.PageToken != nil && *req.Params.PageToken != "" {
		c, err := kit.DecodePageToken(*req.Params.PageToken)
		if err != nil {
			if err := exists(); err != nil {
				return gen.WebhookSubscriptionLogList{}, err
			}
			return gen.WebhookSubscriptionLogList{}, kit.Invalid("pageToken", "is not a page token issued by this API")
		}
		params.BeforeCreatedAt = kit.SQLTime(c.CreatedAt)
		params.BeforeID = uuid.NullUUID{UUID: c.ID, Valid: true}
	}
	rows, err := b.Q.ListScopedSubscriptionDeliveries(ctx, params)
	if err != nil {
		return gen.WebhookSubscriptionLogList{}, err
	}
	if len(rows) == 0 {
		if err := exists(); err != nil {
			return gen.WebhookSubscriptionLogList{}, err
		}
	}
	list := gen.WebhookSubscriptionLogList{Results: []gen.WebhookSubscriptionLog{}}
	rows, list.NextPageToken = kit.NextPage(rows, limit, func(r db.Delivery) kit.PageCursor { return kit.PageCursor{CreatedAt: r.CreatedAt, ID: r.ID} })
	for _, r := range rows {
		status := gen.WebhookExecutionStatus("pending")
		switch r.Status {
		case "succeeded":
			status = "success"
		case "failed", "dropped":
			status = "failure"
		}
		list.Results = append(list.Results, gen.WebhookSubscriptionLog{
			RequestId: r.ID.String(), AttemptCount: int(r.Attempts), HttpStatusCode: int(r.LastStatus),
			ExecutionStatus: status, CreatedAt: r.CreatedAt.UTC(),
		})
	}
	return list, nil
}
