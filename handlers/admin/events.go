package admin

import (
	"context"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// AdminListEvents pages through an account's events, newest first, narrowed by the filters given.
func (a Admin) AdminListEvents(ctx context.Context, req gen.AdminListEventsRequestObject) (gen.AdminListEventsResponseObject, error) {
	q := req.Params
	if msg := checkWindow(q.Since, q.Until); msg != "" {
		return gen.AdminListEvents400JSONResponse{AdminBadRequestJSONResponse: badRequest(msg)}, nil
	}
	if _, err := a.account(ctx, req.AccountId); kit.IsNotFound(err) {
		return gen.AdminListEvents404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	limit := pageLimit(q.Limit)
	params := db.ListAccountEventsParams{AccountID: req.AccountId, MaxRows: int32(limit + 1),
		Since: kit.NullTime(q.Since), Until: kit.NullTime(q.Until), Type: kit.NullString(q.Type)}
	var ok bool
	if params.BeforeCreatedAt, params.BeforeID, ok = pageBefore(q.PageToken); !ok {
		return gen.AdminListEvents400JSONResponse{AdminBadRequestJSONResponse: badPageToken()}, nil
	}
	rows, err := a.Q.ListAccountEvents(ctx, params)
	if err != nil {
		return nil, err
	}
	var list gen.EventList
	rows, list.NextPageToken = kit.NextPage(rows, limit, func(r eventRow) kit.PageCursor {
		return kit.PageCursor{CreatedAt: r.Event.CreatedAt, ID: r.Event.ID}
	})
	list.Results = make([]gen.EventRecord, len(rows))
	for i, r := range rows {
		list.Results[i] = eventView(r)
	}
	return gen.AdminListEvents200JSONResponse(list), nil
}

// AdminGetEvent returns one of an account's events.
func (a Admin) AdminGetEvent(ctx context.Context, req gen.AdminGetEventRequestObject) (gen.AdminGetEventResponseObject, error) {
	if _, err := a.account(ctx, req.AccountId); kit.IsNotFound(err) {
		return gen.AdminGetEvent404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	row, err := a.Q.GetAccountEvent(ctx, db.GetAccountEventParams{AccountID: req.AccountId, ID: req.EventId})
	if err = kit.Found(err, "event", req.EventId.String()); kit.IsNotFound(err) {
		return gen.AdminGetEvent404JSONResponse{AdminNotFoundJSONResponse: notFound("event")}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.AdminGetEvent200JSONResponse(eventView(eventRow(row))), nil
}
