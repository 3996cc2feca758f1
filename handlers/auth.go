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
}

func (a *authenticator) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	info := infoFrom(req.Context())
	switch in.SecuritySchemeName {
	case "adminToken":
		token, ok := authorization(req, "Bearer")
		if !ok || !equalDigest(digest(token), a.adminDigest) {
			return errUnauthenticated
		}
		return nil
	case "X-Management-Id":
		// Checked together with its token, under X-Management-Token.
		return nil
	case "X-Management-Token":
		account, err := a.voucherify(ctx, req.Header.Get("X-Management-Id"), req.Header.Get("X-Management-Token"))
		if err != nil {
			return err
		}
		if !account.ManagementApi {
			return errFeatureMissing
		}
		info.account = &account
		return nil
	case "accessKey":
		key, ok := authorization(req, "AccessKey")
		if !ok {
			return errUnauthenticated
		}
		account, err := a.q.GetAccountBySecret(ctx, db.GetAccountBySecretParams{Kind: credentialBird, SecretSha256: digest(key)})
		if err != nil {
			return credentialError(err)
		}
		info.account = &account
		return nil
	case "ingestKey":
		key, ok := authorization(req, "Bearer")
		if !ok {
			return errUnauthenticated
		}
		account, err := a.q.GetAccountBySecret(ctx, db.GetAccountBySecretParams{Kind: credentialIngest, SecretSha256: digest(key)})
		if err != nil {
			return credentialError(err)
		}
		info.account = &account
		return nil
	case "soBasic", "soTicket", "soBearer":
		account, err := a.superOffice(ctx, req, in.SecuritySchemeName)
		if err != nil {
			return err
		}
		info.account = &account
		return nil
	case "shippingApiKey":
		key, ok := authorization(req, "Bearer")
		if !ok {
			return errUnauthenticated
		}
		row, err := a.q.GetCredentialBySecret(ctx, db.GetCredentialBySecretParams{
			Kinds: []string{credentialShipping, credentialShippingRead}, SecretSha256: digest(key),
		})
		if err != nil {
			return credentialError(err)
		}
		// Every authenticated request counts, refused ones included, as the vendor counts them.
		state, err := a.shippingLimit.hit(ctx, digest(key))
		if err != nil {
			return err
		}
		info.rate = &state
		if state.exceeded {
			return errRateLimited
		}
		if row.Kind == credentialShippingRead && req.Method != http.MethodGet && req.Method != http.MethodHead {
			return errReadOnly
		}
		info.account = &row.Account
		return nil
	case "arkynToken":
		// Arkyn's clients send "Bearer <token>"; its backend also takes the bare token.
		header := strings.TrimSpace(req.Header.Get("Authorization"))
		if header == "" {
			return errNoToken
		}
		token, ok := authorization(req, "Bearer")
		if !ok {
			token = header
		}
		account, err := a.q.GetAccountBySessionToken(ctx, db.GetAccountBySessionTokenParams{Kind: credentialArkynToken, SecretSha256: digest(token)})
		if err != nil {
			return credentialError(err)
		}
		info.account = &account
		return nil
	}
	return fmt.Errorf("security scheme %q has no authenticator", in.SecuritySchemeName)
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
	switch scheme {
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
