package handlers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Admin manages accounts and issues their credentials.
type Admin struct {
	kit.Store
	// apis provision a new account in every dialect.
	apis registry
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
		for _, api := range a.apis {
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
	account, err := a.Q.GetAccount(ctx, req.AccountId)
	if errors.Is(err, sql.ErrNoRows) {
		return gen.AdminGetAccount404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	}
	if err != nil {
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
	if errors.Is(err, sql.ErrNoRows) {
		return gen.AdminUpdateAccount404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	}
	if err != nil {
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
	for _, api := range a.apis {
		if api.Identify == nil {
			continue
		}
		if err := api.Identify(ctx, a.Q, account, &view); err != nil {
			return gen.Account{}, fmt.Errorf("account %s in %s: %w", account.ID, api.Name, err)
		}
	}
	return view, nil
}

func accountNotFound() gen.AdminNotFoundJSONResponse {
	return gen.AdminNotFoundJSONResponse{Code: "not_found", Message: "account not found"}
}
