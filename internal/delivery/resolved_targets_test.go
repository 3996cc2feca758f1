package delivery_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
)

func TestPrivateTargetsAreRefusedAfterResolution(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	hooks := newReceiver(t, nil)
	// The guarded transport with no allow-list; example.com still dials the loopback receiver.
	startEngine(t, env, delivery.Config{Transport: loopbackTransport(nil, hooks), ScheduleScale: 1e-6}, hooks)
	a := env.CreateAccount(t, "acme")
	var w struct{ WebhookId int32 }
	do(t, env, http.MethodPost, "/api/v1/Webhook", apitest.SuperOffice(a), `{"Events": ["contact.created"], "TargetUrl": "`+hooks.url("/so")+`"}`, 200).Decode(t, &w)
	ingest(t, env, a, `{"type": "contact.created"}`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		last := do(t, env, http.MethodGet, fmt.Sprintf("/api/v1/Webhook/%d/LastError", w.WebhookId), apitest.SuperOffice(a), "", 200)
		if strings.Contains(string(last.Body), "https://example.com:"+hooks.port()+": target address is not allowed") {
			if strings.Contains(string(last.Body), "127.0.0.1") {
				t.Errorf("LastError reveals the resolved address: %s", last.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("LastError = %s", last.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(hooks.requests()); n != 0 {
		t.Errorf("the private target received %d requests", n)
	}
}
