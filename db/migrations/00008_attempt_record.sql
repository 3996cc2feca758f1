-- +goose Up

-- The attempt log keeps what each call sent and got, so an operator can see why a delivery
-- failed without asking the receiver: the request as sent (credentials redacted by the engine),
-- the answer's status, headers and first 4 KiB, and what kind of failure it was. Attempts
-- logged before this have NULL request_url and error_class: nothing of the kind was kept.
-- Columns added with constants as defaults rewrite nothing, however long the history.
ALTER TABLE delivery_attempts
    -- manual: one attempt an operator asked for (resend), outside the retry schedule.
    ADD COLUMN trigger text NOT NULL DEFAULT 'scheduled'
        CONSTRAINT delivery_attempts_trigger_check CHECK (trigger IN ('scheduled', 'manual')),
    ADD COLUMN request_url text,
    -- Header name to its values joined with ", ".
    ADD COLUMN request_headers jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN request_body_bytes integer NOT NULL DEFAULT 0,
    -- NULL when no answer came (timeout, refused connection…).
    ADD COLUMN response_headers jsonb,
    ADD COLUMN response_body bytea
        CONSTRAINT delivery_attempts_response_body_check CHECK (octet_length(response_body) <= 4096),
    -- The answer's body was longer than response_body.
    ADD COLUMN response_truncated boolean NOT NULL DEFAULT false,
    ADD COLUMN error_class text
        CONSTRAINT delivery_attempts_error_class_check
        CHECK (error_class IN ('none', 'timeout', 'connection', 'tls', 'http_status', 'blocked', 'other'));

-- What resend and recover need of a delivery. A resend makes it due now with manual set: its
-- next attempt is one outside the schedule. resume_at is when the schedule's own next attempt
-- was due, for a delivery that was pending when resent (a failed manual attempt leaves it
-- pending until then); NULL for one that had settled (a failed manual attempt settles it
-- again). schedule_base counts the attempts outside the current schedule (manual ones, and
-- those of the schedules before a recovery), and schedule_start is when the current schedule
-- began (NULL: when the delivery was queued): the retry rules see only the current schedule.
ALTER TABLE deliveries
    ADD COLUMN manual boolean NOT NULL DEFAULT false,
    ADD COLUMN resume_at timestamptz,
    ADD COLUMN schedule_base integer NOT NULL DEFAULT 0,
    ADD COLUMN schedule_start timestamptz;

-- The admin listings, newest first. A subscription's deliveries (the listing's filter, recover,
-- and the cascade from a deleted subscription) by a key that leads with the account, in place
-- of the index without it: as many indexes to maintain as before.
DROP INDEX deliveries_subscription;
CREATE INDEX deliveries_subscription ON deliveries (account_id, subscription_id, created_at, id);
-- Deliveries not (yet) delivered, for the listing's status filter: most deliveries succeed,
-- so this stays small, and a delivery that succeeds leaves it.
CREATE INDEX deliveries_unsucceeded ON deliveries (account_id, created_at, id) WHERE status <> 'succeeded';
-- An account's events, newest first, and those of one type (for the deliveries of a rare
-- type too, which the deliveries' indexes would find only by reading past the others).
CREATE INDEX events_account ON events (account_id, created_at, id);
CREATE INDEX events_type ON events (account_id, type, created_at, id);

-- +goose Down
DROP INDEX events_type;
DROP INDEX events_account;
DROP INDEX deliveries_unsucceeded;
DROP INDEX deliveries_subscription;
CREATE INDEX deliveries_subscription ON deliveries (subscription_id, created_at, id);
ALTER TABLE deliveries
    DROP COLUMN schedule_start,
    DROP COLUMN schedule_base,
    DROP COLUMN resume_at,
    DROP COLUMN manual;
ALTER TABLE delivery_attempts
    DROP COLUMN error_class,
    DROP COLUMN response_truncated,
    DROP COLUMN response_body,
    DROP COLUMN response_headers,
    DROP COLUMN request_body_bytes,
    DROP COLUMN request_headers,
    DROP COLUMN request_url,
    DROP COLUMN trigger;
