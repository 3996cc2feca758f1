package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
)

func TestVoucherifyRetriesTwelveTimesThenDeactivatesAndCanBeReenabled(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	failing := true
	var mu sync.Mutex
	hooks := newReceiver(t, func(_ int, w http.ResponseWriter) {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	startEngine(t, env, delivery.Config{ScheduleScale: 1e-5}, hooks)
	a := env.CreateAccount(t, "acme")
	path := "/management/v1/projects/" + a.Voucherify.ProjectId + "/webhooks"
	var hook gen.ManagementProjectsWebhook
	do(t, env, http.MethodPost, path, apitest.Voucherify(a), `{"target_url": "`+hooks.url("/v")+`", "events": ["voucher.created"]}`, 200).Decode(t, &hook)
	ingest(t, env, a, `{"type": "voucher.created"}`)

	hooks.wait(t, 13, 20*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got gen.ManagementProjectsWebhook
		do(t, env, http.MethodGet, path+"/"+hook.Id, apitest.Voucherify(a), "", 200).Decode(t, &got)
		if !got.Active {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook is still active after 12 failed retries")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(hooks.requests()); n != 13 {
		t.Errorf("%d attempts, want the first and 12 retries", n)
	}
	// A deactivated webhook receives nothing; re-enabled, it does.
	if got := ingest(t, env, a, `{"type": "voucher.created"}`); got.Deliveries != 0 {
		t.Errorf("an inactive webhook was queued %d deliveries", got.Deliveries)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	do(t, env, http.MethodPut, path+"/"+hook.Id, apitest.Voucherify(a), `{"target_url": "`+hooks.url("/v")+`", "events": ["voucher.created"], "active": true}`, 200)
	ingest(t, env, a, `{"type": "voucher.created"}`)
	hooks.wait(t, 14, 10*time.Second)
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	startEngine(t, env, delivery.Config{ScheduleScale: 1e-6}, hooks)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(a), `{"name": "s", "url": "`+hooks.url("/s")+`", "events": ["shipment.created"]}`, 201)
	ingest(t, env, a, `{"type": "shipment.created"}`)
	got := hooks.wait(t, 2, 10*time.Second)
	if gap := got[1].at.Sub(got[0].at); gap < time.Second {
		t.Errorf("retried after %v, before the 1 s the target asked for", gap)
	}
	if got[0].header.Get("Webhook-Id") != got[1].header.Get("Webhook-Id") {
		t.Errorf("a retry changed webhook-id: %s, %s", got[0].header.Get("Webhook-Id"), got[1].header.Get("Webhook-Id"))
	}
}

func TestSuperOfficeStopsAfterNineFailedDeliveries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	var healthy atomic.Bool
	hooks := newReceiver(t, func(_ int, w http.ResponseWriter) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	startEngine(t, env, delivery.Config{ScheduleScale: 1e-4}, hooks)
	a := env.CreateAccount(t, "acme")
	var w struct{ WebhookId int32 }
	do(t, env, http.MethodPost, "/api/v1/Webhook", apitest.SuperOffice(a), `{"Events": ["contact.created"], "TargetUrl": "`+hooks.url("/so")+`"}`, 200).Decode(t, &w)
	for i := range 9 {
		ingest(t, env, a, fmt.Sprintf(`{"type": "contact.created", "data": {"PrimaryKey": %d}}`, i))
	}
	hooks.wait(t, 27, 20*time.Second) // three attempts per delivery
	path := fmt.Sprintf("/api/v1/Webhook/%d", w.WebhookId)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got struct{ State string }
		do(t, env, http.MethodGet, path, apitest.SuperOffice(a), "", 200).Decode(t, &got)
		if got.State == "TooManyErrors" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("State = %s after 9 failed deliveries", got.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
	last := do(t, env, http.MethodGet, path+"/LastError", apitest.SuperOffice(a), "", 200)
	if !strings.Contains(string(last.Body), "502") {
		t.Errorf("LastError = %s", last.Body)
	}
	// Stopped, it hears nothing; set Active again, it starts afresh and delivers.
	if got := ingest(t, env, a, `{"type": "contact.created"}`); got.Deliveries != 0 {
		t.Errorf("a TooManyErrors webhook was queued %d deliveries", got.Deliveries)
	}
	healthy.Store(true)
	do(t, env, http.MethodPatch, path, withContentType(apitest.SuperOffice(a), "application/merge-patch+json"), `{"State": "Active"}`, 200)
	ingest(t, env, a, `{"type": "contact.created"}`)
	hooks.wait(t, 28, 10*time.Second)
	deadline = time.Now().Add(10 * time.Second)
	for {
		last := do(t, env, http.MethodGet, path+"/LastError", apitest.SuperOffice(a), "", 200)
		if string(last.Body) == "\"\"\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("LastError after a success = %s", last.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	retries := map[string][]string{}
	for _, r := range hooks.requests()[:27] {
		id := r.header.Get("X-Superoffice-Eventid")
		retries[id] = append(retries[id], r.header.Get("X-Superoffice-Retry"))
	}
	for id, seq := range retries {
		if strings.Join(seq, ",") != "0,1,2" {
			t.Errorf("event %s: X-SuperOffice-Retry of its attempts = %v, want 0,1,2", id, seq)
		}
	}
}

// A delivery given up and its subscription's failure count are written together or not at
// all: here the count is refused (a trigger), so the outcome is not written either, and the
// delivery, still leased, is attempted again once its lease ends; then both are written.
func TestAGivenUpDeliveryIsCountedWithItsOutcome(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	if on, err := db.IsDistributed(context.Background(), env.DB); err != nil || on {
		t.Skipf("the refusing trigger is a worker's (distributed: %v, %v)", on, err)
	}
	if _, err := env.DB.Exec(`
		CREATE FUNCTION refuse_counting() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.consecutive_failures > OLD.consecutive_failures THEN RAISE EXCEPTION 'counting refused'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_counting BEFORE UPDATE ON subscriptions FOR EACH ROW EXECUTE FUNCTION refuse_counting()`); err != nil {
		t.Fatal(err)
	}
	type state struct {
		status         string
		logged, streak int
	}
	read := func() (s state) {
		t.Helper()
		if err := env.DB.QueryRow(`SELECT d.status, (SELECT count(*) FROM delivery_attempts), s.consecutive_failures
			FROM deliveries d JOIN subscriptions s ON s.account_id = d.account_id AND s.id = d.subscription_id`).Scan(&s.status, &s.logged, &s.streak); err != nil {
			t.Error(err)
		}
		return s
	}
	// The third call is the last of SuperOffice's schedule; its outcome is refused. When the
	// lease ends, the fourth makes that attempt again, and the trigger is gone.
	beforeFourth := make(chan state, 1)
	hooks := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 4 {
			beforeFourth <- read()
			if _, err := env.DB.Exec(`DROP TRIGGER refuse_counting ON subscriptions`); err != nil {
				t.Error(err)
			}
		}
		w.WriteHeader(http.StatusBadGateway)
	})
	startEngine(t, env, delivery.Config{ScheduleScale: 1e-4, AttemptTimeout: 500 * time.Millisecond, Lease: time.Second}, hooks)
	a := env.CreateAccount(t, "acme")
	do(t, env, http.MethodPost, "/api/v1/Webhook", apitest.SuperOffice(a), `{"Events": ["contact.created"], "TargetUrl": "`+hooks.url("/so")+`"}`, 200)
	ingest(t, env, a, `{"type": "contact.created"}`)
	hooks.wait(t, 4, 20*time.Second)
	if got, want := <-beforeFourth, (state{"pending", 2, 0}); got != want {
		t.Errorf("after the refused outcome: %+v, want %+v (nothing of the third attempt written)", got, want)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got, want := read(), state{"failed", 3, 1}
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the attempt made again: %+v, want %+v", got, want)
		}
	}
	if got := len(hooks.requests()); got != 4 {
		t.Errorf("%d calls, want 4", got)
	}
}

func TestBirdDeactivatesAfterItsRetryWindow(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) })
	startEngine(t, env, delivery.Config{ScheduleScale: 1e-4}, hooks) // the 8-hour window lasts 2.9 s
	a := env.CreateAccount(t, "acme")
	var sub gen.WebhookSubscription
	do(t, env, http.MethodPost, "/workspaces/"+a.Bird.WorkspaceId.String()+"/webhook-subscriptions", apitest.Bird(a),
		`{"service": "channels", "event": "sms.outbound", "url": "`+hooks.url("/b")+`"}`, 201).Decode(t, &sub)
	ingest(t, env, a, `{"type": "sms.outbound"}`)
	path := "/workspaces/" + a.Bird.WorkspaceId.String() + "/webhook-subscriptions/" + sub.Id.String()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got gen.WebhookSubscription
		do(t, env, http.MethodGet, path, apitest.Bird(a), "", 200).Decode(t, &got)
		if got.Status == "inactive" {
			if got.StatusReason == nil || !strings.Contains(*got.StatusReason, "8 hours") {
				t.Errorf("statusReason = %v", got.StatusReason)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still active after the retry window")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(hooks.requests()); n < 5 {
		t.Errorf("only %d attempts in the window", n)
	}
}
