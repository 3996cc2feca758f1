package retention_test

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/pgtest"
	"github.com/webhookd/webhookd/internal/retention"
)

// An event's id is a duplicate for as long as the event is kept, whichever slice holds it,
// and no longer.
func TestAnEventIDIsADuplicateAcrossSlicesWhileKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := apitest.New(t)
	k := newKeeper(t, env.DB)
	a := env.CreateAccount(t, "acme")
	apitest.CreateShipping(t, env, a, `{"name": "s", "url": "https://example.com/hook", "events": ["shipment.created"]}`)
	ingest := func(id string) delivery.Ingested {
		out, err := delivery.Ingest(ctx, env.DB, a.Id, delivery.Event{ExternalID: id, Type: "shipment.created"})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	settle := func(event uuid.UUID) {
		if _, err := env.DB.Exec(`UPDATE deliveries SET status = 'succeeded' WHERE event_id = $1`, event); err != nil {
			t.Fatal(err)
		}
	}

	// Ingested in the slice before the current one, it is a duplicate in the current one.
	first := ingest("order-1")
	settle(first.EventID)
	previous := retention.GridStart(time.Now(), k.Width()).Add(-k.Width())
	if err := retention.CreateSlice(ctx, env.DB, previous, previous.Add(k.Width())); err != nil {
		t.Fatal(err)
	}
	moveEvent(t, env.DB, first.EventID, previous.Add(time.Second))
	again := ingest("order-1")
	batch, err := delivery.IngestBatch(ctx, env.DB, a.Id, []delivery.Event{{ExternalID: "order-2", Type: "x"}, {ExternalID: "order-1", Type: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.EventID != first.EventID || again.Deliveries != 1 || !batch[1].Duplicate || batch[1].EventID != first.EventID || batch[0].Duplicate {
		t.Errorf("across a slice boundary: first %+v, again %+v, batch %+v", first, again, batch)
	}

	// Once its slice has expired, the id is new again.
	moveEvent(t, env.DB, first.EventID, expiredSlice(t, env.DB, k).Add(time.Second))
	if r, err := k.Upkeep(ctx); err != nil || r.Dropped != 1 {
		t.Fatalf("upkeep: %+v, %v", r, err)
	}
	if later := ingest("order-1"); later.Duplicate || later.EventID == first.EventID {
		t.Errorf("after expiry: %+v, want a new event", later)
	}
	if n := count(t, env.DB, `SELECT count(*) FROM events WHERE external_id = 'order-1'`); n != 1 {
		t.Errorf("%d events with the id, want 1", n)
	}
}

// A partition detached and left behind by an interrupted upkeep is dropped by the next one;
// ingestion creates the current slice when the upkeep has not.
func TestLeftoversAreDroppedAndIngestionCreatesAMissingSlice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := apitest.New(t)
	k := newKeeper(t, env.DB)
	old := expiredSlice(t, env.DB, k)
	all, err := retention.List(ctx, env.DB)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.From.Equal(old) {
			if _, err := env.DB.Exec("ALTER TABLE events DETACH PARTITION " + s.Partitions["events"]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := k.Upkeep(ctx); err != nil {
		t.Fatal(err)
	}
	if hasSlice(t, env.DB, old) || count(t, env.DB, `SELECT count(*) FROM pg_class WHERE relname LIKE '%\_' || to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYYMMDD_HH24MISS')`, old) != 0 {
		t.Errorf("the expired slice or its detached partition remains")
	}

	// Without slices for the current time, ingestion makes one.
	for _, s := range all {
		if !s.From.IsZero() && s.Until.After(time.Now()) {
			for _, table := range retention.Tables {
				if _, err := env.DB.Exec("DROP TABLE " + s.Partitions[table]); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	a := env.CreateAccount(t, "acme")
	var out gen.IngestedEvent
	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/events", Header: apitest.Header("Authorization", "Bearer "+a.Ingest.Key),
		Body: `{"id": "e1", "type": "shipment.created"}`})
	if resp.Status != http.StatusAccepted {
		t.Fatalf("ingest without a slice: %d %s", resp.Status, resp.Body)
	}
	resp.Decode(t, &out)
	if n := count(t, env.DB, `SELECT count(*) FROM events WHERE id = $1`, out.Id); n != 1 {
		t.Errorf("the event was not stored")
	}
}

// An instance starting while another holds history's tables (its upkeep detaching a slice)
// waits for them rather than failing to start.
func TestPrepareWaitsForTablesHeldByAnotherInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := pgtest.New(t)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("LOCK TABLE events IN SHARE UPDATE EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(1500*time.Millisecond, func() { _ = tx.Rollback() })
	k, err := retention.New(conn, retention.Config{Retention: testRetention, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Prepare(ctx); err != nil {
		t.Fatalf("prepare while the tables were held: %v", err)
	}
	if !covered(t, conn, time.Now().Add(k.Width())) {
		t.Errorf("no slice covers the next %s", k.Width())
	}
}

func covered(t *testing.T, conn *sql.DB, at time.Time) bool {
	t.Helper()
	all, err := retention.List(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if !at.Before(s.From) && at.Before(s.Until) && len(s.Partitions) == len(retention.Tables) {
			return true
		}
	}
	return false
}
