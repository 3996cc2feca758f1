// Package arkyn is Arkyn Logs' API: user authentication with session tokens, traffic sources,
// and the one webhook of each traffic source, which posts to a Discord channel.
package arkyn

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/oapi-codegen/nullable"
	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Arkyn implements Arkyn Logs' user authentication, traffic sources and their webhooks.
type Arkyn struct {
	kit.Store
}

// Dialect is the arkyn tag of openapi.yaml.
const Dialect kit.Dialect = "arkyn"

const (
	// ScopeDialect marks a traffic source in the scopes table.
	ScopeDialect            = "arkyn"
	dialectArkynWebhook     = "arkyn"
	credentialArkynPassword = "arkyn"
	credentialArkynToken    = "arkyn_token"
	arkynTokenLifetime      = 7 * 24 * time.Hour
	// discordURLPrefix is how a Discord channel is stored as a subscription's destination.
	discordURLPrefix = "discord://channels/"
)

// Arkyn's messages, as its backend words them.
const (
	arkynNotOwner            = "You do not own this traffic source."
	arkynTrafficSourceAbsent = "Traffic source not found"
	arkynWebhookAbsent       = "Webhook not found for this traffic source"
)

func arkynError(name gen.ArkynErrorName, message string) gen.ArkynError {
	return gen.ArkynError{Name: name, Message: message}
}

// ArkynAuthUser issues a session token for the account's Arkyn email and password. Unknown
// emails and wrong passwords get the same answer.
func (a Arkyn) ArkynAuthUser(ctx context.Context, req gen.ArkynAuthUserRequestObject) (gen.ArkynAuthUserResponseObject, error) {
	invalid := gen.ArkynAuthUser404JSONResponse(arkynError(gen.ArkynErrorNameNotFound, "Invalid credentials"))
	row, err := a.Q.GetCredentialByPublicID(ctx, db.GetCredentialByPublicIDParams{Kind: credentialArkynPassword, PublicID: strings.ToLower(strings.TrimSpace(req.Body.Email))})
	if errors.Is(err, sql.ErrNoRows) {
		return invalid, nil
	}
	if err != nil {
		return nil, err
	}
	if !kit.EqualDigest(kit.Digest(req.Body.Password), row.SecretSha256) {
		return invalid, nil
	}
	token := newArkynToken(row.Account.ID, time.Now())
	err = a.Q.CreateExpiringCredential(ctx, db.CreateExpiringCredentialParams{
		AccountID: row.Account.ID, Kind: credentialArkynToken, SecretSha256: kit.Digest(token),
		ExpiresAt: kit.SQLTime(time.Now().Add(arkynTokenLifetime)),
	})
	if err != nil {
		return nil, err
	}
	// Expired tokens are swept here rather than by a background job: logins are rare and cheap.
	if err := a.Q.DeleteExpiredCredentials(ctx); err != nil {
		return nil, err
	}
	return gen.ArkynAuthUser200JSONResponse{Token: token}, nil
}

// newArkynToken returns a token shaped like the vendor's JWTs, so that clients that read its
// claims keep working; it is verified by its stored digest, not by its signature.
func newArkynToken(userID uuid.UUID, now time.Time) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"userId": userID.String(), "iat": now.Unix(), "exp": now.Add(arkynTokenLifetime).Unix()})
	return header + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString([]byte(kit.NewSecret())[:32])
}

// ArkynCreateTrafficSource creates a traffic source with its (disabled) webhook.
func (a Arkyn) ArkynCreateTrafficSource(ctx context.Context, req gen.ArkynCreateTrafficSourceRequestObject) (gen.ArkynCreateTrafficSourceResponseObject, error) {
	source, err := createTrafficSource(ctx, a.Q, kit.AccountFrom(ctx).ID, req.Body.Name, req.Body.TrafficDomain)
	var conflict *kit.ConflictError
	if errors.As(err, &conflict) {
		return gen.ArkynCreateTrafficSource409JSONResponse(arkynError(gen.ArkynErrorNameConflict, conflict.Reason)), nil
	}
	if err != nil {
		return nil, err
	}
	return gen.ArkynCreateTrafficSource201JSONResponse(toArkynTrafficSource(source)), nil
}

