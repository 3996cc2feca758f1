package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
)

// receiver takes deliveries on loopback and fails every tenth call with a 503, so that the
// service retries some deliveries all through the soak.
type receiver struct {
	*httptest.Server
	calls, failed atomic.Int64
}

func newReceiver() *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		if r.calls.Add(1)%10 == 0 {
			r.failed.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	return r
}
