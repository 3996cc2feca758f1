package bird

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

// API declares the dialect to the front door; errors are worded as Bird's Notifications API does.
func (b Bird) API() kit.API {
	return kit.API{
		Name:         Dialect,
		PathPrefixes: []string{"/workspaces/"},
		MaxBodyBytes: 64 << 10,
		Invalid: func(c echo.Context, fields []kit.FieldError) error {
			return c.JSON(http.StatusUnprocessableEntity, birdValidation(fields))
		},
		Unauthorized: func(c echo.Context) error { return c.JSON(http.StatusUnauthorized, birdUnauthorized()) },
		Failure: func(c echo.Context, status int, message string) error {
			code := birdCodeInternal
			if status == http.StatusNotFound {
				code = birdCodeNotFound
			} else if status < 500 {
				code = strings.ReplaceAll(http.StatusText(status), " ", "")
			}
			return c.JSON(status, gen.ErrorDetailed{Code: code, Message: message})
		},
		Schemes: map[string]kit.Scheme{
			"accessKey": kit.SecretScheme(b.Credentials, "AccessKey", credentialBird),
		},
		Provision: provisionBird,
		Identify:  identifyBird,
		// A subscription's signingKey signs messagebird-signature; Bird sets no rule for it.
		Signing: &kit.Signing{Check: kit.AnySecret, New: kit.NewSecret},
		EventScope: func(sc *gen.IngestScope) (kit.ScopeRef, bool) {
			if sc.BirdWorkspaceId == nil {
				return kit.ScopeRef{}, false
			}
			return kit.ScopeRef{Dialect: ScopeDialect, ID: sc.BirdWorkspaceId.String(), What: "Bird workspace"}, true
		},
	}
}

// Bird's error codes: the vendor documents the bodies but not their code values.
const (
	birdCodeUnauthorized   = "Unauthorized"
	birdCodeNotFound       = "NotFound"
	birdCodeInvalidPayload = "InvalidPayload"
	birdCodeInternal       = "InternalError"
)

func birdValidation(fields []kit.FieldError) gen.ErrorValidation {
	details := map[string][]string{}
	for _, f := range fields {
		path := f.Path
		if path == "" {
			path = "body"
		}
		details[path] = append(details[path], f.Message)
	}
	return gen.ErrorValidation{
		Code:    birdCodeInvalidPayload,
		Message: "The request contains invalid parameters or body fields.",
		Details: &details,
	}
}

func birdNotFound(message string, details map[string]any) gen.ErrorDetailed {
	return gen.ErrorDetailed{Code: birdCodeNotFound, Message: message, Details: &details}
}

func birdUnauthorized() gen.ErrorDetailed {
	return gen.ErrorDetailed{Code: birdCodeUnauthorized, Message: "a valid access key is required"}
}

// provisionBird gives an account one workspace (in an organization of its own) and an access key.
func provisionBird(ctx context.Context, q *db.Queries, account db.Account, out *gen.AccountCreated) error {
	creds := gen.BirdCredentials{OrganizationId: uuid.New(), WorkspaceId: uuid.New(), AccessKey: kit.NewSecret()}
	if _, err := q.CreateScope(ctx, db.CreateScopeParams{AccountID: account.ID, Dialect: ScopeDialect, ExternalID: creds.WorkspaceId.String(), ParentID: creds.OrganizationId.String(), Name: account.Name}); err != nil {
		return err
	}
	out.Bird = creds
	return q.CreateCredential(ctx, db.CreateCredentialParams{AccountID: account.ID, Kind: credentialBird, SecretSha256: kit.Digest(creds.AccessKey)})
}

// identifyBird shows the account's workspace and its organization.
func identifyBird(ctx context.Context, q *db.Queries, account db.Account, view *gen.Account) error {
	workspaces, err := q.ListScopes(ctx, db.ListScopesParams{AccountID: account.ID, Dialect: ScopeDialect})
	if err != nil {
		return err
	}
	if len(workspaces) == 0 {
		return errors.New("no workspace")
	}
	view.Bird = gen.BirdIdentity{OrganizationId: uuid.MustParse(workspaces[0].ParentID), WorkspaceId: uuid.MustParse(workspaces[0].ExternalID)}
	return nil
}
