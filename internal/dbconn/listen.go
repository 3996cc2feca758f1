package dbconn

import (
	"net"
	"strings"

	"github.com/lib/pq"
)

// ListenDialer is a dialer for lib/pq's Listener. A listening connection sits silent until a
// notification arrives, so it has no IO deadline; TCP keep-alive and the user timeout still
// end it when the server freezes or disappears, and the Listener then reconnects.
func ListenDialer(s Settings) pq.Dialer {
	return dialer{d: net.Dialer{Timeout: s.ConnectTimeout,
		KeepAliveConfig: net.KeepAliveConfig{Enable: s.KeepAlive > 0, Idle: s.KeepAlive, Interval: s.KeepAlive, Count: 3},
		Control:         userTimeout(s.UserTimeout)}}
}

// ListenApplicationName names the listening session in pg_stat_activity.
const ListenApplicationName = "webhookd-listen"

// ListenDSN is dsn (a URL or key=value pairs) with the listening session's application_name,
// so that operators (and tests) can tell it from the pool's sessions.
func ListenDSN(dsn string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		kv, err := pq.ParseURL(dsn)
		if err != nil {
			return "", err
		}
		dsn = kv
	}
	// The last setting of a key wins.
	return dsn + " application_name=" + ListenApplicationName, nil
}
