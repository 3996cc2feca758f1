package admin_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
)

// secrets is what a rotation may change of a subscription or a scope.
type secrets struct {
	Secret, Previous string
	Until            sql.NullTime
	UpdatedAt        time.Time
}

func subscriptionSecrets(t *testing.T, env *apitest.Env, id uuid.UUID) secrets {
	t.Helper()
	var s secrets
	if err := env.DB.QueryRow(`SELECT secret, previous_secret, previous_secret_until, updated_at FROM subscriptions WHERE id = $1`, id).
		Scan(&s.Secret, &s.Previous, &s.Until, &s.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	return s
}

func projectSecrets(t *testing.T, env *apitest.Env, a gen.AccountCreated) secrets {
	t.Helper()
	var s secrets
	if err := env.DB.QueryRow(`SELECT secret, previous_secret, previous_secret_until, updated_at FROM scopes WHERE account_id = $1 AND dialect = 'voucherify'`, a.Id).
		Scan(&s.Secret, &s.Previous, &s.Until, &s.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	return s
}

// subscriptionIDs are the internal ids of the account's subscriptions of dialect, oldest first.
func subscriptionIDs(t *testing.T, env *apitest.Env, a gen.AccountCreated, dialect string) []uuid.UUID {
	t.Helper()
	rows, err := env.DB.Query(`SELECT id FROM subscriptions WHERE account_id = $1 AND dialect = $2 ORDER BY created_at, id`, a.Id, dialect)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		t.Fatalf("the account has no %s subscription", dialect)
	}
	return ids
}

func rotatePath(a gen.AccountCreated, id uuid.UUID) string {
	return "/admin/v1/accounts/" + a.Id.String() + "/subscriptions/" + id.String() + "/rotate-secret"
}

// rotate asks for a rotation and checks the answer's status and, for a refusal, its code.
func rotate(t *testing.T, env *apitest.Env, a gen.AccountCreated, id uuid.UUID, body string, status int) gen.RotatedSecret {
	t.Helper()
	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: rotatePath(a, id), Header: apitest.Admin(), Body: body})
	if resp.Status != status {
		t.Fatalf("rotate %s = %d %s, want %d", body, resp.Status, resp.Body, status)
	}
	var out gen.RotatedSecret
	if status == http.StatusOK {
		resp.Decode(t, &out)
	} else if code := resp.Map(t)["code"]; code != map[int]string{400: "invalid_request", 404: "not_found", 409: "conflict"}[status] {
		t.Fatalf("rotate %s = %d with code %v", body, status, code)
	}
	return out
}

func near(t time.Time, want time.Duration) bool {
	d := time.Until(t)
	return d > want-time.Minute && d <= want
}

func TestRotateSecretKeepsTheReplacedOneForAWindow(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.CreateAccount(t, "acme")
	apitest.CreateShipping(t, env, a, `{"name": "n", "url": "https://hooks.example.com/s", "events": ["shipment.created"], "secret": "original-secret"}`)
	id := subscriptionIDs(t, env, a, "shipping")[0]

	first := rotate(t, env, a, id, `{}`, http.StatusOK)
	until, err := first.PreviousValidUntil.Get()
	if err != nil || !near(until, 24*time.Hour) || len(first.Secret) != 64 {
		t.Fatalf("first rotation = %+v, want a random secret and a day's window", first)
	}
	if s := subscriptionSecrets(t, env, id); s.Secret != first.Secret || s.Previous != "original-secret" || !s.Until.Time.Equal(until) {
		t.Fatalf("stored %+v after the first rotation", s)
	}

	// Inside the window a second rotation changes nothing without force.
	before := subscriptionSecrets(t, env, id)
	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: rotatePath(a, id), Header: apitest.Admin(), Body: `{"secret": "second-secret"}`})
	if resp.Status != http.StatusConflict || !strings.Contains(resp.Map(t)["message"].(string), until.UTC().Format(time.RFC3339)) {
		t.Fatalf("second rotation = %d %s, want 409 naming the window's end", resp.Status, resp.Body)
	}
	if after := subscriptionSecrets(t, env, id); after != before {
		t.Fatalf("a refused rotation changed %+v into %+v", before, after)
	}

	// force stops the oldest secret at once: the one being replaced is the previous now.
	forced := rotate(t, env, a, id, `{"secret": "second-secret", "overlapSeconds": 3600, "force": true}`, http.StatusOK)
	until, err = forced.PreviousValidUntil.Get()
	if err != nil || forced.Secret != "second-secret" || !near(until, time.Hour) {
		t.Fatalf("forced rotation = %+v", forced)
	}
	if s := subscriptionSecrets(t, env, id); s.Secret != "second-secret" || s.Previous != first.Secret {
		t.Fatalf("stored %+v after the forced rotation, want the first rotation's secret as the previous", s)
	}

	// overlapSeconds 0 stops the replaced secret at once: no window, so no conflict after it.
	now := rotate(t, env, a, id, `{"overlapSeconds": 0, "force": true}`, http.StatusOK)
	if !now.PreviousValidUntil.IsNull() {
		t.Fatalf("overlap 0 answered %+v, want no window", now)
	}
	if s := subscriptionSecrets(t, env, id); s.Secret != now.Secret || s.Previous != "" || s.Until.Valid {
		t.Fatalf("stored %+v after an overlap of 0", s)
	}
	rotate(t, env, a, id, `{"overlapSeconds": 0}`, http.StatusOK)
}

