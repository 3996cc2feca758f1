package arkyn

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// API declares the dialect to the front door; errors are worded as Arkyn's backend (@arkyn/server) renders them.
func (a Arkyn) API() kit.API {
	return kit.API{
		Name:         Dialect,
		PathPrefixes: []string{"/user/", "/traffic-source", "/webhooks/"},
		MaxBodyBytes: 16 << 10,
		Invalid: func(c echo.Context, fields []kit.FieldError) error {
			return c.JSON(http.StatusBadRequest, arkynError(gen.ArkynErrorNameBadRequest, kit.JoinFields(fields)))
		},
		Unauthorized: func(c echo.Context) error {
			return c.JSON(http.StatusUnauthorized, arkynError(gen.ArkynErrorNameUnauthorized, "Invalid token"))
		},
		Failure: func(c echo.Context, status int, message string) error {
			return c.JSON(status, arkynError(arkynNameForStatus(status), message))
		},
		Schemes:   map[string]kit.Scheme{"arkynToken": a.token},
		Provision: provisionArkyn,
		Identify:  identifyArkyn,
		EventScope: func(sc *gen.IngestScope) (kit.ScopeRef, bool) {
			if sc.ArkynTrafficSourceId == nil {
				return kit.ScopeRef{}, false
			}
			return kit.ScopeRef{Dialect: ScopeDialect, ID: sc.ArkynTrafficSourceId.String(), What: "Arkyn traffic source"}, true
		},
		Refused: func(c echo.Context, err error) (bool, error) {
			if !errors.Is(err, kit.ErrNoToken) {
				return false, nil
			}
			return true, c.JSON(http.StatusBadRequest, arkynError(gen.ArkynErrorNameBadRequest, "No token provided"))
		},
	}
}

// token authenticates a session token from POST /user/auth. Arkyn's clients send
// "Bearer <token>"; its backend also takes the bare token, and answers 400 when there is none.
func (a Arkyn) token(ctx context.Context, req *http.Request, info *kit.RequestInfo) error {
	header := strings.TrimSpace(req.Header.Get("Authorization"))
	if header == "" {
		return kit.ErrNoToken
	}
	token, ok := kit.Authorization(req, "Bearer")
	if !ok {
		token = header
	}
	account, err := a.Credentials.BySessionToken(ctx, credentialArkynToken, token)
	if err != nil {
		return err
	}
	info.Account = &account
	return nil
}

func arkynNameForStatus(status int) gen.ArkynErrorName {
	switch status {
	case http.StatusUnauthorized:
		return gen.ArkynErrorNameUnauthorized
	case http.StatusForbidden:
		return gen.ArkynErrorNameForbidden
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return gen.ArkynErrorNameNotFound
	case http.StatusConflict:
		return gen.ArkynErrorNameConflict
	}
	if status < 500 {
		return gen.ArkynErrorNameBadRequest
	}
	return gen.ArkynErrorNameServerError
}

// provisionArkyn gives an account a user (email and password for POST /user/auth) and one
// traffic source, whose webhook comes with it.
func provisionArkyn(ctx context.Context, q *db.Queries, account db.Account, out *gen.AccountCreated) error {
	email, password := arkynEmail(account.Name), kit.NewSecret()
	if err := q.CreateCredential(ctx, db.CreateCredentialParams{AccountID: account.ID, Kind: credentialArkynPassword, PublicID: email, SecretSha256: kit.Digest(password)}); err != nil {
		return err
	}
	source, err := createTrafficSource(ctx, q, account.ID, account.Name, kit.Slug(account.Name)+".example.com")
	if err != nil {
		return err
	}
	out.Arkyn = gen.ArkynCredentials{Email: email, Password: password, TrafficSourceId: uuid.MustParse(source.ExternalID)}
	return nil
}

// identifyArkyn shows the account's user.
func identifyArkyn(ctx context.Context, q *db.Queries, account db.Account, view *gen.Account) error {
	email, err := q.GetCredentialPublicID(ctx, db.GetCredentialPublicIDParams{AccountID: account.ID, Kind: credentialArkynPassword})
	if err != nil {
		return err
	}
	view.Arkyn = gen.ArkynIdentity{Email: email, UserId: account.ID}
	return nil
}

// arkynEmail makes a unique login for an account's Arkyn user.
func arkynEmail(accountName string) string {
	return kit.Slug(accountName) + "." + strings.ToLower(kit.RandomAlphanumeric(8)) + "@arkyn.example.com"
}
