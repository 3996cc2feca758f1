-- +goose Up

-- new_event_keys' look-up is planned once for any account (a generic plan). Planned for the
-- call's own account, the planner trusts statistics taken before a new account's events
-- arrived, estimates one event for it, and may read every event of the account in the current
-- slice for each key through another index: ingestion then slows as the slice fills. The
-- generic plan goes by the keys, which the unique index finds in a few pages per slice.
ALTER FUNCTION new_event_keys(uuid, text[]) SET plan_cache_mode = force_generic_plan;

-- +goose Down
ALTER FUNCTION new_event_keys(uuid, text[]) RESET plan_cache_mode;
