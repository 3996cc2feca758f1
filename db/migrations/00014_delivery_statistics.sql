-- +goose Up

-- The claim and the outcome find an account's deliveries by their whole key only when the
-- planner knows how many rows the account has in the slice. A backlog arrives faster than the
-- default autovacuum notices (a tenth of a large slice must change first); until then the
-- planner takes a bursting account for a handful of rows and reads its whole backlog for every
-- batch, so that draining it costs its size squared. Each slice of deliveries is analysed
-- instead after every 10,000 changes (a few thousand deliveries), at most once per
-- autovacuum_naptime. The service makes new slices so; this sets the ones that exist.
-- +goose StatementBegin
DO $$
DECLARE
    slice regclass;
BEGIN
    FOR slice IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'deliveries'::regclass LOOP
        EXECUTE format('ALTER TABLE %s SET (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000)', slice);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    slice regclass;
BEGIN
    FOR slice IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'deliveries'::regclass LOOP
        EXECUTE format('ALTER TABLE %s RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)', slice);
    END LOOP;
END
$$;
-- +goose StatementEnd
