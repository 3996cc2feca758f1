package admin

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// Audited actions.
const (
	auditSubscriptionEnabled  = "subscription_enabled"
	auditSubscriptionDisabled = "subscription_disabled"
)

// stoppedStatuses are the statuses each dialect's own API stops a subscription with, so that
// the dialect shows a subscription disabled here as its vendor would: Voucherify's and
// Shipping's active false, Bird's and Arkyn's inactive, SuperOffice's State Stopped.
var stoppedStatuses = mustJSON(map[string]string{
	"voucherify": kit.StatusInactive, "bird": kit.StatusInactive, "shipping": kit.StatusInactive,
	"arkyn": kit.StatusInactive, "superoffice": "stopped",
})

func mustJSON(v any) db.JSON {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// AdminListSubscriptions returns the account's subscriptions of every dialect with their state.
func (a Admin) AdminListSubscriptions(ctx context.Context, req gen.AdminListSubscriptionsRequestObject) (gen.AdminListSubscriptionsResponseObject, error) {
	if _, err := a.account(ctx, req.AccountId); kit.IsNotFound(err) {
		return gen.AdminListSubscriptions404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	rows, err := a.Q.ListAccountSubscriptions(ctx, req.AccountId)
	if err != nil {
		return nil, err
	}
	list := gen.SubscriptionSummaryList{Results: make([]gen.SubscriptionSummary, len(rows))}
	for i, r := range rows {
		list.Results[i] = toSubscriptionSummary(r)
	}
	return gen.AdminListSubscriptions200JSONResponse(list), nil
}

// AdminEnableSubscription makes a disabled subscription active again, its failure streak reset.
func (a Admin) AdminEnableSubscription(ctx context.Context, req gen.AdminEnableSubscriptionRequestObject) (gen.AdminEnableSubscriptionResponseObject, error) {
	row, err := a.Q.EnableAccountSubscription(ctx, db.EnableAccountSubscriptionParams{AccountID: req.AccountId, ID: req.SubscriptionUuid})
	if errors.Is(err, sql.ErrNoRows) {
		return gen.AdminEnableSubscription404JSONResponse{AdminSubscriptionNotFoundJSONResponse: subscriptionNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	if row.Status != kit.StatusActive {
		// Only a subscription without a target stays disabled: an Arkyn webhook without a channel.
		return gen.AdminEnableSubscription409JSONResponse{AdminConflictJSONResponse: gen.AdminConflictJSONResponse{
			Code: "conflict", Message: "the Arkyn webhook has no Discord channel to deliver to; set one through Arkyn's API",
		}}, nil
	}
	a.Audit.Record(ctx, auditSubscriptionEnabled, row.AccountID, slog.String("subscription_id", row.ID.String()), slog.String("dialect", row.Dialect))
	return gen.AdminEnableSubscription200JSONResponse{AdminSubscriptionSummaryJSONResponse: gen.AdminSubscriptionSummaryJSONResponse(toSubscriptionSummary(row))}, nil
}

// AdminDisableSubscription stops an active subscription in its vendor's own stopped state.
func (a Admin) AdminDisableSubscription(ctx context.Context, req gen.AdminDisableSubscriptionRequestObject) (gen.AdminDisableSubscriptionResponseObject, error) {
	row, err := a.Q.DisableAccountSubscription(ctx, db.DisableAccountSubscriptionParams{
		AccountID: req.AccountId, ID: req.SubscriptionUuid, StoppedStatuses: stoppedStatuses,
	})
	if errors.Is(err, sql.ErrNoRows) {
		return gen.AdminDisableSubscription404JSONResponse{AdminSubscriptionNotFoundJSONResponse: subscriptionNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	a.Audit.Record(ctx, auditSubscriptionDisabled, row.AccountID, slog.String("subscription_id", row.ID.String()), slog.String("dialect", row.Dialect))
	return gen.AdminDisableSubscription200JSONResponse{AdminSubscriptionSummaryJSONResponse: gen.AdminSubscriptionSummaryJSONResponse(toSubscriptionSummary(row))}, nil
}

func subscriptionNotFound() gen.AdminSubscriptionNotFoundJSONResponse {
	return gen.AdminSubscriptionNotFoundJSONResponse{Code: "not_found", Message: "subscription not found"}
}