// A Voucherify webhook is signed with its project's secret: rotating it rotates the project's,
// and the window is the project's, whichever of its webhooks is named.
func TestRotateSecretOfAVoucherifyWebhookRotatesItsProject(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.CreateAccount(t, "acme")
	for _, u := range []string{"https://hooks.example.com/1", "https://hooks.example.com/2"} {
		env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(a), Header: apitest.Voucherify(a),
			Body: `{"target_url": "` + u + `", "events": ["voucher.created"]}`})
	}
	ids := subscriptionIDs(t, env, a, "voucherify")
	subBefore := subscriptionSecrets(t, env, ids[1])
	r := rotate(t, env, a, ids[0], `{"overlapSeconds": 60}`, http.StatusOK)
	if p := projectSecrets(t, env, a); p.Secret != r.Secret || p.Previous != a.Voucherify.WebhookSecret || !p.Until.Valid {
		t.Fatalf("project secrets %+v after rotating through a webhook", p)
	}
	rotate(t, env, a, ids[1], `{}`, http.StatusConflict)
	if got := subscriptionSecrets(t, env, ids[1]); got != subBefore {
		t.Errorf("the webhook's own row changed: %+v into %+v", subBefore, got)
	}
}

// Refusals answer as documented and change nothing; no secret, given or made, reaches a log.
func TestRotateSecretRefusals(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	env := apitest.New(t, func(c *handlers.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	a := env.CreateAccount(t, "acme")
	other := env.CreateAccount(t, "other")
	apitest.CreateShipping(t, env, a, `{"name": "n", "url": "https://hooks.example.com/s", "events": ["shipment.created"], "secret": "original-secret"}`)
	apitest.CreateSuperOfficeWebhook(t, env, a, `{"Name": "n", "Events": ["sale.changed"], "TargetUrl": "https://hooks.example.com/so", "Secret": "so-secret"}`)
	shipping := subscriptionIDs(t, env, a, "shipping")[0]
	superoffice := subscriptionIDs(t, env, a, "superoffice")[0]

	resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: rotatePath(a, subscriptionIDs(t, env, a, "arkyn")[0]), Header: apitest.Admin(), Body: `{}`})
	if resp.Status != http.StatusConflict || !strings.Contains(resp.Map(t)["message"].(string), "not signed") {
		t.Errorf("Arkyn rotation = %d %s, want 409 saying its deliveries are not signed", resp.Status, resp.Body)
	}
	rotate(t, env, other, shipping, `{}`, http.StatusNotFound)
	rotate(t, env, a, uuid.New(), `{}`, http.StatusNotFound)

	before := map[uuid.UUID]secrets{shipping: subscriptionSecrets(t, env, shipping), superoffice: subscriptionSecrets(t, env, superoffice)}
	for _, c := range []struct {
		id   uuid.UUID
		body string
	}{
		{shipping, `{"secret": "short7c"}`},
		{shipping, `{"secret": "` + strings.Repeat("s", 256) + `"}`},
		{superoffice, `{"secret": "` + strings.Repeat("s", 256) + `"}`},
		{shipping, `{"secret": ""}`},
		{shipping, `{"secret": null}`},
		{shipping, `{"secret": 12345678}`},
		{shipping, `{"overlapSeconds": -1}`},
		{shipping, `{"overlapSeconds": 604801}`},
		{shipping, `{"overlapSeconds": 1.5}`},
		{shipping, `{"force": "yes"}`},
		{shipping, `{"secret": "long-enough", "extra": true}`},
		{shipping, `{"secret": "long-enough"`},
		{shipping, ``},
	} {
		rotate(t, env, a, c.id, c.body, http.StatusBadRequest)
	}
	resp = env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/admin/v1/accounts/" + a.Id.String() + "/subscriptions/not-a-uuid/rotate-secret", Header: apitest.Admin(), Body: `{}`})
	if resp.Status != http.StatusBadRequest {
		t.Errorf("malformed id = %d %s", resp.Status, resp.Body)
	}
	resp = env.Do(t, apitest.Request{Method: http.MethodPost, Path: rotatePath(a, shipping), Body: `{}`})
	if resp.Status != http.StatusUnauthorized {
		t.Errorf("no token = %d %s", resp.Status, resp.Body)
	}
	for id, was := range before {
		if now := subscriptionSecrets(t, env, id); now != was {
			t.Errorf("refused rotations changed %+v into %+v", was, now)
		}
	}

	given := rotate(t, env, a, shipping, `{"secret": "a-given-secret"}`, http.StatusOK)
	made := rotate(t, env, a, superoffice, `{}`, http.StatusOK)
	// An erased account's subscriptions are gone to the API at once.
	env.Do(t, apitest.Request{Method: http.MethodDelete, Path: "/admin/v1/accounts/" + a.Id.String(), Header: apitest.Admin()})
	rotate(t, env, a, shipping, `{"force": true}`, http.StatusNotFound)

	out := logs.String()
	for _, s := range []string{"short7c", "original-secret", "so-secret", given.Secret, made.Secret} {
		if strings.Contains(out, s) {
			t.Errorf("the logs contain the secret %q", s)
		}
	}
	for _, id := range []uuid.UUID{shipping, superoffice} {
		if !strings.Contains(out, "action=rotate_secret") || !strings.Contains(out, "subscription_id="+id.String()) {
			t.Errorf("no audit line for rotating %s", id)
		}
	}
}