// createTrafficSource stores a traffic source with its webhook, disabled, in one statement.
// A domain belongs to one traffic source.
func createTrafficSource(ctx context.Context, q *db.Queries, accountID uuid.UUID, name, domain string) (db.Scope, error) {
	source, err := q.CreateScopeWithWebhook(ctx, db.CreateScopeWithWebhookParams{
		ID: uuid.New(), AccountID: accountID, Dialect: ScopeDialect, ExternalID: uuid.NewString(),
		Name: name, Domain: strings.ToLower(strings.TrimSpace(domain)),
		WebhookDialect: dialectArkynWebhook, WebhookExternalID: uuid.NewString(), WebhookStatus: kit.StatusInactive,
	})
	if db.IsUniqueViolation(err) {
		return db.Scope{}, kit.Conflict("Domain already registered")
	}
	return db.Scope(source), err
}

// ArkynListTrafficSources returns one page of the caller's traffic sources.
func (a Arkyn) ArkynListTrafficSources(ctx context.Context, req gen.ArkynListTrafficSourcesRequestObject) (gen.ArkynListTrafficSourcesResponseObject, error) {
	account := kit.AccountFrom(ctx)
	page, limit := 1, 10
	if req.Params.Page != nil {
		page = *req.Params.Page
	}
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	rows, err := a.Q.ListScopesPage(ctx, db.ListScopesPageParams{
		AccountID: account.ID, Dialect: ScopeDialect, Limit: int32(limit), Offset: kit.PageOffset(page, limit, math.MaxInt32),
	})
	if err != nil {
		return nil, err
	}
	// Every row carries the count; a page past the end has no row to carry it.
	var total int64
	if len(rows) > 0 {
		total = rows[0].Total
	} else if total, err = a.Q.CountScopes(ctx, db.CountScopesParams{AccountID: account.ID, Dialect: ScopeDialect}); err != nil {
		return nil, err
	}
	list := gen.ArkynTrafficSourceList{Data: make([]gen.ArkynTrafficSource, len(rows))}
	for i, r := range rows {
		list.Data[i] = toArkynTrafficSource(r.Scope)
	}
	list.Date = list.Data
	list.Meta.Total, list.Meta.Page, list.Meta.Limit = int(total), page, limit
	return gen.ArkynListTrafficSources200JSONResponse(list), nil
}

// ArkynGetWebhook returns the webhook of a traffic source the caller owns.
func (a Arkyn) ArkynGetWebhook(ctx context.Context, req gen.ArkynGetWebhookRequestObject) (gen.ArkynGetWebhookResponseObject, error) {
	hook, err := a.webhook(ctx, req.TrafficSourceId)
	forbidden, missing := refused(err)
	switch {
	case forbidden != nil:
		return gen.ArkynGetWebhook403JSONResponse{ArkynForbiddenJSONResponse: gen.ArkynForbiddenJSONResponse(*forbidden)}, nil
	case missing != nil:
		return gen.ArkynGetWebhook404JSONResponse{ArkynNotFoundJSONResponse: gen.ArkynNotFoundJSONResponse(*missing)}, nil
	case err != nil:
		return nil, err
	}
	return gen.ArkynGetWebhook200JSONResponse(toArkynWebhook(hook, req.TrafficSourceId)), nil
}

