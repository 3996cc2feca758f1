package admin

import (
	"context"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// AdminDeleteAccount begins erasing an account and answers at once. The mark is one statement:
// from its commit, the credential look-ups, the admin API and ingestion no longer find the
// account, and every instance's eraser (internal/erasure) removes its rows.
func (a Admin) AdminDeleteAccount(ctx context.Context, req gen.AdminDeleteAccountRequestObject) (gen.AdminDeleteAccountResponseObject, error) {
	account, err := a.Q.MarkAccountErasing(ctx, req.AccountId)
	if err = kit.Found(err, "account", req.AccountId.String()); kit.IsNotFound(err) {
		return gen.AdminDeleteAccount404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	// Other instances stop trusting its credentials when their cached answers expire.
	a.Credentials.Forget(account.ID)
	return gen.AdminDeleteAccount202JSONResponse{
		Id: account.ID, Name: account.Name, Status: gen.Erasing, ErasingSince: account.ErasingSince.Time.UTC(),
	}, nil
}
