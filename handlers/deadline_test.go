package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/pgtest"
)

// TestARequestGivesUpWaitingForTheDatabase: with the pool's only connection taken, a request
// fails with the dialect's 500 at its deadline instead of waiting for a connection.
func TestARequestGivesUpWaitingForTheDatabase(t *testing.T) {
	defer func(d time.Duration) { requestTimeout = d }(requestTimeout)
	requestTimeout = 300 * time.Millisecond
	conn := pgtest.New(t)
	conn.SetMaxOpenConns(1)
	held, err := conn.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	e, err := New(Config{DB: conn, AdminToken: "deadline-admin"})
	if err != nil {
		t.Fatal(err)
	}
	// The caller's own limit only keeps a broken deadline from hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/admin/v1/accounts/0edf722b-93b4-4451-8a5d-4fafba5cdf8b", nil)
	req.Header.Set("Authorization", "Bearer deadline-admin")
	rec := httptest.NewRecorder()
	began := time.Now()
	e.ServeHTTP(rec, req)
	took := time.Since(began)
	if rec.Code != http.StatusInternalServerError || took < requestTimeout || took > requestTimeout+time.Second {
		t.Errorf("answered %d %s after %v; want 500 after about %v", rec.Code, rec.Body, took, requestTimeout)
	}
}
