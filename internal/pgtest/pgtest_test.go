package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"testing"

	"github.com/webhookd/webhookd/db"
)

func TestMain(m *testing.M) { Main(m) }

// The test binaries of several packages share one server under go tool task test and race to
// build the same template and to clone it. Each racer here has its own connections, as a
// separate process would.
func TestPackagesSharingAServerBuildOneTemplateAndCloneIt(t *testing.T) {
	ctx := context.Background()
	serverURL := os.Getenv("DATABASE_URL")
	name := "tmpl_shared_" + randomHex(4)
	const racers = 4
	var wg sync.WaitGroup
	errs := make([]error, racers)
	clones := make([]string, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = func() error {
				admin, err := sql.Open("postgres", serverURL)
				if err != nil {
					return err
				}
				defer admin.Close()
				got, err := buildTemplate(ctx, admin, serverURL, name)
				if err != nil {
					return err
				}
				if got != name {
					return fmt.Errorf("built %s, want %s", got, name)
				}
				clones[i] = "test_" + randomHex(8)
				_, err = admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", clones[i], name))
				return err
			}()
		}()
	}
	wg.Wait()
	admin, err := sql.Open("postgres", serverURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	t.Cleanup(func() {
		for _, c := range append(clones, name) {
			if c != "" {
				_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+c+" WITH (FORCE)")
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	migrations, err := fs.Glob(db.MigrationFS(), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clones {
		conn, err := sql.Open("postgres", withDatabase(serverURL, c))
		if err != nil {
			t.Fatal(err)
		}
		var applied int
		err = conn.QueryRowContext(ctx, "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied)
		conn.Close()
		if err != nil || applied != len(migrations) {
			t.Errorf("%s: %d migrations applied (%v), want %d", c, applied, err, len(migrations))
		}
	}
	var leftovers int
	if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name+"_build").Scan(&leftovers); err != nil || leftovers != 0 {
		t.Errorf("%d half-built templates left (%v)", leftovers, err)
	}
}
