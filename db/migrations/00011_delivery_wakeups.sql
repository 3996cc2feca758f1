-- +goose Up

-- The engine finds due work through wake-ups, not by scanning deliveries across accounts: each
-- row says "this account may have deliveries due at due_at". Writers that make a delivery due
-- (ingestion, test events, resend, recover, retries, the history upkeep) add one; the engine
-- takes the due wake-ups of a few accounts at a time, then claims each account's deliveries by
-- a statement that names the account, which a cluster distributed by account (Citus) routes to
-- one node. The table is small and stays local on a Citus coordinator.
--
-- planned marks wake-ups set ahead (a retry's time, a lease's end), rounded up to a grid so
-- that the unique key keeps one per account and grid point however many deliveries share it.
-- Wake-ups due now are never merged: one may be taken by an engine whose claim began before
-- the deliveries it stands for were committed, and another must then remain.
CREATE TABLE delivery_wakeups (
    id         bigserial PRIMARY KEY,
    account_id uuid NOT NULL,
    due_at     timestamptz NOT NULL,
    planned    boolean NOT NULL DEFAULT false
);
CREATE INDEX delivery_wakeups_due ON delivery_wakeups (due_at);
CREATE INDEX delivery_wakeups_account ON delivery_wakeups (account_id, due_at);
CREATE UNIQUE INDEX delivery_wakeups_planned ON delivery_wakeups (account_id, due_at) WHERE planned;

-- The claim takes one account's due deliveries, oldest first: the partial index of pending
-- deliveries leads with the account (as many indexes to maintain as before).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (account_id, next_attempt_at) WHERE status = 'pending';

-- Deliveries queued before wake-ups existed: one per account that has any pending.
INSERT INTO delivery_wakeups (account_id, due_at)
SELECT account_id, min(next_attempt_at) FROM deliveries WHERE status = 'pending' GROUP BY account_id;

-- +goose Down
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
DROP TABLE delivery_wakeups;
