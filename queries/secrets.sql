-- name: GetSubscriptionForRotation :one
-- GetSubscriptionForRotation returns a subscription of a live account by its uuid, with the
-- scope that holds a Voucherify project's secret. No row: no such subscription of the account,
-- or the account is being erased.
SELECT sqlc.embed(s), sqlc.embed(sc) FROM subscriptions s
JOIN scopes sc ON sc.account_id = s.account_id AND sc.id = s.scope_id
JOIN accounts a ON a.id = s.account_id AND a.erasing_since IS NULL
WHERE s.account_id = sqlc.arg(account_id) AND s.id = sqlc.arg(id);

-- name: RotateSubscriptionSecret :one
-- RotateSubscriptionSecret makes secret the subscription's and keeps the one it replaces
-- signing for overlap_seconds (not at all when 0, or when there was none), in one statement.
-- While an earlier rotation's window is open it changes nothing (no row) unless force is set,
-- which ends that window: the secret it kept stops signing at once. The times are computed
-- once in t: Citus allows no time function (nor time arithmetic) inside a CASE of an UPDATE.
WITH t AS (SELECT statement_timestamp() AS now, statement_timestamp() + make_interval(secs => sqlc.arg(overlap_seconds)::int) AS until)
UPDATE subscriptions s
SET previous_secret = CASE WHEN sqlc.arg(overlap_seconds)::int > 0 AND s.secret <> '' THEN s.secret ELSE '' END,
    previous_secret_until = CASE WHEN sqlc.arg(overlap_seconds)::int > 0 AND s.secret <> ''
        THEN t.until END,
    secret = sqlc.arg(secret), updated_at = t.now
FROM t
WHERE s.account_id = sqlc.arg(account_id) AND s.id = sqlc.arg(id)
  AND (sqlc.arg(force)::bool OR s.previous_secret_until IS NULL OR s.previous_secret_until <= t.now)
RETURNING s.previous_secret_until;

-- name: RotateScopeSecret :one
-- RotateScopeSecret is RotateSubscriptionSecret for a secret that a scope holds for all its
-- subscriptions (a Voucherify project's).
WITH t AS (SELECT statement_timestamp() AS now, statement_timestamp() + make_interval(secs => sqlc.arg(overlap_seconds)::int) AS until)
UPDATE scopes sc
SET previous_secret = CASE WHEN sqlc.arg(overlap_seconds)::int > 0 AND sc.secret <> '' THEN sc.secret ELSE '' END,
    previous_secret_until = CASE WHEN sqlc.arg(overlap_seconds)::int > 0 AND sc.secret <> ''
        THEN t.until END,
    secret = sqlc.arg(secret), updated_at = t.now
FROM t
WHERE sc.account_id = sqlc.arg(account_id) AND sc.id = sqlc.arg(id)
  AND (sqlc.arg(force)::bool OR sc.previous_secret_until IS NULL OR sc.previous_secret_until <= t.now)
RETURNING sc.previous_secret_until;

-- name: ForgetRetiredSubscriptionSecrets :execrows
-- ForgetRetiredSubscriptionSecrets erases the secrets whose overlap window closed before
-- $1: they sign nothing any more and need not be kept.
UPDATE subscriptions SET previous_secret = '', previous_secret_until = NULL
WHERE previous_secret_until < sqlc.arg(before)::timestamptz;

-- name: ForgetRetiredScopeSecrets :execrows
-- ForgetRetiredScopeSecrets is ForgetRetiredSubscriptionSecrets for projects' secrets.
UPDATE scopes SET previous_secret = '', previous_secret_until = NULL
WHERE previous_secret_until < sqlc.arg(before)::timestamptz;
