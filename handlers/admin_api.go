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
func adminAPI(adminDigest []byte) kit.API {
	return kit.API{
		Name:         dialectAdmin,
		PathPrefixes: []string{"/admin/"},
		MaxBodyBytes: 64 << 10,
		Invalid: func(c echo.Context, fields []kit.FieldError) error {
			return c.JSON(http.StatusBadRequest, gen.AdminError{Code: "invalid_request", Message: kit.JoinFields(fields)})
		},
		Unauthorized: func(c echo.Context) error {
			return c.JSON(http.StatusUnauthorized, gen.AdminError{Code: "unauthorized", Message: "a valid admin bearer token is required"})
		},
		Failure: func(c echo.Context, status int, message string) error {
			code := gen.AdminErrorCode("internal_error")
			switch {
			case status == http.StatusNotFound:
				code = "not_found"
			case status < 500:
				code = "invalid_request"
			}
			return c.JSON(status, gen.AdminError{Code: code, Message: message})
		},
		Schemes: map[string]kit.Scheme{"adminToken": adminScheme(adminDigest)},
	}
}

func adminScheme(adminDigest []byte) kit.Scheme {
	return func(_ context.Context, req *http.Request, _ *kit.RequestInfo) error {
		token, ok := kit.Authorization(req, "Bearer")
		if !ok || !kit.EqualDigest(kit.Digest(token), adminDigest) {
			return kit.ErrUnauthenticated
		}
		return nil
	}
}

// ingestAPI is the admin shape for an account's backend, with room for a batch of 5,000 events.
func ingestAPI(admin kit.API, credentials *kit.Credentials) kit.API {
	api := withName(admin, dialectIngest, []string{"/ingest/"}, 8<<20)
	api.Schemes = map[string]kit.Scheme{"ingestKey": kit.SecretScheme(credentials, "Bearer", credentialIngest)}
	api.Provision = provisionIngest
	return api
}

// inspectorMaxBody is what the inspector takes: whole deliveries (an event of up to 1 MiB in
// its envelope).
const inspectorMaxBody = 2 << 20

// inspectorAPI is the admin shape for the built-in receiver, which takes whole deliveries
// (an event of up to 1 MiB in its envelope).
func inspectorAPI(admin kit.API) kit.API {
	return withName(admin, dialectInspector, []string{"/inspector/"}, inspectorMaxBody)
}

// provisionIngest gives an account the key its backend sends events with.
func provisionIngest(ctx context.Context, q *db.Queries, account db.Account, out *gen.AccountCreated) error {
	out.Ingest = gen.IngestCredentials{Key: kit.NewSecret()}
	return q.CreateCredential(ctx, db.CreateCredentialParams{AccountID: account.ID, Kind: credentialIngest, SecretSha256: kit.Digest(out.Ingest.Key)})
}

func withName(api kit.API, name dialect, prefixes []string, maxBodyBytes int64) kit.API {
	api.Name, api.PathPrefixes, api.MaxBodyBytes, api.Schemes = name, prefixes, maxBodyBytes, nil
	return api
}
