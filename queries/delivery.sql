-- name: SetScopeSecret :exec
-- SetScopeSecret stores the secret a scope signs its deliveries with (a Voucherify project's).
UPDATE scopes SET secret = sqlc.arg(secret) WHERE account_id = sqlc.arg(account_id) AND id = sqlc.arg(id);

-- name: ListActiveSubscriptions :many
-- ListActiveSubscriptions returns the subscriptions an event of an account may match, narrowed
-- to one scope when scope_id is given.
SELECT * FROM subscriptions
WHERE account_id = sqlc.arg(account_id) AND status = 'active'
  AND (sqlc.narg(scope_id)::uuid IS NULL OR scope_id = sqlc.narg(scope_id)::uuid)
ORDER BY created_at, id;

-- name: DropDelivery :exec
-- DropDelivery ends a delivery whose subscription can no longer receive it.
UPDATE deliveries SET status = 'dropped', lease_until = NULL, leased_by = '', last_error = sqlc.arg(last_error), updated_at = now()
WHERE account_id = sqlc.arg(account_id) AND id = sqlc.arg(id) AND slice_at = sqlc.arg(slice_at);

-- name: DisableSubscription :exec
-- DisableSubscription stops a failing subscription, as its vendor does.
UPDATE subscriptions SET status = sqlc.arg(status), status_reason = sqlc.arg(status_reason), updated_at = statement_timestamp()
WHERE account_id = sqlc.arg(account_id) AND id = sqlc.arg(id) AND status = 'active';

-- name: ListAccountDeliveries :many
-- ListAccountDeliveries pages through an account's deliveries, newest first, narrowed by the
-- filters that are given (but the event type's: ListAccountDeliveriesOfType). Each delivery's event is looked up by its key in its own slice (a
-- lateral look-up: as a join, the planner, which counts a probe of every slice per row, may
-- read all the account's events instead). Absent filters fold away when the statement is
-- planned with its values, so the account's, a subscription's, the failed deliveries' or the
-- due index leads the scan.
SELECT sqlc.embed(d), e.type AS event_type, s.external_id AS subscription_external_id, s.status AS subscription_status
FROM deliveries d
CROSS JOIN LATERAL (
    SELECT x.type FROM events x
    WHERE x.account_id = d.account_id AND x.id = d.event_id AND x.slice_at = d.slice_at
    OFFSET 0
) e
JOIN subscriptions s ON s.account_id = d.account_id AND s.id = d.subscription_id
WHERE d.account_id = sqlc.arg(account_id)
  -- Without a cursor, from the top: a bound the index can start from, where "cursor IS NULL OR"
  -- would leave each slice's scan to skip every row newer than the cursor.
  AND (d.created_at, d.id) < (COALESCE(sqlc.narg(before_created_at)::timestamptz, 'infinity'),
                              COALESCE(sqlc.narg(before_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
  AND d.created_at >= COALESCE(sqlc.narg(since)::timestamptz, '-infinity')
  AND d.created_at < COALESCE(sqlc.narg(until)::timestamptz, 'infinity')
  AND (sqlc.narg(status)::text IS NULL OR d.status = sqlc.narg(status)::text)
  AND (sqlc.narg(dialect)::text IS NULL OR d.dialect = sqlc.narg(dialect)::text)
  AND (sqlc.narg(subscription_id)::uuid IS NULL OR d.subscription_id = sqlc.narg(subscription_id)::uuid)
ORDER BY d.created_at DESC, d.id DESC
LIMIT sqlc.arg(max_rows);

-- name: ListAccountDeliveriesOfType :many
-- ListAccountDeliveriesOfType is ListAccountDeliveries of the events of one type. The type is a
-- semi-join of its own (under the other filters' "IS NULL OR" it could not be one), so that
-- the planner finds a rare type's deliveries from its events (events_type), and a common
-- one's by a probe of each delivery's event as it scans.
SELECT sqlc.embed(d), e.type AS event_type, s.external_id AS subscription_external_id, s.status AS subscription_status
FROM deliveries d
CROSS JOIN LATERAL (
    SELECT x.type FROM events x
    WHERE x.account_id = d.account_id AND x.id = d.event_id AND x.slice_at = d.slice_at
    OFFSET 0
) e
JOIN subscriptions s ON s.account_id = d.account_id AND s.id = d.subscription_id
WHERE d.account_id = sqlc.arg(account_id)
  AND EXISTS (SELECT 1 FROM events t
              WHERE t.account_id = d.account_id AND t.id = d.event_id AND t.slice_at = d.slice_at AND t.type = sqlc.arg(event_type))
  AND (d.created_at, d.id) < (COALESCE(sqlc.narg(before_created_at)::timestamptz, 'infinity'),
                              COALESCE(sqlc.narg(before_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
  AND d.created_at >= COALESCE(sqlc.narg(since)::timestamptz, '-infinity')
  AND d.created_at < COALESCE(sqlc.narg(until)::timestamptz, 'infinity')
  AND (sqlc.narg(status)::text IS NULL OR d.status = sqlc.narg(status)::text)
  AND (sqlc.narg(dialect)::text IS NULL OR d.dialect = sqlc.narg(dialect)::text)
  AND (sqlc.narg(subscription_id)::uuid IS NULL OR d.subscription_id = sqlc.narg(subscription_id)::uuid)
ORDER BY d.created_at DESC, d.id DESC
LIMIT sqlc.arg(max_rows);

-- name: ListDeliveryAttempts :many
-- ListDeliveryAttempts returns the attempts of some of an account's deliveries, in order: one
-- look-up of the ids in each slice's index.
SELECT * FROM delivery_attempts
WHERE account_id = sqlc.arg(account_id) AND delivery_id = ANY(sqlc.arg(delivery_ids)::uuid[])
ORDER BY delivery_id, attempt;

-- name: DeliveryQueueStats :one
-- DeliveryQueueStats counts the deliveries due now and not leased, and how long the oldest has
-- been due (0 when none is), for /metrics.
SELECT count(*)::bigint AS due,
       COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at)), 0)::float8 AS oldest_due_seconds
FROM deliveries
WHERE status = 'pending' AND next_attempt_at <= now()
  AND (lease_until IS NULL OR lease_until < now());

-- name: IngestEvents :many
-- IngestEvents records a batch of events and queues their deliveries in one statement: each
-- event with the subscriptions paired with its external id that are still active. Events the
-- account sent before and still keeps are left out of the result (duplicates): new_event_keys
-- serialises ingestions of the same key and looks for it in every slice. When anything was
-- queued, the account gets a wake-up and workers a notification on webhookd_deliveries. Nothing is recorded for an
-- account being erased: new_event_keys holds the account's guard (hold_account), so the
-- erasure mark waits for this statement, or this statement sees the mark and keeps no key; the
-- eraser never misses a row written here.
WITH fresh AS (
    SELECT new_event_keys(sqlc.arg(account_id)::uuid, sqlc.arg(external_ids)::text[]) AS external_id
), ev AS (
    INSERT INTO events (account_id, external_id, type, data, attributes, scope_id)
    SELECT sqlc.arg(account_id)::uuid, i.external_id, i.type, i.data::jsonb, i.attributes::jsonb, NULLIF(i.scope_id, '')::uuid
    FROM (SELECT unnest(sqlc.arg(external_ids)::text[]) AS external_id, unnest(sqlc.arg(types)::text[]) AS type,
                 unnest(sqlc.arg(datas)::text[]) AS data, unnest(sqlc.arg(attributes)::text[]) AS attributes,
                 unnest(sqlc.arg(scope_ids)::text[]) AS scope_id) AS i
    WHERE i.external_id IN (SELECT external_id FROM fresh)
    RETURNING id, external_id, slice_at
), queued AS (
    INSERT INTO deliveries (account_id, event_id, subscription_id, dialect, slice_at)
    SELECT sqlc.arg(account_id)::uuid, ev.id, s.id, s.dialect, ev.slice_at
    FROM ev
    JOIN (SELECT unnest(sqlc.arg(pair_external_ids)::text[]) AS external_id,
                 unnest(sqlc.arg(pair_subscription_ids)::uuid[]) AS subscription_id) AS p
      ON p.external_id = ev.external_id
    JOIN subscriptions s ON s.account_id = sqlc.arg(account_id)::uuid AND s.id = p.subscription_id AND s.status = 'active'
    RETURNING event_id
), wakeup AS (
    INSERT INTO delivery_wakeups (account_id, due_at)
    SELECT sqlc.arg(account_id)::uuid, now() WHERE EXISTS (SELECT 1 FROM queued)
), woken AS (
    -- As text: Citus keeps a part's result between steps, and a void column cannot be kept.
    SELECT pg_notify('webhookd_deliveries', sqlc.arg(account_id)::uuid::text)::text WHERE EXISTS (SELECT 1 FROM queued)
)
SELECT ev.id, ev.external_id,
       COALESCE(q.deliveries, 0)::int AS deliveries,
       (SELECT count(*) FROM woken)::int AS woken
FROM ev
LEFT JOIN (SELECT event_id, count(*) AS deliveries FROM queued GROUP BY event_id) q ON q.event_id = ev.id;

-- name: AccountIsLive :one
-- AccountIsLive tells whether an account exists and is not being erased.
SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND erasing_since IS NULL);

-- name: ListEventsByExternalID :many
-- ListEventsByExternalID finds an account's earlier events with their delivery counts.
SELECT e.id, e.external_id,
       (SELECT count(*) FROM deliveries d WHERE d.account_id = e.account_id AND d.event_id = e.id AND d.slice_at = e.slice_at)::int AS deliveries
FROM events e
WHERE e.account_id = sqlc.arg(account_id) AND e.external_id = ANY(sqlc.arg(external_ids)::text[]);

-- name: ClaimDeliveryBatch :many
-- ClaimDeliveryBatch leases due deliveries of one account to one worker together with what
-- sending them needs (and what their retry rules count: the current schedule's start and the
-- attempts before it), skipping subscriptions the worker has no room for. SKIP LOCKED lets
-- instances claim side by side; an expired lease (a worker that died) makes a row claimable
-- again, and a planned wake-up at the lease's end (rounded up to cover_grid seconds) makes
-- sure the account is looked at then. Every table is read by the account named as a constant,
-- so that Citus routes the whole statement to the account's node (where FOR UPDATE is allowed);
-- rows are found by their whole key, so each look-up reaches one partition.
-- Due rows are taken as the due index yields them (by due time within a slice, older slices
-- first), with no sort: a sort reads the account's whole backlog at every claim, and the
-- planner cannot know how large that is (db/plans_test.go).
WITH claimed AS (
    UPDATE deliveries d
    SET lease_until = now() + make_interval(secs => sqlc.arg(lease_seconds)::float8), leased_by = sqlc.arg(worker), updated_at = now()
    WHERE d.account_id = sqlc.arg(account_id) AND (d.id, d.slice_at) IN (
        SELECT id, slice_at FROM deliveries
        WHERE account_id = sqlc.arg(account_id) AND status = 'pending' AND next_attempt_at <= now()
          AND (lease_until IS NULL OR lease_until < now())
          AND subscription_id <> ALL(sqlc.arg(full_subscriptions)::uuid[])
        LIMIT sqlc.arg(max_rows)
        FOR UPDATE SKIP LOCKED
    )
    RETURNING d.id, d.account_id, d.slice_at, d.event_id, d.subscription_id, d.attempts,
              COALESCE(d.schedule_start, d.created_at) AS schedule_start, d.schedule_base, d.manual, d.resume_at
), covered AS (
    INSERT INTO delivery_wakeups (account_id, due_at, planned)
    SELECT sqlc.arg(account_id), to_timestamp(ceil(extract(epoch FROM now() + make_interval(secs => sqlc.arg(lease_seconds)::float8))
                                                 / sqlc.arg(cover_grid)::float8) * sqlc.arg(cover_grid)::float8), true
    WHERE EXISTS (SELECT 1 FROM claimed)
    ON CONFLICT (account_id, due_at) WHERE planned DO NOTHING
)
SELECT c.id AS delivery_id, c.account_id, c.slice_at, c.attempts, c.schedule_start, c.schedule_base, c.manual, c.resume_at,
       sqlc.embed(e), sqlc.embed(s), sqlc.embed(sc)
FROM claimed c
JOIN events e ON e.account_id = sqlc.arg(account_id) AND e.id = c.event_id AND e.slice_at = c.slice_at
JOIN subscriptions s ON s.account_id = sqlc.arg(account_id) AND s.id = c.subscription_id
JOIN scopes sc ON sc.account_id = sqlc.arg(account_id) AND sc.id = s.scope_id;

-- name: ReleaseDeliveries :exec
-- ReleaseDeliveries hands claimed deliveries of one account back untouched, due as they were:
-- the account is woken so that they are claimed again.
WITH released AS (
    UPDATE deliveries d SET lease_until = NULL, leased_by = '', updated_at = now()
    FROM (SELECT unnest(sqlc.arg(ids)::uuid[]) AS id, unnest(sqlc.arg(slice_ats)::timestamptz[]) AS slice_at) AS k
    WHERE d.account_id = sqlc.arg(account_id) AND d.id = k.id AND d.slice_at = k.slice_at AND d.leased_by = sqlc.arg(worker)
      -- Known only as the statement runs, as in FinishDeliveries: the ids make the planner count
      -- on probes of the primary key, the oldest slice prunes the slices before it.
      AND d.id = ANY(ARRAY(SELECT unnest(sqlc.arg(ids)::uuid[])))
      AND d.slice_at >= (SELECT min(s) FROM unnest(sqlc.arg(slice_ats)::timestamptz[]) AS s)
    RETURNING d.id
)
INSERT INTO delivery_wakeups (account_id, due_at)
SELECT sqlc.arg(account_id), now() WHERE EXISTS (SELECT 1 FROM released);

-- name: FinishDeliveries :many
-- FinishDeliveries records the attempts of a batch of one account's deliveries (what each sent
-- and got) and their outcomes in one statement, for the deliveries this worker still holds,
-- with what their subscriptions keep of them (the failure streak and the last error: written
-- with the outcomes or not at all), and adds the wake-ups of the retries it schedules
-- (wake_ats; planned ones are merged per account and time). It returns the deliveries whose
-- outcome was written, each with its subscription's failure streak after the batch.
-- A resend that came while a scheduled attempt was in flight (manual is set and the attempt
-- was not manual) keeps the delivery due for its manual attempt, which resumes the schedule's
-- outcome: pending until the schedule's next attempt, or settled again.
WITH outcome AS (
    SELECT unnest(sqlc.arg(ids)::uuid[]) AS id,
           unnest(sqlc.arg(slice_ats)::timestamptz[]) AS slice_at, unnest(sqlc.arg(statuses)::text[]) AS status,
           unnest(sqlc.arg(next_attempt_at)::float8[]) AS next_attempt_at, unnest(sqlc.arg(status_codes)::int[]) AS status_code,
           unnest(sqlc.arg(errors)::text[]) AS error, unnest(sqlc.arg(request_ids)::text[]) AS request_id,
           unnest(sqlc.arg(durations_ms)::int[]) AS duration_ms, unnest(sqlc.arg(attempt_numbers)::int[]) AS attempt,
           unnest(sqlc.arg(manuals)::bool[]) AS manual, unnest(sqlc.arg(error_classes)::text[]) AS error_class,
           -- '' for no request made, no answer received
           unnest(sqlc.arg(request_urls)::text[]) AS request_url, unnest(sqlc.arg(request_headers)::text[]) AS request_headers,
           unnest(sqlc.arg(request_body_bytes)::int[]) AS request_body_bytes,
           unnest(sqlc.arg(response_headers)::text[]) AS response_headers, unnest(sqlc.arg(response_bodies)::bytea[]) AS response_body,
           unnest(sqlc.arg(response_truncated)::bool[]) AS response_truncated
), held AS (
    -- The batch's deliveries, each found by its whole key. OFFSET 0 keeps the planner from
    -- making the look-up a join, which it plans as a read of all the account's rows in a slice
    -- whenever it expects the account to have fewer rows there than the batch: the case of a
    -- burst, the very one that fills a batch (db/plans_test.go).
    SELECT x.account_id, x.id, x.slice_at, x.manual
    FROM outcome o
    CROSS JOIN LATERAL (SELECT d.account_id, d.id, d.slice_at, d.manual FROM deliveries d
                        WHERE d.account_id = sqlc.arg(account_id) AND d.id = o.id AND d.slice_at = o.slice_at OFFSET 0) x
), logged AS (
    INSERT INTO delivery_attempts (account_id, delivery_id, slice_at, attempt, request_id, status_code, error, duration_ms,
                                   trigger, error_class, request_url, request_headers, request_body_bytes,
                                   response_headers, response_body, response_truncated)
    SELECT h.account_id, h.id, h.slice_at, o.attempt, o.request_id, o.status_code, o.error, o.duration_ms,
           CASE WHEN o.manual THEN 'manual' ELSE 'scheduled' END, o.error_class, NULLIF(o.request_url, ''),
           COALESCE(NULLIF(o.request_headers, ''), '{}')::jsonb, o.request_body_bytes,
           NULLIF(o.response_headers, '')::jsonb, CASE WHEN o.response_headers <> '' THEN o.response_body END, o.response_truncated
    FROM held h JOIN outcome o ON o.id = h.id AND o.slice_at = h.slice_at
), wakeups AS (
    INSERT INTO delivery_wakeups (account_id, due_at, planned)
    SELECT sqlc.arg(account_id), w.due_at, w.planned
    FROM (SELECT unnest(sqlc.arg(wake_ats)::timestamptz[]) AS due_at, unnest(sqlc.arg(wake_planned)::bool[]) AS planned
          UNION ALL
          -- A resend that came during the attempt: its manual attempt is due now.
          SELECT now(), false
          WHERE EXISTS (SELECT 1 FROM held h JOIN outcome o ON o.id = h.id AND o.slice_at = h.slice_at
                        WHERE h.manual AND NOT o.manual)) w
    ON CONFLICT (account_id, due_at) WHERE planned DO NOTHING
), finished AS (
    UPDATE deliveries d
    SET status = CASE WHEN d.manual AND NOT o.manual THEN 'pending' ELSE o.status END,
        next_attempt_at = CASE WHEN d.manual AND NOT o.manual THEN d.next_attempt_at ELSE to_timestamp(o.next_attempt_at) END,
        resume_at = CASE WHEN d.manual AND NOT o.manual AND o.status = 'pending' THEN to_timestamp(o.next_attempt_at) END,
        manual = d.manual AND NOT o.manual,
        -- A manual attempt is outside the schedule: the schedule's count of failures stays.
        schedule_base = d.schedule_base + o.manual::int,
        attempts = d.attempts + 1, last_status = o.status_code, last_error = o.error, lease_until = NULL, leased_by = '', updated_at = now()
    FROM outcome o
    WHERE d.account_id = sqlc.arg(account_id) AND d.id = o.id AND d.slice_at = o.slice_at AND d.leased_by = sqlc.arg(worker)
      -- The ids, known only as the statement runs, make the planner count on a few probes of the
      -- primary key rather than a read of all the account's rows in the slice.
      AND d.id = ANY(ARRAY(SELECT id FROM held))
      -- Known only as the statement runs too, the batch's oldest slice prunes the slices before it
      -- then, without narrowing what the planner expects: otherwise every past slice's primary key
      -- is probed for every delivery of the batch, a cost that grows with the history kept.
      AND d.slice_at >= (SELECT min(slice_at) FROM held)
    RETURNING d.id, d.subscription_id
), streaks AS (
    -- What each subscription keeps of the batch, folded in Go in the order of the outcomes: a
    -- success resets the streak, a delivery given up adds to it, the last outcome's error stays.
    -- Only subscriptions with an outcome written here: a delivery whose lease was lost is
    -- counted by the worker that took it over.
    UPDATE subscriptions s
    SET consecutive_failures = CASE WHEN x.reset THEN 0 ELSE s.consecutive_failures END + x.failures,
        last_error = x.last_error
    FROM (SELECT unnest(sqlc.arg(subscription_ids)::uuid[]) AS id, unnest(sqlc.arg(subscription_resets)::bool[]) AS reset,
                 unnest(sqlc.arg(subscription_failures)::int[]) AS failures,
                 unnest(sqlc.arg(subscription_errors)::text[]) AS last_error) x
    WHERE s.account_id = sqlc.arg(account_id) AND s.id = x.id AND x.id IN (SELECT subscription_id FROM finished)
      AND (x.failures > 0 OR s.last_error <> x.last_error OR (x.reset AND s.consecutive_failures <> 0))
    RETURNING s.id, s.consecutive_failures
)
SELECT f.id, COALESCE(s.consecutive_failures, 0)::int AS streak
FROM finished f LEFT JOIN streaks s ON s.id = f.subscription_id;
