-- name: GetAccountDelivery :one
-- GetAccountDelivery returns one of an account's deliveries as ListAccountDeliveries lists it,
-- found by its key's account and id in each slice's index.
SELECT sqlc.embed(d), e.type AS event_type, s.external_id AS subscription_external_id, s.status AS subscription_status
FROM deliveries d
CROSS JOIN LATERAL (
    SELECT x.type FROM events x
    WHERE x.account_id = d.account_id AND x.id = d.event_id AND x.slice_at = d.slice_at
    OFFSET 0
) e
JOIN subscriptions s ON s.account_id = d.account_id AND s.id = d.subscription_id
WHERE d.account_id = sqlc.arg(account_id) AND d.id = sqlc.arg(id);

-- name: ResendDelivery :one
-- ResendDelivery makes a delivery of an active subscription due now, whatever its status, with
-- its next attempt a manual one. A pending delivery keeps when its schedule's next attempt was
-- due (resume_at; kept from an earlier resend not yet sent); a settled one has none, so a failed
-- manual attempt settles it again. The account is woken, and so are idle workers. No row: no such delivery of the
-- account, or its subscription is not active.
WITH resent AS (
    UPDATE deliveries d
    SET status = 'pending', manual = true, next_attempt_at = now(), updated_at = now(),
        resume_at = CASE WHEN d.status <> 'pending' THEN NULL WHEN d.manual THEN d.resume_at ELSE d.next_attempt_at END
    FROM subscriptions s
    WHERE d.account_id = sqlc.arg(account_id) AND d.id = sqlc.arg(id)
      AND s.account_id = d.account_id AND s.id = d.subscription_id AND s.status = 'active'
    RETURNING d.id
), wakeup AS (
    INSERT INTO delivery_wakeups (account_id, due_at) SELECT sqlc.arg(account_id), now() FROM resent
), woken AS (
    SELECT pg_notify('webhookd_deliveries', sqlc.arg(account_id)::uuid::text)::text FROM resent
)
SELECT r.id, (SELECT count(*) FROM woken)::int AS woken FROM resent r;

-- name: RecoverSubscriptionDeliveries :one
-- RecoverSubscriptionDeliveries queues again, each with a fresh retry schedule, at most
-- max_rows of the failed or dropped deliveries of an active subscription created in
-- [since, until), oldest first; more tells whether others remain. Attempt numbers continue:
-- the schedule counts from the attempts made so far. A delivery already queued again is no
-- longer failed or dropped, so a second call (or a concurrent one, which re-checks each row
-- once it holds it) queues nothing new. The account is woken when anything was queued.
WITH found AS (
    SELECT d.account_id, d.id, d.slice_at, d.created_at FROM deliveries d
    WHERE d.account_id = sqlc.arg(account_id) AND d.subscription_id = sqlc.arg(subscription_id)
      AND d.created_at >= sqlc.arg(since)::timestamptz
      AND d.created_at < COALESCE(sqlc.narg(until)::timestamptz, 'infinity')
      AND d.status IN ('failed', 'dropped')
      AND EXISTS (SELECT 1 FROM subscriptions s
                  WHERE s.account_id = sqlc.arg(account_id) AND s.id = sqlc.arg(subscription_id) AND s.status = 'active')
    ORDER BY d.created_at, d.id
    LIMIT sqlc.arg(max_rows)::int + 1
), picked AS (
    SELECT account_id, id, slice_at FROM found ORDER BY created_at, id LIMIT sqlc.arg(max_rows)::int
), queued AS (
    UPDATE deliveries d
    SET status = 'pending', next_attempt_at = now(), manual = false, resume_at = NULL,
        schedule_base = d.attempts, schedule_start = now(), updated_at = now()
    FROM picked p
    WHERE d.account_id = p.account_id AND d.id = p.id AND d.slice_at = p.slice_at AND d.status IN ('failed', 'dropped')
    RETURNING d.id
), wakeup AS (
    INSERT INTO delivery_wakeups (account_id, due_at) SELECT sqlc.arg(account_id), now() WHERE EXISTS (SELECT 1 FROM queued)
), woken AS (
    SELECT pg_notify('webhookd_deliveries', sqlc.arg(account_id)::uuid::text)::text WHERE EXISTS (SELECT 1 FROM queued)
)
SELECT (SELECT count(*) FROM queued)::int AS queued,
       (SELECT count(*) FROM found) > sqlc.arg(max_rows)::int AS more,
       (SELECT count(*) FROM woken)::int AS woken;