// ArkynUpdateWebhook sets or clears the Discord channel of a traffic source's webhook.
func (a Arkyn) ArkynUpdateWebhook(ctx context.Context, req gen.ArkynUpdateWebhookRequestObject) (gen.ArkynUpdateWebhookResponseObject, error) {
	var hook db.Subscription
	var err error
	if channel := req.Body.DiscordChannelId; !channel.IsSpecified() {
		hook, err = a.webhook(ctx, req.TrafficSourceId)
	} else {
		account := kit.AccountFrom(ctx)
		target := db.SetScopeWebhookTargetParams{
			Status:       kit.StatusInactive,
			ScopeDialect: ScopeDialect, ScopeExternalID: req.TrafficSourceId.String(), AccountID: account.ID,
		}
		if !channel.IsNull() {
			target.Url, target.Status = discordURLPrefix+channel.MustGet(), kit.StatusActive
		}
		hook, err = a.Q.SetScopeWebhookTarget(ctx, target)
		if err != nil {
			err = a.refusal(ctx, err, req.TrafficSourceId)
		}
	}
	forbidden, missing := refused(err)
	switch {
	case forbidden != nil:
		return gen.ArkynUpdateWebhook403JSONResponse{ArkynForbiddenJSONResponse: gen.ArkynForbiddenJSONResponse(*forbidden)}, nil
	case missing != nil:
		return gen.ArkynUpdateWebhook404JSONResponse{ArkynNotFoundJSONResponse: gen.ArkynNotFoundJSONResponse(*missing)}, nil
	case err != nil:
		return nil, err
	}
	return gen.ArkynUpdateWebhook200JSONResponse(toArkynWebhook(hook, req.TrafficSourceId)), nil
}

// refused words a refusal as Arkyn does: a 403 or a 404 body, or neither for other errors.
func refused(err error) (forbidden, missing *gen.ArkynError) {
	var fb *kit.ForbiddenError
	if errors.As(err, &fb) {
		body := arkynError(gen.ArkynErrorNameForbidden, fb.Reason)
		return &body, nil
	}
	var nf *kit.NotFoundError
	if errors.As(err, &nf) {
		message := arkynWebhookAbsent
		if nf.What == whatTrafficSource {
			message = arkynTrafficSourceAbsent
		}
		body := arkynError(gen.ArkynErrorNameNotFound, message)
		return nil, &body
	}
	return nil, nil
}

const whatTrafficSource = "traffic source"

// webhook finds the webhook of a traffic source the caller owns, in one statement.
func (a Arkyn) webhook(ctx context.Context, trafficSourceID uuid.UUID) (db.Subscription, error) {
	rows, err := a.Q.ListScopedSubscriptions(ctx, db.ListScopedSubscriptionsParams{
		ScopeDialect: ScopeDialect, ScopeExternalID: trafficSourceID.String(), AccountID: kit.AccountFrom(ctx).ID,
	})
	if err == nil && len(rows) == 0 {
		err = sql.ErrNoRows
	}
	if err != nil {
		return db.Subscription{}, a.refusal(ctx, err, trafficSourceID)
	}
	return rows[0], nil
}

// refusal explains a statement that found no webhook of the caller's: Arkyn tells "not yours"
// (403) from "does not exist" (404), so this look-up is not scoped to the caller's account. It
// costs a query only on that path.
func (a Arkyn) refusal(ctx context.Context, err error, trafficSourceID uuid.UUID) error {
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	source, err := a.Q.GetScopeAnyAccount(ctx, db.GetScopeAnyAccountParams{Dialect: ScopeDialect, ExternalID: trafficSourceID.String()})
	if err != nil {
		return kit.Found(err, whatTrafficSource, trafficSourceID.String())
	}
	if source.AccountID != kit.AccountFrom(ctx).ID {
		return kit.Forbidden(arkynNotOwner)
	}
	return kit.NotFound("webhook", trafficSourceID.String())
}

func toArkynTrafficSource(s db.Scope) gen.ArkynTrafficSource {
	return gen.ArkynTrafficSource{
		Id: uuid.MustParse(s.ExternalID), Name: s.Name, TrafficDomain: s.Domain, UserId: s.AccountID,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}
}

func toArkynWebhook(s db.Subscription, trafficSourceID uuid.UUID) gen.ArkynWebhook {
	channel := nullable.NewNullNullable[string]()
	if id, ok := strings.CutPrefix(s.Url, discordURLPrefix); ok {
		channel = nullable.NewNullableWithValue(id)
	}
	return gen.ArkynWebhook{
		Id: s.ExternalID, DiscordChannelId: channel, TrafficSourceId: trafficSourceID,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}
}
