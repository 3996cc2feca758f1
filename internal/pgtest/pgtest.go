// Package pgtest gives each test its own PostgreSQL database, cloned from a migrated template.
//
// With DATABASE_URL set, databases are created on that server, which the test binaries of
// several packages may share (go tool task test starts one for the whole run); otherwise the
// test binary starts a throw-away cluster of its own (see Main).
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/pgcluster"
)

// Main runs the package's tests, first starting a private cluster when DATABASE_URL is unset.
// Use it as the body of TestMain.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run is Main for a TestMain that has more to clean up: it returns the exit code.
func Run(m *testing.M) int {
	if os.Getenv("DATABASE_URL") != "" {
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cluster, stop, err := pgcluster.StartScratchWith(ctx, "pgtest", pgcluster.Options{Ephemeral: true, BinDir: os.Getenv("PG_BINDIR")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	defer stop()
	os.Setenv("DATABASE_URL", cluster.URL("postgres"))
	return m.Run()
}

// New returns a connection to a fresh, migrated database that is dropped when the test ends,
// opened with the service's own timeouts (dbconn.Defaults).
func New(t testing.TB) *sql.DB {
	t.Helper()
	conn, err := dbconn.Open(NewURL(t), dbconn.Defaults)
	if err != nil {
		t.Fatal(err)
	}
	// Idle connections are kept: the default of two makes concurrent tests reconnect constantly.
	conn.SetMaxOpenConns(40)
	conn.SetMaxIdleConns(40)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// NewURL is New for callers that open their own connections.
func NewURL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	serverURL := os.Getenv("DATABASE_URL")
	if serverURL == "" {
		t.Fatal("pgtest: DATABASE_URL is not set; call pgtest.Main from TestMain")
	}
	admin, err := sql.Open("postgres", serverURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if distributed(ctx, t, admin) {
		return newDistributed(ctx, t, admin, serverURL)
	}
	template, err := ensureTemplate(ctx, admin, serverURL)
	if err != nil {
		t.Fatalf("pgtest: template database: %v", err)
	}
	name := "test_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", serverURL)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDatabase(serverURL, name)
}

var (
	citusOnce sync.Once
	citusOn   bool
	citusErr  error
)

// distributed tells whether the server is a Citus coordinator (go tool task test:citus).
func distributed(ctx context.Context, t testing.TB, admin *sql.DB) bool {
	citusOnce.Do(func() { citusOn, citusErr = db.IsDistributed(ctx, admin) })
	if citusErr != nil {
		t.Fatalf("pgtest: %v", citusErr)
	}
	return citusOn
}

// newDistributed clones a migrated, distributed template on the coordinator and each worker:
// Citus keeps a database's shards on the workers, where a clone of the coordinator's alone
// would leave them out.
func newDistributed(ctx context.Context, t testing.TB, admin *sql.DB, serverURL string) string {
	digest, err := migrationsDigest()
	if err != nil {
		t.Fatal(err)
	}
	template, err := buildDistributedTemplate(ctx, admin, serverURL, "ctmpl_"+digest)
	if err != nil {
		t.Fatalf("pgtest: distributed template: %v", err)
	}
	name := "test_" + randomHex(8)
	if err := pgcluster.CloneDistributedDatabase(ctx, serverURL, template, name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() { _ = pgcluster.DropDistributedDatabase(context.Background(), serverURL, name) })
	return withDatabase(serverURL, name)
}

// buildDistributedTemplate is buildTemplate on a coordinator and its workers.
func buildDistributedTemplate(ctx context.Context, admin *sql.DB, serverURL, name string) (string, error) {
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7426001)"); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(7426001)")
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	if err := pgcluster.DropDistributedDatabase(ctx, serverURL, building); err != nil {
		return "", err
	}
	if err := pgcluster.PrepareDistributedDatabase(ctx, serverURL, building); err != nil {
		return "", err
	}
	tmpl, err := sql.Open("postgres", withDatabase(serverURL, building))
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx, tmpl)
	tmpl.Close()
	if err != nil {
		return "", err
	}
	return name, pgcluster.SealDistributedTemplate(ctx, serverURL, building, name)
}

// ensureTemplate creates the migrated template database once per migration set.
func ensureTemplate(ctx context.Context, admin *sql.DB, serverURL string) (string, error) {
	digest, err := migrationsDigest()
	if err != nil {
		return "", err
	}
	return buildTemplate(ctx, admin, serverURL, "tmpl_"+digest)
}

// buildTemplate creates the migrated database name unless it exists. The test binaries of
// every package may share one server (go tool task test starts one for the whole run): an
// advisory lock lets one of them build it while the others wait, and it gets its name only
// once complete, so that none clones it half-migrated.
func buildTemplate(ctx context.Context, admin *sql.DB, serverURL, name string) (string, error) {
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7426001)"); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(7426001)")
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
		return "", err
	}
	tmpl, err := sql.Open("postgres", withDatabase(serverURL, building))
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx, tmpl)
	tmpl.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, name)); err != nil {
		return "", err
	}
	return name, nil
}

func migrationsDigest() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(db.MigrationFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(db.MigrationFS(), path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func withDatabase(serverURL, name string) string {
	u, err := url.Parse(serverURL)
	if err != nil || !strings.Contains(serverURL, "://") {
		return serverURL + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SettledHistory ages a database (for tests and the benchmark): it adds $3 events of the
// accounts $1 (in turn), spread over the $4 seconds from $2, each delivered (succeeded) to every
// subscription of its account with one attempt. Its slice must exist.
const SettledHistory = `
WITH ev AS (
    INSERT INTO events (account_id, external_id, type, data, created_at, slice_at)
    SELECT acc, 'history-' || extract(epoch FROM $2::timestamptz)::numeric || '-' || g, 'shipment.created',
           '{"parcel": 1, "carrier": "PostNL", "status": "delivered"}', t, t
    FROM generate_series(1, $3::int) AS g,
         LATERAL (SELECT ($1::uuid[])[1 + g % array_length($1::uuid[], 1)] AS acc,
                         $2::timestamptz + make_interval(secs => g * $4::float8 / $3::int) AS t) AS x
    RETURNING account_id, id, slice_at
), dl AS (
    INSERT INTO deliveries (account_id, event_id, subscription_id, dialect, status, attempts, last_status,
                            created_at, updated_at, next_attempt_at, slice_at)
    SELECT ev.account_id, ev.id, s.id, s.dialect, 'succeeded', 1, 200, ev.slice_at, ev.slice_at, ev.slice_at, ev.slice_at
    FROM ev JOIN subscriptions s ON s.account_id = ev.account_id
    RETURNING account_id, id, slice_at
)
INSERT INTO delivery_attempts (account_id, delivery_id, attempt, request_id, status_code, duration_ms, created_at, slice_at)
SELECT account_id, id, 0, 'v-history', 200, 12, slice_at, slice_at FROM dl`
