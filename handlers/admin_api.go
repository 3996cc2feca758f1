package handlers

import (
	"context"
	"net/http"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// adminAPI words the errors of this service's own operations (admin, system, and paths that
// belong to no dialect).
var adminAPI = dialectAPI{
	name:         dialectAdmin,
	pathPrefixes: []string{"/admin/"},
	maxBodyBytes: 64 << 10,
	invalid: func(c echo.Context, fields []kit.FieldError) error {
		return c.JSON(http.StatusBadRequest, gen.AdminError{Code: "invalid_request", Message: kit.JoinFields(fields)})
	},
	unauthorized: func(c echo.Context) error {
		return c.JSON(http.StatusUnauthorized, gen.AdminError{Code: "unauthorized", Message: "a valid admin bearer token is required"})
	},
	failure: func(c echo.Context, status int, message string) error {
		code := gen.AdminErrorCode("internal_error")
		switch {
		case status == http.StatusNotFound:
			code = "not_found"
		case status < 500:
			code = "invalid_request"
		}
		return c.JSON(status, gen.AdminError{Code: code, Message: message})
	},
	schemes: map[string]scheme{"adminToken": (*authenticator).admin},
}

func (a *authenticator) admin(_ context.Context, req *http.Request, _ *kit.RequestInfo) error {
	token, ok := kit.Authorization(req, "Bearer")
	if !ok || !kit.EqualDigest(kit.Digest(token), a.adminDigest) {
		return kit.ErrUnauthenticated
	}
	return nil
}

// ingestAPI is the admin shape for an account's backend, with room for event payloads.
var ingestAPI = withSchemes(withName(adminAPI, dialectIngest, []string{"/ingest/"}, 1<<20), map[string]scheme{
	"ingestKey": func(a *authenticator, ctx context.Context, req *http.Request, info *kit.RequestInfo) error {
		return a.accountBySecret(ctx, req, "Bearer", credentialIngest, info)
	},
}, provisionIngest)

// inspectorAPI is the admin shape for the built-in receiver, which takes whole deliveries
// (an event of up to 1 MiB in its envelope).
var inspectorAPI = withName(adminAPI, dialectInspector, []string{"/inspector/"}, 2<<20)

func withSchemes(api dialectAPI, schemes map[string]scheme, provision func(context.Context, *db.Queries, db.Account, *gen.AccountCreated) error) dialectAPI {
	api.schemes, api.provision = schemes, provision
	return api
}

// provisionIngest gives an account the key its backend sends events with.
func provisionIngest(ctx context.Context, q *db.Queries, account db.Account, out *gen.AccountCreated) error {
	out.Ingest = gen.IngestCredentials{Key: kit.NewSecret()}
	return q.CreateCredential(ctx, db.CreateCredentialParams{AccountID: account.ID, Kind: credentialIngest, SecretSha256: kit.Digest(out.Ingest.Key)})
}

func withName(api dialectAPI, name dialect, prefixes []string, maxBodyBytes int64) dialectAPI {
	api.name, api.pathPrefixes, api.maxBodyBytes, api.schemes = name, prefixes, maxBodyBytes, nil
	return api
}
