package db_test

import (
	"context"
	"io/fs"
	"testing"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Instances starting together against one database must not fail or apply a migration twice.
func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	conn := pgtest.New(t)
	ctx := context.Background()
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- db.Migrate(ctx, conn) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&n); err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(db.MigrationFS(), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if want := len(files); n != want || want < 4 {
		t.Fatalf("applied migrations = %d, want %d", n, want)
	}
	if _, err := conn.ExecContext(ctx, "SELECT id, scope_id, events, filters FROM subscriptions"); err != nil {
		t.Fatal(err)
	}
}
