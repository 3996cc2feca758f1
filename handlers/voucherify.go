package handlers

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Voucherify implements the Voucherify Management API's project webhooks.
type Voucherify struct {
	store
}

const dialectVoucherifyWebhook = "voucherify"

// VoucherifyCreateWebhook answers 200, as Voucherify does, with the new configuration.
func (v Voucherify) VoucherifyCreateWebhook(ctx context.Context, req gen.VoucherifyCreateWebhookRequestObject) (gen.VoucherifyCreateWebhookResponseObject, error) {
	project, err := v.project(ctx, req.ProjectId)
	if body, ok := missing(err); ok {
		return gen.VoucherifyCreateWebhook404JSONResponse{VoucherifyProjectNotFoundJSONResponse: gen.VoucherifyProjectNotFoundJSONResponse(body)}, nil
	}
	if err != nil {
		return nil, err
	}
	if fields := checkVoucherifyWebhook(v.targets, req.Body.TargetUrl, req.Body.Events); fields != nil {
		return gen.VoucherifyCreateWebhook400JSONResponse{VoucherifyInvalidPayloadJSONResponse: gen.VoucherifyInvalidPayloadJSONResponse(voucherifyInvalidPayload(requestIDFrom(ctx), fields))}, nil
	}
	active := req.Body.Active == nil || *req.Body.Active
	row, err := v.q.CreateSubscription(ctx, db.CreateSubscriptionParams{
		AccountID:  project.AccountID,
		ScopeID:    project.ID,
		Dialect:    dialectVoucherifyWebhook,
		ExternalID: "wh_" + randomAlphanumeric(24),
		Url:        req.Body.TargetUrl,
		Events:     eventNames(req.Body.Events),
		Filters:    json.RawMessage(`[]`),
		Status:     activeStatus(active),
		Headers:    json.RawMessage(`{}`),
		Properties: json.RawMessage(`{}`),
	})
	if err != nil {
		return nil, err
	}
	return gen.VoucherifyCreateWebhook200JSONResponse(toVoucherifyWebhook(row)), nil
}

// VoucherifyListWebhooks lists every webhook of the project, oldest first; Voucherify does not
// paginate this list.
func (v Voucherify) VoucherifyListWebhooks(ctx context.Context, req gen.VoucherifyListWebhooksRequestObject) (gen.VoucherifyListWebhooksResponseObject, error) {
	project, err := v.project(ctx, req.ProjectId)
	if body, ok := missing(err); ok {
		return gen.VoucherifyListWebhooks404JSONResponse{VoucherifyProjectNotFoundJSONResponse: gen.VoucherifyProjectNotFoundJSONResponse(body)}, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := v.q.ListScopeSubscriptions(ctx, project.ID)
	if err != nil {
		return nil, err
	}
	data := make([]gen.ManagementProjectsWebhook, len(rows))
	for i, r := range rows {
		data[i] = toVoucherifyWebhook(r)
	}
	return gen.VoucherifyListWebhooks200JSONResponse{Object: gen.List, DataRef: gen.Data, Data: data, Total: len(data)}, nil
}

// VoucherifyGetWebhook returns one webhook configuration.
func (v Voucherify) VoucherifyGetWebhook(ctx context.Context, req gen.VoucherifyGetWebhookRequestObject) (gen.VoucherifyGetWebhookResponseObject, error) {
	row, err := v.webhook(ctx, req.ProjectId, req.WebhookId)
	if body, ok := missing(err); ok {
		return gen.VoucherifyGetWebhook404JSONResponse{VoucherifyWebhookNotFoundJSONResponse: gen.VoucherifyWebhookNotFoundJSONResponse(body)}, nil
	}
	if err != nil {
		return nil, err
	}
	return gen.VoucherifyGetWebhook200JSONResponse(toVoucherifyWebhook(row)), nil
}

// VoucherifyUpdateWebhook replaces target_url and events; active is kept when absent.
func (v Voucherify) VoucherifyUpdateWebhook(ctx context.Context, req gen.VoucherifyUpdateWebhookRequestObject) (gen.VoucherifyUpdateWebhookResponseObject, error) {
	if fields := checkVoucherifyWebhook(v.targets, req.Body.TargetUrl, req.Body.Events); fields != nil {
		return gen.VoucherifyUpdateWebhook400JSONResponse{VoucherifyInvalidPayloadJSONResponse: gen.VoucherifyInvalidPayloadJSONResponse(voucherifyInvalidPayload(requestIDFrom(ctx), fields))}, nil
	}
	var updated db.Subscription
	err := v.inTx(ctx, func(q *db.Queries) error {
		project, err := v.projectWith(ctx, q, req.ProjectId)
		if err != nil {
			return err
		}
		row, err := q.GetSubscriptionForUpdate(ctx, db.GetSubscriptionForUpdateParams{ScopeID: project.ID, Dialect: dialectVoucherifyWebhook, ExternalID: req.WebhookId})
		if err != nil {
			return v.missingWebhook(ctx, err, req.WebhookId)
		}
		status := row.Status
		if req.Body.Active != nil {
			status = activeStatus(*req.Body.Active)
		}
		updated, err = q.UpdateSubscription(ctx, updateParams(row, func(p *db.UpdateSubscriptionParams) {
			p.Url = req.Body.TargetUrl
			p.Events = eventNames(req.Body.Events)
			p.Status = status
			if status == statusActive {
				p.StatusReason = ""
			}
		}))
		return err
	})
	if body, ok := missing(err); ok {
		return gen.VoucherifyUpdateWebhook404JSONResponse{VoucherifyWebhookNotFoundJSONResponse: gen.VoucherifyWebhookNotFoundJSONResponse(body)}, nil
	}
	if err != nil {
		return nil, err
	}
	return gen.VoucherifyUpdateWebhook200JSONResponse(toVoucherifyWebhook(updated)), nil
}

// VoucherifyDeleteWebhook removes a webhook configuration.
func (v Voucherify) VoucherifyDeleteWebhook(ctx context.Context, req gen.VoucherifyDeleteWebhookRequestObject) (gen.VoucherifyDeleteWebhookResponseObject, error) {
	project, err := v.project(ctx, req.ProjectId)
	if body, ok := missing(err); ok {
		return gen.VoucherifyDeleteWebhook404JSONResponse{VoucherifyWebhookNotFoundJSONResponse: gen.VoucherifyWebhookNotFoundJSONResponse(body)}, nil
	}
	if err != nil {
		return nil, err
	}
	n, err := v.q.DeleteSubscription(ctx, db.DeleteSubscriptionParams{ScopeID: project.ID, Dialect: dialectVoucherifyWebhook, ExternalID: req.WebhookId})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return gen.VoucherifyDeleteWebhook404JSONResponse{VoucherifyWebhookNotFoundJSONResponse: gen.VoucherifyWebhookNotFoundJSONResponse(voucherifyNotFound(requestIDFrom(ctx), "webhook", req.WebhookId))}, nil
	}
	return gen.VoucherifyDeleteWebhook204Response{}, nil
}

