package superoffice

import (
	"context"
	"encoding/json"
	"errors"
	"maps"

	"github.com/google/uuid"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/delivery"
)

// SuperOfficeSignalEvent raises a custom event for the installation's webhooks.
func (s SuperOffice) SuperOfficeSignalEvent(ctx context.Context, req gen.SuperOfficeSignalEventRequestObject) (gen.SuperOfficeSignalEventResponseObject, error) {
	var values map[string]any
	if req.Body != nil {
		values = *req.Body // may be nil: a body of null
	}
	if err := s.signal(ctx, req.EventName, req.PrimaryKey, values); errors.Is(err, delivery.ErrAccountErasing) {
		return gen.SuperOfficeSignalEvent401JSONResponse{SoUnauthorizedJSONResponse: erasedAccount()}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.SuperOfficeSignalEvent204Response{}, nil
}

// signal raises a custom event with values in its payload, for the installation's webhooks.
func (s SuperOffice) signal(ctx context.Context, eventName string, primaryKey int32, values map[string]any) error {
	scope, err := s.scope(ctx, s.Q)
	if err != nil {
		return err
	}
	data := map[string]any{}
	maps.Copy(data, values)
	data["PrimaryKey"] = primaryKey // Entity defaults to the event name's prefix
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = delivery.Ingest(ctx, s.Conn, scope.AccountID, delivery.Event{
		Type: eventName, Data: raw, ScopeID: uuid.NullUUID{UUID: scope.ID, Valid: true},
	})
	return err
}

// erasedAccount answers a caller whose account's erasure began after its credentials were
// verified, as a refused credential is answered.
func erasedAccount() gen.SoUnauthorizedJSONResponse {
	return gen.SoUnauthorizedJSONResponse(soError(gen.SoErrorErrorTypeUnauthorized, "Authorization has been denied for this request."))
}
