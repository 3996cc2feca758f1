package admin_test

import (
	"crypto/sha256"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhookd/webhookd/gen"
	"github.com/webhookd/webhookd/internal/apitest"
	"github.com/webhookd/webhookd/internal/retention"
)

// A portal session opens the account's own operations to its token, nothing of another
// account and none of the operator's, until it is revoked: then at once nothing.
func TestPortalSessionLifecycle(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	env := apitest.New(t, withRegistry(reg))
	acme := env.CreateAccount(t, "acme")
	other := env.CreateAccount(t, "other")

	s := openPortal(t, env, acme.Id, map[string]any{"ttlSeconds": 7200})
	if !regexp.MustCompile(`^wps_[A-Za-z0-9_-]{43}$`).MatchString(*s.Token) {
		t.Errorf("token %q is not wps_ and 32 bytes in base64url", *s.Token)
	}
	if want := env.URL + "/console#account=" + acme.Id.String() + "&token=" + *s.Token; *s.Url != want {
		t.Errorf("url = %q, want %q", *s.Url, want)
	}
	if d := s.ExpiresAt.Sub(s.CreatedAt); d != 2*time.Hour {
		t.Errorf("expires %s after creation, want 2h", d)
	}
	if n := audited(t, reg, "portal_session_created", "admin"); n != 1 {
		t.Errorf("portal_session_created audited %d times, want 1", n)
	}

	// Only the token's digest is stored.
	var digest []byte
	var row string
	if err := env.DB.QueryRow(`SELECT token_sha256, p::text FROM portal_sessions p WHERE account_id = $1 AND id = $2`, acme.Id, s.Id).Scan(&digest, &row); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(*s.Token)); string(digest) != string(sum[:]) {
		t.Errorf("stored digest %x, want the token's SHA-256", digest)
	}
	secret := strings.TrimPrefix(*s.Token, "wps_")
	if strings.Contains(row, secret) {
		t.Errorf("the stored row holds the token: %s", row)
	}

	// The account's own operations work with the token.
	for _, path := range []string{"", "/deliveries", "/subscriptions", "/delivery-stats"} {
		if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(acme.Id) + path, Header: portal(s)}); resp.Status != http.StatusOK {
			t.Errorf("GET own account%s with the session: %d %s", path, resp.Status, resp.Body)
		}
	}
	// Another account answers as an unknown one does.
	unknown := env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(uuid.New()), Header: apitest.Admin()})
	for _, path := range []string{"", "/deliveries", "/subscriptions", "/delivery-stats"} {
		resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(other.Id) + path, Header: portal(s)})
		if resp.Status != http.StatusNotFound || string(resp.Body) != string(unknown.Body) {
			t.Errorf("GET another account%s with the session: %d %s; want 404 %s", path, resp.Status, resp.Body, unknown.Body)
		}
	}
	// The operator's operations refuse it.
	for _, req := range []apitest.Request{
		{Method: http.MethodGet, Path: "/admin/v1/accounts"},
		{Method: http.MethodPost, Path: "/admin/v1/accounts", Body: `{"name": "mine"}`},
		{Method: http.MethodPatch, Path: accountPath(acme.Id), Body: `{"name": "renamed"}`},
		{Method: http.MethodDelete, Path: accountPath(acme.Id)},
		{Method: http.MethodPost, Path: accountPath(acme.Id) + "/portal-sessions", Body: `{}`},
		{Method: http.MethodGet, Path: accountPath(acme.Id) + "/portal-sessions"},
		{Method: http.MethodDelete, Path: accountPath(acme.Id) + "/portal-sessions/" + s.Id.String()},
	} {
		req.Header = portal(s)
		if resp := env.Do(t, req); resp.Status != http.StatusUnauthorized {
			t.Errorf("%s %s with a portal token: %d %s, want 401", req.Method, req.Path, resp.Status, resp.Body)
		}
	}

	// The list shows the session without its token.
	list := env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(acme.Id) + "/portal-sessions", Header: apitest.Admin()})
	if list.Status != http.StatusOK || strings.Contains(string(list.Body), secret) || strings.Contains(string(list.Body), `"token"`) || strings.Contains(string(list.Body), `"url"`) {
		t.Fatalf("list: %d %s; want the session without token or url", list.Status, list.Body)
	}
	var sessions gen.PortalSessionList
	list.Decode(t, &sessions)
	if len(sessions.Results) != 1 || sessions.Results[0].Id != s.Id || sessions.Results[0].RevokedAt != nil {
		t.Errorf("listed %+v, want the one open session", sessions.Results)
	}

	// Revoked: refused from the next request on.
	revoke := apitest.Request{Method: http.MethodDelete, Path: accountPath(acme.Id) + "/portal-sessions/" + s.Id.String(), Header: apitest.Admin()}
	if resp := env.Do(t, revoke); resp.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(acme.Id), Header: portal(s)}); resp.Status != http.StatusUnauthorized {
		t.Errorf("a revoked session: %d %s, want 401", resp.Status, resp.Body)
	}
	if resp := env.Do(t, revoke); resp.Status != http.StatusNoContent {
		t.Errorf("revoking again: %d %s, want 204", resp.Status, resp.Body)
	}
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(acme.Id) + "/portal-sessions", Header: apitest.Admin()}).Decode(t, &sessions)
	if len(sessions.Results) != 1 || sessions.Results[0].RevokedAt == nil {
		t.Errorf("after revoking, listed %+v; want the session with revokedAt", sessions.Results)
	}
	if n := audited(t, reg, "portal_session_revoked", "admin"); n != 2 {
		t.Errorf("portal_session_revoked audited %d times, want 2", n)
	}
	// Another account's session, or none, is not found.
	for _, path := range []string{accountPath(other.Id) + "/portal-sessions/" + s.Id.String(), accountPath(acme.Id) + "/portal-sessions/" + uuid.NewString()} {
		if resp := env.Do(t, apitest.Request{Method: http.MethodDelete, Path: path, Header: apitest.Admin()}); resp.Status != http.StatusNotFound {
			t.Errorf("DELETE %s: %d %s, want 404", path, resp.Status, resp.Body)
		}
	}
}

