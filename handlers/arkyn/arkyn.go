// Package arkyn is Arkyn Logs' API: user authentication with session tokens, traffic sources,
// and the one webhook of each traffic source, which posts to a Discord channel.
package arkyn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oapi-codegen/nullable"
	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/google/uuid"
	"github.com/lib/pq"

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
	if errors.Is(kit.NotFound(err, "arkyn user"), kit.ErrNotFound) {
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
	account := kit.AccountFrom(ctx)
	var source db.Scope
	err := a.InTx(ctx, func(q *db.Queries) error {
		var err error
		source, err = createTrafficSource(ctx, q, account.ID, req.Body.Name, req.Body.TrafficDomain)
		return err
	})
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return gen.ArkynCreateTrafficSource409JSONResponse(arkynError(gen.ArkynErrorNameConflict, "Domain already registered")), nil
	}
	if err != nil {
		return nil, err
	}
	return gen.ArkynCreateTrafficSource201JSONResponse(toArkynTrafficSource(source)), nil
}

func createTrafficSource(ctx context.Context, q *db.Queries, accountID uuid.UUID, name, domain string) (db.Scope, error) {
	source, err := q.CreateScopeWithDomain(ctx, db.CreateScopeWithDomainParams{
		AccountID: accountID, Dialect: ScopeDialect, ExternalID: uuid.NewString(),
		Name: name, Domain: strings.ToLower(strings.TrimSpace(domain)),
	})
	if err != nil {
		return db.Scope{}, err
	}
	_, err = q.CreateSubscription(ctx, db.CreateSubscriptionParams{
		AccountID: accountID, ScopeID: source.ID, Dialect: dialectArkynWebhook, ExternalID: uuid.NewString(),
		Events: []string{}, Filters: db.JSON(`[]`), Status: kit.StatusInactive,
		Headers: db.JSON(`{}`), Properties: db.JSON(`{}`),
	})
	return source, err
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
	total, err := a.Q.CountScopes(ctx, db.CountScopesParams{AccountID: account.ID, Dialect: ScopeDialect})
	if err != nil {
		return nil, err
	}
	rows, err := a.Q.ListScopesPage(ctx, db.ListScopesPageParams{
		AccountID: account.ID, Dialect: ScopeDialect, Limit: int32(limit), Offset: kit.PageOffset(page, limit, total),
	})
	if err != nil {
		return nil, err
	}
	list := gen.ArkynTrafficSourceList{Data: make([]gen.ArkynTrafficSource, len(rows))}
	for i, r := range rows {
		list.Data[i] = toArkynTrafficSource(r)
	}
	list.Date = list.Data
	list.Meta.Total, list.Meta.Page, list.Meta.Limit = int(total), page, limit
	return gen.ArkynListTrafficSources200JSONResponse(list), nil
}

// ArkynGetWebhook returns the webhook of a traffic source the caller owns.
func (a Arkyn) ArkynGetWebhook(ctx context.Context, req gen.ArkynGetWebhookRequestObject) (gen.ArkynGetWebhookResponseObject, error) {
	source, hook, err := a.webhook(ctx, a.Q, req.TrafficSourceId, false)
	var refused *arkynRefusal
	switch {
	case errors.As(err, &refused) && refused.forbidden:
		return gen.ArkynGetWebhook403JSONResponse{ArkynForbiddenJSONResponse: gen.ArkynForbiddenJSONResponse(refused.body)}, nil
	case errors.As(err, &refused):
		return gen.ArkynGetWebhook404JSONResponse{ArkynNotFoundJSONResponse: gen.ArkynNotFoundJSONResponse(refused.body)}, nil
	case err != nil:
		return nil, err
	}
	return gen.ArkynGetWebhook200JSONResponse(toArkynWebhook(hook, source)), nil
}

