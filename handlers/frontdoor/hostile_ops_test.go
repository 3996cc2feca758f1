package frontdoor_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/apitest"
)

// hostileRounds is how many requests each operation gets; raise it for a longer search
// or another seed (go test -run TestHostileInputOnEveryOperation ./handlers -hostile.rounds 500
// -hostile.seed 2).
var (
	hostileRounds = flag.Int("hostile.rounds", 40, "hostile requests per operation")
	hostileSeed   = flag.Uint64("hostile.seed", 9, "seed of the hostile request generator")
)

// refuseEveryTarget stands in for the network: nothing a generated request names is called.
type refuseEveryTarget struct{}

func (refuseEveryTarget) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in tests")
}

// Every operation of the spec, driven with its documented example turned hostile: members
// nulled, retyped, NUL-laden, lengthened or nested deep, bodies with trailing data, path ids
// and query values that are not text. Every answer must be documented for the operation (the
// harness checks status and body against openapi.yaml) and none may be a 5xx. The generator is
// seeded, so a failure repeats.
func TestHostileInputOnEveryOperation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *handlers.Config) { c.TargetTransport = refuseEveryTarget{} })
	acme := env.CreateAccount(t, "acme")
	other := env.CreateAccount(t, "other")
	credentials := map[string]http.Header{
		"admin":       apitest.Admin(),
		"ingest":      apitest.Header("Authorization", "Bearer "+acme.Ingest.Key),
		"voucherify":  apitest.Voucherify(acme),
		"bird":        apitest.Bird(acme),
		"superoffice": apitest.SuperOffice(acme),
		"shipping":    apitest.Shipping(acme),
		"arkyn":       apitest.ArkynLogin(t, env, acme),
		"system":      {},
	}
	ids := knownIDs(t, env, acme, other)
	spec := apitest.Spec(t)
	rng := rand.New(rand.NewPCG(*hostileSeed, 13))
	requests := 0
	var paths []string
	for path := range spec.Paths.Map() {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		item := spec.Paths.Value(path)
		for method, op := range item.Operations() {
			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			for range *hostileRounds {
				req := apitest.Request{Method: method, Header: credentials[op.Tags[0]].Clone()}
				if req.Header == nil {
					req.Header = http.Header{} // operations open to anyone
				}
				req.Path = hostilePath(rng, path, params, ids) + hostileQuery(rng, params)
				if op.RequestBody != nil {
					contentType, body := hostileBody(rng, op.RequestBody.Value.Content)
					req.Header.Set("Content-Type", contentType)
					req.Body = body
				}
				resp := env.Do(t, req)
				requests++
				if resp.Status >= 500 {
					t.Errorf("%s %s %v = %d %s", method, req.Path, req.Body, resp.Status, resp.Body)
				}
			}
		}
	}
	t.Logf("%d hostile requests, all answered as documented", requests)
}

// knownIDs are real ids of the caller's and another account's resources, so that generated
// requests reach handlers, not only 404s.
func knownIDs(t *testing.T, env *apitest.Env, acme, other gen.AccountCreated) map[string][]string {
	hook := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.VoucherifyWebhooksPath(acme), Header: apitest.Voucherify(acme),
		Body: `{"target_url":"https://hooks.example.com/v","events":["voucher.created"]}`}).Map(t)
	sub := apitest.CreateBirdSubscription(t, env, acme, `{"service":"channels","event":"sms.outbound","url":"https://hooks.example.com/b"}`)
	ship := apitest.CreateShipping(t, env, acme, `{"name":"n","url":"https://hooks.example.com/s","events":["tracking_parcel.created"]}`)
	soID := apitest.CreateSuperOfficeWebhook(t, env, acme, `{"Name":"n","Events":["sale.changed"],"TargetUrl":"https://hooks.example.com/so"}`)
	// The admin operations name other's subscriptions by their internal ids: a signed one and
	// its Arkyn webhook, which is not.
	apitest.CreateShipping(t, env, other, `{"name":"n","url":"https://hooks.example.com/s","events":["tracking_parcel.created"]}`)
	var subscriptionUUIDs []string
	rows, err := env.DB.Query(`SELECT id::text FROM subscriptions WHERE account_id = $1 AND dialect IN ('shipping', 'arkyn')`, other.Id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		subscriptionUUIDs = append(subscriptionUUIDs, id)
	}
	return map[string][]string{
		// Not acme's: erased, it would answer every later operation with 401 and reach no handler.
		"accountId":             {other.Id.String()},
		"projectId":             {acme.Voucherify.ProjectId, other.Voucherify.ProjectId},
		"webhookId":             {fmt.Sprint(hook["id"])},
		"workspaceId":           {acme.Bird.WorkspaceId.String(), other.Bird.WorkspaceId.String()},
		"webhookSubscriptionId": {sub.Id.String()},
		"id":                    {ship.Id, strconv.Itoa(int(soID))},
		"trafficSourceId":       {acme.Arkyn.TrafficSourceId.String(), other.Arkyn.TrafficSourceId.String()},
		"eventName":             {"contact.created", "sale.changed"},
		"primaryKey":            {"1", "42"},
		"subscriptionUuid":      subscriptionUUIDs,
	}
}

