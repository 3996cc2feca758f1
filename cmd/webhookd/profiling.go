package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// checkProfilingAddr accepts a loopback host:port.
func checkProfilingAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: WEBHOOKS_PPROF_ADDR=%s: want a loopback host:port, such as 127.0.0.1:6060", ErrSetting, addr)
	}
	return nil
}

// startProfiling serves Go's runtime profiles on WEBHOOKS_PPROF_ADDR when it is set. The
// address must be a loopback one: profiles show request internals, so they are never served
// to the network the API listens on.
func startProfiling(addr string, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	if err := checkProfilingAddr(addr); err != nil {
		return nil, err
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
