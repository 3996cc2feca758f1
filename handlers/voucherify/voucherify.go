// Package voucherify is Voucherify's Management API for project webhooks: X-Management-Id and
// -Token, its error bodies (e_400_invalid_payload, 402 without the Management API feature), and
// webhook ids shaped like its own.
package voucherify

import (
	"context"
	"database/sql"
	"errors"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Voucherify implements the Voucherify Management API's project webhooks.
type Voucherify struct {
	kit.Store
}

const (
	// Dialect is the voucherify tag of openapi.yaml.
	Dialect kit.Dialect = "voucherify"
	// ScopeDialect marks a Voucherify project in the scopes table.
	ScopeDialect = "voucherify"
	// dialectVoucherifyWebhook marks a webhook in the subscriptions table.
	dialectVoucherifyWebhook = "voucherify"
	credentialVoucherify     = "voucherify"
)

// VoucherifyCreateWebhook answers 200, as Voucherify does, with the new configuration.
func (v Voucherify) VoucherifyCreateWebhook(ctx context.Context, req gen.VoucherifyCreateWebhookRequestObject) (gen.VoucherifyCreateWebhookResponseObject, error) {
	if fields := checkVoucherifyWebhook(v.Targets, req.Body.TargetUrl, req.Body.Events); fields != nil {
		// An unknown or foreign project outranks what is wrong with the body.
		if _, err := v.project(ctx, req.ProjectId); err != nil {
			if body, ok := missing(ctx, err); ok {
				return gen.VoucherifyCreateWebhook404JSONResponse{VoucherifyProjectNotFoundJSONResponse: gen.VoucherifyProjectNotFoundJSONResponse(body)}, nil
			}
			return nil, err
		}
		return gen.VoucherifyCreateWebhook400JSONResponse{VoucherifyInvalidPayloadJSONResponse: gen.VoucherifyInvalidPayloadJSONResponse(voucherifyInvalidPayload(kit.RequestIDFrom(ctx), fields))}, nil
	}
	active := req.Body.Active == nil || *req.Body.Active
	row, err := v.Q.CreateScopedSubscription(ctx, db.CreateScopedSubscriptionParams{
		ScopeDialect: ScopeDialect, ScopeExternalID: req.ProjectId, AccountID: kit.AccountFrom(ctx).ID,
		Dialect:    dialectVoucherifyWebhook,
		ExternalID: "wh_" + kit.RandomAlphanumeric(24),
		Url:        req.Body.TargetUrl,
		Events:     kit.EventNames(req.Body.Events),
		Filters:    db.JSON(`[]`),
		Status:     kit.ActiveStatus(active),
		Headers:    db.JSON(`{}`),
		Properties: db.JSON(`{}`),
	})
	if body, ok := missing(ctx, kit.Found(err, "project", req.ProjectId)); ok {
		return gen.VoucherifyCreateWebhook404JSONResponse{VoucherifyProjectNotFoundJSONResponse: gen.VoucherifyProjectNotFoundJSONResponse(body)}, nil
	}
	if err != nil {
		return nil, err
	}
	return gen.VoucherifyCreateWebhook200JSONResponse(toVoucherifyWebhook(row)), nil
}

// VoucherifyListWebhooks lists every webhook of the project, oldest first; Voucherify does not
// paginate this list.
func (v Voucherify) VoucherifyListWebhooks(ctx context.Context, req gen.VoucherifyListWebhooksRequestObject) (gen.VoucherifyListWebhooksResponseObject, error) {
	rows, err := v.Q.ListScopedSubscriptions(ctx, db.ListScopedSubscriptionsParams{
		ScopeDialect: ScopeDialect, ScopeExternalID: req.ProjectId, AccountID: kit.AccountFrom(ctx).ID,
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		// Empty: an empty project, or none of the caller's.
		if _, err := v.project(ctx, req.ProjectId); err != nil {
			if body, ok := missing(ctx, err); ok {
				return gen.VoucherifyListWebhooks404JSONResponse{VoucherifyProjectNotFoundJSONResponse: gen.VoucherifyProjectNotFoundJSONResponse(body)}, nil
			}
			return nil, err
		}
	}
	data := make([]gen.ManagementProjectsWebhook, len(rows))
	for i, r := range rows {
		data[i] = toVoucherifyWebhook(r)
	}
	return gen.VoucherifyListWebhooks200JSONResponse{Object: gen.List, DataRef: gen.Data, Data: data, Total: len(data)}, nil
}

// VoucherifyGetWebhook returns one webhook configuration.
func (v Voucherify) VoucherifyGetWebhook(ctx context.Context, req gen.VoucherifyGetWebhookRequestObject) (gen.VoucherifyGetWebhookResponseObject, error) {
	row, err := v.Q.GetScopedSubscription(ctx, v.scoped(ctx, req.ProjectId, req.WebhookId))
	if err != nil {
		err = v.missingWebhook(ctx, err, req.ProjectId, req.WebhookId)
	}
	if body, ok := missing(ctx, err); ok {
		return gen.VoucherifyGetWebhook404JSONResponse{VoucherifyWebhookNotFoundJSONResponse: gen.VoucherifyWebhookNotFoundJSONResponse(body)}, nil
	}
	if err != nil {
		return nil, err
	}
	return gen.VoucherifyGetWebhook200JSONResponse(toVoucherifyWebhook(row)), nil
}

// VoucherifyUpdateWebhook replaces target_url and events; active is kept when absent.
func (v Voucherify) VoucherifyUpdateWebhook(ctx context.Context, req gen.VoucherifyUpdateWebhookRequestObject) (gen.VoucherifyUpdateWebhookResponseObject, error) {
	if fields := checkVoucherifyWebhook(v.Targets, req.Body.TargetUrl, req.Body.Events); fields != nil {
		return gen.VoucherifyUpdateWebhook400JSONResponse{VoucherifyInvalidPayloadJSONResponse: gen.VoucherifyInvalidPayloadJSONResponse(voucherifyInvalidPayload(kit.RequestIDFrom(ctx), fields))}, nil
	}
	where := v.scoped(ctx, req.ProjectId, req.WebhookId)
	params := db.ReplaceScopedSubscriptionTargetParams{
		Url: req.Body.TargetUrl, Events: kit.EventNames(req.Body.Events),
		ScopeDialect: where.ScopeDialect, ScopeExternalID: where.ScopeExternalID, AccountID: where.AccountID,
		Dialect: where.Dialect, ExternalID: where.ExternalID,
	}
	if req.Body.Active != nil {
		params.Status = sql.NullString{String: kit.ActiveStatus(*req.Body.Active), Valid: true}
	}
	updated, err := v.Q.ReplaceScopedSubscriptionTarget(ctx, params)
	if err != nil {
		err = v.missingWebhook(ctx, err, req.ProjectId, req.WebhookId)
	}
	if body, ok := missing(ctx, err); ok {
		return gen.VoucherifyUpdateWebhook404JSONResponse{VoucherifyWebhookNotFoundJSONResponse: gen.VoucherifyWebhookNotFoundJSONResponse(body)}, nil
	}
	if err != nil {
		return nil, err
	}
	return gen.VoucherifyUpdateWebhook200JSONResponse(toVoucherifyWebhook(updated)), nil
}

// VoucherifyDeleteWebhook removes a webhook configuration.
func (v Voucherify) VoucherifyDeleteWebhook(ctx context.Context, req gen.VoucherifyDeleteWebhookRequestObject) (gen.VoucherifyDeleteWebhookResponseObject, error) {
	where := v.scoped(ctx, req.ProjectId, req.WebhookId)
	n, err := v.Q.DeleteScopedSubscription(ctx, db.DeleteScopedSubscriptionParams(where))
	if err == nil && n == 0 {
		err = v.missingWebhook(ctx, sql.ErrNoRows, req.ProjectId, req.WebhookId)
	}
	if body, ok := missing(ctx, err); ok {
		return gen.VoucherifyDeleteWebhook404JSONResponse{VoucherifyWebhookNotFoundJSONResponse: gen.VoucherifyWebhookNotFoundJSONResponse(body)}, nil
	}
	if err != nil {
		return nil, err
	}
	return gen.VoucherifyDeleteWebhook204Response{}, nil
}

// scoped names the caller's webhook of a project.
func (v Voucherify) scoped(ctx context.Context, projectID, webhookID string) db.GetScopedSubscriptionParams {
	return db.GetScopedSubscriptionParams{
		ScopeDialect: ScopeDialect, ScopeExternalID: projectID, AccountID: kit.AccountFrom(ctx).ID,
		Dialect: dialectVoucherifyWebhook, ExternalID: webhookID,
	}
}

// project finds the caller's project; another account's project is reported as missing.
func (v Voucherify) project(ctx context.Context, projectID string) (db.Scope, error) {
	scope, err := v.Q.GetScope(ctx, db.GetScopeParams{Dialect: ScopeDialect, ExternalID: projectID, AccountID: kit.AccountFrom(ctx).ID})
	return scope, kit.Found(err, "project", projectID)
}

// missingWebhook explains a statement that found no webhook: the project is not the caller's,
// or it has no such webhook. It costs a query only on that path.
func (v Voucherify) missingWebhook(ctx context.Context, err error, projectID, webhookID string) error {
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := v.project(ctx, projectID); err != nil {
		return err
	}
	return kit.NotFound("webhook", webhookID)
}

// missing returns the 404 body when err says the project or webhook is not the caller's.
func missing(ctx context.Context, err error) (gen.Error, bool) {
	var nf *kit.NotFoundError
	if errors.As(err, &nf) {
		return voucherifyNotFound(kit.RequestIDFrom(ctx), nf.What, nf.ID), true
	}
	return gen.Error{}, false
}

// checkVoucherifyWebhook applies the rules the schema cannot express: a webhook must be
// deliverable somewhere and fire on something.
func checkVoucherifyWebhook(targets kit.TargetPolicy, targetURL string, events []gen.ManagementProjectsWebhookEvent) []kit.FieldError {
	var fields []kit.FieldError
	if !kit.AbsoluteURL(targetURL, "http", "https") {
		fields = append(fields, kit.FieldError{Path: "target_url", Message: "must be an absolute http or https URL"})
	} else if !targets.Allows(targetURL) {
		fields = append(fields, kit.FieldError{Path: "target_url", Message: kit.TargetRefusal})
	}
	if len(events) == 0 {
		fields = append(fields, kit.FieldError{Path: "events", Message: "must list at least one event"})
	}
	return fields
}

func toVoucherifyWebhook(s db.Subscription) gen.ManagementProjectsWebhook {
	events := make([]gen.ManagementProjectsWebhookEvent, len(s.Events))
	for i, e := range s.Events {
		events[i] = gen.ManagementProjectsWebhookEvent(e)
	}
	return gen.ManagementProjectsWebhook{
		Id:        s.ExternalID,
		Object:    gen.ManagementProjectsWebhookObjectWebhook,
		CreatedAt: s.CreatedAt.UTC(),
		TargetUrl: s.Url,
		Events:    events,
		Active:    s.Status == kit.StatusActive,
	}
}
