package main

import (
	"io"
	"net"
	"net/http"
	"time"
)

// bareResponse is what a Voucherify PUT answers, give or take its values.
const bareResponse = `{"active":true,"created_at":"2026-11-29T18:10:55.682281Z","events":["voucher.created","voucher.updated"],"id":"wh_KVQ0vows2516idTm9Wszx1fm","object":"webhook","target_url":"https://example.com/hooks/b"}`

// startBare serves every request with a fixed webhook after reading its body: HTTP alone,
// without routing, validation or a database. What it sustains under the same load is the
// HTTP half of the physical limit, as pgbench is the database half.
func startBare() (base string, stop func(), err error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	server := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, bareResponse)
		}),
	}
	go func() { _ = server.Serve(listener) }()
	return "http://" + listener.Addr().String(), func() { _ = server.Close() }, nil
}
