-- +goose Up

-- Writers of an account's history and its erasure meet on an advisory lock of the account (the
-- pair hashtext(account), 64; new_event_keys' buckets are 0 to 63) instead of the account's
-- row: writers hold it shared, the erasure mark exclusive, so the mark waits for the writes in
-- progress and later writes see the mark. A row lock on accounts would do the same on one
-- PostgreSQL, but on Citus accounts is a reference table: locking its row in a statement that
-- also writes a table referencing it deadlocks against another such statement.

-- hold_account takes the account's guard, shared, until the transaction ends, and tells
-- whether the account exists and is not being erased. It is plpgsql and VOLATILE so that the
-- look-up runs with a snapshot taken after the lock is granted.
-- +goose StatementBegin
CREATE FUNCTION hold_account(account uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext(account::text), 64);
    RETURN EXISTS (SELECT 1 FROM accounts WHERE id = account AND erasing_since IS NULL);
END
$$;
-- +goose StatementEnd

-- guard_account_erasure takes the account's guard, exclusive, until the transaction ends.
-- +goose StatementBegin
CREATE FUNCTION guard_account_erasure(account uuid) RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(hashtext(account::text), 64);
$$;
-- +goose StatementEnd

-- new_event_keys holds the guard before its buckets, and returns no key for an account that
-- is gone or being erased: the ingestion that calls it then stores nothing. The rest is as
-- 00005 and 00012 made it (replacing a function replaces its settings too).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION new_event_keys(account uuid, keys text[]) RETURNS SETOF text
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF NOT hold_account(account) THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext(account::text), b.bucket)
    FROM (SELECT DISTINCT hashtext(k) & 63 AS bucket FROM unnest(keys) AS k ORDER BY 1) AS b;
    RETURN QUERY
        SELECT k FROM unnest(keys) AS k
        WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.account_id = account AND e.external_id = k OFFSET 0);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION new_event_keys(account uuid, keys text[]) RETURNS SETOF text
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(account::text), b.bucket)
    FROM (SELECT DISTINCT hashtext(k) & 63 AS bucket FROM unnest(keys) AS k ORDER BY 1) AS b;
    RETURN QUERY
        SELECT k FROM unnest(keys) AS k
        WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.account_id = account AND e.external_id = k OFFSET 0);
END
$$;
-- +goose StatementEnd
DROP FUNCTION guard_account_erasure(uuid);
DROP FUNCTION hold_account(uuid);
