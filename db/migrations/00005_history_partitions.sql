-- +goose Up

-- History (events, their deliveries and the attempt log) is partitioned by time, so that
-- expiring it drops whole partitions whatever their size instead of deleting rows one by one.
-- The three tables share one partition key, slice_at: the event's ingestion time, copied to
-- its deliveries and attempts, so that one time slice of all three is dropped together. While
-- any delivery of an event is pending, the event, all its deliveries and their attempts are
-- moved forward together before their slice expires (internal/retention), so nothing pending
-- is dropped and an event never lives apart from its deliveries.
--
-- Keys include the partition key (PostgreSQL requires it of unique indexes on partitioned
-- tables) and lead with account_id, the tenant, as do the references to accounts. The three
-- tables no longer reference one another: they expire together by design, and a reference to
-- a partition would make dropping it check every referencing row.

-- The unpartitioned tables make way: index names are shared by the whole schema. Constraints
-- keep their names.
ALTER TABLE delivery_attempts RENAME TO delivery_attempts_unsliced;
ALTER TABLE deliveries RENAME TO deliveries_unsliced;
ALTER TABLE events RENAME TO events_unsliced;
ALTER TABLE delivery_attempts_unsliced DROP CONSTRAINT delivery_attempts_delivery_id_fkey, DROP CONSTRAINT delivery_attempts_pkey;
DROP INDEX delivery_attempts_delivery;
ALTER TABLE deliveries_unsliced DROP CONSTRAINT deliveries_event_id_fkey, DROP CONSTRAINT deliveries_pkey,
    DROP CONSTRAINT deliveries_event_id_subscription_id_key;
DROP INDEX deliveries_due, deliveries_subscription, deliveries_account;
ALTER TABLE events_unsliced DROP CONSTRAINT events_pkey, DROP CONSTRAINT events_account_id_external_id_key;

-- An event an account's backend sent in. external_id makes ingestion idempotent for as long as
-- the event is kept: new_event_keys checks it across slices, which no unique index can.
CREATE TABLE events (
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL CONSTRAINT events_account_id_fkey REFERENCES accounts (id) ON DELETE CASCADE,
    external_id text NOT NULL,
    type        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}',
    attributes  jsonb NOT NULL DEFAULT '{}',
    scope_id    uuid CONSTRAINT events_scope_id_fkey REFERENCES scopes (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    slice_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_pkey PRIMARY KEY (account_id, id, slice_at),
    CONSTRAINT events_external_id UNIQUE (account_id, external_id, slice_at)
) PARTITION BY RANGE (slice_at);

