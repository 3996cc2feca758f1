package delivery_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
