package apitest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/webhookd/webhookd/internal/delivery"
)

// RunEngine runs a delivery engine on conn with cfg until the test ends.
func RunEngine(t testing.TB, conn *sql.DB, cfg delivery.Config) {
	t.Helper()
	engine, err := delivery.New(conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = engine.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done })
}
