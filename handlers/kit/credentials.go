package kit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
)

// CredentialTTL is how long a verified credential is trusted without asking the database.
// A client calling steadily then costs one credential query per second instead of one per
// request. A change to an account (its features) takes effect at once on the instance that
// made it and within CredentialTTL on the others; session tokens are never trusted past
// their expiry.
const CredentialTTL = time.Second

// maxCachedCredentials bounds the cache's memory. Only verified credentials enter it, so an
// attacker cannot fill it with guesses; past the bound, entries are dropped wholesale.
const maxCachedCredentials = 10_000

// Credentials answers "whose is this secret?" for every security scheme, from the database
// and a short-lived cache of verified answers.
type Credentials struct {
	q   *db.Queries
	now func() time.Time

	mu      sync.Mutex
	entries map[credentialKey]verified
	// generation counts Forget calls: an answer read from the database before one is not
	// remembered after it.
	generation uint64
}

// credentialKey is what a caller presented: the credential kinds it may be (joined), the
// public half of a two-part credential, and the digest of the secret.
type credentialKey struct {
	kinds, public string
	digest        [sha256.Size]byte
}

type verified struct {
	kind    string
	account db.Account
	until   time.Time
}

// NewCredentials returns the credential look-ups over q.
func NewCredentials(q *db.Queries) *Credentials {
	return &Credentials{q: q, now: time.Now, entries: map[credentialKey]verified{}}
}

// BySecret returns the account that holds secret as a credential of kind.
func (c *Credentials) BySecret(ctx context.Context, kind, secret string) (db.Account, error) {
	_, account, err := c.KindBySecret(ctx, []string{kind}, secret)
	return account, err
}

// KindBySecret returns which of kinds secret is, and the account that holds it.
func (c *Credentials) KindBySecret(ctx context.Context, kinds []string, secret string) (string, db.Account, error) {
	key := credentialKey{kinds: strings.Join(kinds, ","), digest: sha256.Sum256([]byte(secret))}
	v, err := c.verify(key, func() (verified, error) {
		row, err := c.q.GetCredentialBySecret(ctx, db.GetCredentialBySecretParams{Kinds: kinds, SecretSha256: key.digest[:]})
		return verified{kind: row.Kind, account: row.Account}, err
	})
	return v.kind, v.account, err
}

// ByPublicID returns the account of a two-part credential of kind: its public id and its
// secret, compared in constant time.
func (c *Credentials) ByPublicID(ctx context.Context, kind, publicID, secret string) (db.Account, error) {
	key := credentialKey{kinds: kind, public: publicID, digest: sha256.Sum256([]byte(secret))}
	v, err := c.verify(key, func() (verified, error) {
		row, err := c.q.GetCredentialByPublicID(ctx, db.GetCredentialByPublicIDParams{Kind: kind, PublicID: publicID})
		if err == nil && !EqualDigest(key.digest[:], row.SecretSha256) {
			err = sql.ErrNoRows // a wrong secret is no credential
		}
		return verified{kind: kind, account: row.Account}, err
	})
	return v.account, err
}

// BySessionToken returns the account of a session token of kind that has not expired.
func (c *Credentials) BySessionToken(ctx context.Context, kind, token string) (db.Account, error) {
	key := credentialKey{kinds: kind, digest: sha256.Sum256([]byte(token))}
	v, err := c.verify(key, func() (verified, error) {
		row, err := c.q.GetAccountBySessionToken(ctx, db.GetAccountBySessionTokenParams{Kind: kind, SecretSha256: key.digest[:]})
		return verified{kind: kind, account: row.Account, until: row.ExpiresAt.Time}, err
	})
	return v.account, err
}

// verify answers for key from the cache, or from lookup, whose answer it remembers when the
// credential checks out. No row from lookup means no such credential: ErrUnauthenticated.
func (c *Credentials) verify(key credentialKey, lookup func() (verified, error)) (verified, error) {
	v, ok, generation := c.cached(key)
	if ok {
		return v, nil
	}
	v, err := lookup()
	if err != nil {
		return verified{}, credentialError(err)
	}
	c.remember(generation, key, v)
	return v, nil
}

// Forget drops what is cached about an account, after a change to it.
func (c *Credentials) Forget(accountID uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation++
	for key, v := range c.entries {
		if v.account.ID == accountID {
			delete(c.entries, key)
		}
	}
}

// cached returns the live entry for key, if any, and the generation to remember a fresh
// answer under.
func (c *Credentials) cached(key credentialKey) (verified, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.entries[key]
	if ok && !c.now().Before(v.until) {
		delete(c.entries, key)
		return verified{}, false, c.generation
	}
	return v, ok, c.generation
}

// remember keeps v for CredentialTTL, or until v.until when that comes first, unless an
// account changed since generation.
func (c *Credentials) remember(generation uint64, key credentialKey, v verified) {
	until := c.now().Add(CredentialTTL)
	if v.until.IsZero() || until.Before(v.until) {
		v.until = until
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if generation != c.generation {
		return
	}
	if len(c.entries) >= maxCachedCredentials {
		clear(c.entries)
	}
	c.entries[key] = v
}

// credentialError turns a credential lookup's sql.ErrNoRows into ErrUnauthenticated.
func credentialError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrUnauthenticated
	}
	return fmt.Errorf("credential lookup: %w", err)
}