var hostileSegments = []string{"%00", "x%00y", "%FF", "%C0%AF", strings.Repeat("a", 300), "..", "%2F", "%2e%2e", "-1",
	"0", "2147483648", "9223372036854775808", "wh_" + strings.Repeat("Z", 24), "00000000-0000-0000-0000-000000000000", "%20", "%E2%80%A8"}

func hostilePath(rng *rand.Rand, template string, params openapi3.Parameters, ids map[string][]string) string {
	path := template
	for _, p := range params {
		if p.Value.In != openapi3.ParameterInPath {
			continue
		}
		value := pick(rng, hostileSegments)
		if known := ids[p.Value.Name]; len(known) > 0 && rng.IntN(2) == 0 {
			value = pick(rng, known)
		}
		path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", value)
	}
	return path
}

var hostileQueryValues = []string{"%00", "%FF", "9223372036854775807", "-9223372036854775808", "-1", "0", "1", "x", "",
	"1e400", strings.Repeat("9", 400), "true", "Active", "a%00b", "%E2%80%A8"}

func hostileQuery(rng *rand.Rand, params openapi3.Parameters) string {
	var parts []string
	for _, p := range params {
		if p.Value.In == openapi3.ParameterInQuery && rng.IntN(2) == 0 {
			parts = append(parts, url.QueryEscape(p.Value.Name)+"="+pick(rng, hostileQueryValues))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "?" + strings.Join(parts, "&")
}

// hostileBody takes the JSON example of an operation and breaks it in one of many ways.
func hostileBody(rng *rand.Rand, content openapi3.Content) (string, string) {
	var example any
	if mt := content.Get("application/json"); mt != nil {
		for _, ex := range mt.Examples {
			example = ex.Value.Value
			break
		}
		if mt.Example != nil {
			example = mt.Example
		}
	}
	raw, _ := json.Marshal(example)
	var v any
	_ = json.Unmarshal(raw, &v) // a private copy to mutate
	switch rng.IntN(8) {
	case 0:
		return "application/json", string(raw) + pick(rng, []string{`{"x":`, ` x`, `[]`, `{}`, "\x00"})
	case 1:
		return "application/json", strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	case 2:
		return pick(rng, []string{"application/xml", "application/x-www-form-urlencoded", "text/plain", "text/json"}), string(raw)
	default:
		for range 1 + rng.IntN(3) {
			v = mutate(rng, v)
		}
		b, _ := json.Marshal(v)
		return "application/json", string(b)
	}
}

var hostileValues = []any{nil, "\x00", "a\x00b", "", strings.Repeat("x", 5000), -1, 0, 1e300, 9223372036854775807,
	true, []any{}, map[string]any{}, "\u2028", "https://127.0.0.1/x", "http://[::1]/", "https://hooks.example.com/a\u00a0",
	[]any{"\x00"}, map[string]any{"\x00": 1}, map[string]any{"a": map[string]any{"b c": map[string]any{"<d>": "&"}}}}

// mutate replaces one member (or element) somewhere in v, or adds a hostile member.
func mutate(rng *rand.Rand, v any) any {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) == 0 || rng.IntN(5) == 0 {
			t[pick(rng, []string{"\x00", "extra", "__proto__", strings.Repeat("k", 300)})] = pick(rng, hostileValues)
			return t
		}
		k := pick(rng, keys)
		t[k] = mutate(rng, t[k])
		return t
	case []any:
		if len(t) == 0 || rng.IntN(4) == 0 {
			return append(t, pick(rng, hostileValues))
		}
		i := rng.IntN(len(t))
		t[i] = mutate(rng, t[i])
		return t
	}
	return pick(rng, hostileValues)
}

func pick[T any](rng *rand.Rand, from []T) T { return from[rng.IntN(len(from))] }
