package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lib/pq"
)

// ErrNoCitus reports that the Citus extension is not installed for the PostgreSQL in use.
var ErrNoCitus = errors.New("the citus extension is not installed for this PostgreSQL (see ../shared/citus/build.sh)")

// Citus is a coordinator and its workers, each a private cluster that preloads Citus.
type Citus struct {
	Coordinator *Cluster
	Workers     []*Cluster
}

// CitusInstalled tells whether the PostgreSQL in binDir (as Options.BinDir) has the Citus
// extension installed (Debian's layout: /usr/lib/postgresql/<v>/lib, /usr/share/postgresql/<v>).
func CitusInstalled(binDir string) bool {
	bin := BinDir(binDir)
	if bin == "" {
		return false
	}
	version := filepath.Base(filepath.Dir(bin))
	for _, f := range []string{
		filepath.Join(filepath.Dir(bin), "lib", "citus.so"),
		filepath.Join("/usr/share/postgresql", version, "extension", "citus.control"),
	} {
		if _, err := os.Stat(f); err != nil {
			return false
		}
	}
	return true
}

// StartCitusScratch starts a throw-away coordinator and workers (each as StartScratchWith
// would, with Citus preloaded) and prepares their postgres database; stop stops them all.
func StartCitusScratch(ctx context.Context, name string, workers int, opts Options) (c *Citus, stop func(), err error) {
	if !CitusInstalled(opts.BinDir) {
		return nil, nil, ErrNoCitus
	}
	// The nodes talk over loopback: no TLS between them (its default, sslmode=require, would
	// also look for client certificates in a home directory the server may not read).
	// Its tables get 8 shards, not Citus' 32: the nodes share one machine, where every time slice
	// of history makes each shard of three tables, which took over 5 s a statement under load.
	settings := map[string]string{"shared_preload_libraries": "citus", "citus.node_conninfo": "sslmode=disable", "citus.shard_count": "8"}
	for k, v := range opts.Settings {
		settings[k] = v
	}
	opts.Settings = settings
	c = &Citus{}
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	for i := range workers + 1 {
		node, stopNode, err := StartScratchWith(ctx, fmt.Sprintf("%s-citus%d", name, i), opts)
		if err != nil {
			stop()
			return nil, nil, err
		}
		stops = append(stops, stopNode)
		if i == 0 {
			c.Coordinator = node
		} else {
			c.Workers = append(c.Workers, node)
		}
	}
	if err := prepare(ctx, c.Coordinator.URL("postgres"), "postgres", c.Coordinator.Port(), c.workerPorts()); err != nil {
		stop()
		return nil, nil, err
	}
	return c, stop, nil
}

func (c *Citus) workerPorts() []int {
	var ports []int
	for _, w := range c.Workers {
		ports = append(ports, w.Port())
	}
	return ports
}

// PrepareDistributedDatabase creates database name on the coordinator that coordinatorURL
// names and on each of its workers (as registered in the URL's database), with the citus
// extension, and registers the same nodes in it: Citus keeps its metadata per database. The
// nodes listen on the coordinator's host. An existing database is left as it is.
func PrepareDistributedDatabase(ctx context.Context, coordinatorURL, name string) error {
	conn, err := sql.Open("postgres", coordinatorURL)
	if err != nil {
		return err
	}
	defer conn.Close()
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		return err
	}
	workers, err := workerPorts(ctx, conn)
	if err != nil {
		return err
	}
	u, err := url.Parse(coordinatorURL)
	if err != nil {
		return err
	}
	port, _ := strconv.Atoi(u.Port())
	return prepare(ctx, coordinatorURL, name, port, workers)
}

// DropDistributedDatabase drops database name from the coordinator that coordinatorURL names
// and from its workers (as registered in the URL's database), ending its sessions.
func DropDistributedDatabase(ctx context.Context, coordinatorURL, name string) error {
	ports, err := nodePorts(ctx, coordinatorURL)
	if err != nil {
		return err
	}
	for _, p := range ports {
		if err := execOn(ctx, onPort(coordinatorURL, p, "postgres"), "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("node %d: %w", p, err)
		}
	}
	return nil
}

