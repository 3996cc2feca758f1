package handlers

import (
	"context"
	"database/sql"
	"time"

	"github.com/webhookd/webhookd/gen"
)

// Health answers the liveness probe.
type Health struct {
	conn *sql.DB
}

// GetHealth reports 503 when the database does not answer within two seconds.
func (h Health) GetHealth(ctx context.Context, _ gen.GetHealthRequestObject) (gen.GetHealthResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := h.conn.PingContext(ctx); err != nil {
		return gen.GetHealth503JSONResponse{Status: "unavailable"}, nil
	}
	return gen.GetHealth200JSONResponse{Status: "ok"}, nil
}
