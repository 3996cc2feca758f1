// Package pgcluster runs a private PostgreSQL server for development and tests, so that the
// service and its tests need nothing but this repository and the machine's PostgreSQL binaries.
package pgcluster

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq" // database/sql driver
)

// Options tune a cluster.
type Options struct {
	// Ephemeral trades durability for speed (fsync off); for tests whose data is thrown away.
	Ephemeral bool
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
	// Port is the loopback port to listen on; zero picks a free one. A restarted cluster
	// keeps its clients' URLs by reusing its port.
	Port int
	// MaxConnections is PostgreSQL's max_connections; zero means 200, enough for one
	// service or one package's tests. A cluster that several test binaries share needs more.
	MaxConnections int
	// BinDir is the directory of PostgreSQL's initdb and postgres (the service's PG_BINDIR);
	// empty means the newest /usr/lib/postgresql/*/bin, else the postgres on PATH.
	BinDir string
	// Settings are further server settings (name → value), such as shared_buffers or
	// shared_preload_libraries.
	Settings map[string]string
}

// Cluster is a running PostgreSQL server that this process started and owns.
type Cluster struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan error
	log  *slog.Logger
}

// Start initialises dir on first use and starts PostgreSQL on a free loopback port.
// As root, the server runs as the postgres user, which PostgreSQL requires.
func Start(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bin, err := findBinaries(ctx, opts.BinDir, log)
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	// Parents stay enterable by the postgres user; the cluster directory itself is private.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
		if err := checkReachable(dir); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		log.Info("initialising PostgreSQL cluster", "dir", dir)
		args := []string{"-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"}
		if opts.Ephemeral {
			args = append(args, "--no-sync")
		}
		initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := initdb.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb: %w\n%s", err, out)
		}
	}

	if pid, ok := runningServer(dir); ok {
		return nil, fmt.Errorf("%w: PostgreSQL (pid %d) already runs on %s; stop the instance that started it, or use another data directory", ErrInUse, pid, dir)
	}
	port := opts.Port
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	maxConns := opts.MaxConnections
	if maxConns == 0 {
		maxConns = 200
	}
	args := []string{"-D", dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=" + strconv.Itoa(maxConns)}
	if opts.Ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Settings)) {
		args = append(args, "-c", name+"="+opts.Settings[name])
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// Its own process group keeps a terminal's Ctrl-C away from it, so that the service can
		// drain before the database goes; Pdeathsig stops it if this process dies abruptly.
		Setpgid:   true,
		Pdeathsig: syscall.SIGINT,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{dir: dir, port: port, cmd: cmd, done: make(chan error, 1), log: log}
	go func() { c.done <- cmd.Wait() }()
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, fmt.Errorf("%w (server.log: %s)", err, lastErrors(filepath.Join(dir, "server.log")))
	}
	log.Info("PostgreSQL started", "dir", dir, "port", port)
	return c, nil
}

// URL returns a connection URL for database name on this cluster.
func (c *Cluster) URL(name string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

// Port is the port the server listens on.
func (c *Cluster) Port() int { return c.port }

// CreateDatabase creates database name unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	return createDatabaseOn(ctx, c.URL("postgres"), name)
}

// Stop shuts the server down (fast mode: open sessions are ended) and waits for it.
func (c *Cluster) Stop() error {
	if c.cmd.ProcessState != nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	c.log.Info("PostgreSQL stopped", "dir", c.dir)
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	conn, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.After(60 * time.Second)
	for {
		pingCtx, cancel := context.WithTimeout(ctx, time.Second)
		err := conn.PingContext(pingCtx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case exit := <-c.done:
			c.done <- exit
			return fmt.Errorf("postgres exited during start-up: %v", exit)
		case <-deadline:
			return fmt.Errorf("postgres did not accept connections within 60s: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// findBinaries returns configured, or else the directory of the newest installed PostgreSQL
// server, installing Debian's package when none is found and this process may.
func findBinaries(ctx context.Context, configured string, log *slog.Logger) (string, error) {
	if dir := BinDir(configured); dir != "" {
		return dir, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("PostgreSQL server binaries not found: install postgresql or set DATABASE_URL")
	}
	log.Info("PostgreSQL binaries not found; installing Debian's postgresql package")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "postgresql"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get %s: %w\n%s", args[0], err, out)
		}
	}
	if dir := BinDir(""); dir != "" {
		return dir, nil
	}
	return "", errors.New("PostgreSQL server binaries still not found after installing postgresql")
}

// StartScratchWith starts a throw-away cluster in a new temporary directory; stop stops it and
// removes the directory. For tests and benchmarks, whose data does not matter: they usually set
// Ephemeral (fsync off), which a benchmark of durable writes leaves off.
func StartScratchWith(ctx context.Context, name string, opts Options) (c *Cluster, stop func(), err error) {
	dir, err := os.MkdirTemp("", "webhookd-"+name+"-")
	if err != nil {
		return nil, nil, err
	}
	// The directory must be enterable by the postgres user when this runs as root.
	_ = os.Chmod(dir, 0o755)
	c, err = Start(ctx, filepath.Join(dir, "pg"), opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return c, func() { c.Stop(); os.RemoveAll(dir) }, nil
}

// BinDir is the directory of the PostgreSQL binaries a cluster with Options.BinDir configured
// would be started with (pgbench and psql live there too); "" when none is installed.
func BinDir(configured string) string {
	if configured != "" {
		return configured
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// serverCredential is the identity PostgreSQL runs as: nil (this process's own) unless root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres user to run PostgreSQL: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// checkReachable fails early, with a clear message, when a parent directory would keep the
// postgres user out of the data directory.
func checkReachable(dir string) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("PostgreSQL runs as the postgres user, which cannot enter %s (mode %v); choose a data directory elsewhere or set DATABASE_URL", d, info.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// FreePort returns a loopback TCP port that nothing listens on at the moment.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ErrInUse reports a data directory that a running server already holds.
var ErrInUse = errors.New("data directory in use")

// runningServer returns the pid in dir's postmaster.pid when that process is alive.
func runningServer(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, false
	}
	err = syscall.Kill(pid, 0)
	return pid, err == nil || errors.Is(err, syscall.EPERM)
}

// lastErrors returns the last few FATAL or ERROR lines of a server log, on one line, so that a
// start-up failure reads as one message.
func lastErrors(path string) string {
	b, _ := os.ReadFile(path)
	var found []string
	for _, line := range strings.Split(string(bytes.TrimSpace(b)), "\n") {
		if strings.Contains(line, "FATAL") || strings.Contains(line, "ERROR") || strings.Contains(line, "PANIC") {
			found = append(found, strings.TrimSpace(line))
		}
	}
	if len(found) > 3 {
		found = found[len(found)-3:]
	}
	if len(found) == 0 {
		return "no error lines"
	}
	return strings.Join(found, " | ")
}