-- One event to one subscription. The table is also the queue: workers claim due rows with
-- FOR UPDATE SKIP LOCKED and hold them under a lease, so a crashed worker's rows come back.
-- slice_at is always its event's.
CREATE TABLE deliveries (
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    account_id      uuid NOT NULL CONSTRAINT deliveries_account_id_fkey REFERENCES accounts (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL,
    subscription_id uuid NOT NULL CONSTRAINT deliveries_subscription_id_fkey REFERENCES subscriptions (id) ON DELETE CASCADE,
    dialect         text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CONSTRAINT deliveries_status_check CHECK (status IN ('pending', 'succeeded', 'failed', 'dropped')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    leased_by       text NOT NULL DEFAULT '',
    last_status     integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    slice_at        timestamptz NOT NULL,
    CONSTRAINT deliveries_pkey PRIMARY KEY (account_id, id, slice_at),
    CONSTRAINT deliveries_event_subscription UNIQUE (account_id, event_id, subscription_id, slice_at)
) PARTITION BY RANGE (slice_at);
-- Each partition's own: the claim merges the partitions' due rows in next_attempt_at order.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_subscription ON deliveries (subscription_id, created_at, id);
CREATE INDEX deliveries_account ON deliveries (account_id, created_at, id);

-- Every HTTP (or Discord) call made for a delivery; slice_at is always its delivery's.
CREATE TABLE delivery_attempts (
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    delivery_id  uuid NOT NULL,
    attempt      integer NOT NULL,
    request_id   text NOT NULL,
    status_code  integer NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT '',
    duration_ms  integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    account_id   uuid NOT NULL CONSTRAINT delivery_attempts_account_id_fkey REFERENCES accounts (id) ON DELETE CASCADE,
    slice_at     timestamptz NOT NULL,
    CONSTRAINT delivery_attempts_pkey PRIMARY KEY (account_id, id, slice_at)
) PARTITION BY RANGE (slice_at);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (account_id, delivery_id, attempt);

-- The rows kept so far form one catch-up slice, which expires as a whole once the retention
-- has passed since this migration. Later slices are created by the service (internal/retention)
-- at the width its retention calls for. A row's slice_at is its event's creation time, clamped
-- into the slice. (A DO block keeps sqlc, which reads this file as the schema, from taking the
-- partitions for tables of their own.)
-- +goose StatementBegin
DO $$
BEGIN
    CREATE TABLE events_catchup PARTITION OF events FOR VALUES FROM (MINVALUE) TO (now());
    -- Room for the claim's update to stay on its page (see 00004); partitions set their own.
    CREATE TABLE deliveries_catchup PARTITION OF deliveries FOR VALUES FROM (MINVALUE) TO (now())
        WITH (fillfactor = 70);
    CREATE TABLE delivery_attempts_catchup PARTITION OF delivery_attempts FOR VALUES FROM (MINVALUE) TO (now());
END
$$;
-- +goose StatementEnd

INSERT INTO events (id, account_id, external_id, type, data, attributes, scope_id, created_at, slice_at)
SELECT id, account_id, external_id, type, data, attributes, scope_id, created_at,
       least(created_at, now() - interval '1 microsecond')
FROM events_unsliced;
INSERT INTO deliveries (id, account_id, event_id, subscription_id, dialect, status, attempts, next_attempt_at,
                        lease_until, leased_by, last_status, last_error, created_at, updated_at, slice_at)
SELECT d.id, d.account_id, d.event_id, d.subscription_id, d.dialect, d.status, d.attempts, d.next_attempt_at,
       d.lease_until, d.leased_by, d.last_status, d.last_error, d.created_at, d.updated_at, e.slice_at
FROM deliveries_unsliced d JOIN events e ON e.account_id = d.account_id AND e.id = d.event_id;
INSERT INTO delivery_attempts (id, delivery_id, attempt, request_id, status_code, error, duration_ms, created_at, account_id, slice_at)
SELECT a.id, a.delivery_id, a.attempt, a.request_id, a.status_code, a.error, a.duration_ms, a.created_at, d.account_id, d.slice_at
FROM delivery_attempts_unsliced a JOIN deliveries_unsliced u ON u.id = a.delivery_id
JOIN deliveries d ON d.account_id = u.account_id AND d.id = a.delivery_id;

DROP TABLE delivery_attempts_unsliced;
DROP TABLE deliveries_unsliced;
DROP TABLE events_unsliced;

-- new_event_keys returns those of keys for which the account has no event kept, and holds
-- locks that keep it so until the calling transaction ends: ingesting the same key elsewhere
-- waits for it, then sees its event. The locks are one per bucket of 64 per account, taken in
-- order, so a batch of 5,000 events takes at most 64 and concurrent batches cannot deadlock.
-- It is plpgsql and VOLATILE so that its look-up runs with a snapshot taken after the locks
-- are granted (the calling statement's own snapshot predates them).
-- +goose StatementBegin
CREATE FUNCTION new_event_keys(account uuid, keys text[]) RETURNS SETOF text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(account::text), b.bucket)
    FROM (SELECT DISTINCT hashtext(k) & 63 AS bucket FROM unnest(keys) AS k ORDER BY 1) AS b;
    -- Each key is looked up in each slice's index (OFFSET 0 keeps the planner from making the
    -- look-up a join, which it may plan as a read of all the account's events): the cost
    -- follows the keys and the slices, not the history.
    RETURN QUERY
        SELECT k FROM unnest(keys) AS k
        WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.account_id = account AND e.external_id = k OFFSET 0);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION new_event_keys(uuid, text[]);

ALTER TABLE delivery_attempts RENAME TO delivery_attempts_sliced;
ALTER TABLE deliveries RENAME TO deliveries_sliced;
ALTER TABLE events RENAME TO events_sliced;
ALTER TABLE delivery_attempts_sliced DROP CONSTRAINT delivery_attempts_pkey;
DROP INDEX delivery_attempts_delivery;
ALTER TABLE deliveries_sliced DROP CONSTRAINT deliveries_pkey, DROP CONSTRAINT deliveries_event_subscription;
DROP INDEX deliveries_due, deliveries_subscription, deliveries_account;
ALTER TABLE events_sliced DROP CONSTRAINT events_pkey, DROP CONSTRAINT events_external_id;

CREATE TABLE events (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL CONSTRAINT events_account_id_fkey REFERENCES accounts (id) ON DELETE CASCADE,
    external_id text NOT NULL,
    type        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}',
    attributes  jsonb NOT NULL DEFAULT '{}',
    scope_id    uuid CONSTRAINT events_scope_id_fkey REFERENCES scopes (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, external_id)
);
CREATE TABLE deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id      uuid NOT NULL CONSTRAINT deliveries_account_id_fkey REFERENCES accounts (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL CONSTRAINT deliveries_event_id_fkey REFERENCES events (id) ON DELETE CASCADE,
    subscription_id uuid NOT NULL CONSTRAINT deliveries_subscription_id_fkey REFERENCES subscriptions (id) ON DELETE CASCADE,
    dialect         text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CONSTRAINT deliveries_status_check CHECK (status IN ('pending', 'succeeded', 'failed', 'dropped')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    leased_by       text NOT NULL DEFAULT '',
    last_status     integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, subscription_id)
) WITH (fillfactor = 70);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_subscription ON deliveries (subscription_id, created_at, id);
CREATE INDEX deliveries_account ON deliveries (account_id, created_at, id);
CREATE TABLE delivery_attempts (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    delivery_id  uuid NOT NULL CONSTRAINT delivery_attempts_delivery_id_fkey REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt      integer NOT NULL,
    request_id   text NOT NULL,
    status_code  integer NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT '',
    duration_ms  integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, attempt);

-- Ids were unique across slices in practice (random UUIDs); a moved-forward row exists once.
INSERT INTO events SELECT id, account_id, external_id, type, data, attributes, scope_id, created_at FROM events_sliced;
INSERT INTO deliveries SELECT id, account_id, event_id, subscription_id, dialect, status, attempts, next_attempt_at,
    lease_until, leased_by, last_status, last_error, created_at, updated_at FROM deliveries_sliced d
WHERE EXISTS (SELECT 1 FROM events e WHERE e.id = d.event_id);
INSERT INTO delivery_attempts SELECT a.id, a.delivery_id, a.attempt, a.request_id, a.status_code, a.error, a.duration_ms, a.created_at
FROM delivery_attempts_sliced a WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id);

DROP TABLE delivery_attempts_sliced;
DROP TABLE deliveries_sliced;
DROP TABLE events_sliced;
