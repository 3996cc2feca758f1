package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// startProfiling serves Go's runtime profiles on addr (WEBHOOKS_PPROF_ADDR, a loopback
// address) unless it is empty.
func startProfiling(addr string, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	server := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		// A CPU profile or trace streams for as long as its ?seconds= asks.
		WriteTimeout: 10 * time.Minute,
		IdleTimeout:  idleTimeout,
	}
	go func() { _ = server.Serve(listener) }()
	log.Info("profiles served", "addr", listener.Addr().String())
	return func() { _ = server.Close() }, nil
}
