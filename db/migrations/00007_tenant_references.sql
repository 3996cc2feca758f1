-- +goose Up

-- History's references to a tenant's scopes and subscriptions carry the account, as every
-- tenant key does (00006), so that the tables can later be distributed by account together.
-- Deleting a scope or a subscription (erasure, a vendor's DELETE) looks its history up through
-- these references: events get an index for it, deliveries have deliveries_subscription.
ALTER TABLE events DROP CONSTRAINT events_scope_id_fkey;
CREATE INDEX events_scope ON events (account_id, scope_id) WHERE scope_id IS NOT NULL;
ALTER TABLE events ADD CONSTRAINT events_scope_fkey FOREIGN KEY (account_id, scope_id)
    REFERENCES scopes (account_id, id) ON DELETE CASCADE;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_subscription_id_fkey;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_subscription_fkey FOREIGN KEY (account_id, subscription_id)
    REFERENCES subscriptions (account_id, id) ON DELETE CASCADE;

-- +goose Down
ALTER TABLE deliveries DROP CONSTRAINT deliveries_subscription_fkey;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_subscription_id_fkey FOREIGN KEY (subscription_id)
    REFERENCES subscriptions (id) ON DELETE CASCADE;
ALTER TABLE events DROP CONSTRAINT events_scope_fkey;
DROP INDEX events_scope;
ALTER TABLE events ADD CONSTRAINT events_scope_id_fkey FOREIGN KEY (scope_id) REFERENCES scopes (id) ON DELETE CASCADE;
