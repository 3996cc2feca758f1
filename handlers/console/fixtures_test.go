package console_test

import (
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/delivery"
	"github.com/webhookd/webhookd/internal/egress"
)

// received is one webhook a receiver got.
type received struct {
	path   string
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint on loopback (TLS, as https targets need): /down answers 503
// until the test brings it up, every other path 200.
type receiver struct {
	*httptest.Server
	up  atomic.Bool
	mu  sync.Mutex
	got []received
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{path: req.URL.Path, header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		if req.URL.Path == "/down" && !r.up.Load() {
			http.Error(w, `{"error":"down for maintenance"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(r.Close)
	return r
}

// url is an address on the receiver under a host name, as some dialects' validation requires;
// the engine's dialer sends example.com to loopback.
func (r *receiver) url(path string) string {
	_, port, _ := net.SplitHostPort(r.Listener.Addr().String())
	return "https://example.com:" + port + path
}

func (r *receiver) requests(path string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, g := range r.got {
		if g.path == path {
			out = append(out, g)
		}
	}
	return out
}

// startEngine delivers the env's deliveries to the receiver until the test ends, with every
// retry schedule shrunk a hundred thousand times.
func startEngine(t *testing.T, env *apitest.Env, r *receiver) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(r.Certificate())
	transport := egress.Policy{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}.Transport(pool)
	dial := transport.DialContext
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, _ := net.SplitHostPort(addr); host == "example.com" {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return dial(ctx, network, addr)
	}
	apitest.RunEngine(t, env.DB, delivery.Config{Transport: transport, PollInterval: 10 * time.Millisecond,
		ScheduleScale: 1e-5, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// tenant is an account with a SuperOffice webhook to the receiver's /down (three attempts, then
// failed) and a Shipping subscription to its /ok, both signed.
type tenant struct {
	gen.AccountCreated
	superOfficeID int32
	shippingID    string
}

const shippingSecret = "whsec-console-shipping-secret-0001"

func newTenant(t *testing.T, env *apitest.Env, r *receiver, name string) tenant {
	t.Helper()
	a := env.CreateAccount(t, name)
	so := apitest.CreateSuperOfficeWebhook(t, env, a, `{"Name":"orders","Events":["sale.changed"],"TargetUrl":"`+r.url("/down")+`","Secret":"so-secret"}`)
	ship := apitest.CreateShipping(t, env, a, `{"name":"parcels","url":"`+r.url("/ok")+`","events":["shipment.created"],"secret":"`+shippingSecret+`"}`)
	return tenant{AccountCreated: a, superOfficeID: so, shippingID: ship.Id}
}

func (tn tenant) ingest(t *testing.T, env *apitest.Env, eventType string) gen.IngestedEvent {
	t.Helper()
	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/events",
		Header: apitest.Header("Authorization", "Bearer "+tn.Ingest.Key), Body: map[string]any{"type": eventType, "data": map[string]any{"by": tn.Name}}})
	if resp.Status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", resp.Status, resp.Body)
	}
	var out gen.IngestedEvent
	resp.Decode(t, &out)
	return out
}

// deliveries lists the account's deliveries, newest first, as the admin API gives them.
func deliveries(t *testing.T, env *apitest.Env, accountID string) []gen.Delivery {
	t.Helper()
	var list gen.DeliveryList
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + accountID + "/deliveries?limit=100", Header: apitest.Admin()}).Decode(t, &list)
	return list.Results
}

// settle waits until the account has want deliveries and none is pending.
func settle(t *testing.T, env *apitest.Env, accountID string, want int) []gen.Delivery {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		list := deliveries(t, env, accountID)
		pending := 0
		for _, d := range list {
			if d.Status == gen.DeliveryStatusPending {
				pending++
			}
		}
		if len(list) == want && pending == 0 {
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries, %d pending; want %d settled", len(list), pending, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// failuresCounted waits until the subscription of each of list's failed deliveries shows the
// failure counted, which the engine writes just after the delivery's outcome.
func failuresCounted(t *testing.T, env *apitest.Env, accountID string, list []gen.Delivery) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		var subs struct {
			Results []struct {
				ExternalID          string
				ConsecutiveFailures int
				State               string
			}
		}
		env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts/" + accountID + "/subscriptions", Header: apitest.Admin()}).Decode(t, &subs)
		uncounted := 0
		for _, d := range byStatus(list, gen.DeliveryStatusFailed) {
			for _, s := range subs.Results {
				if s.ExternalID == d.SubscriptionId && s.ConsecutiveFailures == 0 && s.State == "active" {
					uncounted++
				}
			}
		}
		if uncounted == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d failed deliveries not counted by their subscriptions", uncounted)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func byStatus(list []gen.Delivery, status gen.DeliveryStatus) []gen.Delivery {
	var out []gen.Delivery
	for _, d := range list {
		if d.Status == status {
			out = append(out, d)
		}
	}
	return out
}
