// Package dbconn opens PostgreSQL pools whose every wait is bounded.
//
// lib/pq answers a cancelled context by sending PostgreSQL a cancel request, but keeps
// blocking on its socket until the server replies; a server that is frozen (SIGSTOP, a hung
// host behind a live kernel) therefore hangs callers forever. Here the socket itself enforces
// the limits: PostgreSQL cancels slow statements (statement_timeout), and a read or write that
// makes no progress for longer than that fails, which discards the connection.
package dbconn

import (
	"database/sql"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Settings bound how long a caller can wait for PostgreSQL.
type Settings struct {
	// ConnectTimeout bounds TCP connect plus the start-up handshake.
	ConnectTimeout time.Duration
	// StatementTimeout is sent as statement_timeout: PostgreSQL cancels slower statements,
	// lock waits included, with an error the caller can read.
	StatementTimeout time.Duration
	// IOMargin is how much longer than StatementTimeout a read or write may wait for a byte
	// before the connection is given up as dead. Zero leaves reads unbounded, which a
	// LISTEN connection needs.
	IOMargin time.Duration
	// KeepAlive probes idle connections; UserTimeout (TCP_USER_TIMEOUT) drops a connection
	// whose sent data stays unacknowledged that long. Both catch dead hosts and networks; a
	// stopped server on a live kernel is caught only by IOMargin.
	KeepAlive, UserTimeout time.Duration
}

// Defaults are the service's settings: a statement gets 5 s, a silent server is given up
// after 8 s.
var Defaults = Settings{
	ConnectTimeout:   5 * time.Second,
	StatementTimeout: 5 * time.Second,
	IOMargin:         3 * time.Second,
	KeepAlive:        15 * time.Second,
	UserTimeout:      15 * time.Second,
}

// IOTimeout is how long a read or write may go without progress; zero means unbounded.
func (s Settings) IOTimeout() time.Duration {
	if s.IOMargin <= 0 || s.StatementTimeout <= 0 {
		return 0
	}
	return s.StatementTimeout + s.IOMargin
}

// Open returns a pool for dsn under s. connect_timeout and statement_timeout given in dsn win
// over s, so an operator can lengthen them in DATABASE_URL.
func Open(dsn string, s Settings) (*sql.DB, error) {
	c, err := NewConnector(dsn, s)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(preparing{c}), nil
}

// NewConnector is Open for callers that build the pool themselves.
func NewConnector(dsn string, s Settings) (*pq.Connector, error) {
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = s.ConnectTimeout
	}
	// A query with parameters is then one round trip (Parse/Bind/Execute sent together)
	// instead of two (Parse/Describe, then Bind/Execute). []byte parameters travel in binary
	// format, so jsonb is passed as text (db.JSON).
	cfg.BinaryParameters = true
	if cfg.Runtime == nil {
		cfg.Runtime = map[string]string{}
	}
	if v, ok := cfg.Runtime["statement_timeout"]; ok {
		if s.StatementTimeout, err = parseMillis(v); err != nil {
			return nil, fmt.Errorf("database URL: statement_timeout=%q: %w", v, err)
		}
	} else if s.StatementTimeout > 0 {
		cfg.Runtime["statement_timeout"] = strconv.FormatInt(s.StatementTimeout.Milliseconds(), 10)
	}
	// The service's statements are short. Plans over history's time slices count a probe of
	// every slice where run-time pruning makes one, so their estimated cost can pass
	// jit_above_cost, and compiling them would take far longer than running them. A jit given
	// in the URL wins.
	if _, ok := cfg.Runtime["jit"]; !ok {
		cfg.Runtime["jit"] = "off"
	}
	c, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	c.Dialer(dialer{
		d:  net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: s.KeepAlive > 0, Idle: s.KeepAlive, Interval: s.KeepAlive, Count: 3}, Control: userTimeout(s.UserTimeout)},
		io: s.IOTimeout(),
	})
	return c, nil
}

// parseMillis reads a PostgreSQL time setting: a number of milliseconds or a number with
// one of the units ms, s, min, h.
func parseMillis(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	num := strings.TrimRight(v, "abcdefghijklmnopqrstuvwxyz ")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want milliseconds or a number with ms, s, min or h")
	}
	units := map[string]time.Duration{"": time.Millisecond, "ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour}
	unit, ok := units[strings.TrimSpace(v[len(num):])]
	if !ok {
		return 0, fmt.Errorf("want milliseconds or a number with ms, s, min or h")
	}
	return time.Duration(n) * unit, nil
}