// voucherifyMissing carries the 404 body for a project or webhook that the caller cannot see.
type voucherifyMissing struct{ body gen.Error }

func (e *voucherifyMissing) Error() string { return *e.body.Details }

func (v Voucherify) project(ctx context.Context, projectID string) (db.Scope, error) {
	return v.projectWith(ctx, v.q, projectID)
}

// projectWith finds the caller's project; another account's project is reported as missing.
func (v Voucherify) projectWith(ctx context.Context, q *db.Queries, projectID string) (db.Scope, error) {
	scope, err := q.GetScope(ctx, db.GetScopeParams{Dialect: scopeVoucherifyProject, ExternalID: projectID, AccountID: accountFrom(ctx).ID})
	if err := notFound(err, "project"); errors.Is(err, errNotFound) {
		return db.Scope{}, &voucherifyMissing{voucherifyNotFound(requestIDFrom(ctx), "project", projectID)}
	} else if err != nil {
		return db.Scope{}, err
	}
	return scope, nil
}

func (v Voucherify) webhook(ctx context.Context, projectID, webhookID string) (db.Subscription, error) {
	project, err := v.project(ctx, projectID)
	if err != nil {
		return db.Subscription{}, err
	}
	row, err := v.q.GetSubscription(ctx, db.GetSubscriptionParams{ScopeID: project.ID, Dialect: dialectVoucherifyWebhook, ExternalID: webhookID})
	if err != nil {
		return db.Subscription{}, v.missingWebhook(ctx, err, webhookID)
	}
	return row, nil
}

func (v Voucherify) missingWebhook(ctx context.Context, err error, webhookID string) error {
	if err := notFound(err, "webhook"); !errors.Is(err, errNotFound) {
		return err
	}
	return &voucherifyMissing{voucherifyNotFound(requestIDFrom(ctx), "webhook", webhookID)}
}

// missing returns the 404 body when err says the project or webhook is not the caller's.
func missing(err error) (gen.Error, bool) {
	var m *voucherifyMissing
	if errors.As(err, &m) {
		return m.body, true
	}
	return gen.Error{}, false
}

// checkVoucherifyWebhook applies the rules the schema cannot express: a webhook must be
// deliverable somewhere and fire on something.
func checkVoucherifyWebhook(targets targetPolicy, targetURL string, events []gen.ManagementProjectsWebhookEvent) []fieldError {
	var fields []fieldError
	if !absoluteURL(targetURL, "http", "https") {
		fields = append(fields, fieldError{path: "target_url", message: "must be an absolute http or https URL"})
	} else if !targets.allows(targetURL) {
		fields = append(fields, fieldError{path: "target_url", message: targetRefusal})
	}
	if len(events) == 0 {
		fields = append(fields, fieldError{path: "events", message: "must list at least one event"})
	}
	return fields
}

// updateParams starts from the stored row so that an update changes only what edit sets.
func updateParams(row db.Subscription, edit func(*db.UpdateSubscriptionParams)) db.UpdateSubscriptionParams {
	p := db.UpdateSubscriptionParams{
		ID: row.ID, Name: row.Name, Url: row.Url, Events: row.Events, Filters: row.Filters,
		Status: row.Status, StatusReason: row.StatusReason, Secret: row.Secret,
		Headers: row.Headers, Properties: row.Properties, Template: row.Template,
		LastError: row.LastError, ErrorsEmail: row.ErrorsEmail,
	}
	edit(&p)
	return p
}
