package bird

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// BirdUpdateWebhookSubscription changes the members that are present; eventFilters null
// removes every filter and an array replaces them.
func (b Bird) BirdUpdateWebhookSubscription(ctx context.Context, req gen.BirdUpdateWebhookSubscriptionRequestObject) (gen.BirdUpdateWebhookSubscriptionResponseObject, error) {
	out, err := b.update(ctx, req)
	if nf, inv, err := birdOutcome(err); nf != nil {
		return gen.BirdUpdateWebhookSubscription404JSONResponse{ErrorResponseNotFoundJSONResponse: gen.ErrorResponseNotFoundJSONResponse(*nf)}, nil
	} else if inv != nil {
		return gen.BirdUpdateWebhookSubscription422JSONResponse{ErrorResponseInvalidRequestJSONResponse: gen.ErrorResponseInvalidRequestJSONResponse(*inv)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.BirdUpdateWebhookSubscription200JSONResponse(out), nil
}

func (b Bird) update(ctx context.Context, req gen.BirdUpdateWebhookSubscriptionRequestObject) (gen.WebhookSubscription, error) {
	where := scoped(ctx, req.WorkspaceId, req.WebhookSubscriptionId)
	body := req.Body
	if err := b.checkPatch(body); err != nil {
		// A missing workspace or subscription outranks what is wrong with the body.
		if _, gerr := b.Q.GetScopedSubscription(ctx, db.GetScopedSubscriptionParams(where)); gerr != nil {
			return gen.WebhookSubscription{}, b.missing(ctx, b.Q, gerr, req.WorkspaceId, req.WebhookSubscriptionId)
		}
		return gen.WebhookSubscription{}, err
	}
	patch := db.PatchCappedSubscriptionParams{
		Url: kit.NullString(body.Url), Template: kit.NullString(body.Template), Secret: kit.NullString(body.SigningKey),
		ScopeDialect: where.ScopeDialect, ScopeExternalID: where.ScopeExternalID, AccountID: where.AccountID,
		Dialect: where.Dialect, ExternalID: where.ExternalID, MaxSame: birdMaxSameFilters,
	}
	if body.Status != nil {
		patch.Status = sql.NullString{String: string(*body.Status), Valid: true}
	}
	if !body.EventFilters.IsSpecified() {
		row, err := b.Q.PatchCappedSubscription(ctx, patch)
		if err != nil {
			return gen.WebhookSubscription{}, b.missing(ctx, b.Q, err, req.WorkspaceId, req.WebhookSubscriptionId)
		}
		return toBirdSubscription(row.Subscription, row.Scope)
	}
	var requested []gen.WebhookEventFilter
	if !body.EventFilters.IsNull() {
		requested = body.EventFilters.MustGet()
	}
	var out gen.WebhookSubscription
	// New filters are checked against the cap, which spans rows: they are counted under the
	// workspace's lock, held until the update commits.
	err := b.InTx(ctx, func(q *db.Queries) error {
		current, err := q.LockScopedSubscription(ctx, db.LockScopedSubscriptionParams(where))
		if err != nil {
			return b.missing(ctx, q, err, req.WorkspaceId, req.WebhookSubscriptionId)
		}
		row := current.Subscription
		event, ok := lookupBirdEvent(gen.WebhookService(row.Service), firstOf(row.Events))
		if !ok {
			return fmt.Errorf("subscription %s has event %q outside the catalog", row.ID, firstOf(row.Events))
		}
		if patch.Filters, err = storedFilters(event, requested); err != nil {
			return err
		}
		updated, err := q.PatchCappedSubscription(ctx, patch)
		if errors.Is(err, sql.ErrNoRows) {
			// Refused by the cap, or deleted since it was read.
			if _, gerr := q.GetScopedSubscription(ctx, db.GetScopedSubscriptionParams(where)); gerr != nil {
				return b.missing(ctx, q, gerr, req.WorkspaceId, req.WebhookSubscriptionId)
			}
			return crowded()
		} else if err != nil {
			return err
		}
		out, err = toBirdSubscription(updated.Subscription, updated.Scope)
		return err
	})
	return out, err
}

// checkPatch applies the rules of a change that the schema cannot express.
func (b Bird) checkPatch(body *gen.BirdUpdateWebhookSubscriptionJSONRequestBody) error {
	if body == nil || (body.Template == nil && body.Url == nil && body.SigningKey == nil && body.Status == nil && !body.EventFilters.IsSpecified()) {
		return kit.Invalid("", "must have at least one property")
	}
	if body.Url != nil && !b.Targets.Allows(*body.Url) {
		return kit.Invalid("url", kit.TargetRefusal)
	}
	return nil
}
