package superoffice

import (
	"context"
	"errors"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/delivery"
)

// The Webhook agent (POST /api/v1/Agents/Webhook/<Method>) is SuperOffice's RPC style of the
// same API: each method delegates to what the REST routes use, on the same webhooks, and answers
// the entity without _Links.

// SuperOfficeAgentCreateDefaultWebhook returns the template a new webhook starts from.
func (s SuperOffice) SuperOfficeAgentCreateDefaultWebhook(context.Context, gen.SuperOfficeAgentCreateDefaultWebhookRequestObject) (gen.SuperOfficeAgentCreateDefaultWebhookResponseObject, error) {
	return gen.SuperOfficeAgentCreateDefaultWebhook200JSONResponse(agentWebhook(soDefaultWebhook())), nil
}

// SuperOfficeAgentSaveWebhook creates the webhook when its WebhookId is 0 or absent and
// replaces the webhook with that id otherwise.
func (s SuperOffice) SuperOfficeAgentSaveWebhook(ctx context.Context, req gen.SuperOfficeAgentSaveWebhookRequestObject) (gen.SuperOfficeAgentSaveWebhookResponseObject, error) {
	var id int32
	if req.Body != nil {
		id, _ = nv(req.Body.WebhookId)
	}
	var out gen.WebhookWithLinks
	var err error
	if id == 0 {
		out, err = s.create(ctx, req.Body)
	} else {
		out, err = s.replace(ctx, id, req.Body)
	}
	var inv *kit.InvalidError
	switch {
	case errors.As(err, &inv):
		return gen.SuperOfficeAgentSaveWebhook400JSONResponse{SoBadRequestJSONResponse: soBadRequest(inv)}, nil
	case kit.IsNotFound(err):
		return gen.SuperOfficeAgentSaveWebhook404JSONResponse{SoNotFoundJSONResponse: soNotFound(id)}, nil
	case err != nil:
		return nil, err
	}
	return gen.SuperOfficeAgentSaveWebhook200JSONResponse(selectMembers(agentWebhook(out), req.Params.Select)), nil
}

// SuperOfficeAgentGetWebhook returns one webhook.
func (s SuperOffice) SuperOfficeAgentGetWebhook(ctx context.Context, req gen.SuperOfficeAgentGetWebhookRequestObject) (gen.SuperOfficeAgentGetWebhookResponseObject, error) {
	w, _, err := s.find(ctx, req.Params.WebhookId)
	if kit.IsNotFound(err) {
		return gen.SuperOfficeAgentGetWebhook404JSONResponse{SoNotFoundJSONResponse: soNotFound(req.Params.WebhookId)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficeAgentGetWebhook200JSONResponse(selectMembers(agentWebhook(w), req.Params.Select)), nil
}

// SuperOfficeAgentGetAllWebhooks lists the installation's webhooks that pass the filters.
func (s SuperOffice) SuperOfficeAgentGetAllWebhooks(ctx context.Context, req gen.SuperOfficeAgentGetAllWebhooksRequestObject) (gen.SuperOfficeAgentGetAllWebhooksResponseObject, error) {
	var f soFilter
	if b := req.Body; b != nil {
		f.name, _ = nv(b.NameFilter)
		f.event, _ = nv(b.EventFilter)
		state, _ := nv(b.StatusFilter)
		f.state = gen.WebhookState(state)
	}
	rows, err := s.list(ctx, f)
	if err != nil {
		return nil, err
	}
	list := make(gen.WebhookList, len(rows))
	for i, w := range rows {
		list[i] = selectMembers(agentWebhook(w), req.Params.Select)
	}
	return gen.SuperOfficeAgentGetAllWebhooks200JSONResponse(list), nil
}

// SuperOfficeAgentTestWebhook calls the webhook's target with a test event; nothing is stored.
func (s SuperOffice) SuperOfficeAgentTestWebhook(ctx context.Context, req gen.SuperOfficeAgentTestWebhookRequestObject) (gen.SuperOfficeAgentTestWebhookResponseObject, error) {
	var entity *gen.Webhook
	if req.Body != nil {
		entity = req.Body.Webhook
	}
	result, err := s.test(ctx, entity)
	var inv *kit.InvalidError
	if errors.As(err, &inv) {
		return gen.SuperOfficeAgentTestWebhook400JSONResponse{SoBadRequestJSONResponse: soBadRequest(inv)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficeAgentTestWebhook200JSONResponse(result), nil
}

// SuperOfficeAgentSignalEvent raises a custom event for the installation's webhooks.
func (s SuperOffice) SuperOfficeAgentSignalEvent(ctx context.Context, req gen.SuperOfficeAgentSignalEventRequestObject) (gen.SuperOfficeAgentSignalEventResponseObject, error) {
	data, _ := nv(req.Body.Data)
	if err := s.signal(ctx, req.Body.EventName, kit.Deref(req.Body.PrimaryKey), data); errors.Is(err, delivery.ErrAccountErasing) {
		return gen.SuperOfficeAgentSignalEvent401JSONResponse{SoUnauthorizedJSONResponse: erasedAccount()}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficeAgentSignalEvent204Response{}, nil
}

// SuperOfficeAgentGetLastError returns what delivering to the webhook last failed with.
func (s SuperOffice) SuperOfficeAgentGetLastError(ctx context.Context, req gen.SuperOfficeAgentGetLastErrorRequestObject) (gen.SuperOfficeAgentGetLastErrorResponseObject, error) {
	_, row, err := s.find(ctx, req.Body.WebhookId)
	if kit.IsNotFound(err) {
		return gen.SuperOfficeAgentGetLastError404JSONResponse{SoNotFoundJSONResponse: soNotFound(req.Body.WebhookId)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficeAgentGetLastError200JSONResponse(row.LastError), nil
}

// SuperOfficeAgentDeleteWebhook removes a webhook.
func (s SuperOffice) SuperOfficeAgentDeleteWebhook(ctx context.Context, req gen.SuperOfficeAgentDeleteWebhookRequestObject) (gen.SuperOfficeAgentDeleteWebhookResponseObject, error) {
	err := s.remove(ctx, req.Params.WebhookId)
	if kit.IsNotFound(err) {
		return gen.SuperOfficeAgentDeleteWebhook404JSONResponse{SoNotFoundJSONResponse: soNotFound(req.Params.WebhookId)}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficeAgentDeleteWebhook204Response{}, nil
}

// agentWebhook is the REST entity without its _Links, as the agent answers it.
func agentWebhook(w gen.WebhookWithLinks) gen.Webhook {
	return gen.Webhook{
		WebhookId: w.WebhookId, Name: w.Name, Events: w.Events, TargetUrl: w.TargetUrl, Secret: w.Secret,
		State: w.State, Type: w.Type, Headers: w.Headers, Properties: w.Properties, ErrorsEmail: w.ErrorsEmail,
		Registered: w.Registered, RegisteredAssociate: w.RegisteredAssociate, Updated: w.Updated, UpdatedAssociate: w.UpdatedAssociate,
	}
}
