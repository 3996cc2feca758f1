package bird_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

// Each operation names the missing thing in its 404 body: the workspace when it is not the
// caller's, else the subscription; and a missing one outranks a bad body or page token.
func TestBirdNotFoundBodies(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	globex := env.CreateAccount(t, "globex")
	sub := apitest.CreateBirdSubscription(t, env, acme, `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/a"}`)
	intruder := apitest.Bird(globex)
	acmeSub := apitest.BirdSubscriptionsPath(acme) + "/" + sub.Id.String()
	globexSub := apitest.BirdSubscriptionsPath(globex) + "/" + sub.Id.String()
	const unknownID = "0edf722b-93b4-4451-8a5d-4fafba5cdf8b"
	workspace := map[string]any{"workspaceId": acme.Bird.WorkspaceId.String()}
	subscription := map[string]any{"webhookSubscriptionId": sub.Id.String()}

	tests := []struct {
		name    string
		req     apitest.Request
		message string
		details map[string]any
	}{
		{"create", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Body: `{"service": "channels", "event": "sms.outbound", "url": "https://evil.example.com/a"}`}, "workspace not found", workspace},
		{"create with a bad event", apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Body: `{"service": "numbers", "event": "sms.outbound", "url": "https://evil.example.com/a"}`}, "workspace not found", workspace},
		{"list", apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme)}, "workspace not found", workspace},
		{"list with a forged token", apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(acme) + "?pageToken=bm9wZQ"}, "workspace not found", workspace},
		{"get", apitest.Request{Method: http.MethodGet, Path: acmeSub}, "workspace not found", workspace},
		{"patch", apitest.Request{Method: http.MethodPatch, Path: acmeSub, Body: `{"status": "inactive"}`}, "workspace not found", workspace},
		{"patch filters", apitest.Request{Method: http.MethodPatch, Path: acmeSub, Body: `{"eventFilters": null}`}, "workspace not found", workspace},
		{"delete", apitest.Request{Method: http.MethodDelete, Path: acmeSub}, "workspace not found", workspace},
		{"logs", apitest.Request{Method: http.MethodGet, Path: acmeSub + "/logs"}, "workspace not found", workspace},
		{"logs with a forged token", apitest.Request{Method: http.MethodGet, Path: acmeSub + "/logs?pageToken=bm9wZQ"}, "workspace not found", workspace},
		{"get from their own workspace", apitest.Request{Method: http.MethodGet, Path: globexSub}, "webhook subscription not found", subscription},
		{"patch from their own workspace", apitest.Request{Method: http.MethodPatch, Path: globexSub, Body: `{"status": "inactive"}`}, "webhook subscription not found", subscription},
		{"patch filters from their own workspace", apitest.Request{Method: http.MethodPatch, Path: globexSub, Body: `{"eventFilters": [{"key": "navigatorId", "value": "n"}]}`}, "webhook subscription not found", subscription},
		{"delete from their own workspace", apitest.Request{Method: http.MethodDelete, Path: globexSub}, "webhook subscription not found", subscription},
		{"logs from their own workspace", apitest.Request{Method: http.MethodGet, Path: globexSub + "/logs?pageToken=bm9wZQ"}, "webhook subscription not found", subscription},
		{"unknown subscription with a forged token", apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(globex) + "/" + unknownID + "/logs?pageToken=bm9wZQ"}, "webhook subscription not found", map[string]any{"webhookSubscriptionId": unknownID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Header = intruder
			resp := env.Do(t, tt.req)
			body := resp.Map(t)
			if resp.Status != http.StatusNotFound || body["code"] != "NotFound" || body["message"] != tt.message || fmt.Sprint(body["details"]) != fmt.Sprint(tt.details) {
				t.Errorf("got %d %s, want 404 %q with details %v", resp.Status, resp.Body, tt.message, tt.details)
			}
		})
	}
	var got gen.WebhookSubscription
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: acmeSub, Header: apitest.Bird(acme)}).Decode(t, &got)
	if got.Status != "active" || got.Url != sub.Url || !got.UpdatedAt.Equal(*sub.UpdatedAt) {
		t.Errorf("another account changed the subscription: %+v", got)
	}
	// Their own workspace is empty, not missing; so are the logs of a subscription without deliveries.
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.BirdSubscriptionsPath(globex), Header: intruder}); resp.Status != http.StatusOK {
		t.Errorf("empty workspace = %d %s", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: acmeSub + "/logs", Header: apitest.Bird(acme)}); resp.Status != http.StatusOK || resp.Map(t)["results"] == nil {
		t.Errorf("logs without deliveries = %d %s", resp.Status, resp.Body)
	}
}

