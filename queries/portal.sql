-- Portal sessions: short-lived bearer tokens that let one tenant into its own account's admin
-- operations. Every statement names the account, except authentication's look-up (the token
-- is all it has) and the upkeep's delete of long-expired sessions.

-- name: CreatePortalSession :execrows
-- CreatePortalSession opens a session of a live account that expires after ttl_seconds; no
-- row means no such account, or one being erased. (Nothing is returned: Citus cannot plan a
-- parameterised INSERT … SELECT into a reference table with RETURNING; GetPortalSession reads
-- the session back.)
INSERT INTO portal_sessions (account_id, id, token_sha256, expires_at)
SELECT a.id, sqlc.arg(id), sqlc.arg(token_sha256), now() + make_interval(secs => sqlc.arg(ttl_seconds)::float8)
FROM accounts a
WHERE a.id = sqlc.arg(account_id) AND a.erasing_since IS NULL;

-- name: GetPortalSession :one
-- GetPortalSession returns one session of an account.
SELECT * FROM portal_sessions WHERE account_id = sqlc.arg(account_id) AND id = sqlc.arg(id);

-- name: ListPortalSessions :many
-- ListPortalSessions returns the newest max_rows sessions of an account, newest first: those
-- revoked or expired too, until the upkeep deletes them.
SELECT * FROM portal_sessions
WHERE account_id = sqlc.arg(account_id)
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(max_rows);

-- name: RevokePortalSession :one
-- RevokePortalSession ends a session of a live account at once; revoking it again keeps the
-- first time. No row: no such session of a live account. (The time is read in t: Citus
-- allows no time function inside a COALESCE of an UPDATE.)
WITH t AS (SELECT now() AS now)
UPDATE portal_sessions s SET revoked_at = COALESCE(s.revoked_at, t.now)
FROM accounts a, t
WHERE a.id = s.account_id AND a.erasing_since IS NULL
  AND s.account_id = sqlc.arg(account_id) AND s.id = sqlc.arg(id)
RETURNING s.*;

-- name: GetPortalSessionByToken :one
-- GetPortalSessionByToken authenticates a portal token: the session's id and its account, while
-- the session is neither revoked nor expired and the account not being erased.
SELECT s.id AS session_id, sqlc.embed(a)
FROM portal_sessions s
JOIN accounts a ON a.id = s.account_id
WHERE s.token_sha256 = sqlc.arg(token_sha256) AND s.revoked_at IS NULL AND s.expires_at > now()
  AND a.erasing_since IS NULL;

-- name: DeleteExpiredPortalSessions :execrows
-- DeleteExpiredPortalSessions deletes at most max_rows sessions that expired before before,
-- of any account: the history upkeep's, found through portal_sessions_expires.
DELETE FROM portal_sessions
WHERE (account_id, id) IN (
    SELECT x.account_id, x.id FROM portal_sessions x
    WHERE x.expires_at < sqlc.arg(before)
    LIMIT sqlc.arg(max_rows));

-- name: ErasePortalSessions :execrows
-- ErasePortalSessions deletes a batch of an erased account's sessions.
DELETE FROM portal_sessions t
WHERE t.account_id = sqlc.arg(account_id)
  AND t.id IN (SELECT b.id FROM portal_sessions b WHERE b.account_id = sqlc.arg(account_id) LIMIT sqlc.arg(max_rows));

-- The account's subscriptions of every dialect, as the console shows and steers them.

-- name: ListAccountSubscriptions :many
-- ListAccountSubscriptions returns every subscription of an account, of every dialect, in
-- creation order.
SELECT * FROM subscriptions
WHERE account_id = sqlc.arg(account_id)
ORDER BY created_at, id;

-- name: EnableAccountSubscription :one
-- EnableAccountSubscription makes a subscription of a live account active again as every
-- vendor's own re-enable does: its status reason is cleared and its failure streak starts
-- afresh. An active one is left as it is, and so is one without a target (an Arkyn webhook
-- with no channel), which the caller tells by the status returned. No row: no such
-- subscription of a live account.
WITH t AS (SELECT statement_timestamp() AS now)
UPDATE subscriptions s
SET status = CASE WHEN s.url = '' THEN s.status ELSE 'active' END,
    status_reason = CASE WHEN s.url = '' OR s.status = 'active' THEN s.status_reason ELSE '' END,
    consecutive_failures = CASE WHEN s.url = '' OR s.status = 'active' THEN s.consecutive_failures ELSE 0 END,
    updated_at = CASE WHEN s.url = '' OR s.status = 'active' THEN s.updated_at ELSE t.now END
FROM accounts a, t
WHERE a.id = s.account_id AND a.erasing_since IS NULL
  AND s.account_id = sqlc.arg(account_id) AND s.id = sqlc.arg(id)
RETURNING s.*;

-- name: DisableAccountSubscription :one
-- DisableAccountSubscription stops an active subscription of a live account as its vendor's
-- API does, with its dialect's stopped status from stopped_statuses (an object of dialect to
-- status; inactive for a dialect it leaves out): ingestion queues nothing more for it and the
-- engine drops what is pending. One already stopped keeps its status and reason (a SuperOffice
-- webhook stopped for too many errors says so). No row: no such subscription of a live account.
WITH t AS (SELECT statement_timestamp() AS now)
UPDATE subscriptions s
SET status = CASE WHEN s.status = 'active' THEN COALESCE(sqlc.arg(stopped_statuses)::jsonb ->> s.dialect, 'inactive') ELSE s.status END,
    status_reason = CASE WHEN s.status = 'active' THEN '' ELSE s.status_reason END,
    updated_at = CASE WHEN s.status = 'active' THEN t.now ELSE s.updated_at END
FROM accounts a, t
WHERE a.id = s.account_id AND a.erasing_since IS NULL
  AND s.account_id = sqlc.arg(account_id) AND s.id = sqlc.arg(id)
RETURNING s.*;

-- name: AccountDeliveryStats :many
-- AccountDeliveryStats counts an account's delivery attempts in each of the 60 minutes up to
-- now (the current one included), oldest first, with zeros for quiet minutes, and the median
-- and 99th percentile of their durations. An attempt's slice_at is its event's ingestion time
-- (or later, once moved forward), so slices_from, which the caller sets as far back as
-- deliveries are retried, keeps the statement to the recent slices.
WITH minutes AS (
    SELECT generate_series(date_trunc('minute', now()) - interval '59 minutes', date_trunc('minute', now()), interval '1 minute') AS minute
), recent AS (
    SELECT date_trunc('minute', a.created_at) AS minute, a.error = '' AS succeeded, a.duration_ms
    FROM delivery_attempts a
    WHERE a.account_id = sqlc.arg(account_id)
      AND a.slice_at >= sqlc.arg(slices_from)::timestamptz AND a.slice_at <= now()
      AND a.created_at >= date_trunc('minute', now()) - interval '59 minutes'
)
SELECT m.minute::timestamptz AS minute,
       count(*) FILTER (WHERE r.succeeded)::int AS succeeded,
       count(*) FILTER (WHERE NOT r.succeeded)::int AS failed,
       COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY r.duration_ms), 0)::float8 AS p50_ms,
       COALESCE(percentile_cont(0.99) WITHIN GROUP (ORDER BY r.duration_ms), 0)::float8 AS p99_ms
FROM minutes m
LEFT JOIN recent r ON r.minute = m.minute
GROUP BY m.minute
ORDER BY m.minute;
