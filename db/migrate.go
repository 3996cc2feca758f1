package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies every pending migration and, on a Citus coordinator, distributes the schema.
// A PostgreSQL session lock serialises instances that start at the same time against one
// database.
func Migrate(ctx context.Context, conn *sql.DB) error {
	if err := up(ctx, conn); err != nil {
		return err
	}
	distributed, err := IsDistributed(ctx, conn)
	if err != nil || !distributed {
		return err
	}
	return distributeOnce(ctx, conn)
}

// up applies the migrations not yet applied.
func up(ctx context.Context, conn *sql.DB) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, conn, MigrationFS(), goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// distributeOnce distributes the schema in one transaction, one instance at a time (under
// goose's lock): a distribution cut short (the instance stopped, a statement failed) leaves the
// schema as it was, foreign keys included, and the next start does it whole.
func distributeOnce(ctx context.Context, conn *sql.DB) error {
	c, err := conn.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lock.DefaultLockID); err != nil {
		return err
	}
	defer c.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, lock.DefaultLockID)
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// One connection per worker for the whole transaction: a table distributed by one statement
	// may not be used by a later one over other connections.
	if _, err := tx.ExecContext(ctx, `SET LOCAL citus.multi_shard_modify_mode = 'sequential'`); err != nil {
		return err
	}
	if err := distribute(ctx, tx); err != nil {
		return fmt.Errorf("distribute: %w", err)
	}
	return tx.Commit()
}

// MigrationFS holds the SQL migrations, which are also sqlc's schema.
func MigrationFS() fs.FS {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return dir
}
