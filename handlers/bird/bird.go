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

// birdMissing carries the 404 body for a workspace or subscription the caller cannot see.
type birdMissing struct{ body gen.ErrorDetailed }

func (e *birdMissing) Error() string { return e.body.Message }

// birdInvalid carries 422 details for input that the schema alone cannot judge.
type birdInvalid struct{ fields []kit.FieldError }

func (e *birdInvalid) Error() string { return "invalid input" }

// birdOutcome sorts an error into a 404 body, a 422 body, or an unexpected failure.
func birdOutcome(err error) (missing *gen.ErrorDetailed, invalid *gen.ErrorValidation, unexpected error) {
	var m *birdMissing
	if errors.As(err, &m) {
		return &m.body, nil, nil
	}
	var inv *birdInvalid
	if errors.As(err, &inv) {
		v := birdValidation(inv.fields)
		return nil, &v, nil
	}
	return nil, nil, err
}

// BirdCreateWebhookSubscription answers 201 with the new subscription.
func (b Bird) BirdCreateWebhookSubscription(ctx context.Context, req gen.BirdCreateWebhookSubscriptionRequestObject) (gen.BirdCreateWebhookSubscriptionResponseObject, error) {
	var out gen.WebhookSubscription
	err := b.InTx(ctx, func(q *db.Queries) error {
		workspace, err := b.workspace(ctx, q, req.WorkspaceId)
		if err != nil {
			return err
		}
		body := req.Body
		if !b.Targets.Allows(body.Url) {
			return &birdInvalid{[]kit.FieldError{{Path: "url", Message: kit.TargetRefusal}}}
		}
		event, ok := lookupBirdEvent(body.Service, body.Event)
		if !ok {
			return &birdInvalid{[]kit.FieldError{{Path: "event", Message: fmt.Sprintf("%q is not an event of service %q; GET /workspaces/{workspaceId}/available-webhooks lists them", body.Event, body.Service)}}}
		}
		var requested []gen.WebhookEventFilter
		if body.EventFilters != nil {
			requested = *body.EventFilters
		}
		filters, err := b.checkFilters(ctx, q, workspace.ID, uuid.Nil, string(body.Service), event, requested)
		if err != nil {
			return err
		}
		id := uuid.New()
		row, err := q.CreateSubscription(ctx, db.CreateSubscriptionParams{
			AccountID:  workspace.AccountID,
			ScopeID:    workspace.ID,
			Dialect:    dialectBirdSubscription,
			ExternalID: id.String(),
			Url:        body.Url,
			Events:     []string{event.event},
			Filters:    filters,
			Status:     kit.StatusActive,
			Secret:     kit.Deref(body.SigningKey),
			Headers:    db.JSON(`{}`),
			Properties: db.JSON(`{}`),
			Service:    string(body.Service),
			Template:   kit.Deref(body.Template),
		})
		if err != nil {
			return err
		}
		out, err = toBirdSubscription(row, workspace)
		return err
	})
	if nf, inv, err := birdOutcome(err); nf != nil {
		return gen.BirdCreateWebhookSubscription404JSONResponse{ErrorResponseNotFoundJSONResponse: gen.ErrorResponseNotFoundJSONResponse(*nf)}, nil
	} else if inv != nil {
		return gen.BirdCreateWebhookSubscription422JSONResponse{ErrorResponseInvalidRequestJSONResponse: gen.ErrorResponseInvalidRequestJSONResponse(*inv)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.BirdCreateWebhookSubscription201JSONResponse(out), nil
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
	workspace, err := b.workspace(ctx, b.Q, req.WorkspaceId)
	if err != nil {
		return gen.WebhookSubscriptionList{}, err
	}
	limit := birdDefaultPageSize
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	params := db.ListScopeSubscriptionsAfterParams{ScopeID: workspace.ID, MaxRows: int32(limit + 1)}
	if req.Params.PageToken != nil && *req.Params.PageToken != "" {
		after, err := kit.DecodePageToken(*req.Params.PageToken)
		if err != nil {
			return gen.WebhookSubscriptionList{}, &birdInvalid{[]kit.FieldError{{Path: "pageToken", Message: "is not a page token issued by this API"}}}
		}
		params.AfterCreatedAt = sql.NullTime{Time: after.CreatedAt, Valid: true}
		params.AfterID = uuid.NullUUID{UUID: after.ID, Valid: true}
	}
	rows, err := b.Q.ListScopeSubscriptionsAfter(ctx, params)
	if err != nil {
		return gen.WebhookSubscriptionList{}, err
	}
	list := gen.WebhookSubscriptionList{Results: make([]gen.WebhookSubscription, 0, min(len(rows), limit))}
	rows, list.NextPageToken = kit.NextPage(rows, limit, func(r db.Subscription) kit.PageCursor { return kit.PageCursor{CreatedAt: r.CreatedAt, ID: r.ID} })
	for _, r := range rows {
		s, err := toBirdSubscription(r, workspace)
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
	workspace, err := b.workspace(ctx, b.Q, workspaceID)
	if err != nil {
		return gen.WebhookSubscription{}, err
	}
	row, err := b.Q.GetSubscription(ctx, db.GetSubscriptionParams{ScopeID: workspace.ID, Dialect: dialectBirdSubscription, ExternalID: subscriptionID.String()})
	if err != nil {
		return gen.WebhookSubscription{}, missingSubscription(err, subscriptionID)
	}
	return toBirdSubscription(row, workspace)
}

// BirdUpdateWebhookSubscription changes the members that are present; eventFilters null
// removes every filter and an array replaces them.
func (b Bird) BirdUpdateWebhookSubscription(ctx context.Context, req gen.BirdUpdateWebhookSubscriptionRequestObject) (gen.BirdUpdateWebhookSubscriptionResponseObject, error) {
	var out gen.WebhookSubscription
	err := b.InTx(ctx, func(q *db.Queries) error {
		workspace, err := b.workspace(ctx, q, req.WorkspaceId)
		if err != nil {
			return err
		}
		row, err := q.GetSubscriptionForUpdate(ctx, db.GetSubscriptionForUpdateParams{ScopeID: workspace.ID, Dialect: dialectBirdSubscription, ExternalID: req.WebhookSubscriptionId.String()})
		if err != nil {
			return missingSubscription(err, req.WebhookSubscriptionId)
		}
		body := req.Body
		if body == nil || (body.Template == nil && body.Url == nil && body.SigningKey == nil && body.Status == nil && !body.EventFilters.IsSpecified()) {
			return &birdInvalid{[]kit.FieldError{{Message: "must have at least one property"}}}
		}
		if body.Url != nil && !b.Targets.Allows(*body.Url) {
			return &birdInvalid{[]kit.FieldError{{Path: "url", Message: kit.TargetRefusal}}}
		}
		filters := row.Filters
		if body.EventFilters.IsSpecified() {
			var requested []gen.WebhookEventFilter
			if !body.EventFilters.IsNull() {
				requested = body.EventFilters.MustGet()
			}
			event, ok := lookupBirdEvent(gen.WebhookService(row.Service), firstOf(row.Events))
			if !ok {
				return fmt.Errorf("subscription %s has event %q outside the catalog", row.ID, firstOf(row.Events))
			}
			if filters, err = b.checkFilters(ctx, q, workspace.ID, row.ID, row.Service, event, requested); err != nil {
				return err
			}
		}
		updated, err := q.UpdateSubscription(ctx, kit.UpdateParams(row, func(p *db.UpdateSubscriptionParams) {
			p.Filters = filters
			if body.Url != nil {
				p.Url = *body.Url
			}
			if body.Template != nil {
				p.Template = *body.Template
			}
			if body.SigningKey != nil {
				p.Secret = *body.SigningKey
			}
			if body.Status != nil {
				p.Status = string(*body.Status)
				p.StatusReason = ""
			}
		}))
		if err != nil {
			return err
		}
		out, err = toBirdSubscription(updated, workspace)
		return err
	})
	if nf, inv, err := birdOutcome(err); nf != nil {
		return gen.BirdUpdateWebhookSubscription404JSONResponse{ErrorResponseNotFoundJSONResponse: gen.ErrorResponseNotFoundJSONResponse(*nf)}, nil
	} else if inv != nil {
		return gen.BirdUpdateWebhookSubscription422JSONResponse{ErrorResponseInvalidRequestJSONResponse: gen.ErrorResponseInvalidRequestJSONResponse(*inv)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.BirdUpdateWebhookSubscription200JSONResponse(out), nil
}

// BirdDeleteWebhookSubscription removes a subscription.
func (b Bird) BirdDeleteWebhookSubscription(ctx context.Context, req gen.BirdDeleteWebhookSubscriptionRequestObject) (gen.BirdDeleteWebhookSubscriptionResponseObject, error) {
	err := func() error {
		workspace, err := b.workspace(ctx, b.Q, req.WorkspaceId)
		if err != nil {
			return err
		}
		n, err := b.Q.DeleteSubscription(ctx, db.DeleteSubscriptionParams{ScopeID: workspace.ID, Dialect: dialectBirdSubscription, ExternalID: req.WebhookSubscriptionId.String()})
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return missingSubscription(err, req.WebhookSubscriptionId)
	}()
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

// workspace finds the caller's workspace; another account's workspace is reported as missing.
func (b Bird) workspace(ctx context.Context, q *db.Queries, id uuid.UUID) (db.Scope, error) {
	scope, err := q.GetScope(ctx, db.GetScopeParams{Dialect: ScopeDialect, ExternalID: id.String(), AccountID: kit.AccountFrom(ctx).ID})
	if err := kit.NotFound(err, "workspace"); errors.Is(err, kit.ErrNotFound) {
		return db.Scope{}, &birdMissing{birdNotFound("workspace not found", map[string]any{"workspaceId": id.String()})}
	} else if err != nil {
		return db.Scope{}, err
	}
	return scope, nil
}

func missingSubscription(err error, id uuid.UUID) error {
	if err := kit.NotFound(err, "webhook subscription"); !errors.Is(err, kit.ErrNotFound) {
		return err
	}
	return &birdMissing{birdNotFound("webhook subscription not found", map[string]any{"webhookSubscriptionId": id.String()})}
}
