package admin_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

// Every operation of the spec that accepts a portal session, however many are added, gives a
// session of account A nothing of account B: B's id in the path answers exactly what an
// unknown account's does (404), and B's resources under A's path are not found either; B's
// rows stay as they were. Every operation that does not accept a session refuses it (401).
func TestPortalSessionReachesOnlyItsOwnAccount(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.CreateAccount(t, "a")
	b := env.CreateAccount(t, "b")
	session := openPortal(t, env, a.Id, nil)
	ofB := resourcesOf(t, env, b)

	spec := apitest.Spec(t)
	accepting := 0
	for _, path := range slices.Sorted(maps.Keys(spec.Paths.Map())) {
		item := spec.Paths.Value(path)
		for _, method := range slices.Sorted(maps.Keys(item.Operations())) {
			op := item.GetOperation(method)
			params := append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...)
			name := op.OperationID
			if !lists(op, "portalSession") {
				if !lists(op, "adminToken") {
					continue
				}
				req := portalRequest(session, method, fill(path, params, a.Id.String(), ofB), op)
				if resp := env.Do(t, req); resp.Status != http.StatusUnauthorized {
					t.Errorf("%s (admin token only) with a portal session: %d %s, want 401", name, resp.Status, resp.Body)
				}
				continue
			}
			accepting++
			if !strings.Contains(path, "{accountId}") {
				t.Errorf("%s accepts a portal session but its path names no account: nothing keeps a session to its own", name)
				continue
			}
			before := tenantState(t, env.DB, b.Id)

			// B's id in the path: exactly what an unknown account gets.
			onB := env.Do(t, portalRequest(session, method, fill(path, params, b.Id.String(), ofB), op))
			onUnknown := env.Do(t, portalRequest(session, method, fill(path, params, uuid.NewString(), ofB), op))
			if onB.Status != http.StatusNotFound || string(onB.Body) != string(onUnknown.Body) {
				t.Errorf("%s on account B: %d %s; want 404 exactly as for an unknown account: %d %s", name, onB.Status, onB.Body, onUnknown.Status, onUnknown.Body)
			}
			// A's id with B's resources: the session is accepted, and finds none of B's.
			onA := env.Do(t, portalRequest(session, method, fill(path, params, a.Id.String(), ofB), op))
			if onA.Status == http.StatusUnauthorized || onA.Status == http.StatusForbidden {
				t.Errorf("%s on the session's own account: %d %s; the session is not accepted", name, onA.Status, onA.Body)
			}
			if namesResource(params) && onA.Status != http.StatusNotFound {
				t.Errorf("%s on the session's own account with B's ids: %d %s, want 404", name, onA.Status, onA.Body)
			}
			if after := tenantState(t, env.DB, b.Id); !maps.Equal(before, after) {
				t.Errorf("%s with a session of A changed B's rows:\nbefore %v\nafter  %v", name, before, after)
			}
		}
	}
	if accepting < 6 {
		t.Errorf("%d operations accept a portal session; the spec lists at least six", accepting)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(a.Id), Header: portal(session)}); resp.Status != http.StatusOK {
		t.Errorf("after the walk, the session's own account: %d %s", resp.Status, resp.Body)
	}
}

// resourcesOf gives account b a resource of every kind a path may name (a subscription of each
// dialect, events with deliveries and an attempt, a portal session), and returns their ids by
// path parameter name.
func resourcesOf(t *testing.T, env *apitest.Env, b gen.AccountCreated) map[string]string {
	t.Helper()
	env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(b), Header: apitest.Voucherify(b),
		Body: `{"target_url": "https://hooks.example.com/v", "events": ["voucher.created"]}`})
	apitest.CreateBirdSubscription(t, env, b, `{"service": "channels", "event": "sms.outbound", "url": "https://hooks.example.com/b"}`)
	apitest.CreateShipping(t, env, b, `{"name": "n", "url": "https://hooks.example.com/s", "events": ["tracking_parcel.created"]}`)
	apitest.CreateSuperOfficeWebhook(t, env, b, `{"Name": "n", "Events": ["sale.changed"], "TargetUrl": "https://hooks.example.com/so"}`)
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/ingest/v1/events", Header: apitest.Header("Authorization", "Bearer "+b.Ingest.Key),
		Body: `{"id": "b-1", "type": "voucher.created", "data": {"code": "B"}}`}); resp.Status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", resp.Status, resp.Body)
	}
	if _, err := env.DB.Exec(`INSERT INTO delivery_attempts (account_id, delivery_id, slice_at, attempt, request_id, status_code, error, duration_ms)
		SELECT account_id, id, slice_at, 1, 'r-1', 503, 'answered 503', 12 FROM deliveries WHERE account_id = $1`, b.Id); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"sessionId": openPortal(t, env, b.Id, nil).Id.String()}
	for param, query := range map[string]string{
		"subscriptionUuid": `SELECT subscription_id::text FROM deliveries WHERE account_id = $1 ORDER BY dialect LIMIT 1`,
		"deliveryId":       `SELECT id::text FROM deliveries WHERE account_id = $1 ORDER BY dialect LIMIT 1`,
		"eventId":          `SELECT id::text FROM events WHERE account_id = $1 LIMIT 1`,
	} {
		var id string
		if err := env.DB.QueryRow(query, b.Id).Scan(&id); err != nil {
			t.Fatalf("%s: %v", param, err)
		}
		ids[param] = id
	}
	return ids
}

// fill puts account into the path's {accountId} and ids (or a fresh uuid for a parameter
// ids does not know) into its other parameters.
func fill(template string, params openapi3.Parameters, account string, ids map[string]string) string {
	path := strings.ReplaceAll(template, "{accountId}", account)
	for _, p := range params {
		if p.Value.In != openapi3.ParameterInPath || p.Value.Name == "accountId" {
			continue
		}
		id, ok := ids[p.Value.Name]
		if !ok {
			id = uuid.NewString()
		}
		path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", id)
	}
	return path
}

// portalRequest is the operation called with the session, and its documented example body.
func portalRequest(s gen.PortalSession, method, path string, op *openapi3.Operation) apitest.Request {
	req := apitest.Request{Method: method, Path: path, Header: portal(s)}
	if op.RequestBody == nil {
		return req
	}
	req.Body = "{}"
	if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
		for _, name := range slices.Sorted(maps.Keys(mt.Examples)) {
			if b, err := json.Marshal(mt.Examples[name].Value.Value); err == nil {
				req.Body = string(b)
				break
			}
		}
	}
	return req
}

func lists(op *openapi3.Operation, scheme string) bool {
	if op.Security == nil {
		return false
	}
	for _, req := range *op.Security {
		if _, ok := req[scheme]; ok {
			return true
		}
	}
	return false
}

// namesResource tells whether a path names something of the account besides the account.
func namesResource(params openapi3.Parameters) bool {
	for _, p := range params {
		if p.Value.In == openapi3.ParameterInPath && p.Value.Name != "accountId" {
			return true
		}
	}
	return false
}
