package dbconn_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/webhookd/webhookd/internal/dbconn"
	"github.com/webhookd/webhookd/internal/pgcluster"
)

// cluster is this package's own server: the tests freeze it.
var cluster *pgcluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "webhookd-dbconn-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	_ = os.Chmod(dir, 0o755) // enterable by the postgres user when tests run as root
	cluster, err = pgcluster.Start(context.Background(), dir+"/pg", pgcluster.Options{Ephemeral: true, BinDir: os.Getenv("PG_BINDIR")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cluster.Stop()
	return m.Run()
}

var fast = dbconn.Settings{ConnectTimeout: time.Second, StatementTimeout: 300 * time.Millisecond, IOMargin: 700 * time.Millisecond,
	KeepAlive: 15 * time.Second, UserTimeout: 15 * time.Second}

func TestStatementTimeoutReachesTheServer(t *testing.T) {
	for _, c := range []struct {
		url, want string
	}{
		{cluster.URL("postgres"), "300ms"},
		{cluster.URL("postgres") + "&statement_timeout=2s", "2s"}, // the URL wins
	} {
		conn, err := dbconn.Open(c.url, fast)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var got string
		if err := conn.QueryRow("SHOW statement_timeout").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: statement_timeout %s, want %s", c.url, got, c.want)
		}
	}
}

func TestJITIsOffUnlessTheURLSaysSo(t *testing.T) {
	for _, c := range []struct {
		url, want string
	}{
		{cluster.URL("postgres"), "off"},
		{cluster.URL("postgres") + "&jit=on", "on"},
	} {
		conn, err := dbconn.Open(c.url, fast)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var got string
		if err := conn.QueryRow("SHOW jit").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: jit %s, want %s", c.url, got, c.want)
		}
	}
}

// TestSlowStatementIsCancelledByTheServer: a live server cancels a slow statement before the
// connection's own I/O timeout, so the caller reads PostgreSQL's error and keeps the connection.
func TestSlowStatementIsCancelledByTheServer(t *testing.T) {
	conn, err := dbconn.Open(cluster.URL("postgres"), fast)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	began := time.Now()
	_, err = conn.Exec("SELECT pg_sleep(5)")
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "57014" {
		t.Fatalf("pg_sleep(5) under a 300ms statement_timeout: %v, want query_canceled (57014)", err)
	}
	if took := time.Since(began); took > fast.IOTimeout() {
		t.Errorf("cancelled after %v, later than the I/O timeout %v", took, fast.IOTimeout())
	}
}

// TestFrozenServerFailsAQueryOnAnOpenConnection: with PostgreSQL stopped by SIGSTOP, a query on
// an established connection fails after the I/O timeout although its context has no deadline,
// a new connection fails after the connect timeout, and the pool recovers once it resumes.
func TestFrozenServerFailsAQueryOnAnOpenConnection(t *testing.T) {
	pool, err := dbconn.Open(cluster.URL("postgres"), fast)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx := context.Background()
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	resume, err := cluster.Freeze()
	if err != nil {
		t.Fatal(err)
	}
	defer resume()

	began := time.Now()
	var one int
	err = conn.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	took := time.Since(began)
	t.Logf("query on a frozen server failed after %v: %v", took, err)
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("query on a frozen server: %v, want a network timeout", err)
	}
	if took < fast.IOTimeout() || took > fast.IOTimeout()+time.Second {
		t.Errorf("query failed after %v, want about %v", took, fast.IOTimeout())
	}

	began = time.Now()
	fresh, err := pool.Conn(ctx) // the pool is empty: this dials
	took = time.Since(began)
	t.Logf("connecting to a frozen server failed after %v: %v", took, err)
	if err == nil {
		fresh.Close()
		t.Error("connected to a frozen server")
	}
	if took > fast.ConnectTimeout+time.Second {
		t.Errorf("connecting failed after %v, want about %v", took, fast.ConnectTimeout)
	}

	resume()
	if err := pool.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Errorf("after SIGCONT: %v", err)
	}
}

// TestNoStatementTimeoutMeansNoIOTimeout: statement_timeout=0 in the URL lets statements run
// as long as they like, so the socket gets no progress deadline either.
func TestNoStatementTimeoutMeansNoIOTimeout(t *testing.T) {
	conn, err := dbconn.Open(cluster.URL("postgres")+"&statement_timeout=0", fast)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec("SELECT pg_sleep(1.5)"); err != nil { // longer than fast.IOTimeout()
		t.Errorf("a 1.5 s statement without statement_timeout: %v", err)
	}
}

func TestIOTimeoutFollowsTheStatementTimeout(t *testing.T) {
	for _, c := range []struct {
		s    dbconn.Settings
		want time.Duration
	}{
		{dbconn.Defaults, 8 * time.Second},
		{dbconn.Settings{StatementTimeout: time.Second}, 0}, // no margin: reads unbounded
		{dbconn.Settings{IOMargin: time.Second}, 0},         // no statement limit: reads unbounded
	} {
		if got := c.s.IOTimeout(); got != c.want {
			t.Errorf("%+v: IOTimeout %v, want %v", c.s, got, c.want)
		}
	}
}

func TestABadStatementTimeoutInTheURLIsRefused(t *testing.T) {
	for _, v := range []string{"soon", "5x", "-1"} {
		if _, err := dbconn.Open(cluster.URL("postgres")+"&statement_timeout="+v, fast); err == nil {
			t.Errorf("statement_timeout=%s accepted", v)
		}
	}
	for v, want := range map[string]string{"1500": "1500ms", "2min": "2min", "250ms": "250ms"} {
		conn, err := dbconn.Open(cluster.URL("postgres")+"&statement_timeout="+v, fast)
		if err != nil {
			t.Errorf("statement_timeout=%s: %v", v, err)
			continue
		}
		var got string
		err = conn.QueryRow("SHOW statement_timeout").Scan(&got)
		conn.Close()
		if err != nil || got != want {
			t.Errorf("statement_timeout=%s: server has %q (%v), want %s", v, got, err, want)
		}
	}
}
