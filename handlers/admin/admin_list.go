package admin

import (
	"context"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// AdminListAccounts pages through every account, newest first.
func (a Admin) AdminListAccounts(ctx context.Context, req gen.AdminListAccountsRequestObject) (gen.AdminListAccountsResponseObject, error) {
	limit := pageLimit(req.Params.Limit)
	params := db.ListAccountsParams{MaxRows: int32(limit + 1)}
	var ok bool
	if params.BeforeCreatedAt, params.BeforeID, ok = pageBefore(req.Params.PageToken); !ok {
		return gen.AdminListAccounts400JSONResponse{AdminBadRequestJSONResponse: badPageToken()}, nil
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
