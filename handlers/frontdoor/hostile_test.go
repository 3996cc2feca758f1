package frontdoor_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
)

// A path that no operation of the spec names never reaches a handler, whatever Echo's router
// would make of it: trailing slashes and dot segments answer 404 in the dialect's body.
func TestUnroutedPathsNeverReachAHandler(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	for _, tt := range []struct {
		path   string
		header http.Header
		want   string
	}{
		{"/v1/webhook-subscriptions/x/", nil, `"code":"not_found"`},
		{"/v1/webhook-subscriptions/x/", apitest.Shipping(acme), `"code":"not_found"`},
		{"/management/v1/projects/x/webhooks/y/", nil, `"key":"not_found"`},
		{apitest.VoucherifyWebhooksPath(acme) + "/wh_x/", apitest.Voucherify(acme), `"key":"not_found"`},
		{"/api/v1/Webhook/1/", nil, `"ErrorType":"NotFound"`},
		{"/webhooks/" + acme.Arkyn.TrafficSourceId.String() + "/", nil, `"name":"NotFound"`},
		{apitest.BirdSubscriptionsPath(acme) + "/", apitest.Bird(acme), `"code":"NotFound"`},
	} {
		resp := env.Raw(t, apitest.Request{Method: http.MethodGet, Path: tt.path, Header: tt.header})
		if resp.Status != http.StatusNotFound || !strings.Contains(string(resp.Body), tt.want) {
			t.Errorf("GET %s = %d %s, want 404 with %s", tt.path, resp.Status, resp.Body, tt.want)
		}
	}

	// Dot segments, which Go's client would clean, sent as they are.
	addr := env.Server.Listener.Addr().String()
	for _, path := range []string{
		"/v1/webhook-subscriptions/x/..",
		"/v1/webhook-subscriptions/x/../y",
		"/management/v1/projects/x/webhooks/y/../",
		"/api/v1/Webhook/../Webhook/1",
		"/v1/webhook-subscriptions/./x",
	} {
		conn := dial(t, addr)
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		resp := readResponse(t, conn)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
		conn.Close()
	}
}

