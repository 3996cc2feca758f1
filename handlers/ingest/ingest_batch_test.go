package ingest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

func TestIngestEventBatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.CreateAccount(t, "acme")
	ingestKey := apitest.Header("Authorization", "Bearer "+a.Ingest.Key)
	for _, events := range [][]string{{"shipment.created"}, {"shipment.created", "tracking_parcel.status_changed"}} {
		body, _ := json.Marshal(map[string]any{"name": "s", "url": "https://example.com/hooks", "events": events})
		if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/v1/webhook-subscriptions", Header: apitest.Shipping(a), Body: string(body)}); resp.Status != 201 {
			t.Fatalf("subscription: %d %s", resp.Status, resp.Body)
		}
	}
	counts := func() (events, deliveries int) {
		t.Helper()
		if err := env.DB.QueryRow(`SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM deliveries)`).Scan(&events, &deliveries); err != nil {
			t.Fatal(err)
		}
		return events, deliveries
	}
	post := func(body string, want int) *apitest.Response {
		t.Helper()
		resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/event-batches", Header: ingestKey, Body: body})
		if resp.Status != want {
			t.Fatalf("batch = %d %s, want %d", resp.Status, resp.Body, want)
		}
		return resp
	}

	batch := `{"events": [{"id": "e1", "type": "shipment.created", "data": {"n": 1}}, {"id": "e2", "type": "tracking_parcel.status_changed"}, {"type": "other"}]}`
	var first gen.IngestedEventBatch
	post(batch, 202).Decode(t, &first)
	if len(first.Events) != 3 || first.Deliveries != 3 || first.Events[0].ExternalId != "e1" || first.Events[0].Deliveries != 2 ||
		first.Events[1].Deliveries != 1 || first.Events[2].Deliveries != 0 || first.Events[0].Duplicate {
		t.Fatalf("first batch = %+v", first)
	}
	if e, d := counts(); e != 3 || d != 3 {
		t.Errorf("%d events, %d deliveries after the first batch; want 3, 3", e, d)
	}

	// Resent, the events with ids are duplicates that queue nothing; one new event is recorded.
	var again gen.IngestedEventBatch
	post(`{"events": [{"id": "e2", "type": "tracking_parcel.status_changed"}, {"id": "e1", "type": "shipment.created"}, {"id": "e3", "type": "shipment.created"}]}`, 202).Decode(t, &again)
	if !again.Events[0].Duplicate || again.Events[0].Id != first.Events[1].Id || !again.Events[1].Duplicate || again.Events[1].Deliveries != 2 ||
		again.Events[2].Duplicate || again.Deliveries != 2 {
		t.Errorf("resent batch = %+v", again)
	}
	if e, d := counts(); e != 4 || d != 5 {
		t.Errorf("%d events, %d deliveries after the resent batch; want 4, 5", e, d)
	}

	// A bad batch writes nothing.
	for _, c := range []struct {
		body, message string
		status        int
	}{
		{`{"events": [{"id": "x1", "type": "a"}, {"id": "x1", "type": "b"}]}`, "events[1].id: x1 occurs twice", 400},
		{`{"events": [{"id": "x2", "type": "a"}, {"type": "b", "scope": {"birdWorkspaceId": "0edf722b-93b4-4451-8a5d-4fafba5cdf8b"}}]}`, "events[1].scope: no Bird workspace", 404},
		{`{"events": []}`, "", 400},
		{`{"events": [` + strings.Repeat(`{"type": "a"},`, 5000) + `{"type": "a"}]}`, "", 400},
	} {
		resp := post(c.body, c.status)
		if !strings.Contains(string(resp.Body), c.message) {
			t.Errorf("%.60s… = %s, want %q", c.body, resp.Body, c.message)
		}
	}
	if e, d := counts(); e != 4 || d != 5 {
		t.Errorf("%d events, %d deliveries after refused batches; want 4, 5", e, d)
	}

	// The largest batch goes through in one request.
	var big strings.Builder
	big.WriteString(`{"events": [`)
	for n := range 5000 {
		if n > 0 {
			big.WriteString(",")
		}
		fmt.Fprintf(&big, `{"id": "big-%d", "type": "shipment.created", "data": {"parcel": %d, "carrier": "PostNL"}}`, n, n)
	}
	big.WriteString("]}")
	var large gen.IngestedEventBatch
	post(big.String(), 202).Decode(t, &large)
	if len(large.Events) != 5000 || large.Deliveries != 10000 {
		t.Errorf("large batch: %d events, %d deliveries", len(large.Events), large.Deliveries)
	}
}
