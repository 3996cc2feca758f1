// Package superoffice is SuperOffice's WebAPI Webhook agent: the REST routes and the agent's RPC
// routes on one store, Basic, SOTicket and Bearer authentication, and bodies in JSON, text/json,
// XML (DataContract style) or forms, answered in the encoding the client accepts.
package superoffice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/oapi-codegen/nullable"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Dialect is the superoffice tag of openapi.yaml.
const Dialect kit.Dialect = "superoffice"

// SuperOffice implements the SuperOffice WebAPI Webhook agent.
type SuperOffice struct {
	kit.Store
	tester *targetTester
}

// New serves SuperOffice on st; its POST /Test calls targets through transport, which must
// apply the egress policy (egress.Policy.Transport).
func New(st kit.Store, transport http.RoundTripper) SuperOffice {
	return SuperOffice{Store: st, tester: newTargetTester(transport)}
}

const (
	scopeSuperOffice          = "superoffice"
	dialectSuperOfficeWebhook = "superoffice"
	credentialSOBasic         = "superoffice_basic"
	credentialSOTicket        = "superoffice_ticket"
	credentialSOBearer        = "superoffice_bearer"
	soTypeWebhook             = "webhook"
	statusStopped             = "stopped"
	statusTooManyErrors       = "too_many_errors"
)

func soError(errorType gen.SoErrorErrorType, message string) gen.SoError {
	return gen.SoError{Error: message, ErrorType: errorType}
}

func soNotFound(id int32) gen.SoNotFoundJSONResponse {
	return gen.SoNotFoundJSONResponse(soError(gen.SoErrorErrorTypeNotFound, fmt.Sprintf("Webhook %d not found", id)))
}

// SuperOfficeGetAllWebhooks lists the account's webhooks, filtered in the database's order.
func (s SuperOffice) SuperOfficeGetAllWebhooks(ctx context.Context, req gen.SuperOfficeGetAllWebhooksRequestObject) (gen.SuperOfficeGetAllWebhooksResponseObject, error) {
	p := req.Params
	list, err := s.list(ctx, soFilter{name: kit.Deref(p.NameFilter), event: kit.Deref(p.EventFilter), state: kit.Deref(p.StatusFilter)})
	if err != nil {
		return nil, err
	}
	return gen.SuperOfficeGetAllWebhooks200JSONResponse(list), nil
}

// soFilter selects webhooks; empty members (and state Unknown) do not filter.
type soFilter struct {
	name, event string
	state       gen.WebhookState
}

// list returns the installation's webhooks that pass f, in the database's order.
func (s SuperOffice) list(ctx context.Context, f soFilter) (gen.WebhookWithLinksList, error) {
	account := kit.AccountFrom(ctx)
	rows, err := s.Q.ListScopedSubscriptionsAfter(ctx, db.ListScopedSubscriptionsAfterParams{
		ScopeDialect: scopeSuperOffice, ScopeExternalID: account.ID.String(), AccountID: account.ID,
	})
	if err != nil {
		return nil, err
	}
	list := gen.WebhookWithLinksList{}
	for _, row := range rows {
		switch r := row.Subscription; {
		case f.name != "" && !strings.Contains(strings.ToLower(r.Name), strings.ToLower(f.name)):
		case f.event != "" && !slices.Contains(r.Events, f.event):
		case f.state != "" && f.state != gen.WebhookStateUnknown && soState(r.Status) != f.state:
		default:
			list = append(list, toSuperOfficeWebhook(ctx, r, row.Scope))
		}
	}
	return list, nil
}

// SuperOfficeDefaultWebhook returns the template a new webhook starts from.
func (s SuperOffice) SuperOfficeDefaultWebhook(ctx context.Context, _ gen.SuperOfficeDefaultWebhookRequestObject) (gen.SuperOfficeDefaultWebhookResponseObject, error) {
	return gen.SuperOfficeDefaultWebhook200JSONResponse(soDefaultWebhook()), nil
}

