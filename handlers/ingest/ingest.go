package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/delivery"
)

// Ingest takes events from an account's own backend into the delivery pipeline.
type Ingest struct {
	kit.Store
	// APIs name the scopes an event may be narrowed to.
	APIs []kit.API
}

// IngestEvent records an event and queues its deliveries.
func (i Ingest) IngestEvent(ctx context.Context, req gen.IngestEventRequestObject) (gen.IngestEventResponseObject, error) {
	account := kit.AccountFrom(ctx)
	ev, err := i.event(ctx, account.ID, *req.Body, map[string]uuid.UUID{})
	var missing *kit.NotFoundError
	if errors.As(err, &missing) {
		return gen.IngestEvent404JSONResponse{Code: "not_found", Message: scopeMissing(missing)}, nil
	} else if err != nil {
		return nil, err
	}
	out, err := delivery.Ingest(ctx, i.Conn, account.ID, ev)
	if errors.Is(err, delivery.ErrAccountErasing) {
		return gen.IngestEvent401JSONResponse{AdminUnauthorizedJSONResponse: erasedAccount()}, nil
	} else if err != nil {
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
		var missing *kit.NotFoundError
		if errors.As(err, &missing) {
			return gen.IngestEventBatch404JSONResponse{Code: "not_found", Message: fmt.Sprintf("events[%d].%s", n, scopeMissing(missing))}, nil
		} else if err != nil {
			return nil, err
		}
		events[n] = ev
	}
	out, err := delivery.IngestBatch(ctx, i.Conn, account.ID, events)
	if errors.Is(err, delivery.ErrAccountErasing) {
		return gen.IngestEventBatch401JSONResponse{AdminUnauthorizedJSONResponse: erasedAccount()}, nil
	} else if err != nil {
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
		ref := i.scopeRef(sc)
		key := ref.Dialect + ":" + ref.ID
		id, ok := scopes[key]
		if !ok {
			scope, err := i.scope(ctx, accountID, ref)
			if err != nil {
				return ev, err
			}
			id, scopes[key] = scope.ID, scope.ID
		}
		ev.ScopeID = uuid.NullUUID{UUID: id, Valid: true}
	}
	return ev, nil
}

// scopeRef asks the dialects which scope an ingestion scope names; the zero ScopeRef when none.
func (i Ingest) scopeRef(sc *gen.IngestScope) kit.ScopeRef {
	for _, api := range i.APIs {
		if api.EventScope == nil {
			continue
		}
		if ref, ok := api.EventScope(sc); ok {
			return ref
		}
	}
	return kit.ScopeRef{}
}

// erasedAccount answers a key whose account's erasure began after the key was verified (a
// request in flight, or another instance's cached answer): it is refused as a revoked key is.
func erasedAccount() gen.AdminUnauthorizedJSONResponse {
	return gen.AdminUnauthorizedJSONResponse{Code: "unauthorized", Message: "the account of this key is being erased"}
}

// scopeMissing words a scope that names nothing of the account's.
func scopeMissing(nf *kit.NotFoundError) string {
	return strings.TrimSpace("scope: no " + nf.What + " " + nf.ID)
}

// scope resolves the one member of an ingestion scope to the account's scope row.
func (i Ingest) scope(ctx context.Context, accountID uuid.UUID, ref kit.ScopeRef) (db.Scope, error) {
	if ref.ID == "" {
		return db.Scope{}, kit.NotFound("project, workspace or traffic source named", "")
	}
	scope, err := i.Q.GetScope(ctx, db.GetScopeParams{Dialect: ref.Dialect, ExternalID: ref.ID, AccountID: accountID})
	return scope, kit.Found(err, ref.What, ref.ID)
}
