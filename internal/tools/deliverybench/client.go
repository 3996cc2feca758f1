package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/webhookd/webhookd/gen"
)

const adminToken = "deliverybench-admin-token"

// client drives the API.
type client struct {
	base string
	http *http.Client
}

func (c *client) do(ctx context.Context, path, auth string, body any, want int, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: %d %.200s", path, resp.StatusCode, got)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(got, out)
}

// account creates an account with a Shipping subscription to url for shipment.created.
func (c *client) account(ctx context.Context, name, url string) (gen.AccountCreated, error) {
	var a gen.AccountCreated
	if err := c.do(ctx, "/admin/v1/accounts", adminToken, map[string]any{"name": name}, http.StatusCreated, &a); err != nil {
		return a, err
	}
	sub := map[string]any{"name": name, "url": url, "events": []string{"shipment.created"}, "secret": "bench-secret-" + name}
	return a, c.do(ctx, "/v1/webhook-subscriptions", a.Shipping.ApiKey, sub, http.StatusCreated, nil)
}

func event(n int) map[string]any {
	return map[string]any{"id": uuid.NewString(), "type": "shipment.created", "data": map[string]any{"parcel": n, "carrier": "PostNL", "status": "in_transit"}}
}

// ingestSingly posts n events one per request from workers clients; it returns events/s.
func (c *client) ingestSingly(ctx context.Context, a gen.AccountCreated, n, workers int) (float64, error) {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
				if err := c.do(ctx, "/ingest/v1/events", a.Ingest.Key, event(i), http.StatusAccepted, nil); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds(), firstErr
}

// ingestBatches posts n events in batches of size; it returns events/s.
func (c *client) ingestBatches(ctx context.Context, a gen.AccountCreated, n, size int) (float64, error) {
	start := time.Now()
	for sent := 0; sent < n; sent += size {
		events := make([]map[string]any, 0, size)
		for i := sent; i < min(sent+size, n); i++ {
			events = append(events, event(i))
		}
		if err := c.do(ctx, "/ingest/v1/event-batches", a.Ingest.Key, map[string]any{"events": events}, http.StatusAccepted, nil); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// bareClient sends Standard Webhooks-signed POSTs of a Shipping-sized body to r from 64
// goroutines for d, reusing connections; it returns requests per second.
func bareClient(r *receiver, d time.Duration) float64 {
	wh, _ := standardwebhooks.NewWebhookRaw([]byte("bench-secret"))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	body := []byte(`{"type":"shipment.created","timestamp":"2026-11-29T16:00:00Z","data":{"parcel":7,"carrier":"PostNL","status":"in_transit"}}`)
	var sent atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				id := "msg_" + uuid.NewString()
				now := time.Now()
				sig, _ := wh.Sign(id, now, body)
				req, _ := http.NewRequest(http.MethodPost, r.URL+"/hook", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("webhook-id", id)
				req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
				req.Header.Set("webhook-signature", sig)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(sent.Load()) / time.Since(start).Seconds()
}
