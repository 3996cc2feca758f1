package handlers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/webhookd/webhookd/handlers/kit"
	"github.com/webhookd/webhookd/handlers/voucherify"

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

// Scope dialects as stored in the scopes table.
const (
	scopeBirdWorkspace = "bird"
)

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
	view, err := a.accountView(ctx, account)
	if err != nil {
		return nil, err
	}
	return gen.AdminUpdateAccount200JSONResponse{AdminAccountJSONResponse: gen.AdminAccountJSONResponse(view)}, nil
}

func (a Admin) accountView(ctx context.Context, account db.Account) (gen.Account, error) {
	projects, err := a.Q.ListScopes(ctx, db.ListScopesParams{AccountID: account.ID, Dialect: voucherify.ScopeDialect})
	if err != nil {
		return gen.Account{}, err
	}
	workspaces, err := a.Q.ListScopes(ctx, db.ListScopesParams{AccountID: account.ID, Dialect: scopeBirdWorkspace})
	if err != nil {
		return gen.Account{}, err
	}
	if len(projects) == 0 || len(workspaces) == 0 {
		return gen.Account{}, fmt.Errorf("account %s has no project or workspace", account.ID)
	}
	email, err := a.Q.GetCredentialPublicID(ctx, db.GetCredentialPublicIDParams{AccountID: account.ID, Kind: credentialArkynPassword})
	if err != nil {
		return gen.Account{}, fmt.Errorf("account %s arkyn user: %w", account.ID, err)
	}
	so, err := a.Q.GetScope(ctx, db.GetScopeParams{Dialect: scopeSuperOffice, ExternalID: account.ID.String(), AccountID: account.ID})
	if err != nil {
		return gen.Account{}, fmt.Errorf("account %s SuperOffice user: %w", account.ID, err)
	}
	view := toAccount(account, projects[0], workspaces[0])
	view.Arkyn = gen.ArkynIdentity{Email: email, UserId: account.ID}
	associateID, _ := strconv.Atoi(so.ParentID)
	view.Superoffice = gen.SuperOfficeIdentity{Username: so.Name, AssociateId: int32(associateID)}
	return view, nil
}

func accountNotFound() gen.AdminNotFoundJSONResponse {
	return gen.AdminNotFoundJSONResponse{Code: "not_found", Message: "account not found"}
}

// arkynEmail makes a unique login for an account's Arkyn user.
func arkynEmail(accountName string) string {
	return kit.Slug(accountName) + "." + strings.ToLower(kit.RandomAlphanumeric(8)) + "@arkyn.example.com"
}
