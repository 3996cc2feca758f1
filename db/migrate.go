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

// Migrate applies every pending migration. A PostgreSQL session lock serialises
// instances that start at the same time against one database.
func Migrate(ctx context.Context, conn *sql.DB) error {
	dir := MigrationFS()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, conn, dir, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	distributed, err := IsDistributed(ctx, conn)
	if err != nil || !distributed {
		return err
	}
	// Instances distribute one at a time, as they migrate (the lock is goose's).
	c, err := conn.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lock.DefaultLockID); err != nil {
		return err
	}
	defer c.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, lock.DefaultLockID)
	if err := distribute(ctx, c); err != nil {
		return fmt.Errorf("distribute: %w", err)
	}
	return nil
}

// MigrationFS holds the SQL migrations, which are also sqlc's schema.
func MigrationFS() fs.FS {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return dir
}
