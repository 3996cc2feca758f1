package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// defaultOverlap is how long a replaced secret keeps signing when the caller does not say.
const defaultOverlap = 24 * time.Hour

// AdminRotateSecret replaces the secret that signs a subscription's deliveries (a Voucherify
// project's, for its webhooks) and keeps the replaced one signing for an overlap window. The
// new secret is in the answer only: neither it nor the old one reaches a log line.
func (a Admin) AdminRotateSecret(ctx context.Context, req gen.AdminRotateSecretRequestObject) (gen.AdminRotateSecretResponseObject, error) {
	where := db.GetSubscriptionForRotationParams{AccountID: req.AccountId, ID: req.SubscriptionUuid}
	row, err := a.Q.GetSubscriptionForRotation(ctx, where)
	if errors.Is(err, sql.ErrNoRows) {
		return gen.AdminRotateSecret404JSONResponse{AdminSubscriptionNotFoundJSONResponse: subscriptionNotFound()}, nil
	} else if err != nil {
		return nil, fmt.Errorf("subscription %s: %w", req.SubscriptionUuid, err)
	}
	sub := row.Subscription
	signing := a.signing(sub.Dialect)
	if signing == nil {
		return gen.AdminRotateSecret409JSONResponse{AdminConflictJSONResponse: conflict(
			sub.Dialect + " deliveries are not signed, so this subscription has no secret to rotate")}, nil
	}
	body := kit.Deref(req.Body)
	secret := kit.Deref(body.Secret)
	if body.Secret == nil {
		secret = signing.New()
	} else if err := signing.Check(secret); err != nil {
		var invalid *kit.InvalidError
		if errors.As(err, &invalid) {
			return gen.AdminRotateSecret400JSONResponse{AdminBadRequestJSONResponse: gen.AdminBadRequestJSONResponse{
				Code: "invalid_request", Message: sub.Dialect + " " + invalid.Error()}}, nil
		}
		return nil, err
	}
	overlap := int32(defaultOverlap / time.Second)
	if body.OverlapSeconds != nil {
		overlap = int32(*body.OverlapSeconds)
	}
	force := kit.Deref(body.Force)

	var until sql.NullTime
	if signing.ScopeHeld {
		until, err = a.Q.RotateScopeSecret(ctx, db.RotateScopeSecretParams{
			AccountID: req.AccountId, ID: row.Scope.ID, Secret: secret, OverlapSeconds: overlap, Force: force})
	} else {
		until, err = a.Q.RotateSubscriptionSecret(ctx, db.RotateSubscriptionSecretParams{
			AccountID: req.AccountId, ID: sub.ID, Secret: secret, OverlapSeconds: overlap, Force: force})
	}
	if errors.Is(err, sql.ErrNoRows) {
		return a.refusedRotation(ctx, where, signing.ScopeHeld)
	} else if err != nil {
		return nil, fmt.Errorf("rotating the secret of subscription %s: %w", sub.ID, err)
	}
	attrs := []slog.Attr{slog.String("subscription_id", sub.ID.String()), slog.String("dialect", sub.Dialect),
		slog.Int("overlap_seconds", int(overlap)), slog.Bool("force", force)}
	if signing.ScopeHeld {
		attrs = append(attrs, slog.String("scope_id", row.Scope.ID.String()))
	}
	a.Audit.Record(ctx, "rotate_secret", req.AccountId, attrs...)
	out := gen.RotatedSecret{Secret: secret, PreviousValidUntil: nullable.NewNullNullable[time.Time]()}
	if until.Valid {
		out.PreviousValidUntil.Set(until.Time.UTC())
	}
	return gen.AdminRotateSecret200JSONResponse(out), nil
}

// refusedRotation answers a rotation that changed nothing: the subscription went away since it
// was read, or an earlier rotation's window is still open.
func (a Admin) refusedRotation(ctx context.Context, where db.GetSubscriptionForRotationParams, scopeHeld bool) (gen.AdminRotateSecretResponseObject, error) {
	row, err := a.Q.GetSubscriptionForRotation(ctx, where)
	if errors.Is(err, sql.ErrNoRows) {
		return gen.AdminRotateSecret404JSONResponse{AdminSubscriptionNotFoundJSONResponse: subscriptionNotFound()}, nil
	} else if err != nil {
		return nil, fmt.Errorf("subscription %s: %w", where.ID, err)
	}
	until, window := row.Subscription.PreviousSecretUntil, "the previous rotation's window"
	if scopeHeld {
		until, window = row.Scope.PreviousSecretUntil, "the window of the previous rotation of the project's secret"
	}
	when := "still open"
	if until.Valid {
		when = "open until " + until.Time.UTC().Format(time.RFC3339)
	}
	return gen.AdminRotateSecret409JSONResponse{AdminConflictJSONResponse: conflict(
		window + " is " + when + "; set force to end it now")}, nil
}

// signing returns the signing rules of the API whose subscriptions are of dialect, or nil when
// its deliveries are not signed.
func (a Admin) signing(dialect string) *kit.Signing {
	for _, api := range a.APIs {
		if string(api.Name) == dialect {
			return api.Signing
		}
	}
	return nil
}