// A vendor's own operation that changes a secret replaces it at once, as its contract says,
// and ends a rotation's window; one that leaves the secret as it is keeps the window.
func TestVendorSecretChangesEndTheWindow(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.CreateAccount(t, "acme")
	ship := apitest.CreateShipping(t, env, a, `{"name": "n", "url": "https://hooks.example.com/s", "events": ["shipment.created"], "secret": "original-secret"}`)
	bird := apitest.CreateBirdSubscription(t, env, a, `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/b", "signingKey": "bird-key"}`)
	soID := apitest.CreateSuperOfficeWebhook(t, env, a, `{"Name": "n", "Events": ["sale.changed"], "TargetUrl": "https://hooks.example.com/so", "Secret": "so-secret"}`)
	ids := map[string]uuid.UUID{}
	for _, d := range []string{"shipping", "bird", "superoffice"} {
		ids[d] = subscriptionIDs(t, env, a, d)[0]
		rotate(t, env, a, ids[d], `{}`, http.StatusOK)
	}
	soPath := apitest.SuperOfficeWebhooksPath + "/" + strconv.Itoa(int(soID))
	for _, c := range []struct {
		name   string
		req    apitest.Request
		id     uuid.UUID
		secret string // "" when the window stays
	}{
		{"Shipping PUT without a secret", apitest.Request{Method: http.MethodPut, Path: apitest.ShippingSubscriptionsPath + "/" + ship.Id,
			Header: apitest.Shipping(a), Body: `{"name": "renamed"}`}, ids["shipping"], ""},
		{"SuperOffice JSON Patch of its State", apitest.Request{Method: http.MethodPatch, Path: soPath,
			Header: apitest.WithContentType(apitest.SuperOffice(a), "application/json-patch+json"), Body: `[{"op": "replace", "path": "/State", "value": "Active"}]`}, ids["superoffice"], ""},
		{"Shipping PUT with a secret", apitest.Request{Method: http.MethodPut, Path: apitest.ShippingSubscriptionsPath + "/" + ship.Id,
			Header: apitest.Shipping(a), Body: `{"name": "renamed", "secret": "vendor-set-secret"}`}, ids["shipping"], "vendor-set-secret"},
		{"Bird PATCH of its signingKey", apitest.Request{Method: http.MethodPatch, Path: apitest.BirdSubscriptionsPath(a) + "/" + bird.Id.String(),
			Header: apitest.Bird(a), Body: `{"signingKey": "vendor-set-key"}`}, ids["bird"], "vendor-set-key"},
		{"SuperOffice merge patch of its Secret", apitest.Request{Method: http.MethodPatch, Path: soPath,
			Header: apitest.WithContentType(apitest.SuperOffice(a), "application/merge-patch+json"), Body: `{"Secret": "vendor-set-so"}`}, ids["superoffice"], "vendor-set-so"},
	} {
		before := subscriptionSecrets(t, env, c.id)
		if resp := env.Do(t, c.req); resp.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", c.name, resp.Status, resp.Body)
		}
		after := subscriptionSecrets(t, env, c.id)
		switch {
		case c.secret == "" && (after.Secret != before.Secret || after.Previous != before.Previous || after.Until != before.Until):
			t.Errorf("%s: the window changed from %+v to %+v", c.name, before, after)
		case c.secret != "" && (after.Secret != c.secret || after.Previous != "" || after.Until.Valid):
			t.Errorf("%s: stored %+v, want the vendor's secret and no window", c.name, after)
		}
	}
}

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
