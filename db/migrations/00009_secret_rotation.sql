-- +goose Up

-- Rotating a signing secret keeps the one it replaced signing for an overlap window, so that
-- receivers can switch at their own pace: deliveries signed until previous_secret_until carry
-- both signatures. Outside a window previous_secret is '' and previous_secret_until NULL.
-- Voucherify signs with its project's secret (scopes), every other dialect with the
-- subscription's own. No key changes: rotation finds rows by (account_id, id), whose unique
-- keys already lead with the account.
ALTER TABLE scopes
    ADD COLUMN previous_secret text NOT NULL DEFAULT '',
    ADD COLUMN previous_secret_until timestamptz,
    ADD CONSTRAINT scopes_previous_secret_window CHECK ((previous_secret = '') = (previous_secret_until IS NULL));
ALTER TABLE subscriptions
    ADD COLUMN previous_secret text NOT NULL DEFAULT '',
    ADD COLUMN previous_secret_until timestamptz,
    ADD CONSTRAINT subscriptions_previous_secret_window CHECK ((previous_secret = '') = (previous_secret_until IS NULL));
-- The upkeep forgets a retired secret once its window has closed; few rows are ever in one.
CREATE INDEX scopes_secret_window ON scopes (previous_secret_until) WHERE previous_secret_until IS NOT NULL;
CREATE INDEX subscriptions_secret_window ON subscriptions (previous_secret_until) WHERE previous_secret_until IS NOT NULL;

-- +goose Down
DROP INDEX subscriptions_secret_window, scopes_secret_window;
ALTER TABLE subscriptions
    DROP CONSTRAINT subscriptions_previous_secret_window,
    DROP COLUMN previous_secret_until,
    DROP COLUMN previous_secret;
ALTER TABLE scopes
    DROP CONSTRAINT scopes_previous_secret_window,
    DROP COLUMN previous_secret_until,
    DROP COLUMN previous_secret;
