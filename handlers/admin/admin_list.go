package admin

import (
	"context"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// AdminListAccounts pages through every account, newest first.
func (a Admin) AdminListAccounts(ctx context.Context, req gen.AdminListAccountsRequestObject) (gen.AdminListAccountsResponseObject, error) {
	limit := 20
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	params := db.ListAccountsParams{MaxRows: int32(limit + 1)}
	if req.Params.PageToken != nil && *req.Params.PageToken != "" {
		c, err := kit.DecodePageToken(*req.Params.PageToken)
		if err != nil {
			return gen.AdminListAccounts400JSONResponse{AdminBadRequestJSONResponse: gen.AdminBadRequestJSONResponse{Code: "invalid_request", Message: "pageToken: is not a page token issued by this API"}}, nil
		}
		params.BeforeCreatedAt = kit.SQLTime(c.CreatedAt)
		params.BeforeID = uuid.NullUUID{UUID: c.ID, Valid: true}
	}
	rows, err := a.Q.ListAccounts(ctx, params)
	if err != nil {
		return nil, err
	}
	var list gen.AccountList
	rows, list.NextPageToken = kit.NextPage(rows, limit, func(r db.Account) kit.PageCursor { return kit.PageCursor{CreatedAt: r.CreatedAt, ID: r.ID} })
	list.Results = make([]gen.Account, len(rows))
	for i, r := range rows {
		if list.Results[i], err = a.accountView(ctx, r); err != nil {
			return nil, err
		}
	}
	return gen.AdminListAccounts200JSONResponse(list), nil
}
