package admin

import (
	"context"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/handlers/kit"
)

// subscription is one of a live account's subscriptions by its uuid, or a kit.NotFoundError
// for the account or the subscription (another account's is not found either).
func (a Admin) subscription(ctx context.Context, account, id uuid.UUID) (db.Subscription, error) {
	if _, err := a.account(ctx, account); err != nil {
		return db.Subscription{}, err
	}
	sub, err := a.Q.LookupAccountSubscription(ctx, db.LookupAccountSubscriptionParams{AccountID: account, ID: id})
	return sub, kit.Found(err, "subscription", id.String())
}
