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
	ev := delivery.Event{Type: req.Body.Type}
	if req.Body.Id != nil {
		ev.ExternalID = *req.Body.Id
	}
	if req.Body.Data != nil {
		data, err := json.Marshal(*req.Body.Data)
		if err != nil {
			return nil, err
		}
		ev.Data = data
	}
	if req.Body.Attributes != nil {
		ev.Attributes = *req.Body.Attributes
	}
	if sc := req.Body.Scope; sc != nil {
		scope, err := i.scope(ctx, account.ID, sc)
		var missing *ingestScopeMissing
		if errors.As(err, &missing) {
			return gen.IngestEvent404JSONResponse{Code: "not_found", Message: missing.Error()}, nil
		} else if err != nil {
			return nil, err
		}
		ev.ScopeID = uuid.NullUUID{UUID: scope.ID, Valid: true}
	}
	out, err := delivery.Ingest(ctx, i.Conn, account.ID, ev)
	if err != nil {
		return nil, err
	}
	return gen.IngestEvent202JSONResponse{Id: out.EventID, ExternalId: out.ExternalID, Deliveries: out.Deliveries, Duplicate: out.Duplicate}, nil
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
