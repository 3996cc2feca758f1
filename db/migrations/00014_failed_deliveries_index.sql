-- +goose Up

-- The listing's status filter reads failed and dropped deliveries by an index of their own;
-- pending ones it reads by the due index. An index of every delivery not succeeded would
-- serve the claim too (pending implies not succeeded), and the planner, which cannot tell the
-- two apart for an account it has no statistics of, took it in turn with the due index: read
-- in order of creation, it reaches a heap page per row and passes the account's failed and
-- recently delivered rows, thousands of pages per claim where the due index reads tens
-- (db/plans_test.go).
DROP INDEX deliveries_unsucceeded;
CREATE INDEX deliveries_failed ON deliveries (account_id, created_at, id) WHERE status IN ('failed', 'dropped');

-- +goose Down
DROP INDEX deliveries_failed;
CREATE INDEX deliveries_unsucceeded ON deliveries (account_id, created_at, id) WHERE status <> 'succeeded';
