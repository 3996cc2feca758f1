package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/webhookd/webhookd/handlers/arkyn"
	"github.com/webhookd/webhookd/handlers/bird"
	"github.com/webhookd/webhookd/handlers/kit"
	"github.com/webhookd/webhookd/handlers/voucherify"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/delivery"
)

// Ingest takes events from an account's own backend into the delivery pipeline.
type Ingest struct {
	kit.Store
}

const credentialIngest = "ingest"

// IngestEvent records an event and queues its deliveries.
func (i Ingest) IngestEvent(ctx context.Context, req gen.IngestEventRequestObject) (gen.IngestEventResponseObject, error) {
	account := kit.AccountFrom(ctx)
	ev, err := i.event(ctx, account.ID, *req.Body, map[string]uuid.UUID{})
	var missing *ingestScopeMissing
	if errors.As(err, &missing) {
		return gen.IngestEvent404JSONResponse{Code: "not_found", Message: missing.Error()}, nil
	} else if err != nil {
		return nil, err
	}
	out, err := delivery.Ingest(ctx, i.Conn, account.ID, ev)
	if err != nil {
		return nil, err
	}
	return gen.IngestEvent202JSONResponse{Id: out.EventID, ExternalId: out.ExternalID, Deliveries: out.Deliveries, Duplicate: out.Duplicate}, nil
}

// IngestEventBatch records a batch of events and queues their deliveries, all or nothing.
func (i Ingest) IngestEventBatch(ctx context.Context, req gen.IngestEventBatchRequestObject) (gen.IngestEventBatchResponseObject, error) {
	account := kit.AccountFrom(ctx)
	events := make([]delivery.Event, len(req.Body.Events))
	scopes := map[string]uuid.UUID{}
	seen := make(map[string]int, len(events))
	for n, in := range req.Body.Events {
		if in.Id != nil {
			if _, dup := seen[*in.Id]; dup {
				return gen.IngestEventBatch400JSONResponse{Code: "invalid_request", Message: fmt.Sprintf("events[%d].id: %s occurs twice in the batch", n, *in.Id)}, nil
			}
			seen[*in.Id] = n
		}
		ev, err := i.event(ctx, account.ID, in, scopes)
		var missing *ingestScopeMissing
		if errors.As(err, &missing) {
			return gen.IngestEventBatch404JSONResponse{Code: "not_found", Message: fmt.Sprintf("events[%d].%s", n, missing.Error())}, nil
		} else if err != nil {
			return nil, err
		}
		events[n] = ev
	}
	out, err := delivery.IngestBatch(ctx, i.Conn, account.ID, events)
	if err != nil {
		return nil, err
	}
	resp := gen.IngestEventBatch202JSONResponse{Events: make([]gen.IngestedEvent, len(out))}
	for n, o := range out {
		resp.Events[n] = gen.IngestedEvent{Id: o.EventID, ExternalId: o.ExternalID, Deliveries: o.Deliveries, Duplicate: o.Duplicate}
		if !o.Duplicate {
			resp.Deliveries += o.Deliveries
		}
	}
	return resp, nil
}

// event turns one ingested event into the pipeline's; scopes caches resolved scopes.
func (i Ingest) event(ctx context.Context, accountID uuid.UUID, in gen.IngestEvent, scopes map[string]uuid.UUID) (delivery.Event, error) {
	ev := delivery.Event{Type: in.Type}
	if in.Id != nil {
		ev.ExternalID = *in.Id
	}
	if in.Data != nil {
		data, err := json.Marshal(*in.Data)
		if err != nil {
			return ev, err
		}
		ev.Data = data
	}
	if in.Attributes != nil {
		ev.Attributes = *in.Attributes
	}
	if sc := in.Scope; sc != nil {
		key := scopeKey(sc)
		id, ok := scopes[key]
		if !ok {
			scope, err := i.scope(ctx, accountID, sc)
			if err != nil {
				return ev, err
			}
			id, scopes[key] = scope.ID, scope.ID
		}
		ev.ScopeID = uuid.NullUUID{UUID: id, Valid: true}
	}
	return ev, nil
}

// scopeKey names the one member of an ingestion scope.
func scopeKey(sc *gen.IngestScope) string {
	switch {
	case sc.VoucherifyProjectId != nil:
		return "v:" + *sc.VoucherifyProjectId
	case sc.BirdWorkspaceId != nil:
		return "b:" + sc.BirdWorkspaceId.String()
	case sc.ArkynTrafficSourceId != nil:
		return "a:" + sc.ArkynTrafficSourceId.String()
	}
	return ""
}

type ingestScopeMissing struct{ what string }

func (e *ingestScopeMissing) Error() string { return "scope: no " + e.what }

// scope resolves the one member of an ingestion scope to the account's scope row.
func (i Ingest) scope(ctx context.Context, accountID uuid.UUID, sc *gen.IngestScope) (db.Scope, error) {
	var dialect, id, what string
	switch {
	case sc.VoucherifyProjectId != nil:
		dialect, id, what = voucherify.ScopeDialect, *sc.VoucherifyProjectId, "Voucherify project"
	case sc.BirdWorkspaceId != nil:
		dialect, id, what = bird.ScopeDialect, sc.BirdWorkspaceId.String(), "Bird workspace"
	case sc.ArkynTrafficSourceId != nil:
		dialect, id, what = arkyn.ScopeDialect, sc.ArkynTrafficSourceId.String(), "Arkyn traffic source"
	default:
		return db.Scope{}, &ingestScopeMissing{"project, workspace or traffic source named"}
	}
	scope, err := i.Q.GetScope(ctx, db.GetScopeParams{Dialect: dialect, ExternalID: id, AccountID: accountID})
	if err := kit.NotFound(err, "scope"); errors.Is(err, kit.ErrNotFound) {
		return db.Scope{}, &ingestScopeMissing{fmt.Sprintf("%s %s", what, id)}
	} else if err != nil {
		return db.Scope{}, err
	}
	return scope, nil
}
