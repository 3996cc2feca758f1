package handlers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"

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
	q             *db.Queries
	adminDigest   []byte
	shippingLimit *rateLimiter
	schemes       map[string]scheme
}

// scheme authenticates one security scheme of openapi.yaml; each dialect declares its own.
type scheme func(a *authenticator, ctx context.Context, req *http.Request, info *requestInfo) error

func (a *authenticator) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	f, ok := a.schemes[in.SecuritySchemeName]
	if !ok {
		return fmt.Errorf("security scheme %q has no authenticator", in.SecuritySchemeName)
	}
	req := in.RequestValidationInput.Request
	return f(a, ctx, req, infoFrom(req.Context()))
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
func (a *authenticator) accountBySecret(ctx context.Context, req *http.Request, authScheme, kind string, info *requestInfo) error {
	key, ok := authorization(req, authScheme)
	if !ok {
		return errUnauthenticated
	}
	account, err := a.q.GetAccountBySecret(ctx, db.GetAccountBySecretParams{Kind: kind, SecretSha256: digest(key)})
	if err != nil {
		return credentialError(err)
	}
	info.account = &account
	return nil
}

func (a *authenticator) voucherify(ctx context.Context, id, token string) (db.Account, error) {
	if id == "" || token == "" {
		return db.Account{}, errUnauthenticated
	}
	row, err := a.q.GetCredentialByPublicID(ctx, db.GetCredentialByPublicIDParams{Kind: credentialVoucherify, PublicID: id})
	if err != nil {
		return db.Account{}, credentialError(err)
	}
	if !equalDigest(digest(token), row.SecretSha256) {
		return db.Account{}, errUnauthenticated
	}
	return row.Account, nil
}

func credentialError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return errUnauthenticated
	}
	return fmt.Errorf("credential lookup: %w", err)
}

// authorization returns the credential of an "Authorization: <scheme> <credential>" header;
// the scheme name is case-insensitive (RFC 9110 §11.1).
func authorization(req *http.Request, scheme string) (string, bool) {
	name, credential, ok := strings.Cut(strings.TrimSpace(req.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(name, scheme) {
		return "", false
	}
	credential = strings.TrimSpace(credential)
	return credential, credential != ""
}

// superOffice authenticates one of SuperOffice's three schemes; a request carries one of them,
// so the others fail as unauthenticated and kin-openapi tries the next.
func (a *authenticator) superOffice(ctx context.Context, req *http.Request, scheme string) (db.Account, error) {
	switch scheme { // the three ways one dialect authenticates, not a switch on dialects
	case "soBasic":
		user, password, ok := req.BasicAuth()
		if !ok {
			return db.Account{}, errUnauthenticated
		}
		row, err := a.q.GetCredentialByPublicID(ctx, db.GetCredentialByPublicIDParams{Kind: credentialSOBasic, PublicID: user})
		if err != nil {
			return db.Account{}, credentialError(err)
		}
		if !equalDigest(digest(password), row.SecretSha256) {
			return db.Account{}, errUnauthenticated
		}
		return row.Account, nil
	case "soTicket":
		ticket, ok := authorization(req, "SOTicket")
		if !ok {
			return db.Account{}, errUnauthenticated
		}
		account, err := a.q.GetAccountBySecret(ctx, db.GetAccountBySecretParams{Kind: credentialSOTicket, SecretSha256: digest(ticket)})
		return account, credentialError(err)
	default:
		token, ok := authorization(req, "Bearer")
		if !ok {
			return db.Account{}, errUnauthenticated
		}
		account, err := a.q.GetAccountBySecret(ctx, db.GetAccountBySecretParams{Kind: credentialSOBearer, SecretSha256: digest(token)})
		return account, credentialError(err)
	}
}