// A body that cannot be read to its announced end ends the connection: the bytes after it are
// never taken for a request (request smuggling), and the failure is a 4xx, not a 500.
func TestBrokenBodiesCloseTheConnection(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	addr := env.Server.Listener.Addr().String()
	smuggled := ingestRequest(acme, `{"id":"smuggled","type":"voucher.created","data":{}}`)

	t.Run("malformed chunk", func(t *testing.T) {
		conn := dial(t, addr)
		defer conn.Close()
		fmt.Fprintf(conn, "POST /ingest/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"+
			"10\r\n{\"type\":\"a\"}    \r\nZ\r\n%s", acme.Ingest.Key, smuggled)
		resp := readResponse(t, conn)
		if resp.StatusCode != http.StatusBadRequest || !resp.Close {
			t.Errorf("broken chunked body = %d (close %v), want 400 and the connection closed", resp.StatusCode, resp.Close)
		}
		expectClosed(t, conn)
	})

	t.Run("over the size limit", func(t *testing.T) {
		conn := dial(t, addr)
		defer conn.Close()
		padding := strings.Repeat("x", 70<<10) // Voucherify takes at most 64 KiB
		go func() {
			// The server stops reading at the limit; the rest may not be taken.
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nX-Management-Id: %s\r\nX-Management-Token: %s\r\n"+
				"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s%s",
				apitest.VoucherifyWebhooksPath(acme), acme.Voucherify.ManagementId, acme.Voucherify.ManagementToken,
				len(padding)+len(smuggled), padding, smuggled)
		}()
		resp := readResponse(t, conn)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close || !strings.Contains(string(body), `"key":"payload_too_large"`) {
			t.Errorf("oversized body = %d (close %v) %s, want 413 in Voucherify's shape and the connection closed", resp.StatusCode, resp.Close, body)
		}
		expectClosed(t, conn)
	})

	t.Run("unauthenticated with a body", func(t *testing.T) {
		conn := dial(t, addr)
		defer conn.Close()
		fmt.Fprintf(conn, "POST /ingest/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
			"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nZ\r\n%s", smuggled)
		resp := readResponse(t, conn)
		if resp.StatusCode != http.StatusUnauthorized || !resp.Close {
			t.Errorf("unauthenticated = %d (close %v), want 401 and the connection closed", resp.StatusCode, resp.Close)
		}
		expectClosed(t, conn)
	})

	var events int
	if err := env.DB.QueryRow(`SELECT count(*) FROM events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 0 {
		t.Errorf("%d smuggled events were stored", events)
	}
}

// Hostile bodies cost little: nothing is parsed before authentication, and JSON nests at most
// 32 levels deep. The server runs in this process, so what it allocates is measured directly.
func TestHostileBodiesCostLittle(t *testing.T) {
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	nested := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	nestedXML := strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 5 {
		for _, tt := range []struct {
			path, contentType string
			header            http.Header
			body              string
			status            int
		}{
			{apitest.VoucherifyWebhooksPath(acme), "application/json", nil, nested, http.StatusUnauthorized},
			{apitest.VoucherifyWebhooksPath(acme), "application/json", apitest.Voucherify(acme), nested, http.StatusBadRequest},
			{"/api/v1/Webhook", "application/xml", nil, nestedXML, http.StatusUnauthorized},
			{"/api/v1/Webhook", "application/json", apitest.SuperOffice(acme), `{"Name":` + nested + `}`, http.StatusBadRequest},
			{"/ingest/v1/events", "application/json", apitest.Header("Authorization", "Bearer "+acme.Ingest.Key), `{"type":"a","data":` + nested + `}`, http.StatusBadRequest},
		} {
			h := tt.header.Clone()
			if h == nil {
				h = http.Header{}
			}
			h.Set("Content-Type", tt.contentType)
			resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: tt.path, Header: h, Body: tt.body})
			if resp.Status != tt.status {
				t.Fatalf("POST %s %s = %d %s, want %d", tt.path, tt.contentType, resp.Status, resp.Body, tt.status)
			}
		}
	}
	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 64<<20 {
		t.Errorf("25 hostile requests allocated %d MiB", allocated>>20)
	}
}

// NUL cannot be stored by PostgreSQL and huge page numbers overflow offsets: both are input
// errors or empty pages, never a 500. A recovered panic never turns into a success.
func TestUnstorableInputIsRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	so := apitest.SuperOffice(acme)
	for _, tt := range []struct {
		method, path string
		header       http.Header
		body         string
		status       int
	}{
		{http.MethodPost, apitest.VoucherifyWebhooksPath(acme), apitest.Voucherify(acme), `{"target_url":"https://a.example.com/\u0000","events":["voucher.created"]}`, 400},
		{http.MethodPost, apitest.VoucherifyWebhooksPath(acme), apitest.Voucherify(acme), `{"target_url":"https://a.example.com/","events":["voucher.created"],"\u0000":1}`, 400},
		{http.MethodPost, apitest.BirdSubscriptionsPath(acme), apitest.Bird(acme), `{"service":"channels","event":"sms.outbound","url":"https://hooks.example.com/a","template":"\u0000"}`, 422},
		{http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(acme), `{"name":"a\u0000","url":"https://a.example.com","events":["tracking_parcel.created"]}`, 422},
		{http.MethodPost, "/api/v1/Webhook", so, `{"Name":"a","Events":["sale.changed"],"TargetUrl":"https://a.example.com","Properties":{"k\u0000":1}}`, 400},
		{http.MethodPost, "/ingest/v1/events", apitest.Header("Authorization", "Bearer "+acme.Ingest.Key), `{"type":"voucher.created","data":{"a":"\u0000"}}`, 400},
		{http.MethodGet, apitest.VoucherifyWebhooksPath(acme) + "/wh_%00", apitest.Voucherify(acme), "", 404},
		{http.MethodGet, apitest.VoucherifyWebhooksPath(acme) + "/wh_%FF", apitest.Voucherify(acme), "", 404},
		{http.MethodGet, "/v1/webhook-subscriptions/wh_%00", apitest.Shipping(acme), "", 404},
		{http.MethodDelete, "/v1/webhook-subscriptions/wh_%00", apitest.Shipping(acme), "", 404},
		{http.MethodGet, "/v1/webhook-subscriptions/" + strings.Repeat("%C3%A9", 40), apitest.Shipping(acme), "", 404},
		{http.MethodDelete, "/api/v1/Webhook/abc", so, "", 400},
		{http.MethodGet, "/api/v1/Webhook/0/LastError", so, "", 400},
		{http.MethodGet, "/api/v1/Webhook?nameFilter=%00", so, "", 400},
		{http.MethodPost, "/api/v1/Webhook/contact.created/1", so, "", 204},
		{http.MethodPost, "/api/v1/Webhook/contact.created/1", withAccept(so, "text/xml"), "", 204},
		{http.MethodPost, "/api/v1/Webhook/contact.created/%00", so, "", 400}, // primaryKey is an int32
		{http.MethodGet, "/api/v1/Webhook?nameFilter=x%00", so, "", 400},
		{http.MethodGet, "/v1/webhook-subscriptions?page=9223372036854775807", apitest.Shipping(acme), "", 200},
		{http.MethodGet, "/traffic-source?page=9223372036854775807", apitest.ArkynLogin(t, env, acme), "", 200},
	} {
		resp := env.Do(t, apitest.Request{Method: tt.method, Path: tt.path, Header: tt.header, Body: bodyOrNil(tt.body)})
		if resp.Status != tt.status {
			t.Errorf("%s %s %s = %d %s, want %d", tt.method, tt.path, tt.body, resp.Status, resp.Body, tt.status)
		}
	}
	expectNoSubscriptions(t, env)
}

// What the spec says is what is accepted: one JSON value and nothing after it, no null where the
// schema does not allow one, and patterns with ECMA-262's meaning of \s.
func TestOnlyWhatTheSpecAllowsIsAccepted(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	trailing := `{"target_url":"https://a.example.com/","events":["voucher.created"]}{"x":`
	for _, tt := range []struct {
		method, path string
		header       http.Header
		body         string
		status       int
	}{
		{http.MethodPost, apitest.VoucherifyWebhooksPath(acme), apitest.Voucherify(acme), trailing, 400},
		{http.MethodPost, apitest.VoucherifyWebhooksPath(acme), apitest.Voucherify(acme), `{"target_url":"https://a.example.com/","events":["voucher.created"]} x`, 400},
		{http.MethodPost, apitest.VoucherifyWebhooksPath(acme), apitest.Voucherify(acme), `{"target_url":"https://a.example.com/","events":["voucher.created"],"active":null}`, 400},
		{http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(acme), `{"name":"a","url":"https://a.example.com","events":["tracking_parcel.created"]}[]`, 400},
		{http.MethodPost, "/v1/webhook-subscriptions", apitest.Shipping(acme), `{"name":"a","url":"https://a.example.com","events":["tracking_parcel.created"],"active":null}`, 422},
		{http.MethodPost, apitest.BirdSubscriptionsPath(acme), apitest.Bird(acme), `{"service":"channels","event":"sms.outbound","url":"https://hooks.example.com/a` + "\u00a0" + `"}`, 422},
		{http.MethodPost, apitest.BirdSubscriptionsPath(acme), apitest.Bird(acme), `{"service":"channels","event":"sms.outbound","url":"https://hooks.example.com/a` + "\u2028" + `"}`, 422},
		{http.MethodPost, apitest.BirdSubscriptionsPath(acme), apitest.Bird(acme), `{"service":"channels","event":"sms.outbound","url":"https://hooks.example.com/a"}{}`, 422},
	} {
		resp := env.Do(t, apitest.Request{Method: tt.method, Path: tt.path, Header: tt.header, Body: tt.body})
		if resp.Status != tt.status {
			t.Errorf("%s %s %s = %d %s, want %d", tt.method, tt.path, tt.body, resp.Status, resp.Body, tt.status)
		}
	}
	expectNoSubscriptions(t, env)
}

// expectNoSubscriptions fails if any subscription but the Arkyn webhook that every account is
// provisioned with exists.
func expectNoSubscriptions(t *testing.T, env *apitest.Env) {
	t.Helper()
	var stored int
	if err := env.DB.QueryRow(`SELECT count(*) FROM subscriptions WHERE dialect <> 'arkyn'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Errorf("%d subscriptions were stored from refused requests", stored)
	}
}

func ingestRequest(a gen.AccountCreated, body string) string {
	return fmt.Sprintf("POST /ingest/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", a.Ingest.Key, len(body), body)
}

// rawConn is a client connection that speaks HTTP/1.1 by hand.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *rawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{Conn: conn, r: bufio.NewReader(conn)}
}

func readResponse(t *testing.T, conn *rawConn) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(conn.r, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	return resp
}

// expectClosed fails unless the server closes the connection without answering anything more.
func expectClosed(t *testing.T, conn *rawConn) {
	t.Helper()
	rest, err := io.ReadAll(conn.r)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Errorf("the connection stayed open: %v", err)
	}
	if strings.Contains(string(rest), "HTTP/1.1") {
		t.Errorf("a second response followed: %q", rest)
	}
}

func withAccept(h http.Header, accept string) http.Header {
	h = h.Clone()
	h.Set("Accept", accept)
	return h
}

func bodyOrNil(body string) any {
	if body == "" {
		return nil
	}
	return body
}
