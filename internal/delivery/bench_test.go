package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/egress"
)

// BenchmarkSignedDeliveries measures signed Shipping deliveries per second (Standard Webhooks
// signature, PostgreSQL queue, one engine) to a loopback receiver.
func BenchmarkSignedDeliveries(b *testing.B) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	env := apitest.New(b, func(c *handlers.Config) { c.Egress.Allowed = loopback }) // the receiver is on loopback
	var received atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		received.Add(1)
	}))
	defer receiver.Close()
	a := env.CreateAccount(b, "bench")
	resp := env.Do(b, apitest.Request{Method: http.MethodPost, Path: "/v1/webhook-subscriptions", Header: apitest.Shipping(a),
		Body: `{"name": "bench", "url": "` + receiver.URL + `/hook", "events": ["shipment.created"], "secret": "bench-secret"}`})
	if resp.Status != http.StatusCreated {
		b.Fatalf("subscription: %d %s", resp.Status, resp.Body)
	}
	data, _ := json.Marshal(map[string]any{"parcel": 7, "carrier": "PostNL", "status": "in_transit"})
	for range b.N {
		if _, err := delivery.Ingest(context.Background(), env.DB, a.Id, delivery.Event{ExternalID: uuid.NewString(), Type: "shipment.created", Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	engine, err := delivery.New(env.DB, delivery.Config{
		Transport: egress.Policy{Allowed: loopback}.Transport(nil),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	go func() { defer close(done); _ = engine.Run(ctx) }()
	for received.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
}
