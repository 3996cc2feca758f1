package voucherify

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/labstack/echo/v4"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// API declares the dialect to the front door; errors are worded as Voucherify's Management API does.
func (v Voucherify) API() kit.API {
	return kit.API{
		Name:         Dialect,
		PathPrefixes: []string{"/management/"},
		MaxBodyBytes: 64 << 10,
		Invalid: func(c echo.Context, fields []kit.FieldError) error {
			return c.JSON(http.StatusBadRequest, voucherifyInvalidPayload(kit.RequestID(c), fields))
		},
		Unauthorized: func(c echo.Context) error { return c.JSON(http.StatusUnauthorized, voucherifyUnauthorized()) },
		Failure: func(c echo.Context, status int, _ string) error {
			return c.JSON(status, gen.Error{Code: status, Key: kit.Ptr(kit.KeyForStatus(status)), Message: http.StatusText(status), RequestId: kit.Ptr(kit.RequestID(c))})
		},
		Schemes: map[string]kit.Scheme{
			"X-Management-Id":    func(context.Context, *http.Request, *kit.RequestInfo) error { return nil }, // checked with the token
			"X-Management-Token": v.managementToken,
		},
		Provision: provisionVoucherify,
		Identify:  identifyVoucherify,
		// The project's webhook secret signs every webhook of the project.
		Signing: &kit.Signing{Check: kit.AnySecret, New: kit.NewSecret, ScopeHeld: true},
		EventScope: func(sc *gen.IngestScope) (kit.ScopeRef, bool) {
			if sc.VoucherifyProjectId == nil {
				return kit.ScopeRef{}, false
			}
			return kit.ScopeRef{Dialect: ScopeDialect, ID: *sc.VoucherifyProjectId, What: "Voucherify project"}, true
		},
		Refused: func(c echo.Context, err error) (bool, error) {
			if !errors.Is(err, kit.ErrFeatureMissing) {
				return false, nil
			}
			return true, c.JSON(http.StatusPaymentRequired, voucherifyPaymentRequired())
		},
	}
}

// managementToken authenticates X-Management-Id with X-Management-Token; an account without the
// Management API feature is known but refused (402).
func (v Voucherify) managementToken(ctx context.Context, req *http.Request, info *kit.RequestInfo) error {
	account, err := v.credential(ctx, req.Header.Get("X-Management-Id"), req.Header.Get("X-Management-Token"))
	if err != nil {
		return err
	}
	if !account.ManagementApi {
		return kit.ErrFeatureMissing
	}
	info.Account = &account
	return nil
}

func voucherifyInvalidPayload(requestID string, fields []kit.FieldError) gen.E400InvalidPayload {
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		if f.Path == "" {
			parts = append(parts, kit.UpperFirst(f.Message))
			continue
		}
		parts = append(parts, "Property ."+f.Path+" "+f.Message)
	}
	return gen.E400InvalidPayload{
		Code:      kit.Ptr(http.StatusBadRequest),
		Key:       kit.Ptr("invalid_payload"),
		Message:   kit.Ptr("Invalid payload"),
		Details:   kit.Ptr(strings.Join(parts, "; ")),
		RequestId: kit.Ptr(requestID),
	}
}

func voucherifyUnauthorized() gen.Error {
	return gen.Error{Code: http.StatusUnauthorized, Message: "Unauthorized", Key: kit.Ptr("unauthorized")}
}

func voucherifyPaymentRequired() gen.ErrorPaymentRequired {
	return gen.ErrorPaymentRequired{
		Code:    http.StatusPaymentRequired,
		Message: "Payment required",
		Details: "Your current plan does not include a feature required to perform this operation.",
		Key:     "missing_required_feature",
	}
}

func voucherifyNotFound(requestID, resourceType, resourceID string) gen.Error {
	return gen.Error{
		Code:         http.StatusNotFound,
		Key:          kit.Ptr("not_found"),
		Message:      "Resource not found",
		Details:      kit.Ptr("Cannot find " + resourceType + " with id " + resourceID),
		RequestId:    kit.Ptr(requestID),
		ResourceId:   kit.Ptr(resourceID),
		ResourceType: kit.Ptr(resourceType),
	}
}

// provisionVoucherify gives an account one project, its management keys and the secret its
// deliveries are signed with (kept as is: Voucherify signs with it in clear).
func provisionVoucherify(ctx context.Context, q *db.Queries, account db.Account, out *gen.AccountCreated) error {
	creds := gen.VoucherifyCredentials{
		ProjectId: "proj_" + kit.RandomAlphanumeric(8), ManagementId: "mgmt_" + kit.RandomAlphanumeric(20),
		ManagementToken: kit.NewSecret(), WebhookSecret: kit.NewSecret(),
	}
	project, err := q.CreateScope(ctx, db.CreateScopeParams{AccountID: account.ID, Dialect: ScopeDialect, ExternalID: creds.ProjectId, Name: account.Name})
	if err != nil {
		return err
	}
	if err := q.SetScopeSecret(ctx, db.SetScopeSecretParams{AccountID: account.ID, ID: project.ID, Secret: creds.WebhookSecret}); err != nil {
		return err
	}
	out.Voucherify = creds
	return q.CreateCredential(ctx, db.CreateCredentialParams{AccountID: account.ID, Kind: credentialVoucherify, PublicID: creds.ManagementId, SecretSha256: kit.Digest(creds.ManagementToken)})
}

// credential finds the account of a management id and token.
func (v Voucherify) credential(ctx context.Context, id, token string) (db.Account, error) {
	if id == "" || token == "" {
		return db.Account{}, kit.ErrUnauthenticated
	}
	return v.Credentials.ByPublicID(ctx, credentialVoucherify, id, token)
}

// identifyVoucherify shows the account's project.
func identifyVoucherify(ctx context.Context, q *db.Queries, account db.Account, view *gen.Account) error {
	projects, err := q.ListScopes(ctx, db.ListScopesParams{AccountID: account.ID, Dialect: ScopeDialect})
	if err != nil {
		return err
	}
	if len(projects) == 0 {
		return errors.New("no project")
	}
	view.Voucherify = gen.VoucherifyIdentity{ProjectId: projects[0].ExternalID}
	return nil
}
