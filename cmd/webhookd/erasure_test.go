package main_test

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/pgtest"
)

// The binary runs an eraser: after DELETE, the account's events go within seconds, while the
// account row waits for the grace period.
func TestTheBinaryErasesAnAccount(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	receiver := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer receiver.Close()
	in := start(t, dbURL)
	account := setUp(t, in, receiver.URL+"/hook")
	for range 3 {
		in.post(t, "/ingest/v1/events", "Bearer "+account.Ingest.Key, map[string]any{"type": "shipment.created"}, nil)
	}
	req, _ := http.NewRequest(http.MethodDelete, in.url+"/admin/v1/accounts/"+account.Id.String(), nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delete: %d", resp.StatusCode)
	}

	conn, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var events, accounts int
		if err := conn.QueryRow(`SELECT (SELECT count(*) FROM events WHERE account_id = $1), (SELECT count(*) FROM accounts WHERE id = $1)`,
			account.Id).Scan(&events, &accounts); err != nil {
			t.Fatal(err)
		}
		if events == 0 {
			if accounts != 1 {
				t.Errorf("the account row went before the grace period ended")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events of the account remain", events)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
