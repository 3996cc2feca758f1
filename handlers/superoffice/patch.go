package superoffice

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// errPatchTestFailed is a JSON Patch whose test operation did not hold (409).
var errPatchTestFailed = errors.New("patch test failed")

// errModifiedSince is an If-Unmodified-Since the webhook has changed after (412).
var errModifiedSince = errors.New("modified since")

// SuperOfficePatchWebhook applies a JSON Patch or a merge patch to the stored webhook.
func (s SuperOffice) SuperOfficePatchWebhook(ctx context.Context, req gen.SuperOfficePatchWebhookRequestObject) (gen.SuperOfficePatchWebhookResponseObject, error) {
	var unmodifiedSince *time.Time
	if h := req.Params.IfUnmodifiedSince; h != nil {
		t, err := http.ParseTime(*h)
		if err != nil {
			return gen.SuperOfficePatchWebhook400JSONResponse{SoBadRequestJSONResponse: gen.SoBadRequestJSONResponse(soError(gen.SoErrorErrorTypeBadRequest, "If-Unmodified-Since is not an HTTP date"))}, nil
		}
		unmodifiedSince = &t
	}
	apply := func(current gen.Webhook) (*gen.Webhook, error) {
		doc, err := json.Marshal(current)
		if err != nil {
			return nil, err
		}
		var patched []byte
		switch {
		case req.ApplicationMergePatchPlusJSONBody != nil:
			patch, err := json.Marshal(*req.ApplicationMergePatchPlusJSONBody)
			if err != nil {
				return nil, err
			}
			if patched, err = jsonpatch.MergePatch(doc, patch); err != nil {
				return nil, kit.Invalid("", "the merge patch cannot be applied: "+err.Error())
			}
		default:
			ops := req.ApplicationJSONPatchPlusJSONBody
			if ops == nil {
				ops = (*gen.SuperOfficePatchWebhookApplicationJSONPatchPlusJSONRequestBody)(req.JSONBody)
			}
			if ops == nil {
				return nil, kit.Invalid("", "Entity to save is not in request body")
			}
			raw, err := json.Marshal(ops)
			if err != nil {
				return nil, err
			}
			patch, err := jsonpatch.DecodePatch(raw)
			if err != nil {
				return nil, kit.Invalid("", "the JSON Patch is invalid: "+err.Error())
			}
			patched, err = patch.Apply(doc)
			if errors.Is(err, jsonpatch.ErrTestFailed) {
				return nil, errPatchTestFailed
			} else if err != nil {
				return nil, kit.Invalid("", "the JSON Patch cannot be applied: "+err.Error())
			}
		}
		if err := checkPatchedWebhook(patched); err != nil {
			return nil, err
		}
		var next gen.Webhook
		if err := json.Unmarshal(patched, &next); err != nil {
			return nil, kit.Invalid("", "the patched webhook is invalid: "+err.Error())
		}
		return &next, nil
	}
	out, err := s.patch(ctx, req.Id, unmodifiedSince, apply)
	var inv *kit.InvalidError
	switch {
	case errors.As(err, &inv):
		return gen.SuperOfficePatchWebhook400JSONResponse{SoBadRequestJSONResponse: soBadRequest(inv)}, nil
	case kit.IsNotFound(err):
		return gen.SuperOfficePatchWebhook404JSONResponse{SoNotFoundJSONResponse: soNotFound(req.Id)}, nil
	case errors.Is(err, errPatchTestFailed):
		return gen.SuperOfficePatchWebhook409JSONResponse{SoConflictJSONResponse: gen.SoConflictJSONResponse(soError(gen.SoErrorErrorTypeConflict, "A test operation of the patch failed"))}, nil
	case errors.Is(err, errModifiedSince):
		return gen.SuperOfficePatchWebhook412JSONResponse{SoPreconditionFailedJSONResponse: gen.SoPreconditionFailedJSONResponse(soError(gen.SoErrorErrorTypePreconditionFailed, "The webhook was modified after If-Unmodified-Since"))}, nil
	case err != nil:
		return nil, err
	}
	return gen.SuperOfficePatchWebhook200JSONResponse(selectMembers(out, req.Params.Select)), nil
}

// replace stores entity in place of a webhook, in one statement.
func (s SuperOffice) replace(ctx context.Context, id int32, entity *gen.Webhook) (gen.WebhookWithLinks, error) {
	where := webhookOf(ctx, id)
	fields, err := s.checkReplacing(entity)
	if err != nil {
		// A missing webhook outranks what is wrong with the entity.
		if _, gerr := s.Q.GetScopedSubscription(ctx, db.GetScopedSubscriptionParams(where)); gerr != nil {
			return gen.WebhookWithLinks{}, kit.Found(gerr, "webhook", strconv.Itoa(int(id)))
		}
		return gen.WebhookWithLinks{}, err
	}
	row, err := s.Q.ReplaceSuperOfficeWebhook(ctx, replaceParams(where, fields))
	if err != nil {
		return gen.WebhookWithLinks{}, kit.Found(err, "webhook", strconv.Itoa(int(id)))
	}
	return toSuperOfficeWebhook(ctx, row.Subscription, row.Scope), nil
}

// patch computes a webhook's next state from its current one and stores it.
func (s SuperOffice) patch(ctx context.Context, id int32, unmodifiedSince *time.Time, next func(gen.Webhook) (*gen.Webhook, error)) (gen.WebhookWithLinks, error) {
	where := webhookOf(ctx, id)
	var out gen.WebhookWithLinks
	// The patch applies to the stored document, so the row stays locked from read to write.
	err := s.InTx(ctx, func(q *db.Queries) error {
		current, err := q.GetScopedSubscriptionForUpdate(ctx, db.GetScopedSubscriptionForUpdateParams(where))
		if err != nil {
			return kit.Found(err, "webhook", strconv.Itoa(int(id)))
		}
		if unmodifiedSince != nil && current.Subscription.UpdatedAt.Truncate(time.Second).After(*unmodifiedSince) {
			return errModifiedSince
		}
		entity, err := next(toSuperOfficeEntity(current.Subscription))
		if err != nil {
			return err
		}
		fields, err := s.checkReplacing(entity)
		if err != nil {
			return err
		}
		row, err := q.ReplaceSuperOfficeWebhook(ctx, replaceParams(where, fields))
		if err != nil {
			return err
		}
		out = toSuperOfficeWebhook(ctx, row.Subscription, row.Scope)
		return nil
	})
	return out, err
}

// checkReplacing checks an entity that replaces a webhook.
func (s SuperOffice) checkReplacing(entity *gen.Webhook) (soFields, error) {
	fields, err := soEntity(entity, true)
	if err == nil && !s.Targets.Allows(fields.Url) {
		err = kit.Invalid("", "TargetUrl "+kit.TargetRefusal)
	}
	return fields, err
}

func replaceParams(where db.GetScopedSubscriptionWithScopeParams, f soFields) db.ReplaceSuperOfficeWebhookParams {
	return db.ReplaceSuperOfficeWebhookParams{
		Name: f.Name, Url: f.Url, Events: f.Events, Secret: kit.NullString(f.Secret), Headers: f.Headers,
		Properties: f.Properties, ErrorsEmail: f.ErrorsEmail, Status: f.Status,
		ScopeDialect: where.ScopeDialect, ScopeExternalID: where.ScopeExternalID, AccountID: where.AccountID,
		Dialect: where.Dialect, ExternalID: where.ExternalID,
	}
}
