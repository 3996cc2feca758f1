-- +goose Up

-- Claims look for due rows that are not leased; the partial index keeps that scan short while
-- a backlog is drained.
CREATE INDEX deliveries_claimable ON deliveries (next_attempt_at) WHERE status = 'pending' AND lease_until IS NULL;

-- +goose Down
DROP INDEX deliveries_claimable;
