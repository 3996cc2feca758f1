package frontdoor_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/pgtest"
)

// TestARequestGivesUpWaitingForTheDatabase: with the pool's only connection taken, a request
// fails with the dialect's 500 at its deadline instead of waiting for a connection.
func TestARequestGivesUpWaitingForTheDatabase(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	conn := pgtest.New(t)
	conn.SetMaxOpenConns(1)
	held, err := conn.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	env := apitest.NewWithDB(t, conn, func(c *handlers.Config) { c.RequestTimeout = timeout })
	began := time.Now()
	resp := env.Raw(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/0edf722b-93b4-4451-8a5d-4fafba5cdf8b", Header: apitest.Admin()})
	took := time.Since(began)
	if resp.Status != http.StatusInternalServerError || took < timeout || took > timeout+time.Second {
		t.Errorf("answered %d %s after %v; want 500 after about %v", resp.Status, resp.Body, took, timeout)
	}
}