-- name: QueueTestEvent :one
-- QueueTestEvent records an event for one active subscription of the account and queues its
-- one delivery, in one statement, and wakes the account and idle workers. The event carries the subscription's
-- scope. As in IngestEvents, the account's guard (hold_account) keeps an erasure from missing
-- what this writes, and an account being erased gets nothing. No row: no such active
-- subscription of a live account.
WITH live AS (
    SELECT hold_account(sqlc.arg(account_id)) AS live
), sub AS (
    SELECT s.account_id, s.id, s.dialect, s.scope_id
    FROM subscriptions s, live
    WHERE live.live AND s.account_id = sqlc.arg(account_id) AND s.id = sqlc.arg(subscription_id) AND s.status = 'active'
), ev AS (
    INSERT INTO events (account_id, external_id, type, data, scope_id)
    SELECT sub.account_id, sqlc.arg(external_id), sqlc.arg(type), sqlc.arg(data)::jsonb, sub.scope_id FROM sub
    RETURNING id, slice_at
), queued AS (
    INSERT INTO deliveries (account_id, event_id, subscription_id, dialect, slice_at)
    SELECT sub.account_id, ev.id, sub.id, sub.dialect, ev.slice_at FROM sub, ev
    RETURNING id, event_id
), wakeup AS (
    INSERT INTO delivery_wakeups (account_id, due_at) SELECT sqlc.arg(account_id), now() FROM queued
), woken AS (
    SELECT pg_notify('webhookd_deliveries', sqlc.arg(account_id)::uuid::text)::text FROM queued
)
SELECT q.event_id, q.id AS delivery_id, (SELECT count(*) FROM woken)::int AS woken FROM queued q;

-- name: LookupAccountSubscription :one
-- LookupAccountSubscription returns one of an account's subscriptions by its uuid.
SELECT * FROM subscriptions WHERE account_id = sqlc.arg(account_id) AND id = sqlc.arg(id);

-- name: ListAccountEvents :many
-- ListAccountEvents pages through an account's events, newest first, narrowed by the filters
-- that are given, each with the dialect id of the scope it was sent to. Absent filters fold
-- away when the statement is planned with its values: the account's index leads the scan.
SELECT sqlc.embed(e), sc.dialect AS scope_dialect, sc.external_id AS scope_external_id
FROM events e
LEFT JOIN scopes sc ON sc.account_id = e.account_id AND sc.id = e.scope_id
WHERE e.account_id = sqlc.arg(account_id)
  AND (e.created_at, e.id) < (COALESCE(sqlc.narg(before_created_at)::timestamptz, 'infinity'),
                              COALESCE(sqlc.narg(before_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
  AND e.created_at >= COALESCE(sqlc.narg(since)::timestamptz, '-infinity')
  AND e.created_at < COALESCE(sqlc.narg(until)::timestamptz, 'infinity')
  AND (sqlc.narg(type)::text IS NULL OR e.type = sqlc.narg(type)::text)
ORDER BY e.created_at DESC, e.id DESC
LIMIT sqlc.arg(max_rows);

-- name: GetAccountEvent :one
-- GetAccountEvent returns one of an account's events as ListAccountEvents lists it, found by
-- its key's account and id in each slice's index.
SELECT sqlc.embed(e), sc.dialect AS scope_dialect, sc.external_id AS scope_external_id
FROM events e
LEFT JOIN scopes sc ON sc.account_id = e.account_id AND sc.id = e.scope_id
WHERE e.account_id = sqlc.arg(account_id) AND e.id = sqlc.arg(id);
