package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/webhookd/webhookd/handlers"
)

// Server limits. Each is set on purpose; the two an operator may need to tune are settings
// (WEBHOOKS_READ_HEADER_TIMEOUT and WEBHOOKS_SHUTDOWN_GRACE), these being their defaults.
const (
	// readHeaderTimeout: headers are small; a client that trickles them (slowloris) is cut off.
	readHeaderTimeout = 10 * time.Second
	// readTimeout: the whole request, a 1 MB body at a slow link's pace included.
	readTimeout = 30 * time.Second
	// writeTimeout: starts once headers are read, so it must outlast reading the body, the
	// handler's own deadline and writing the response.
	writeTimeout = readTimeout + handlers.RequestTimeout
	// idleTimeout: a keep-alive connection waiting for its next request is closed after this.
	idleTimeout = time.Minute
	// maxHeaderBytes: our credentials and ids are short; 64 KiB leaves room for proxies' headers.
	maxHeaderBytes = 64 << 10
	// shutdownGrace: how long in-flight requests get to finish after SIGTERM before their
	// connections are closed; longer than handlers.RequestTimeout.
	shutdownGrace = handlers.RequestTimeout + 5*time.Second
)

// httpServer builds the server; open counts its connections for the shutdown log.
type httpServer struct {
	*http.Server
	open  atomic.Int64
	grace time.Duration
}

func newHTTPServer(h http.Handler, log *slog.Logger, headerTimeout, grace time.Duration) *httpServer {
	s := &httpServer{grace: grace}
	s.Server = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.open.Add(1)
			case http.StateHijacked, http.StateClosed:
				s.open.Add(-1)
			}
		},
	}
	return s
}

// shutdown stops accepting, lets in-flight requests finish for the grace period, then closes
// whatever is left: a client that never finishes its request does not hold the process.
func (s *httpServer) shutdown(log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	err := s.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	log.Warn("shutdown grace period over; closing connections still open", "grace", s.grace, "connections", s.open.Load())
	if err := s.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}
