// Package shipping is 2LM Shipping Channels' webhook subscriptions API: Laravel-style bodies
// and errors, API keys (one read-only) and per-key request budgets counted in PostgreSQL.
package shipping

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/webhookd/webhookd/handlers/kit"

	"github.com/oapi-codegen/nullable"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
)

// Shipping implements 2LM Shipping Channels' webhook subscriptions.
type Shipping struct {
	kit.Store
	limit *rateLimiter
}

// Dialect is the shipping tag of openapi.yaml.
const Dialect kit.Dialect = "shipping"

// New serves Shipping on st, with limit as each API key's request budget (zero: the vendor's).
func New(st kit.Store, limit RateLimit) Shipping {
	if limit.Requests == 0 {
		limit = DefaultRateLimit
	}
	return Shipping{Store: st, limit: &rateLimiter{Q: st.Q, limit: limit, now: time.Now}}
}

const (
	scopeShipping           = "shipping"
	DialectWebhook          = "shipping"
	credentialShipping      = "shipping"
	credentialShippingRead  = "shipping_ro"
	shippingDefaultPageSize = 15
	// shippingMaskedSecret is what responses show in place of a secret.
	shippingMaskedSecret = "••••••••••••••••"
)

// ShippingCreateWebhookSubscription answers 201 with the new subscription.
func (s Shipping) ShippingCreateWebhookSubscription(ctx context.Context, req gen.ShippingCreateWebhookSubscriptionRequestObject) (gen.ShippingCreateWebhookSubscriptionResponseObject, error) {
	if fields := checkShippingURL(s.Targets, &req.Body.Url); fields != nil {
		return gen.ShippingCreateWebhookSubscription422JSONResponse{ShippingValidationFailedJSONResponse: shippingInvalid(fields)}, nil
	}
	scope, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	secret := kit.Deref(req.Body.Secret)
	if secret == "" {
		secret = kit.NewSecret()
	}
	row, err := s.Q.CreateSubscription(ctx, db.CreateSubscriptionParams{
		AccountID: scope.AccountID, ScopeID: scope.ID, Dialect: DialectWebhook,
		ExternalID: "wh_" + kit.RandomAlphanumeric(24), Name: req.Body.Name, Url: req.Body.Url,
		Events: kit.EventNames(req.Body.Events), Filters: db.JSON(`[]`),
		Status: kit.ActiveStatus(req.Body.Active == nil || *req.Body.Active), Secret: secret,
		Headers: db.JSON(`{}`), Properties: db.JSON(`{}`),
	})
	if err != nil {
		return nil, err
	}
	return gen.ShippingCreateWebhookSubscription201JSONResponse{Body: gen.ShippingWebhookSubscriptionEnvelope{Data: toShippingSubscription(row)}}, nil
}

// ShippingListWebhookSubscriptions returns one page, with Laravel's meta and links.
func (s Shipping) ShippingListWebhookSubscriptions(ctx context.Context, req gen.ShippingListWebhookSubscriptionsRequestObject) (gen.ShippingListWebhookSubscriptionsResponseObject, error) {
	scope, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	page, perPage := 1, shippingDefaultPageSize
	if req.Params.Page != nil {
		page = *req.Params.Page
	}
	if req.Params.PerPage != nil {
		perPage = *req.Params.PerPage
	}
	total, err := s.Q.CountScopeSubscriptions(ctx, db.CountScopeSubscriptionsParams{AccountID: scope.AccountID, ScopeID: scope.ID})
	if err != nil {
		return nil, err
	}
	offset := kit.PageOffset(page, perPage, total)
	rows, err := s.Q.ListScopeSubscriptionsPage(ctx, db.ListScopeSubscriptionsPageParams{AccountID: scope.AccountID, ScopeID: scope.ID, MaxRows: int32(perPage), Skip: offset})
	if err != nil {
		return nil, err
	}
	var list gen.ShippingWebhookSubscriptionList
	list.Data = make([]gen.ShippingWebhookSubscription, len(rows))
	for i, r := range rows {
		list.Data[i] = toShippingSubscription(r)
	}
	lastPage := max(1, int((total+int64(perPage)-1)/int64(perPage)))
	path := kit.InfoFrom(ctx).BaseURL + "/v1/webhook-subscriptions"
	pageURL := func(n int) string {
		q := url.Values{"page": {fmt.Sprint(n)}}
		if req.Params.PerPage != nil {
			q.Set("per_page", fmt.Sprint(perPage))
		}
		return path + "?" + q.Encode()
	}
	m := &list.Meta
	m.CurrentPage, m.LastPage, m.Path, m.PerPage, m.Total = page, lastPage, path, perPage, int(total)
	m.From, m.To = nullable.NewNullNullable[int](), nullable.NewNullNullable[int]()
	if len(rows) > 0 {
		m.From.Set(int(offset) + 1)
		m.To.Set(int(offset) + len(rows))
	}
	l := &list.Links
	l.First, l.Last = pageURL(1), pageURL(lastPage)
	l.Prev, l.Next = nullable.NewNullNullable[string](), nullable.NewNullNullable[string]()
	if page > 1 {
		l.Prev.Set(pageURL(min(page-1, lastPage)))
	}
	if page < lastPage {
		l.Next.Set(pageURL(page + 1))
	}
	return gen.ShippingListWebhookSubscriptions200JSONResponse{Body: list}, nil
}

