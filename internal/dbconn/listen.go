package dbconn

import (
	"net"

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
