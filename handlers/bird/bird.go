// Package bird is Bird's Notifications API for webhook subscriptions: AccessKey authentication,
// workspaces, per-service event catalogs with filters, opaque page tokens and delivery logs.
package bird

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Bird implements Bird's Notifications API webhook subscriptions.
type Bird struct {
	kit.Store
}

const (
	dialectBirdSubscription = "bird"
	birdDefaultPageSize     = 10
	// birdMaxSameFilters is Bird's cap on subscriptions sharing one event and filter combination.
	birdMaxSameFilters = 5
)

// birdOutcome sorts an error into a 404 body, a 422 body, or an unexpected failure.
func birdOutcome(err error) (missing *gen.ErrorDetailed, invalid *gen.ErrorValidation, unexpected error) {
	var nf *kit.NotFoundError
	if errors.As(err, &nf) {
		body := birdNotFound(nf.What+" not found", map[string]any{idParam[nf.What]: nf.ID})
		return &body, nil, nil
	}
	var inv *kit.InvalidError
	if errors.As(err, &inv) {
		v := birdValidation(inv.Fields)
		return nil, &v, nil
	}
	return nil, nil, err
}

// idParam names the path parameter of each resource in a 404's details.
var idParam = map[string]string{"workspace": "workspaceId", "webhook subscription": "webhookSubscriptionId"}

