-- +goose Up

-- Session tokens (Arkyn's POST /user/auth) expire; long-lived credentials have no expiry.
ALTER TABLE credentials ADD COLUMN expires_at timestamptz;

-- Arkyn traffic sources carry a domain and change over time.
ALTER TABLE scopes ADD COLUMN domain text NOT NULL DEFAULT '';
ALTER TABLE scopes ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
-- A traffic domain is registered once per account.
CREATE UNIQUE INDEX scopes_domain ON scopes (account_id, dialect, domain) WHERE domain <> '';

-- What the delivery engine last failed with, and whom to tell (SuperOffice's LastError, ErrorsEmail).
ALTER TABLE subscriptions ADD COLUMN last_error text NOT NULL DEFAULT '';
ALTER TABLE subscriptions ADD COLUMN errors_email text NOT NULL DEFAULT '';

-- SuperOffice ids are int32s, unique across the installation.
CREATE SEQUENCE superoffice_webhook_ids AS integer;
CREATE SEQUENCE superoffice_associate_ids AS integer;

-- Fixed-window request counters, shared by every instance on the database.
CREATE TABLE rate_limit_windows (
    key_sha256   bytea NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (key_sha256, window_start)
);

-- +goose Down
DROP TABLE rate_limit_windows;
DROP SEQUENCE superoffice_associate_ids;
DROP SEQUENCE superoffice_webhook_ids;
ALTER TABLE subscriptions DROP COLUMN errors_email;
ALTER TABLE subscriptions DROP COLUMN last_error;
DROP INDEX scopes_domain;
ALTER TABLE scopes DROP COLUMN updated_at;
ALTER TABLE scopes DROP COLUMN domain;
ALTER TABLE credentials DROP COLUMN expires_at;
