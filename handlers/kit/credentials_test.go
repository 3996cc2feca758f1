package kit

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixture is an account with a token credential, a two-part credential and a session token
// that expires in a moment, and a Credentials whose clock the test moves.
type fixture struct {
	conn    *sql.DB
	q       *db.Queries
	c       *Credentials
	account db.Account
	clock   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{conn: pgtest.New(t)}
	f.q = db.New(f.conn)
	f.c = NewCredentials(f.q)
	f.c.now = func() time.Time { return f.clock }
	var err error
	if f.account, err = f.q.CreateAccount(ctx, db.CreateAccountParams{ID: uuid.New(), Name: "acme"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []db.CreateCredentialParams{
		{AccountID: f.account.ID, Kind: "token", SecretSha256: Digest("s3cret")},
		{AccountID: f.account.ID, Kind: "pair", PublicID: "public", SecretSha256: Digest("private")},
	} {
		if err := f.q.CreateCredential(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// The session's expiry counts from the fixture's clock, read once the rest is made (which
	// takes a while on a loaded or distributed server).
	f.clock = time.Now()
	expires := sql.NullTime{Time: f.clock.Add(300 * time.Millisecond), Valid: true}
	if err := f.q.CreateExpiringCredential(ctx, db.CreateExpiringCredentialParams{AccountID: f.account.ID, Kind: "session", SecretSha256: Digest("session"), ExpiresAt: expires}); err != nil {
		t.Fatal(err)
	}
	return f
}

// revokeAll deletes every credential behind the cache's back.
func (f *fixture) revokeAll(t *testing.T) {
	t.Helper()
	if _, err := f.conn.Exec("DELETE FROM credentials"); err != nil {
		t.Fatal(err)
	}
}

func TestVerifiedCredentialsAreTrustedForTheTTLOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	lookups := map[string]func() (db.Account, error){
		"token": func() (db.Account, error) { return f.c.BySecret(ctx, "token", "s3cret") },
		"pair":  func() (db.Account, error) { return f.c.ByPublicID(ctx, "pair", "public", "private") },
	}
	for name, lookup := range lookups {
		if a, err := lookup(); err != nil || a.ID != f.account.ID {
			t.Fatalf("%s: %v, %v", name, a.ID, err)
		}
	}
	f.revokeAll(t)
	f.clock = f.clock.Add(CredentialTTL - time.Millisecond)
	for name, lookup := range lookups {
		if _, err := lookup(); err != nil {
			t.Errorf("%s within the TTL: %v; want the remembered answer", name, err)
		}
	}
	f.clock = f.clock.Add(2 * time.Millisecond)
	for name, lookup := range lookups {
		if _, err := lookup(); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s after the TTL: %v; want ErrUnauthenticated", name, err)
		}
	}
}

func TestWrongSecretsAreNeitherAcceptedNorRemembered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.c.ByPublicID(ctx, "pair", "public", "wrong"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("wrong secret of a pair: %v", err)
	}
	if _, err := f.c.BySecret(ctx, "token", "private"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("another kind's secret: %v", err)
	}
	if _, err := f.c.ByPublicID(ctx, "pair", "public", "private"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.ByPublicID(ctx, "pair", "public", "wrong"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("wrong secret after the right one was remembered: %v", err)
	}
	if n := len(f.c.entries); n != 1 {
		t.Fatalf("%d entries remembered; want only the verified one", n)
	}
}

func TestSessionTokensAreNotTrustedPastTheirExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.c.BySessionToken(ctx, "session", "session"); err != nil {
		t.Fatal(err)
	}
	f.revokeAll(t)
	f.clock = f.clock.Add(400 * time.Millisecond) // past the expiry, within the TTL
	if _, err := f.c.BySessionToken(ctx, "session", "session"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("expired session token: %v; want ErrUnauthenticated", err)
	}
}

func TestForgetTakesEffectAtOnceAndWinsARace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	if a, err := f.c.BySecret(ctx, "token", "s3cret"); err != nil || a.ManagementApi {
		t.Fatalf("%+v, %v", a, err)
	}
	if _, err := f.q.UpdateAccount(ctx, db.UpdateAccountParams{ID: f.account.ID, ManagementApi: sql.NullBool{Bool: true, Valid: true}}); err != nil {
		t.Fatal(err)
	}
	if a, _ := f.c.BySecret(ctx, "token", "s3cret"); a.ManagementApi {
		t.Fatal("the change showed before Forget; the test proves nothing")
	}
	f.c.Forget(f.account.ID)
	if a, err := f.c.BySecret(ctx, "token", "s3cret"); err != nil || !a.ManagementApi {
		t.Fatalf("after Forget: %+v, %v; want the changed account", a, err)
	}

	// An answer read before a Forget is not remembered after it.
	key := credentialKey{kinds: "other", digest: [32]byte{1}}
	_, _, generation := f.c.cached(key)
	f.c.Forget(f.account.ID)
	f.c.remember(generation, key, verified{account: f.account})
	if _, ok, _ := f.c.cached(key); ok {
		t.Fatal("a stale answer was remembered after Forget")
	}
}

func TestTheCacheIsBounded(t *testing.T) {
	t.Parallel()
	c := NewCredentials(nil)
	for i := range maxCachedCredentials + 10 {
		c.remember(0, credentialKey{kinds: "k", digest: [32]byte{byte(i), byte(i >> 8), byte(i >> 16)}}, verified{})
	}
	if n := len(c.entries); n > maxCachedCredentials {
		t.Fatalf("%d entries; want at most %d", n, maxCachedCredentials)
	}
}

// Once an account's erasure has begun, a lookup refuses its credentials: another instance
// trusts its cached answer for the rest of the TTL at most.
func TestAnErasingAccountsCredentialsAreRefusedOnceTheCacheExpires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	lookups := func(c *Credentials) map[string]func() (db.Account, error) {
		return map[string]func() (db.Account, error){
			"token": func() (db.Account, error) { return c.BySecret(ctx, "token", "s3cret") },
			"pair":  func() (db.Account, error) { return c.ByPublicID(ctx, "pair", "public", "private") },
		}
	}
	for name, lookup := range lookups(f.c) {
		if _, err := lookup(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := f.q.MarkAccountErasing(ctx, f.account.ID); err != nil {
		t.Fatal(err)
	}
	for name, lookup := range lookups(NewCredentials(f.q)) {
		if _, err := lookup(); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s, not cached: %v; want ErrUnauthenticated", name, err)
		}
	}
	f.clock = f.clock.Add(CredentialTTL)
	for name, lookup := range lookups(f.c) {
		if _, err := lookup(); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s, cached a TTL ago: %v; want ErrUnauthenticated", name, err)
		}
	}
}
