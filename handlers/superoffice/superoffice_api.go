package superoffice

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// API declares the dialect to the front door: errors as {Error, ErrorType}, in whatever encoding the client accepts.
func (s SuperOffice) API() kit.API {
	return kit.API{
		Name:         Dialect,
		PathPrefixes: []string{"/api/v1/"},
		MaxBodyBytes: 256 << 10, // Headers and Properties dictionaries; XML is verbose
		Invalid: func(c echo.Context, fields []kit.FieldError) error {
			for _, f := range fields {
				if f.Path == "" && f.Rule == "required" {
					return c.JSON(http.StatusBadRequest, soError(gen.SoErrorErrorTypeBadRequest, "Entity to save is not in request body"))
				}
			}
			return c.JSON(http.StatusBadRequest, soError(gen.SoErrorErrorTypeBadRequest, kit.JoinFields(fields)))
		},
		Unauthorized: func(c echo.Context) error {
			c.Response().Header().Set("WWW-Authenticate", `Basic realm="SuperOffice"`)
			return c.JSON(http.StatusUnauthorized, soError(gen.SoErrorErrorTypeUnauthorized, "Authorization has been denied for this request."))
		},
		Failure: func(c echo.Context, status int, message string) error {
			return c.JSON(status, soError(soErrorType(status), message))
		},
		// NetServer takes JSON, text/json, XML and forms and answers as the client accepts;
		// member names bind whatever their case.
		Encodings: &kit.Encodings{Negotiate: negotiate, Respond: respondIn, Decode: transcodeRequest, Canonical: canonicalMembers},
		Schemes:   map[string]kit.Scheme{"soBasic": s.scheme("soBasic"), "soTicket": s.scheme("soTicket"), "soBearer": s.scheme("soBearer")},
		Provision: provisionSuperOffice,
		Identify:  identifySuperOffice,
		// A webhook's Secret signs X-SuperOffice-Signature.
		Signing: &kit.Signing{Check: checkSecret, New: kit.NewSecret},
	}
}

func (s SuperOffice) scheme(name string) kit.Scheme {
	return func(ctx context.Context, req *http.Request, info *kit.RequestInfo) error {
		account, err := s.authenticate(ctx, req, name)
		if err != nil {
			return err
		}
		info.Account = &account
		return nil
	}
}

func soErrorType(status int) gen.SoErrorErrorType {
	switch status {
	case http.StatusUnauthorized:
		return gen.SoErrorErrorTypeUnauthorized
	case http.StatusNotFound:
		return gen.SoErrorErrorTypeNotFound
	case http.StatusMethodNotAllowed:
		return gen.SoErrorErrorTypeMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return gen.SoErrorErrorTypePayloadTooLarge
	case http.StatusUnsupportedMediaType:
		return gen.SoErrorErrorTypeUnsupportedMediaType
	}
	if status < 500 {
		return gen.SoErrorErrorTypeBadRequest
	}
	return gen.SoErrorErrorTypeServerError
}

// provisionSuperOffice gives an account one installation (its scope, with the associate id of
// its user) and the user's password, ticket and bearer token.
func provisionSuperOffice(ctx context.Context, q *db.Queries, account db.Account, out *gen.AccountCreated) error {
	creds := gen.SuperOfficeCredentials{
		Username: "so_" + strings.ReplaceAll(kit.Slug(account.Name), "-", "_") + "_" + strings.ToLower(kit.RandomAlphanumeric(6)),
		Password: kit.NewSecret(), Ticket: "7T:" + kit.RandomAlphanumeric(40), BearerToken: kit.NewSecret(),
	}
	associateID, err := q.NextSuperOfficeAssociateID(ctx)
	if err != nil {
		return err
	}
	if _, err := q.CreateScope(ctx, db.CreateScopeParams{AccountID: account.ID, Dialect: scopeSuperOffice, ExternalID: account.ID.String(), ParentID: strconv.Itoa(int(associateID)), Name: creds.Username}); err != nil {
		return err
	}
	for _, c := range []db.CreateCredentialParams{
		{AccountID: account.ID, Kind: credentialSOTicket, SecretSha256: kit.Digest(creds.Ticket)},
		{AccountID: account.ID, Kind: credentialSOBearer, SecretSha256: kit.Digest(creds.BearerToken)},
		{AccountID: account.ID, Kind: credentialSOBasic, PublicID: creds.Username, SecretSha256: kit.Digest(creds.Password)},
	} {
		if err := q.CreateCredential(ctx, c); err != nil {
			return err
		}
	}
	out.Superoffice = creds
	return nil
}

// superOffice authenticates one of SuperOffice's three schemes; a request carries one of them,
// so the others fail as unauthenticated and kin-openapi tries the next.
func (s SuperOffice) authenticate(ctx context.Context, req *http.Request, scheme string) (db.Account, error) {
	switch scheme { // the three ways one dialect authenticates, not a switch on dialects
	case "soBasic":
		user, password, ok := req.BasicAuth()
		if !ok {
			return db.Account{}, kit.ErrUnauthenticated
		}
		return s.Credentials.ByPublicID(ctx, credentialSOBasic, user, password)
	case "soTicket":
		ticket, ok := kit.Authorization(req, "SOTicket")
		if !ok {
			return db.Account{}, kit.ErrUnauthenticated
		}
		return s.Credentials.BySecret(ctx, credentialSOTicket, ticket)
	default:
		token, ok := kit.Authorization(req, "Bearer")
		if !ok {
			return db.Account{}, kit.ErrUnauthenticated
		}
		return s.Credentials.BySecret(ctx, credentialSOBearer, token)
	}
}

// identifySuperOffice shows the account's user and its associate id.
func identifySuperOffice(ctx context.Context, q *db.Queries, account db.Account, view *gen.Account) error {
	so, err := q.GetScope(ctx, db.GetScopeParams{Dialect: scopeSuperOffice, ExternalID: account.ID.String(), AccountID: account.ID})
	if err != nil {
		return err
	}
	associateID, _ := strconv.Atoi(so.ParentID)
	view.Superoffice = gen.SuperOfficeIdentity{Username: so.Name, AssociateId: int32(associateID)}
	return nil
}
