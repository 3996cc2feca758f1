-- name: MarkAccountErasing :one
-- MarkAccountErasing begins an account's erasure; no row means no such account, or one already
-- being erased. It takes the account's guard first, so it waits for the writes that hold it
-- (hold_account: ingestion, test events), and those that come later see the mark.
WITH guard AS (
    SELECT guard_account_erasure(sqlc.arg(id))::text AS taken
)
UPDATE accounts SET erasing_since = now(), updated_at = now()
WHERE id = sqlc.arg(id) AND erasing_since IS NULL AND EXISTS (SELECT 1 FROM guard)
RETURNING *;

-- name: ListDueErasures :many
-- ListDueErasures returns accounts being erased that no eraser holds, oldest mark first.
SELECT id FROM accounts
WHERE erasing_since IS NOT NULL AND (erasure_lease_until IS NULL OR erasure_lease_until < now())
ORDER BY erasing_since, id
LIMIT sqlc.arg(max_rows);

-- name: ClaimErasure :one
-- ClaimErasure takes an account to erase for lease_seconds, unless another eraser holds it (no
-- row), and tells whether its grace period is over and when the erasure began. The claim names the
-- account, so it locks one row and needs no SKIP LOCKED scan.
-- (The grace period's cutoff is computed in t: Citus allows no time arithmetic in RETURNING.)
WITH t AS (SELECT now() - make_interval(secs => sqlc.arg(grace_seconds)::float8) AS cutoff)
UPDATE accounts
SET erasure_lease_until = now() + make_interval(secs => sqlc.arg(lease_seconds)::float8)
FROM t
WHERE id = sqlc.arg(id) AND erasing_since IS NOT NULL
  AND (erasure_lease_until IS NULL OR erasure_lease_until < now())
RETURNING (erasing_since <= t.cutoff)::bool AS grace_over, erasing_since;

-- name: ReleaseErasure :exec
-- ReleaseErasure hands an account back: NULL to any eraser at once, a time to none before it.
UPDATE accounts SET erasure_lease_until = sqlc.narg(until)::timestamptz
WHERE id = sqlc.arg(id) AND erasing_since IS NOT NULL;

-- The Erase statements each delete one batch of an account's rows and return how many went.
-- They select the batch by account_id and the table's key, not by ctid, so that they work
-- alike on plain and partitioned tables.

-- name: EraseDeliveries :execrows
-- EraseDeliveries deletes a batch of the account's deliveries with their attempts (a delivery
-- has at most its vendor's retry schedule of them).
WITH batch AS (
    SELECT b.id, b.slice_at FROM deliveries b WHERE b.account_id = sqlc.arg(account_id) LIMIT sqlc.arg(max_rows)
), attempts AS (
    DELETE FROM delivery_attempts a
    WHERE a.account_id = sqlc.arg(account_id) AND (a.delivery_id, a.slice_at) IN (SELECT id, slice_at FROM batch)
)
DELETE FROM deliveries t WHERE t.account_id = sqlc.arg(account_id) AND (t.id, t.slice_at) IN (SELECT id, slice_at FROM batch);

-- name: EraseEvents :execrows
DELETE FROM events t
WHERE t.account_id = sqlc.arg(account_id)
  AND t.id IN (SELECT b.id FROM events b WHERE b.account_id = sqlc.arg(account_id) LIMIT sqlc.arg(max_rows));

-- name: EraseSubscriptions :execrows
DELETE FROM subscriptions t
WHERE t.account_id = sqlc.arg(account_id)
  AND t.id IN (SELECT b.id FROM subscriptions b WHERE b.account_id = sqlc.arg(account_id) LIMIT sqlc.arg(max_rows));

-- name: EraseScopes :execrows
DELETE FROM scopes t
WHERE t.account_id = sqlc.arg(account_id)
  AND t.id IN (SELECT b.id FROM scopes b WHERE b.account_id = sqlc.arg(account_id) LIMIT sqlc.arg(max_rows));

-- name: EraseRateLimitWindows :execrows
-- EraseRateLimitWindows deletes a batch of the request counters of the account's keys, which
-- are known only by their digests: it runs before the credentials go.
DELETE FROM rate_limit_windows
WHERE (key_sha256, window_start) IN (
    SELECT w.key_sha256, w.window_start FROM rate_limit_windows w
    JOIN credentials c ON c.secret_sha256 = w.key_sha256
    WHERE c.account_id = sqlc.arg(account_id)
    LIMIT sqlc.arg(max_rows));

-- name: EraseCredentials :execrows
DELETE FROM credentials t
WHERE t.account_id = sqlc.arg(account_id)
  AND t.id IN (SELECT b.id FROM credentials b WHERE b.account_id = sqlc.arg(account_id) LIMIT sqlc.arg(max_rows));

-- name: DeleteErasedAccount :execrows
-- DeleteErasedAccount removes the account row itself, once its other rows are gone.
DELETE FROM accounts WHERE id = $1 AND erasing_since IS NOT NULL;