// An expired session is refused at once; a day later the upkeep deletes it.
func TestPortalSessionExpires(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	s := openPortal(t, env, acme.Id, map[string]any{"ttlSeconds": 300})
	if d := s.ExpiresAt.Sub(s.CreatedAt); d != 5*time.Minute {
		t.Errorf("expires %s after creation, want 5m", d)
	}
	get := apitest.Request{Method: http.MethodGet, Path: accountPath(acme.Id), Header: portal(s)}
	if resp := env.Do(t, get); resp.Status != http.StatusOK {
		t.Fatalf("a fresh session: %d %s", resp.Status, resp.Body)
	}
	setExpiry := func(id uuid.UUID, ago time.Duration) {
		t.Helper()
		if _, err := env.DB.Exec(`UPDATE portal_sessions SET created_at = now() - $3 * interval '1 second' - interval '1 minute',
			expires_at = now() - $3 * interval '1 second' WHERE account_id = $1 AND id = $2`, acme.Id, id, ago.Seconds()); err != nil {
			t.Fatal(err)
		}
	}
	setExpiry(s.Id, time.Second)
	if resp := env.Do(t, get); resp.Status != http.StatusUnauthorized {
		t.Errorf("an expired session: %d %s, want 401", resp.Status, resp.Body)
	}

	// Deleted once a day past expiry, not before.
	old := openPortal(t, env, acme.Id, nil)
	setExpiry(old.Id, retention.PortalSessionsKept+time.Minute)
	k, err := retention.New(env.DB, retention.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := k.Upkeep(t.Context())
	if err != nil || r.PortalSessions != 1 {
		t.Fatalf("upkeep: %+v, %v; want one session deleted", r, err)
	}
	var left []string
	rows, err := env.DB.Query(`SELECT id FROM portal_sessions WHERE account_id = $1`, acme.Id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		left = append(left, id)
	}
	if len(left) != 1 || left[0] != s.Id.String() {
		t.Errorf("sessions left: %v, want only the recently expired %s", left, s.Id)
	}
}

// Bad input is refused with 400 and opens nothing; an absent body opens an hour's session.
func TestPortalSessionBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	path := accountPath(acme.Id) + "/portal-sessions"
	for _, body := range []string{`{"ttlSeconds": 299}`, `{"ttlSeconds": 604801}`, `{"ttlSeconds": "3600"}`, `{"ttlSeconds": 3600.5}`,
		`{"ttlSeconds": null}`, `{"ttl": 3600}`, `[]`, `{"ttlSeconds":`} {
		resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: path, Header: apitest.Admin(), Body: body})
		if resp.Status != http.StatusBadRequest || resp.Map(t)["code"] != "invalid_request" {
			t.Errorf("POST %s: %d %s, want 400 invalid_request", body, resp.Status, resp.Body)
		}
	}
	for _, p := range []string{"/admin/v1/accounts/not-a-uuid/portal-sessions", path + "/not-a-uuid"} {
		method := http.MethodGet
		if strings.HasSuffix(p, "not-a-uuid") {
			method = http.MethodDelete
		}
		if resp := env.Do(t, apitest.Request{Method: method, Path: p, Header: apitest.Admin()}); resp.Status != http.StatusBadRequest {
			t.Errorf("%s %s: %d %s, want 400", method, p, resp.Status, resp.Body)
		}
	}
	var n int
	if err := env.DB.QueryRow(`SELECT count(*) FROM portal_sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d sessions after bad input (%v), want none", n, err)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: accountPath(uuid.New()) + "/portal-sessions", Header: apitest.Admin()}); resp.Status != http.StatusNotFound {
		t.Errorf("a session of an unknown account: %d %s, want 404", resp.Status, resp.Body)
	}
	s := openPortal(t, env, acme.Id, nil)
	if d := s.ExpiresAt.Sub(s.CreatedAt); d != time.Hour {
		t.Errorf("without a body, the session lasts %s, want 1h", d)
	}
	// Tokens that are not a live session's are refused without a look-up's say.
	for _, token := range []string{"wps_", "wps_" + strings.Repeat("A", 43), strings.TrimPrefix(*s.Token, "wps_"), *s.Token + "x"} {
		resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(acme.Id), Header: apitest.Header("Authorization", "Bearer "+token)})
		if resp.Status != http.StatusUnauthorized {
			t.Errorf("token %q: %d, want 401", token, resp.Status)
		}
	}
}

// An erased account's sessions stop at the mark.
func TestPortalSessionOfAnErasedAccount(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	s := openPortal(t, env, acme.Id, nil)
	if resp := env.Do(t, apitest.Request{Method: http.MethodDelete, Path: accountPath(acme.Id), Header: apitest.Admin()}); resp.Status != http.StatusAccepted {
		t.Fatalf("erase: %d %s", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: accountPath(acme.Id) + "/subscriptions", Header: portal(s)}); resp.Status != http.StatusUnauthorized {
		t.Errorf("a session of an account being erased: %d %s, want 401", resp.Status, resp.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: accountPath(acme.Id) + "/portal-sessions", Header: apitest.Admin()}); resp.Status != http.StatusNotFound {
		t.Errorf("opening a session of an account being erased: %d %s, want 404", resp.Status, resp.Body)
	}
}