// soDefaultWebhook is NetServer's template for a new webhook.
func soDefaultWebhook() gen.WebhookWithLinks {
	return gen.WebhookWithLinks{
		WebhookId:           nullable.NewNullableWithValue[int32](0),
		Name:                nullable.NewNullableWithValue(""),
		Events:              nullable.NewNullableWithValue([]string{"contact.created", "contact.deleted"}),
		TargetUrl:           nullable.NewNullableWithValue(""),
		Secret:              nullable.NewNullableWithValue(""),
		State:               nullable.NewNullableWithValue(gen.WebhookStateNullableActive),
		Type:                nullable.NewNullableWithValue(soTypeWebhook),
		Headers:             nullable.NewNullableWithValue(map[string]string{}),
		Properties:          nullable.NewNullableWithValue(map[string]any{}),
		ErrorsEmail:         nullable.NewNullableWithValue(""),
		Registered:          nullable.NewNullNullable[time.Time](),
		RegisteredAssociate: nullable.NewNullNullable[gen.Associate](),
		Updated:             nullable.NewNullNullable[time.Time](),
		UpdatedAssociate:    nullable.NewNullNullable[gen.Associate](),
		UnderscoreLinks:     nullable.NewNullableWithValue(map[string]string{}),
	}
}

// SuperOfficePostWebhook creates a webhook; SuperOffice answers 200, not 201.
func (s SuperOffice) SuperOfficePostWebhook(ctx context.Context, req gen.SuperOfficePostWebhookRequestObject) (gen.SuperOfficePostWebhookResponseObject, error) {
	out, err := s.create(ctx, req.Body)
	var inv *kit.InvalidError
	if errors.As(err, &inv) {
		return gen.SuperOfficePostWebhook400JSONResponse{SoBadRequestJSONResponse: soBadRequest(inv)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficePostWebhook200JSONResponse(selectMembers(out, req.Params.Select)), nil
}

func soBadRequest(inv *kit.InvalidError) gen.SoBadRequestJSONResponse {
	return gen.SoBadRequestJSONResponse(soError(gen.SoErrorErrorTypeBadRequest, inv.Error()))
}

// create checks an entity and stores it as a new webhook.
func (s SuperOffice) create(ctx context.Context, entity *gen.Webhook) (gen.WebhookWithLinks, error) {
	fields, err := soEntity(entity, false)
	if err != nil {
		return gen.WebhookWithLinks{}, err
	}
	if !s.Targets.Allows(fields.Url) {
		return gen.WebhookWithLinks{}, kit.Invalid("", "TargetUrl "+kit.TargetRefusal)
	}
	account := kit.AccountFrom(ctx)
	row, err := s.Q.CreateSuperOfficeWebhook(ctx, db.CreateSuperOfficeWebhookParams{
		ScopeDialect: scopeSuperOffice, ScopeExternalID: account.ID.String(), AccountID: account.ID,
		Dialect: dialectSuperOfficeWebhook, Name: fields.Name, Url: fields.Url, Events: fields.Events,
		Status: fields.Status, Secret: kit.Deref(fields.Secret), Headers: fields.Headers, Properties: fields.Properties,
		Service: fields.Type, ErrorsEmail: fields.ErrorsEmail,
	})
	if err != nil {
		return gen.WebhookWithLinks{}, fmt.Errorf("account %s: create webhook: %w", account.ID, err)
	}
	return toSuperOfficeWebhook(ctx, createdSubscription(row), db.Scope{Name: row.ScopeName, ParentID: row.ScopeParentID}), nil
}

// createdSubscription is the subscription part of CreateSuperOfficeWebhook's row.
func createdSubscription(r db.CreateSuperOfficeWebhookRow) db.Subscription {
	return db.Subscription{
		ID: r.ID, AccountID: r.AccountID, ScopeID: r.ScopeID, Dialect: r.Dialect, ExternalID: r.ExternalID,
		Name: r.Name, Url: r.Url, Events: r.Events, Filters: r.Filters, Status: r.Status,
		StatusReason: r.StatusReason, Secret: r.Secret, Headers: r.Headers, Properties: r.Properties,
		Service: r.Service, Template: r.Template, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		LastError: r.LastError, ErrorsEmail: r.ErrorsEmail, ConsecutiveFailures: r.ConsecutiveFailures,
		PreviousSecret: r.PreviousSecret, PreviousSecretUntil: r.PreviousSecretUntil,
	}
}

// SuperOfficeGetWebhook returns one webhook.
func (s SuperOffice) SuperOfficeGetWebhook(ctx context.Context, req gen.SuperOfficeGetWebhookRequestObject) (gen.SuperOfficeGetWebhookResponseObject, error) {
	w, _, err := s.find(ctx, req.Id)
	if kit.IsNotFound(err) {
		return gen.SuperOfficeGetWebhook404JSONResponse{SoNotFoundJSONResponse: soNotFound(req.Id)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficeGetWebhook200JSONResponse(selectMembers(w, req.Params.Select)), nil
}

// find returns one of the installation's webhooks, or kit.ErrNotFound.
func (s SuperOffice) find(ctx context.Context, id int32) (gen.WebhookWithLinks, db.Subscription, error) {
	row, err := s.Q.GetScopedSubscriptionWithScope(ctx, webhookOf(ctx, id))
	if err != nil {
		return gen.WebhookWithLinks{}, db.Subscription{}, kit.Found(err, "webhook", strconv.Itoa(int(id)))
	}
	return toSuperOfficeWebhook(ctx, row.Subscription, row.Scope), row.Subscription, nil
}

// webhookOf names one of the webhooks of the caller's installation, the account's one scope.
func webhookOf(ctx context.Context, id int32) db.GetScopedSubscriptionWithScopeParams {
	account := kit.AccountFrom(ctx)
	return db.GetScopedSubscriptionWithScopeParams{
		ScopeDialect: scopeSuperOffice, ScopeExternalID: account.ID.String(), AccountID: account.ID,
		Dialect: dialectSuperOfficeWebhook, ExternalID: strconv.Itoa(int(id)),
	}
}

// SuperOfficePutWebhook replaces a webhook with the entity in the body.
func (s SuperOffice) SuperOfficePutWebhook(ctx context.Context, req gen.SuperOfficePutWebhookRequestObject) (gen.SuperOfficePutWebhookResponseObject, error) {
	out, err := s.replace(ctx, req.Id, req.Body)
	var inv *kit.InvalidError
	switch {
	case errors.As(err, &inv):
		return gen.SuperOfficePutWebhook400JSONResponse{SoBadRequestJSONResponse: soBadRequest(inv)}, nil
	case kit.IsNotFound(err):
		return gen.SuperOfficePutWebhook404JSONResponse{SoNotFoundJSONResponse: soNotFound(req.Id)}, nil
	case err != nil:
		return nil, err
	}
	return gen.SuperOfficePutWebhook200JSONResponse(selectMembers(out, req.Params.Select)), nil
}

// SuperOfficeDeleteWebhook removes a webhook.
func (s SuperOffice) SuperOfficeDeleteWebhook(ctx context.Context, req gen.SuperOfficeDeleteWebhookRequestObject) (gen.SuperOfficeDeleteWebhookResponseObject, error) {
	err := s.remove(ctx, req.Id)
	if kit.IsNotFound(err) {
		return gen.SuperOfficeDeleteWebhook404JSONResponse{SoNotFoundJSONResponse: soNotFound(req.Id)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficeDeleteWebhook204Response{}, nil
}

// remove deletes one of the installation's webhooks, or answers kit.ErrNotFound.
func (s SuperOffice) remove(ctx context.Context, id int32) error {
	n, err := s.Q.DeleteScopedSubscription(ctx, db.DeleteScopedSubscriptionParams(webhookOf(ctx, id)))
	if err != nil {
		return err
	}
	if n == 0 {
		return kit.NotFound("webhook", strconv.Itoa(int(id)))
	}
	return nil
}

// SuperOfficeGetLastError returns what delivering to the webhook last failed with.
func (s SuperOffice) SuperOfficeGetLastError(ctx context.Context, req gen.SuperOfficeGetLastErrorRequestObject) (gen.SuperOfficeGetLastErrorResponseObject, error) {
	_, row, err := s.find(ctx, req.Id)
	if kit.IsNotFound(err) {
		return gen.SuperOfficeGetLastError404JSONResponse{SoNotFoundJSONResponse: soNotFound(req.Id)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficeGetLastError200JSONResponse(row.LastError), nil
}

// SuperOfficeTestWebhook calls the webhook's target with a test event; nothing is stored.
func (s SuperOffice) SuperOfficeTestWebhook(ctx context.Context, req gen.SuperOfficeTestWebhookRequestObject) (gen.SuperOfficeTestWebhookResponseObject, error) {
	result, err := s.test(ctx, req.Body)
	var inv *kit.InvalidError
	if errors.As(err, &inv) {
		return gen.SuperOfficeTestWebhook400JSONResponse{SoBadRequestJSONResponse: soBadRequest(inv)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficeTestWebhook200JSONResponse(result), nil
}

// test checks an entity and calls its target with a test event.
func (s SuperOffice) test(ctx context.Context, entity *gen.Webhook) (gen.WebhookResult, error) {
	fields, err := soEntity(entity, false)
	if err != nil {
		return gen.WebhookResult{}, err
	}
	ok, message := s.tester.test(ctx, fields, kit.AccountFrom(ctx))
	return gen.WebhookResult{Success: ok, Message: message}, nil
}
