-- +goose Up

-- A portal session lets one tenant into the console and its own account's admin operations
-- for a while. Its bearer token ("wps_…", 32 random bytes) is stored only as its SHA-256
-- digest, as credentials are (00001). Authentication reads this table on every request, so a
-- revoked or expired session stops working at once on every instance. Sessions stay listed
-- until a day past their expiry; then the history upkeep deletes them.
CREATE TABLE portal_sessions (
    account_id   uuid NOT NULL CONSTRAINT portal_sessions_account_id_fkey REFERENCES accounts (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    token_sha256 bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CONSTRAINT portal_sessions_pkey PRIMARY KEY (account_id, id),
    -- Global on purpose, like credentials' digests: authentication finds the session from the
    -- token alone, before any account is known.
    CONSTRAINT portal_sessions_token UNIQUE (token_sha256),
    CONSTRAINT portal_sessions_expiry CHECK (expires_at > created_at)
);
-- The upkeep finds long-expired sessions by it.
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

-- +goose Down
DROP TABLE portal_sessions;