// SealDistributedTemplate renames database building to name on the coordinator and its
// workers and closes it to connections (Citus' maintenance daemon keeps one open to every
// distributed database, and a template may have none), so that CloneDistributedDatabase can
// copy it. The coordinator's is renamed last: its name tells that the template is complete.
func SealDistributedTemplate(ctx context.Context, coordinatorURL, building, name string) error {
	ports, err := nodePorts(ctx, coordinatorURL)
	if err != nil {
		return err
	}
	for i := len(ports) - 1; i >= 0; i-- {
		err := execOn(ctx, onPort(coordinatorURL, ports[i], "postgres"),
			"ALTER DATABASE "+quoteIdent(building)+" ALLOW_CONNECTIONS false",
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "+pq.QuoteLiteral(building)+" AND pid <> pg_backend_pid()",
			"ALTER DATABASE "+quoteIdent(building)+" RENAME TO "+quoteIdent(name))
		if err != nil {
			return fmt.Errorf("node %d: %w", ports[i], err)
		}
	}
	return nil
}

// CloneDistributedDatabase creates database name as a copy of a sealed template on the
// coordinator and on each worker: shards and metadata alike.
func CloneDistributedDatabase(ctx context.Context, coordinatorURL, template, name string) error {
	ports, err := nodePorts(ctx, coordinatorURL)
	if err != nil {
		return err
	}
	errs := make(chan error, len(ports))
	for _, p := range ports {
		go func() {
			err := execOn(ctx, onPort(coordinatorURL, p, "postgres"), "CREATE DATABASE "+quoteIdent(name)+" TEMPLATE "+quoteIdent(template))
			if err != nil {
				err = fmt.Errorf("node %d: %w", p, err)
			}
			errs <- err
		}()
	}
	var first error
	for range ports {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// nodePorts returns the coordinator's port and its workers'.
func nodePorts(ctx context.Context, coordinatorURL string) ([]int, error) {
	conn, err := sql.Open("postgres", coordinatorURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	workers, err := workerPorts(ctx, conn)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(coordinatorURL)
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(u.Port())
	return append([]int{port}, workers...), nil
}

func workerPorts(ctx context.Context, conn *sql.DB) ([]int, error) {
	rows, err := conn.QueryContext(ctx, "SELECT nodeport FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeport")
	if err != nil {
		return nil, fmt.Errorf("the coordinator's workers: %w", err)
	}
	defer rows.Close()
	var workers []int
	for rows.Next() {
		var port int
		if err := rows.Scan(&port); err != nil {
			return nil, err
		}
		workers = append(workers, port)
	}
	return workers, rows.Err()
}

// prepare creates the database on every node with the extension and registers the workers.
func prepare(ctx context.Context, coordinatorURL, name string, coordinatorPort int, workers []int) error {
	nodes := append([]int{coordinatorPort}, workers...)
	for _, port := range nodes {
		if err := createDatabaseOn(ctx, onPort(coordinatorURL, port, "postgres"), name); err != nil {
			return fmt.Errorf("node %d: %w", port, err)
		}
		if err := execOn(ctx, onPort(coordinatorURL, port, name), "CREATE EXTENSION IF NOT EXISTS citus"); err != nil {
			return fmt.Errorf("node %d: %w", port, err)
		}
	}
	stmts := []string{fmt.Sprintf("SELECT citus_set_coordinator_host('127.0.0.1', %d)", coordinatorPort)}
	for _, port := range workers {
		stmts = append(stmts, fmt.Sprintf("SELECT citus_add_node('127.0.0.1', %d)", port))
	}
	return execOn(ctx, onPort(coordinatorURL, coordinatorPort, name), stmts...)
}

// createDatabaseOn creates database name on the server url names unless it exists.
func createDatabaseOn(ctx context.Context, url, name string) error {
	conn, err := sql.Open("postgres", url)
	if err != nil {
		return err
	}
	defer conn.Close()
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		return err
	}
	_, err = conn.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name))
	return err
}

func onPort(base string, port int, database string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
	u.Path = "/" + database
	return u.String()
}

func execOn(ctx context.Context, url string, stmts ...string) error {
	conn, err := sql.Open("postgres", url)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", strings.SplitN(s, "(", 2)[0], err)
		}
	}
	return nil
}
