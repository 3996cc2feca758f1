package admin

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Admin manages accounts and issues their credentials.
type Admin struct {
	kit.Store
	// APIs provision a new account in every dialect and show its identifiers there.
	APIs []kit.API
}

// AdminCreateAccount creates an account with one scope per dialect and returns its secrets,
// which are stored only as digests.
func (a Admin) AdminCreateAccount(ctx context.Context, req gen.AdminCreateAccountRequestObject) (gen.AdminCreateAccountResponseObject, error) {
	managementAPI := true
	if f := req.Body.Features; f != nil && f.ManagementApi != nil {
		managementAPI = *f.ManagementApi
	}
	var created gen.AccountCreated
	err := a.InTx(ctx, func(q *db.Queries) error {
		account, err := q.CreateAccount(ctx, db.CreateAccountParams{ID: uuid.New(), Name: req.Body.Name, ManagementApi: managementAPI})
		if err != nil {
			return err
		}
		created = gen.AccountCreated{
			Id: account.ID, Name: account.Name, Features: gen.Features{ManagementApi: kit.Ptr(account.ManagementApi)},
			CreatedAt: account.CreatedAt.UTC(), UpdatedAt: account.UpdatedAt.UTC(),
		}
		for _, api := range a.APIs {
			if api.Provision == nil {
				continue
			}
			if err := api.Provision(ctx, q, account, &created); err != nil {
				return fmt.Errorf("%s: %w", api.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create account: %w", err)
	}
	return gen.AdminCreateAccount201JSONResponse(created), nil
}

// AdminGetAccount returns an account and its dialect identifiers.
func (a Admin) AdminGetAccount(ctx context.Context, req gen.AdminGetAccountRequestObject) (gen.AdminGetAccountResponseObject, error) {
	account, err := a.account(ctx, req.AccountId)
	if kit.IsNotFound(err) {
		return gen.AdminGetAccount404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	view, err := a.accountView(ctx, account)
	if err != nil {
		return nil, err
	}
	return gen.AdminGetAccount200JSONResponse{AdminAccountJSONResponse: gen.AdminAccountJSONResponse(view)}, nil
}

// AdminUpdateAccount renames an account or switches its features.
func (a Admin) AdminUpdateAccount(ctx context.Context, req gen.AdminUpdateAccountRequestObject) (gen.AdminUpdateAccountResponseObject, error) {
	params := db.UpdateAccountParams{ID: req.AccountId}
	if req.Body.Name != nil {
		params.Name = sql.NullString{String: *req.Body.Name, Valid: true}
	}
	if f := req.Body.Features; f != nil && f.ManagementApi != nil {
		params.ManagementApi = sql.NullBool{Bool: *f.ManagementApi, Valid: true}
	}
	account, err := a.Q.UpdateAccount(ctx, params)
	if err = kit.Found(err, "account", req.AccountId.String()); kit.IsNotFound(err) {
		return gen.AdminUpdateAccount404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	a.Credentials.Forget(account.ID) // its features take effect with the next request
	view, err := a.accountView(ctx, account)
	if err != nil {
		return nil, err
	}
	return gen.AdminUpdateAccount200JSONResponse{AdminAccountJSONResponse: gen.AdminAccountJSONResponse(view)}, nil
}

func (a Admin) accountView(ctx context.Context, account db.Account) (gen.Account, error) {
	view := gen.Account{
		Id: account.ID, Name: account.Name, Features: gen.Features{ManagementApi: kit.Ptr(account.ManagementApi)},
		CreatedAt: account.CreatedAt.UTC(), UpdatedAt: account.UpdatedAt.UTC(),
	}
	for _, api := range a.APIs {
		if api.Identify == nil {
			continue
		}
		if err := api.Identify(ctx, a.Q, account, &view); err != nil {
			return gen.Account{}, fmt.Errorf("account %s in %s: %w", account.ID, api.Name, err)
		}
	}
	return view, nil
}

// account returns the account with id, or a kit.NotFoundError.
func (a Admin) account(ctx context.Context, id uuid.UUID) (db.Account, error) {
	account, err := a.Q.GetAccount(ctx, id)
	return account, kit.Found(err, "account", id.String())
}

func accountNotFound() gen.AdminNotFoundJSONResponse {
	return gen.AdminNotFoundJSONResponse{Code: "not_found", Message: "account not found"}
}
