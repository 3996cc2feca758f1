-- name: TakeDueAccounts :many
-- TakeDueAccounts picks up to max_accounts accounts that may have deliveries due, oldest
-- wake-up first, leaving out those the worker has no room for, and deletes the picked accounts'
-- due wake-ups (however many writers added). It first adds the wake-ups the worker hands in
-- (wake_accounts, wake_ats, wake_planned): one due now competes with the table's at once, so
-- that an account whose last claim came back full is claimed again without a statement of its
-- own. Wake-ups another worker is taking are skipped. Only the coordinator's table is read.
-- fresh tells that an account was picked for a wake-up due now rather than planned: a claim
-- that finds nothing for one looks again a poll later (see the engine's claim).
WITH wake AS (
    SELECT unnest(sqlc.arg(wake_accounts)::uuid[]) AS account_id, unnest(sqlc.arg(wake_ats)::timestamptz[]) AS due_at,
           unnest(sqlc.arg(wake_planned)::bool[]) AS planned
), due AS (
    SELECT w.account_id, w.due_at, w.planned FROM delivery_wakeups w
    WHERE w.due_at <= now() AND w.account_id <> ALL(sqlc.arg(full_accounts)::uuid[])
    ORDER BY w.due_at
    LIMIT sqlc.arg(scan)::int
    FOR UPDATE SKIP LOCKED
), picked AS (
    SELECT c.account_id, min(c.due_at) AS due_at, bool_or(NOT c.planned) AS fresh FROM (
        SELECT account_id, due_at, planned FROM due
        UNION ALL
        SELECT account_id, due_at, planned FROM wake WHERE due_at <= now() AND account_id <> ALL(sqlc.arg(full_accounts)::uuid[])
    ) c
    GROUP BY c.account_id
    ORDER BY min(c.due_at), c.account_id
    LIMIT sqlc.arg(max_accounts)::int
), kept AS (
    INSERT INTO delivery_wakeups (account_id, due_at, planned)
    SELECT w.account_id, w.due_at, w.planned FROM wake w
    WHERE w.due_at > now() OR w.account_id NOT IN (SELECT account_id FROM picked)
    ON CONFLICT (account_id, due_at) WHERE planned DO NOTHING
), taken AS (
    DELETE FROM delivery_wakeups w
    WHERE w.id IN (SELECT x.id FROM delivery_wakeups x
                   WHERE x.account_id IN (SELECT account_id FROM picked) AND x.due_at <= now()
                   FOR UPDATE SKIP LOCKED)
)
SELECT p.account_id, p.fresh FROM picked p ORDER BY p.due_at, p.account_id;

-- name: WakeAccountsWithDueDeliveries :execrows
-- WakeAccountsWithDueDeliveries adds a wake-up for every account with a delivery due and not
-- leased, so that none waits for ever should its wake-up have been lost. It reads every
-- account's pending deliveries (every node, on Citus): the history upkeep runs it, not the
-- engine.
INSERT INTO delivery_wakeups (account_id, due_at)
SELECT DISTINCT d.account_id, now() FROM deliveries d
WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.lease_until IS NULL OR d.lease_until < now());

-- name: DeleteAccountWakeups :execrows
-- DeleteAccountWakeups forgets an erased account's wake-ups.
DELETE FROM delivery_wakeups WHERE account_id = $1;
