package retention

import (
	"context"
	"database/sql"
	"time"
)

// CreateSlice creates the partition of every table for [from, until), which may be in the
// past: tests place rows in slices that have expired.
func CreateSlice(ctx context.Context, conn *sql.DB, from, until time.Time) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := create(ctx, tx, span{from, until}); err != nil {
		return err
	}
	return tx.Commit()
}

// GridStart is the start of the slice t falls in, on the grid the keeper cuts.
func GridStart(t time.Time, width time.Duration) time.Time { return floor(t, width) }