// ShippingGetWebhookSubscription returns one subscription.
func (s Shipping) ShippingGetWebhookSubscription(ctx context.Context, req gen.ShippingGetWebhookSubscriptionRequestObject) (gen.ShippingGetWebhookSubscriptionResponseObject, error) {
	row, err := s.Q.GetScopedSubscription(ctx, shippingSubscription(ctx, req.Id))
	if err = kit.Found(err, "webhook subscription", req.Id); kit.IsNotFound(err) {
		return gen.ShippingGetWebhookSubscription404JSONResponse{ShippingNotFoundJSONResponse: shippingNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.ShippingGetWebhookSubscription200JSONResponse{Body: gen.ShippingWebhookSubscriptionEnvelope{Data: toShippingSubscription(row)}}, nil
}

// ShippingUpdateWebhookSubscription changes the members given; name is required and an absent
// or empty secret keeps the current one.
func (s Shipping) ShippingUpdateWebhookSubscription(ctx context.Context, req gen.ShippingUpdateWebhookSubscriptionRequestObject) (gen.ShippingUpdateWebhookSubscriptionResponseObject, error) {
	if fields := checkShippingURL(s.Targets, req.Body.Url); fields != nil {
		return gen.ShippingUpdateWebhookSubscription422JSONResponse{ShippingValidationFailedJSONResponse: shippingInvalid(fields)}, nil
	}
	where := shippingSubscription(ctx, req.Id)
	body := req.Body
	patch := db.PatchScopedSubscriptionParams{
		Name: sql.NullString{String: body.Name, Valid: true}, Url: kit.NullString(body.Url),
		ScopeDialect: where.ScopeDialect, ScopeExternalID: where.ScopeExternalID, AccountID: where.AccountID,
		Dialect: where.Dialect, ExternalID: where.ExternalID,
	}
	if body.Events != nil {
		patch.Events = kit.EventNames(*body.Events)
	}
	if body.Secret != nil && *body.Secret != "" {
		patch.Secret = sql.NullString{String: *body.Secret, Valid: true}
	}
	if body.Active != nil {
		patch.Status = sql.NullString{String: kit.ActiveStatus(*body.Active), Valid: true}
	}
	updated, err := s.Q.PatchScopedSubscription(ctx, patch)
	if err = kit.Found(err, "webhook subscription", req.Id); kit.IsNotFound(err) {
		return gen.ShippingUpdateWebhookSubscription404JSONResponse{ShippingNotFoundJSONResponse: shippingNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	return gen.ShippingUpdateWebhookSubscription200JSONResponse{Body: gen.ShippingWebhookSubscriptionEnvelope{Data: toShippingSubscription(updated)}}, nil
}

// ShippingDeleteWebhookSubscription removes a subscription.
func (s Shipping) ShippingDeleteWebhookSubscription(ctx context.Context, req gen.ShippingDeleteWebhookSubscriptionRequestObject) (gen.ShippingDeleteWebhookSubscriptionResponseObject, error) {
	n, err := s.Q.DeleteScopedSubscription(ctx, db.DeleteScopedSubscriptionParams(shippingSubscription(ctx, req.Id)))
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return gen.ShippingDeleteWebhookSubscription404JSONResponse{ShippingNotFoundJSONResponse: shippingNotFound()}, nil
	}
	return gen.ShippingDeleteWebhookSubscription204Response{}, nil
}

// shippingSubscription names a subscription of the caller's one Shipping scope, whose dialect
// id is the account's id.
func shippingSubscription(ctx context.Context, id string) db.GetScopedSubscriptionParams {
	account := kit.AccountFrom(ctx)
	return db.GetScopedSubscriptionParams{
		ScopeDialect: scopeShipping, ScopeExternalID: account.ID.String(), AccountID: account.ID,
		Dialect: DialectWebhook, ExternalID: id,
	}
}

func (s Shipping) scope(ctx context.Context) (db.Scope, error) { return s.scopeWith(ctx, s.Q) }

// scopeWith returns the caller's one Shipping scope, created with the account.
func (s Shipping) scopeWith(ctx context.Context, q *db.Queries) (db.Scope, error) {
	account := kit.AccountFrom(ctx)
	scope, err := q.GetScope(ctx, db.GetScopeParams{Dialect: scopeShipping, ExternalID: account.ID.String(), AccountID: account.ID})
	if err != nil {
		return db.Scope{}, fmt.Errorf("account %s has no shipping scope: %w", account.ID, err)
	}
	return scope, nil
}

func checkShippingURL(targets kit.TargetPolicy, raw *string) []kit.FieldError {
	if raw == nil {
		return nil
	}
	if !kit.AbsoluteURL(*raw, "http", "https") {
		return []kit.FieldError{{Path: "url", Message: "The url must be a valid URL."}}
	}
	if !targets.Allows(*raw) {
		return []kit.FieldError{{Path: "url", Message: "The url " + kit.TargetRefusal + "."}}
	}
	return nil
}

func shippingNotFound() gen.ShippingNotFoundJSONResponse {
	return gen.ShippingNotFoundJSONResponse{Body: shippingError("not_found", "Webhook subscription not found.", 404)}
}

func shippingError(code string, message string, status int) gen.ShippingError {
	var e gen.ShippingError
	e.Error.Code, e.Error.Message, e.Error.Status = gen.ShippingErrorErrorCode(code), message, status
	return e
}

// shippingInvalid renders problems the way Laravel does: dotted paths, "The x field …" messages.
func shippingInvalid(fields []kit.FieldError) gen.ShippingValidationFailedJSONResponse {
	var body gen.ShippingValidationError
	body.Error.Message = gen.TheGivenDataWasInvalid
	body.Error.Errors = map[string][]string{}
	for _, f := range fields {
		key := laravelPath(f.Path)
		body.Error.Errors[key] = append(body.Error.Errors[key], laravelMessage(key, f))
	}
	return gen.ShippingValidationFailedJSONResponse{Body: body}
}

// laravelPath writes "events[0]" as "events.0".
func laravelPath(path string) string {
	if path == "" {
		return "body"
	}
	return strings.NewReplacer("[", ".", "]", "").Replace(path)
}

// laravelMessage words a problem as Laravel's validator does.
func laravelMessage(field string, f kit.FieldError) string {
	name := strings.ReplaceAll(field, "_", " ")
	switch f.Rule {
	case "required":
		return "The " + name + " field is required."
	case "enum":
		return "The selected " + name + " is invalid."
	case "type":
		if f.Schema != nil && f.Schema.Type != nil && len(*f.Schema.Type) > 0 {
			switch t := (*f.Schema.Type)[0]; t {
			case "boolean":
				return "The " + name + " field must be true or false."
			case "array", "integer":
				return "The " + name + " must be an " + t + "."
			default:
				return "The " + name + " must be a " + t + "."
			}
		}
	case "minLength", "pattern":
		if field == "secret" {
			return "The secret must be at least 8 characters."
		}
		if f.Rule == "minLength" && f.Schema != nil {
			return fmt.Sprintf("The %s must be at least %d characters.", name, f.Schema.MinLength)
		}
		return "The " + name + " format is invalid."
	case "maxLength":
		if f.Schema != nil && f.Schema.MaxLength != nil {
			return fmt.Sprintf("The %s may not be greater than %d characters.", name, *f.Schema.MaxLength)
		}
	case "minItems":
		if f.Schema != nil {
			return fmt.Sprintf("The %s must have at least %d items.", name, f.Schema.MinItems)
		}
	case "minimum":
		if f.Schema != nil && f.Schema.Min != nil {
			return fmt.Sprintf("The %s must be at least %v.", name, *f.Schema.Min)
		}
	case "maximum":
		if f.Schema != nil && f.Schema.Max != nil {
			return fmt.Sprintf("The %s may not be greater than %v.", name, *f.Schema.Max)
		}
	}
	if strings.HasPrefix(f.Message, "The ") {
		return f.Message
	}
	return "The " + name + " " + f.Message + "."
}

func toShippingSubscription(s db.Subscription) gen.ShippingWebhookSubscription {
	events := make([]gen.ShippingWebhookEvent, len(s.Events))
	for i, e := range s.Events {
		events[i] = gen.ShippingWebhookEvent(e)
	}
	return gen.ShippingWebhookSubscription{
		Id: s.ExternalID, Name: s.Name, Url: s.Url, Events: events, Secret: shippingMaskedSecret,
		Active: s.Status == kit.StatusActive, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}
}
