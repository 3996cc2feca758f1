-- +goose Up

-- Erasure (DELETE /admin/v1/accounts/{id}) marks an account in one statement: from then on
-- its credentials are refused, ingestion stores nothing for it and the admin API no longer
-- finds it. Every instance's eraser then removes its rows in small batches and the account row
-- last, so the mark is also what lets an erasure continue after a restart.
ALTER TABLE accounts ADD COLUMN erasing_since timestamptz;
-- The instance erasing the account holds it until then; a lapsed claim (a crash) is taken over.
-- Between its first pass and the end of the grace period it holds the date the grace ends.
ALTER TABLE accounts ADD COLUMN erasure_lease_until timestamptz;
CREATE INDEX accounts_erasing ON accounts (erasing_since, id) WHERE erasing_since IS NOT NULL;

-- Tenant keys include account_id, so that the tables can later be distributed by account
-- (a distributed table's unique keys and foreign keys must include its distribution column).
--
-- Nothing references credentials(id): the key becomes (account_id, id). Its two global unique
-- keys stay global on purpose: authentication finds the account from the secret (or a
-- Voucherify management id, an Arkyn email) alone, before any account is known. Distributed,
-- they become a lookup table of digests.
ALTER TABLE credentials DROP CONSTRAINT credentials_pkey, ADD PRIMARY KEY (account_id, id);

-- scopes(id) and subscriptions(id) stay unique on their own for now: events(scope_id) and
-- deliveries(subscription_id) reference them, and those tables follow the retention layout
-- (00005), where their references take account_id. Between the two tables of this migration
-- the reference does: a subscription's scope is one of its own account's.
ALTER TABLE scopes ADD CONSTRAINT scopes_account_id_id_key UNIQUE (account_id, id);
-- The new key's index leads with account_id and serves what this one did.
DROP INDEX scopes_account;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_account_id_id_key UNIQUE (account_id, id);
ALTER TABLE subscriptions
    DROP CONSTRAINT subscriptions_scope_id_fkey,
    ADD CONSTRAINT subscriptions_scope_fkey FOREIGN KEY (account_id, scope_id)
        REFERENCES scopes (account_id, id) ON DELETE CASCADE;
-- UNIQUE (dialect, external_id) of scopes and subscriptions stays global: the contract makes
-- some vendor ids unique across the service (SuperOffice's int32 webhook ids), and Arkyn
-- answers another user's traffic source with 403, which needs the id found whoever owns it.
-- Distributed, these become lookup tables too.

-- +goose Down
ALTER TABLE subscriptions
    DROP CONSTRAINT subscriptions_scope_fkey,
    ADD CONSTRAINT subscriptions_scope_id_fkey FOREIGN KEY (scope_id) REFERENCES scopes (id) ON DELETE CASCADE;
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_account_id_id_key;
CREATE INDEX scopes_account ON scopes (account_id);
ALTER TABLE scopes DROP CONSTRAINT scopes_account_id_id_key;
ALTER TABLE credentials DROP CONSTRAINT credentials_pkey, ADD PRIMARY KEY (id);
DROP INDEX accounts_erasing;
ALTER TABLE accounts DROP COLUMN erasure_lease_until;
ALTER TABLE accounts DROP COLUMN erasing_since;
