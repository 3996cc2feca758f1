-- name: ListAccountsWithExpiringPending :many
-- ListAccountsWithExpiringPending lists, after the account id after, up to max_accounts accounts
-- that have a pending delivery in a slice before cutoff, for MovePendingForward to move one by
-- one. It reads every account's pending deliveries (every node, on Citus) and locks nothing:
-- the history upkeep runs it, not the engine.
SELECT DISTINCT d.account_id FROM deliveries d
WHERE d.slice_at < sqlc.arg(cutoff) AND d.status = 'pending' AND d.account_id > sqlc.arg(after)::uuid
ORDER BY d.account_id
LIMIT sqlc.arg(max_accounts);

-- name: MovePendingForward :one
-- MovePendingForward moves an account's events that still have a pending delivery in a slice
-- before cutoff into the current slice, together with all their deliveries and those
-- deliveries' attempts, so that expiring the slice drops nothing pending and an event never
-- lives apart from its deliveries. At most max_rows pending deliveries are taken; locked
-- reports how many were, so that the caller knows whether more may remain. The account is
-- woken. An event with a delivery under lease (in flight) stays for a later run: the engine
-- finds what it claimed by its whole key. One account at a time, named as a constant in every
-- table's condition, so that Citus routes the statement (and its row locks) to the account's node.
WITH pending AS (
    SELECT d.event_id, d.slice_at FROM deliveries d
    WHERE d.account_id = sqlc.arg(account_id) AND d.slice_at < sqlc.arg(cutoff) AND d.status = 'pending'
      AND (d.lease_until IS NULL OR d.lease_until < now())
    LIMIT sqlc.arg(max_rows)
    FOR UPDATE SKIP LOCKED
), family AS (
    SELECT DISTINCT p.event_id, p.slice_at FROM pending p
    WHERE NOT EXISTS (SELECT 1 FROM deliveries x
                      WHERE x.account_id = sqlc.arg(account_id) AND x.event_id = p.event_id AND x.slice_at = p.slice_at
                        AND x.status = 'pending' AND x.lease_until >= now())
), moved_events AS (
    UPDATE events e SET slice_at = now() FROM family f
    WHERE e.account_id = sqlc.arg(account_id) AND e.id = f.event_id AND e.slice_at = f.slice_at
    RETURNING e.id
), moved_deliveries AS (
    UPDATE deliveries d SET slice_at = now() FROM family f
    WHERE d.account_id = sqlc.arg(account_id) AND d.event_id = f.event_id AND d.slice_at = f.slice_at
    RETURNING d.id, f.slice_at AS old_slice_at
), moved_attempts AS (
    UPDATE delivery_attempts a SET slice_at = now() FROM moved_deliveries m
    WHERE a.account_id = sqlc.arg(account_id) AND a.delivery_id = m.id AND a.slice_at = m.old_slice_at
    RETURNING a.id
), woken AS (
    -- A claim may have passed over them while they were locked here.
    INSERT INTO delivery_wakeups (account_id, due_at)
    SELECT sqlc.arg(account_id), now() WHERE EXISTS (SELECT 1 FROM moved_deliveries)
)
SELECT (SELECT count(*) FROM pending)::int AS locked, (SELECT count(*) FROM moved_events)::int AS events,
       (SELECT count(*) FROM moved_deliveries)::int AS deliveries, (SELECT count(*) FROM moved_attempts)::int AS attempts;
