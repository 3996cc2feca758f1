-- name: CreateAccount :one
-- CreateAccount inserts a tenant.
INSERT INTO accounts (id, name, management_api)
VALUES ($1, $2, $3)
RETURNING *;

-- name: GetAccount :one
-- GetAccount returns one tenant by id; an account being erased is no longer found.
SELECT * FROM accounts WHERE id = $1 AND erasing_since IS NULL;

-- name: UpdateAccount :one
-- UpdateAccount changes the members that are given and leaves the others as they are.
UPDATE accounts
SET name           = COALESCE(sqlc.narg(name), name),
    management_api = COALESCE(sqlc.narg(management_api), management_api),
    updated_at     = now()
WHERE id = sqlc.arg(id) AND erasing_since IS NULL
RETURNING *;

-- name: CreateCredential :exec
-- CreateCredential stores the digest of a secret issued to an account.
INSERT INTO credentials (account_id, kind, public_id, secret_sha256)
VALUES ($1, $2, $3, $4);

-- name: GetCredentialByPublicID :one
-- GetCredentialByPublicID finds a two-part credential by its public half; the caller compares
-- the secret's digest in constant time. The credentials of an account being erased are none.
SELECT c.secret_sha256, sqlc.embed(a)
FROM credentials c
JOIN accounts a ON a.id = c.account_id
WHERE c.kind = $1 AND c.public_id = $2 AND a.erasing_since IS NULL;

-- name: GetCredentialPublicID :one
-- GetCredentialPublicID returns the public half of an account's credential of one kind.
SELECT public_id FROM credentials WHERE account_id = $1 AND kind = $2 ORDER BY created_at LIMIT 1;

-- name: CreateScope :one
-- CreateScope inserts a dialect's container of subscriptions for an account.
INSERT INTO scopes (account_id, dialect, external_id, parent_id, name)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: GetScope :one
-- GetScope returns the account's scope with this dialect id; another account's scope is not found.
SELECT * FROM scopes WHERE dialect = $1 AND external_id = $2 AND account_id = $3;

-- name: ListScopes :many
-- ListScopes returns an account's scopes of one dialect, oldest first.
SELECT * FROM scopes WHERE account_id = $1 AND dialect = $2 ORDER BY created_at, id;

-- name: CreateExpiringCredential :exec
-- CreateExpiringCredential stores the digest of a session token valid until expires_at.
INSERT INTO credentials (account_id, kind, secret_sha256, expires_at)
VALUES ($1, $2, $3, $4);

-- name: GetAccountBySessionToken :one
-- GetAccountBySessionToken authenticates a session token that has not expired, and tells
-- until when it is valid.
SELECT c.expires_at, sqlc.embed(a)
FROM credentials c
JOIN accounts a ON a.id = c.account_id
WHERE c.kind = $1 AND c.secret_sha256 = $2 AND c.expires_at > now() AND a.erasing_since IS NULL;

-- name: DeleteExpiredCredentials :exec
-- DeleteExpiredCredentials forgets session tokens that can no longer be used.
DELETE FROM credentials WHERE expires_at <= now();

-- name: CreateScopeWithWebhook :one
-- CreateScopeWithWebhook inserts a scope that has a domain (an Arkyn traffic source) and its one
-- subscription, without a target, in one statement. The scope is inserted first: a distributed
-- database runs a statement's parts in order, and the subscription references the scope.
WITH scope AS (
    INSERT INTO scopes (id, account_id, dialect, external_id, name, domain)
    VALUES (sqlc.arg(id), sqlc.arg(account_id), sqlc.arg(dialect), sqlc.arg(external_id), sqlc.arg(name), sqlc.arg(domain))
    RETURNING *
), webhook AS (
    INSERT INTO subscriptions (account_id, scope_id, dialect, external_id, url, status)
    SELECT scope.account_id, scope.id, sqlc.arg(webhook_dialect), sqlc.arg(webhook_external_id), '', sqlc.arg(webhook_status)
    FROM scope
)
SELECT scope.* FROM scope;

-- name: GetScopeAnyAccount :one
-- GetScopeAnyAccount finds a scope whoever owns it, for dialects that answer "not yours"
-- differently from "does not exist" (Arkyn's 403). A scope of an account being erased exists no
-- more.
SELECT s.* FROM scopes s
WHERE s.dialect = $1 AND s.external_id = $2
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = s.account_id AND a.erasing_since IS NOT NULL);

-- name: ListScopesPage :many
-- ListScopesPage returns one page of an account's scopes of a dialect, oldest first, each with
-- the count of all of them (no row, no count: a page past the end needs CountScopes).
SELECT sqlc.embed(scopes), count(*) OVER () AS total FROM scopes WHERE account_id = $1 AND dialect = $2
ORDER BY created_at, id LIMIT $3 OFFSET $4;

-- name: CountScopes :one
-- CountScopes counts an account's scopes of a dialect.
SELECT count(*) FROM scopes WHERE account_id = $1 AND dialect = $2;

-- name: CountAccountSubscriptions :one
-- CountAccountSubscriptions counts an account's subscriptions of a dialect.
SELECT count(*) FROM subscriptions WHERE account_id = $1 AND dialect = $2;

-- name: HitRateLimit :one
-- HitRateLimit counts one request against a key's current window and returns the count.
INSERT INTO rate_limit_windows AS w (key_sha256, window_start, hits)
VALUES ($1, $2, 1)
ON CONFLICT (key_sha256, window_start) DO UPDATE SET hits = w.hits + 1
RETURNING hits;

-- name: DeleteOldRateLimitWindows :exec
-- DeleteOldRateLimitWindows forgets windows that ended before the cutoff.
DELETE FROM rate_limit_windows WHERE window_start < $1;

-- name: GetCredentialBySecret :one
-- GetCredentialBySecret authenticates a single-token credential of any of the given kinds and
-- tells which kind it is.
SELECT c.kind, sqlc.embed(a)
FROM credentials c
JOIN accounts a ON a.id = c.account_id
WHERE c.kind = ANY(sqlc.arg(kinds)::text[]) AND c.secret_sha256 = sqlc.arg(secret_sha256)
  AND a.erasing_since IS NULL;

-- name: NextSuperOfficeAssociateID :one
-- NextSuperOfficeAssociateID allocates the int32 id of an account's SuperOffice user.
SELECT nextval('superoffice_associate_ids')::integer;


-- name: ListAccounts :many
-- ListAccounts pages through every tenant not being erased, newest first.
SELECT * FROM accounts
WHERE erasing_since IS NULL
  AND (sqlc.narg(before_created_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(max_rows);