// BirdCreateWebhookSubscription answers 201 with the new subscription.
func (b Bird) BirdCreateWebhookSubscription(ctx context.Context, req gen.BirdCreateWebhookSubscriptionRequestObject) (gen.BirdCreateWebhookSubscriptionResponseObject, error) {
	out, err := b.create(ctx, req)
	if nf, inv, err := birdOutcome(err); nf != nil {
		return gen.BirdCreateWebhookSubscription404JSONResponse{ErrorResponseNotFoundJSONResponse: gen.ErrorResponseNotFoundJSONResponse(*nf)}, nil
	} else if inv != nil {
		return gen.BirdCreateWebhookSubscription422JSONResponse{ErrorResponseInvalidRequestJSONResponse: gen.ErrorResponseInvalidRequestJSONResponse(*inv)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.BirdCreateWebhookSubscription201JSONResponse(out), nil
}

func (b Bird) create(ctx context.Context, req gen.BirdCreateWebhookSubscriptionRequestObject) (gen.WebhookSubscription, error) {
	body := req.Body
	event, filters, err := b.checkNew(body)
	if err != nil {
		// An unknown or foreign workspace outranks what is wrong with the body.
		if _, werr := b.workspace(ctx, b.Q, req.WorkspaceId); werr != nil {
			return gen.WebhookSubscription{}, werr
		}
		return gen.WebhookSubscription{}, err
	}
	var out gen.WebhookSubscription
	// The cap on subscriptions sharing an event and filters spans rows: it is counted under the
	// workspace's lock, held until the insert commits.
	err = b.InTx(ctx, func(q *db.Queries) error {
		workspace, err := q.LockAccountScope(ctx, db.LockAccountScopeParams{Dialect: ScopeDialect, ExternalID: req.WorkspaceId.String(), AccountID: kit.AccountFrom(ctx).ID})
		if err != nil {
			return kit.Found(err, "workspace", req.WorkspaceId.String())
		}
		row, err := q.CreateCappedSubscription(ctx, db.CreateCappedSubscriptionParams{
			AccountID:  workspace.AccountID,
			ScopeID:    workspace.ID,
			Dialect:    dialectBirdSubscription,
			ExternalID: uuid.NewString(),
			Url:        body.Url,
			Events:     []string{event.event},
			Filters:    filters,
			Status:     kit.StatusActive,
			Secret:     kit.Deref(body.SigningKey),
			Headers:    db.JSON(`{}`),
			Properties: db.JSON(`{}`),
			Service:    string(body.Service),
			Template:   kit.Deref(body.Template),
			MaxSame:    birdMaxSameFilters,
		})
		if errors.Is(err, sql.ErrNoRows) {
			return crowded()
		} else if err != nil {
			return err
		}
		out, err = toBirdSubscription(row, workspace)
		return err
	})
	return out, err
}

// checkNew applies the rules of a new subscription that the schema cannot express, and returns
// its event and its filters in stored form.
func (b Bird) checkNew(body *gen.BirdCreateWebhookSubscriptionJSONRequestBody) (birdEvent, db.JSON, error) {
	if !b.Targets.Allows(body.Url) {
		return birdEvent{}, nil, kit.Invalid("url", kit.TargetRefusal)
	}
	event, ok := lookupBirdEvent(body.Service, body.Event)
	if !ok {
		return birdEvent{}, nil, kit.Invalid("event", fmt.Sprintf("%q is not an event of service %q; GET /workspaces/{workspaceId}/available-webhooks lists them", body.Event, body.Service))
	}
	var requested []gen.WebhookEventFilter
	if body.EventFilters != nil {
		requested = *body.EventFilters
	}
	filters, err := storedFilters(event, requested)
	return event, filters, err
}

// BirdListWebhookSubscriptions pages through a workspace's subscriptions in creation order.
// The page token is a keyset cursor, so paging never skips or repeats a subscription even
// while others are created or deleted.
func (b Bird) BirdListWebhookSubscriptions(ctx context.Context, req gen.BirdListWebhookSubscriptionsRequestObject) (gen.BirdListWebhookSubscriptionsResponseObject, error) {
	list, err := b.list(ctx, req)
	if nf, inv, err := birdOutcome(err); nf != nil {
		return gen.BirdListWebhookSubscriptions404JSONResponse{ErrorResponseNotFoundJSONResponse: gen.ErrorResponseNotFoundJSONResponse(*nf)}, nil
	} else if inv != nil {
		return gen.BirdListWebhookSubscriptions422JSONResponse{ErrorResponseInvalidRequestJSONResponse: gen.ErrorResponseInvalidRequestJSONResponse(*inv)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.BirdListWebhookSubscriptions200JSONResponse(list), nil
}

func (b Bird) list(ctx context.Context, req gen.BirdListWebhookSubscriptionsRequestObject) (gen.WebhookSubscriptionList, error) {
	limit := birdDefaultPageSize
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	params := db.ListScopedSubscriptionsAfterParams{
		ScopeDialect: ScopeDialect, ScopeExternalID: req.WorkspaceId.String(), AccountID: kit.AccountFrom(ctx).ID,
		MaxRows: sql.NullInt32{Int32: int32(limit + 1), Valid: true},
	}
	if req.Params.PageToken != nil && *req.Params.PageToken != "" {
		after, err := kit.DecodePageToken(*req.Params.PageToken)
		if err != nil {
			// An unknown or foreign workspace outranks a bad token.
			if _, werr := b.workspace(ctx, b.Q, req.WorkspaceId); werr != nil {
				return gen.WebhookSubscriptionList{}, werr
			}
			return gen.WebhookSubscriptionList{}, kit.Invalid("pageToken", "is not a page token issued by this API")
		}
		params.AfterCreatedAt = sql.NullTime{Time: after.CreatedAt, Valid: true}
		params.AfterID = uuid.NullUUID{UUID: after.ID, Valid: true}
	}
	rows, err := b.Q.ListScopedSubscriptionsAfter(ctx, params)
	if err != nil {
		return gen.WebhookSubscriptionList{}, err
	}
	if len(rows) == 0 {
		// An empty page, or none of the caller's workspaces.
		if _, err := b.workspace(ctx, b.Q, req.WorkspaceId); err != nil {
			return gen.WebhookSubscriptionList{}, err
		}
	}
	list := gen.WebhookSubscriptionList{Results: make([]gen.WebhookSubscription, 0, min(len(rows), limit))}
	rows, list.NextPageToken = kit.NextPage(rows, limit, func(r db.ListScopedSubscriptionsAfterRow) kit.PageCursor {
		return kit.PageCursor{CreatedAt: r.Subscription.CreatedAt, ID: r.Subscription.ID}
	})
	for _, r := range rows {
		s, err := toBirdSubscription(r.Subscription, r.Scope)
		if err != nil {
			return gen.WebhookSubscriptionList{}, err
		}
		list.Results = append(list.Results, s)
	}
	return list, nil
}

// BirdGetWebhookSubscription returns one subscription.
func (b Bird) BirdGetWebhookSubscription(ctx context.Context, req gen.BirdGetWebhookSubscriptionRequestObject) (gen.BirdGetWebhookSubscriptionResponseObject, error) {
	out, err := b.get(ctx, req.WorkspaceId, req.WebhookSubscriptionId)
	if nf, _, err := birdOutcome(err); nf != nil {
		return gen.BirdGetWebhookSubscription404JSONResponse{ErrorResponseNotFoundJSONResponse: gen.ErrorResponseNotFoundJSONResponse(*nf)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.BirdGetWebhookSubscription200JSONResponse(out), nil
}

func (b Bird) get(ctx context.Context, workspaceID, subscriptionID uuid.UUID) (gen.WebhookSubscription, error) {
	row, err := b.Q.GetScopedSubscriptionWithScope(ctx, scoped(ctx, workspaceID, subscriptionID))
	if err != nil {
		return gen.WebhookSubscription{}, b.missing(ctx, b.Q, err, workspaceID, subscriptionID)
	}
	return toBirdSubscription(row.Subscription, row.Scope)
}

// BirdDeleteWebhookSubscription removes a subscription.
func (b Bird) BirdDeleteWebhookSubscription(ctx context.Context, req gen.BirdDeleteWebhookSubscriptionRequestObject) (gen.BirdDeleteWebhookSubscriptionResponseObject, error) {
	n, err := b.Q.DeleteScopedSubscription(ctx, db.DeleteScopedSubscriptionParams(scoped(ctx, req.WorkspaceId, req.WebhookSubscriptionId)))
	if err == nil && n == 0 {
		err = b.missing(ctx, b.Q, sql.ErrNoRows, req.WorkspaceId, req.WebhookSubscriptionId)
	}
	if nf, _, err := birdOutcome(err); nf != nil {
		return gen.BirdDeleteWebhookSubscription404JSONResponse{ErrorResponseNotFoundJSONResponse: gen.ErrorResponseNotFoundJSONResponse(*nf)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.BirdDeleteWebhookSubscription204Response{}, nil
}

// BirdListAvailableWebhooks lists the catalog, optionally of one service.
func (b Bird) BirdListAvailableWebhooks(ctx context.Context, req gen.BirdListAvailableWebhooksRequestObject) (gen.BirdListAvailableWebhooksResponseObject, error) {
	if _, err := b.workspace(ctx, b.Q, req.WorkspaceId); err != nil {
		if nf, _, err := birdOutcome(err); nf != nil {
			return gen.BirdListAvailableWebhooks404JSONResponse{ErrorResponseNotFoundJSONResponse: gen.ErrorResponseNotFoundJSONResponse(*nf)}, nil
		} else {
			return nil, err
		}
	}
	results := []gen.AvailableWebhook{}
	for _, s := range birdCatalog {
		if req.Params.Service != nil && *req.Params.Service != s.service {
			continue
		}
		for _, e := range s.events {
			results = append(results, gen.AvailableWebhook{Service: s.service, Event: e.event, Description: e.description, EventFilterKeys: slices.Clone(e.filterKeys)})
		}
	}
	return gen.BirdListAvailableWebhooks200JSONResponse{Results: results}, nil
}

// scoped names a subscription of the caller's workspace.
func scoped(ctx context.Context, workspaceID, subscriptionID uuid.UUID) db.GetScopedSubscriptionWithScopeParams {
	return db.GetScopedSubscriptionWithScopeParams{
		ScopeDialect: ScopeDialect, ScopeExternalID: workspaceID.String(), AccountID: kit.AccountFrom(ctx).ID,
		Dialect: dialectBirdSubscription, ExternalID: subscriptionID.String(),
	}
}

// workspace finds the caller's workspace; another account's workspace is reported as missing.
func (b Bird) workspace(ctx context.Context, q *db.Queries, id uuid.UUID) (db.Scope, error) {
	scope, err := q.GetScope(ctx, db.GetScopeParams{Dialect: ScopeDialect, ExternalID: id.String(), AccountID: kit.AccountFrom(ctx).ID})
	if err != nil {
		return db.Scope{}, kit.Found(err, "workspace", id.String())
	}
	return scope, nil
}

// missing explains a statement that found no subscription: the workspace is not the caller's,
// or it has no such subscription. It costs a query only on that path.
func (b Bird) missing(ctx context.Context, q *db.Queries, err error, workspaceID, subscriptionID uuid.UUID) error {
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := b.workspace(ctx, q, workspaceID); err != nil {
		return err
	}
	return kit.NotFound("webhook subscription", subscriptionID.String())
}
