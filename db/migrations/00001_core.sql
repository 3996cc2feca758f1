-- +goose Up

-- An account is one tenant; every credential, scope and subscription belongs to exactly one.
CREATE TABLE accounts (
    id             uuid PRIMARY KEY,
    name           text NOT NULL CHECK (name <> ''),
    management_api boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Credentials are stored as SHA-256 digests: every secret is 32 random bytes, so a slow
-- password hash would add latency to each request without adding security.
-- public_id is the non-secret half of a two-part credential (Voucherify's X-Management-Id);
-- single-token schemes leave it empty and are looked up by digest.
CREATE TABLE credentials (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    public_id     text NOT NULL DEFAULT '',
    secret_sha256 bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, secret_sha256)
);
CREATE UNIQUE INDEX credentials_public_id ON credentials (kind, public_id) WHERE public_id <> '';

-- A scope is a dialect's container of subscriptions: a Voucherify project, a Bird workspace
-- (parent_id holds its organization), an Arkyn traffic source.
CREATE TABLE scopes (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    dialect     text NOT NULL,
    external_id text NOT NULL,
    parent_id   text NOT NULL DEFAULT '',
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dialect, external_id)
);
CREATE INDEX scopes_account ON scopes (account_id);

-- One table of subscriptions for every dialect, so one delivery engine serves them all.
-- external_id is the id the dialect shows (wh_…, a UUID, an int32…).
CREATE TABLE subscriptions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope_id      uuid NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    dialect       text NOT NULL,
    external_id   text NOT NULL,
    name          text NOT NULL DEFAULT '',
    url           text NOT NULL,
    events        text[] NOT NULL DEFAULT '{}',
    -- Key/value filters ANDed against an event's attributes: [{"key": "…", "value": "…"}].
    filters       jsonb NOT NULL DEFAULT '[]',
    status        text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'inactive', 'stopped', 'too_many_errors')),
    status_reason text NOT NULL DEFAULT '',
    secret        text NOT NULL DEFAULT '',
    headers       jsonb NOT NULL DEFAULT '{}',
    properties    jsonb NOT NULL DEFAULT '{}',
    -- Dialect vocabulary that the core carries but does not interpret.
    service       text NOT NULL DEFAULT '',
    template      text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dialect, external_id)
);
-- Keyset pagination walks a scope's subscriptions in (created_at, id) order.
CREATE INDEX subscriptions_scope_order ON subscriptions (scope_id, created_at, id);
CREATE INDEX subscriptions_account ON subscriptions (account_id, dialect);

-- +goose Down
DROP TABLE subscriptions;
DROP TABLE scopes;
DROP TABLE credentials;
DROP TABLE accounts;
