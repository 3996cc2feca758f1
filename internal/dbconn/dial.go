package dbconn

import (
	"context"
	"net"
	"sync"
	"time"
)

// dialer is lib/pq's Dialer: keepalive and TCP_USER_TIMEOUT on every socket, and with io set
// a progress deadline on every read and write.
type dialer struct {
	d  net.Dialer
	io time.Duration
}

func (d dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := d.d.DialContext(ctx, network, address)
	if err != nil || d.io <= 0 {
		return c, err
	}
	return &progressConn{Conn: c, io: d.io}, nil
}

// progressConn fails a Read or Write that makes no progress for io. A deadline the driver sets
// itself (lib/pq bounds the start-up handshake by connect_timeout) still applies when earlier.
type progressConn struct {
	net.Conn
	io time.Duration

	mu          sync.Mutex
	read, write time.Time // deadlines set by the driver; zero means none
}

func (c *progressConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	fixed := c.read
	c.mu.Unlock()
	if err := c.Conn.SetReadDeadline(earliest(fixed, time.Now().Add(c.io))); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *progressConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	fixed := c.write
	c.mu.Unlock()
	if err := c.Conn.SetWriteDeadline(earliest(fixed, time.Now().Add(c.io))); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

func (c *progressConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.read, c.write = t, t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *progressConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.read = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *progressConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.write = t
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

func earliest(fixed, t time.Time) time.Time {
	if !fixed.IsZero() && fixed.Before(t) {
		return fixed
	}
	return t
}
