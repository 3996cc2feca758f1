package delivery_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

// Ingestions of one id that arrive together, one event at a time and in batches, store it
// once: every answer names that event and exactly one is not a duplicate. (History is
// partitioned by time, so no unique index can ensure it; see new_event_keys.)
func TestConcurrentIngestionsOfOneIDStoreItOnce(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a),
		`{"name": "ship", "url": "https://example.com/s", "events": ["shipment.created"]}`, 201)
	key := apitest.Header("Authorization", "Bearer "+a.Ingest.Key)
	for round := range 4 {
		id := fmt.Sprintf("order-%d", round)
		const n = 10
		got := make([]gen.IngestedEvent, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				if i%2 == 0 {
					env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/events", Header: key,
						Body: fmt.Sprintf(`{"id": %q, "type": "shipment.created"}`, id)}).Decode(t, &got[i])
					return
				}
				var batch gen.IngestedEventBatch
				env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/event-batches", Header: key,
					Body: fmt.Sprintf(`{"events": [{"id": "%s-%d", "type": "shipment.created"}, {"id": %q, "type": "shipment.created"}]}`, id, i, id)}).Decode(t, &batch)
				if len(batch.Events) == 2 {
					got[i] = batch.Events[1]
				}
			})
		}
		close(start)
		wg.Wait()
		fresh, ids := 0, map[uuid.UUID]bool{}
		for _, g := range got {
			ids[g.Id] = true
			if !g.Duplicate {
				fresh++
			}
		}
		var events, deliveries int
		if err := env.DB.QueryRow(`SELECT (SELECT count(*) FROM events WHERE external_id = $1),
			(SELECT count(*) FROM deliveries d JOIN events e ON e.account_id = d.account_id AND e.id = d.event_id WHERE e.external_id = $1)`, id).Scan(&events, &deliveries); err != nil {
			t.Fatal(err)
		}
		if fresh != 1 || len(ids) != 1 || events != 1 || deliveries != 1 {
			t.Fatalf("%d concurrent ingestions of %s: %d not duplicates, %d event ids, %d events, %d deliveries stored; want 1 of each",
				n, id, fresh, len(ids), events, deliveries)
		}
	}
}
