package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/webhookd/webhookd/db"
)

// Credential kinds as stored in the credentials table.
const (
	credentialVoucherify = "voucherify"
	credentialBird       = "bird"
)

// authenticator implements every security scheme of openapi.yaml. On success it records the
// caller's account in the request's requestInfo.
type authenticator struct {
	Q             *db.Queries
	adminDigest   []byte
	shippingLimit *rateLimiter
	schemes       map[string]scheme
}

// scheme authenticates one security scheme of openapi.yaml; each dialect declares its own.
type scheme func(a *authenticator, ctx context.Context, req *http.Request, info *kit.RequestInfo) error

func (a *authenticator) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	f, ok := a.schemes[in.SecuritySchemeName]
	if !ok {
		return fmt.Errorf("security scheme %q has no authenticator", in.SecuritySchemeName)
	}
	req := in.RequestValidationInput.Request
	return f(a, ctx, req, kit.InfoFrom(req.Context()))
}

// schemesOf collects the security schemes every dialect declares.
func schemesOf(apis []dialectAPI) map[string]scheme {
	all := map[string]scheme{}
	for _, api := range apis {
		for name, f := range api.schemes {
			all[name] = f
		}
	}
	return all
}

// accountBySecret authenticates a bearer-style credential of one kind.
func (a *authenticator) accountBySecret(ctx context.Context, req *http.Request, authScheme, kind string, info *kit.RequestInfo) error {
	key, ok := kit.Authorization(req, authScheme)
	if !ok {
		return kit.ErrUnauthenticated
	}
	account, err := a.Q.GetAccountBySecret(ctx, db.GetAccountBySecretParams{Kind: kind, SecretSha256: kit.Digest(key)})
	if err != nil {
		return kit.CredentialError(err)
	}
	info.Account = &account
	return nil
}

func (a *authenticator) voucherify(ctx context.Context, id, token string) (db.Account, error) {
	if id == "" || token == "" {
		return db.Account{}, kit.ErrUnauthenticated
	}
	row, err := a.Q.GetCredentialByPublicID(ctx, db.GetCredentialByPublicIDParams{Kind: credentialVoucherify, PublicID: id})
	if err != nil {
		return db.Account{}, kit.CredentialError(err)
	}
	if !kit.EqualDigest(kit.Digest(token), row.SecretSha256) {
		return db.Account{}, kit.ErrUnauthenticated
	}
	return row.Account, nil
}

// superOffice authenticates one of SuperOffice's three schemes; a request carries one of them,
// so the others fail as unauthenticated and kin-openapi tries the next.
func (a *authenticator) superOffice(ctx context.Context, req *http.Request, scheme string) (db.Account, error) {
	switch scheme { // the three ways one dialect authenticates, not a switch on dialects
	case "soBasic":
		user, password, ok := req.BasicAuth()
		if !ok {
			return db.Account{}, kit.ErrUnauthenticated
		}
		row, err := a.Q.GetCredentialByPublicID(ctx, db.GetCredentialByPublicIDParams{Kind: credentialSOBasic, PublicID: user})
		if err != nil {
			return db.Account{}, kit.CredentialError(err)
		}
		if !kit.EqualDigest(kit.Digest(password), row.SecretSha256) {
			return db.Account{}, kit.ErrUnauthenticated
		}
		return row.Account, nil
	case "soTicket":
		ticket, ok := kit.Authorization(req, "SOTicket")
		if !ok {
			return db.Account{}, kit.ErrUnauthenticated
		}
		account, err := a.Q.GetAccountBySecret(ctx, db.GetAccountBySecretParams{Kind: credentialSOTicket, SecretSha256: kit.Digest(ticket)})
		return account, kit.CredentialError(err)
	default:
		token, ok := kit.Authorization(req, "Bearer")
		if !ok {
			return db.Account{}, kit.ErrUnauthenticated
		}
		account, err := a.Q.GetAccountBySecret(ctx, db.GetAccountBySecretParams{Kind: credentialSOBearer, SecretSha256: kit.Digest(token)})
		return account, kit.CredentialError(err)
	}
}