// ArkynUpdateWebhook sets or clears the Discord channel of a traffic source's webhook.
func (a Arkyn) ArkynUpdateWebhook(ctx context.Context, req gen.ArkynUpdateWebhookRequestObject) (gen.ArkynUpdateWebhookResponseObject, error) {
	var out gen.ArkynWebhook
	err := a.InTx(ctx, func(q *db.Queries) error {
		source, hook, err := a.webhook(ctx, q, req.TrafficSourceId, true)
		if err != nil {
			return err
		}
		if req.Body.DiscordChannelId.IsSpecified() {
			hook, err = q.UpdateSubscription(ctx, kit.UpdateParams(hook, func(p *db.UpdateSubscriptionParams) {
				if req.Body.DiscordChannelId.IsNull() {
					p.Url, p.Status = "", kit.StatusInactive
				} else {
					p.Url, p.Status = discordURLPrefix+req.Body.DiscordChannelId.MustGet(), kit.StatusActive
				}
				p.StatusReason, p.LastError = "", ""
			}))
			if err != nil {
				return err
			}
		}
		out = toArkynWebhook(hook, source)
		return nil
	})
	var refused *arkynRefusal
	switch {
	case errors.As(err, &refused) && refused.forbidden:
		return gen.ArkynUpdateWebhook403JSONResponse{ArkynForbiddenJSONResponse: gen.ArkynForbiddenJSONResponse(refused.body)}, nil
	case errors.As(err, &refused):
		return gen.ArkynUpdateWebhook404JSONResponse{ArkynNotFoundJSONResponse: gen.ArkynNotFoundJSONResponse(refused.body)}, nil
	case err != nil:
		return nil, err
	}
	return gen.ArkynUpdateWebhook200JSONResponse(out), nil
}

// arkynRefusal is a 403 or 404 in Arkyn's words.
type arkynRefusal struct {
	forbidden bool
	body      gen.ArkynError
}

func (e *arkynRefusal) Error() string { return e.body.Message }

// webhook finds a traffic source and its webhook. Arkyn tells "not yours" (403) from "does not
// exist" (404), so the lookup is not scoped to the caller's account.
func (a Arkyn) webhook(ctx context.Context, q *db.Queries, trafficSourceID uuid.UUID, forUpdate bool) (db.Scope, db.Subscription, error) {
	source, err := q.GetScopeAnyAccount(ctx, db.GetScopeAnyAccountParams{Dialect: ScopeDialect, ExternalID: trafficSourceID.String()})
	if errors.Is(kit.NotFound(err, "traffic source"), kit.ErrNotFound) {
		return db.Scope{}, db.Subscription{}, &arkynRefusal{body: arkynError(gen.ArkynErrorNameNotFound, arkynTrafficSourceAbsent)}
	} else if err != nil {
		return db.Scope{}, db.Subscription{}, err
	}
	if source.AccountID != kit.AccountFrom(ctx).ID {
		return db.Scope{}, db.Subscription{}, &arkynRefusal{forbidden: true, body: arkynError(gen.ArkynErrorNameForbidden, arkynNotOwner)}
	}
	rows, err := q.ListScopeSubscriptions(ctx, source.ID)
	if err != nil {
		return db.Scope{}, db.Subscription{}, err
	}
	if len(rows) == 0 {
		return db.Scope{}, db.Subscription{}, &arkynRefusal{body: arkynError(gen.ArkynErrorNameNotFound, arkynWebhookAbsent)}
	}
	hook := rows[0]
	if forUpdate {
		if hook, err = q.GetSubscriptionForUpdate(ctx, db.GetSubscriptionForUpdateParams{ScopeID: source.ID, Dialect: dialectArkynWebhook, ExternalID: hook.ExternalID}); err != nil {
			return db.Scope{}, db.Subscription{}, fmt.Errorf("lock webhook: %w", err)
		}
	}
	return source, hook, nil
}

func toArkynTrafficSource(s db.Scope) gen.ArkynTrafficSource {
	return gen.ArkynTrafficSource{
		Id: uuid.MustParse(s.ExternalID), Name: s.Name, TrafficDomain: s.Domain, UserId: s.AccountID,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}
}

func toArkynWebhook(s db.Subscription, source db.Scope) gen.ArkynWebhook {
	channel := nullable.NewNullNullable[string]()
	if id, ok := strings.CutPrefix(s.Url, discordURLPrefix); ok {
		channel = nullable.NewNullableWithValue(id)
	}
	return gen.ArkynWebhook{
		Id: s.ExternalID, DiscordChannelId: channel, TrafficSourceId: uuid.MustParse(source.ExternalID),
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}
}