// Concurrent writers cannot together exceed the cap on subscriptions sharing an event and filters.
func TestBirdCapHoldsUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Bird(acme)
	filters := `[{"key": "channelId", "value": "shared"}]`
	statuses := func(reqs []apitest.Request) map[int]int {
		var mu sync.Mutex
		var wg sync.WaitGroup
		got := map[int]int{}
		for _, req := range reqs {
			wg.Go(func() {
				resp := env.Do(t, req)
				mu.Lock()
				got[resp.Status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		return got
	}
	var creates []apitest.Request
	for i := range 8 {
		creates = append(creates, apitest.Request{Method: http.MethodPost, Path: apitest.BirdSubscriptionsPath(acme), Header: auth,
			Body: fmt.Sprintf(`{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/%d", "eventFilters": %s}`, i, filters)})
	}
	if got := statuses(creates); got[http.StatusCreated] != 5 || got[http.StatusUnprocessableEntity] != 3 {
		t.Fatalf("8 concurrent creates of one combination: %v, want 5 created and 3 refused", got)
	}
	// Others, patched into the now full combination at once, are all refused; into a fresh one, at most 5 succeed.
	var patches, fresh []apitest.Request
	for i := range 6 {
		s := apitest.CreateBirdSubscription(t, env, acme, fmt.Sprintf(`{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/o%d", "eventFilters": [{"key": "channelId", "value": "own%d"}]}`, i, i))
		path := apitest.BirdSubscriptionsPath(acme) + "/" + s.Id.String()
		patches = append(patches, apitest.Request{Method: http.MethodPatch, Path: path, Header: auth, Body: `{"eventFilters": ` + filters + `}`})
		fresh = append(fresh, apitest.Request{Method: http.MethodPatch, Path: path, Header: auth, Body: `{"eventFilters": [{"key": "channelId", "value": "fresh"}]}`})
	}
	if got := statuses(patches); got[http.StatusUnprocessableEntity] != 6 {
		t.Errorf("patches into a full combination: %v, want all refused", got)
	}
	if got := statuses(fresh); got[http.StatusOK] != 5 || got[http.StatusUnprocessableEntity] != 1 {
		t.Errorf("6 concurrent patches into one fresh combination: %v, want 5 applied and 1 refused", got)
	}
}

// A status given clears the reason the delivery engine stopped a subscription for, and
// re-enabling starts its failure streak afresh; other changes keep both.
func TestBirdPatchStatusReason(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.Bird(acme)
	sub := apitest.CreateBirdSubscription(t, env, acme, `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/a"}`)
	path := apitest.BirdSubscriptionsPath(acme) + "/" + sub.Id.String()
	if _, err := env.DB.ExecContext(context.Background(), `UPDATE subscriptions SET status = 'too_many_errors', status_reason = 'failing', consecutive_failures = 7 WHERE external_id = $1`, sub.Id.String()); err != nil {
		t.Fatal(err)
	}
	failures := func() int {
		var n int
		if err := env.DB.QueryRowContext(context.Background(), `SELECT consecutive_failures FROM subscriptions WHERE external_id = $1`, sub.Id.String()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var p gen.WebhookSubscription
	env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: auth, Body: `{"template": "t2", "eventFilters": [{"key": "channelId", "value": "c"}]}`}).Decode(t, &p)
	if p.Status != "inactive" || p.StatusReason == nil || *p.StatusReason != "failing" || *p.Template != "t2" || failures() != 7 {
		t.Fatalf("a change without status: %+v, %d failures", p, failures())
	}
	var enabled gen.WebhookSubscription
	env.Do(t, apitest.Request{Method: http.MethodPatch, Path: path, Header: auth, Body: `{"status": "active"}`}).Decode(t, &enabled)
	if p := enabled; p.Status != "active" || p.StatusReason != nil || failures() != 0 || len(*p.EventFilters) != 1 {
		t.Fatalf("re-enabled: %+v, %d failures", p, failures())
	}
}
