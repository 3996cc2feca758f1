package admin

import (
	"context"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers/kit"
)

// statsWindow is how far back the statistics go.
const statsWindow = time.Hour

// retriedFor is how long after its event a delivery may still be attempted: longer than any
// vendor's retry schedule (Voucherify's, the longest, ends 58 hours after the first attempt).
// Attempts are found in the slices of history of events ingested since, which keeps the
// statement off older slices; attempts of deliveries held up longer are left out.
const retriedFor = 72 * time.Hour

// AdminDeliveryStats counts the account's delivery attempts per minute over the last hour.
func (a Admin) AdminDeliveryStats(ctx context.Context, req gen.AdminDeliveryStatsRequestObject) (gen.AdminDeliveryStatsResponseObject, error) {
	if _, err := a.account(ctx, req.AccountId); kit.IsNotFound(err) {
		return gen.AdminDeliveryStats404JSONResponse{AdminNotFoundJSONResponse: accountNotFound()}, nil
	} else if err != nil {
		return nil, err
	}
	rows, err := a.Q.AccountDeliveryStats(ctx, db.AccountDeliveryStatsParams{
		AccountID: req.AccountId, SlicesFrom: time.Now().Add(-statsWindow - retriedFor),
	})
	if err != nil {
		return nil, err
	}
	stats := gen.DeliveryStats{Minutes: make([]gen.DeliveryStatsMinute, len(rows))}
	for i, r := range rows {
		stats.Minutes[i] = toStatsMinute(r)
	}
	return gen.AdminDeliveryStats200JSONResponse(stats), nil
}
