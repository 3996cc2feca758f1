-- name: CreateSubscription :one
-- CreateSubscription inserts a subscription of any dialect.
INSERT INTO subscriptions (
    account_id, scope_id, dialect, external_id, name, url, events, filters, status, secret,
    headers, properties, service, template
) VALUES (
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
)
RETURNING *;

-- name: ListScopeSubscriptionsPage :many
-- ListScopeSubscriptionsPage returns one offset page of a scope's subscriptions in creation order.
-- The account is named so that Citus reads one shard.
SELECT * FROM subscriptions WHERE account_id = sqlc.arg(account_id) AND scope_id = sqlc.arg(scope_id)
ORDER BY created_at, id LIMIT sqlc.arg(max_rows) OFFSET sqlc.arg(skip);

-- name: CountScopeSubscriptions :one
-- CountScopeSubscriptions counts a scope's subscriptions.
SELECT count(*) FROM subscriptions WHERE account_id = sqlc.arg(account_id) AND scope_id = sqlc.arg(scope_id);

-- The Scoped queries find a subscription through its scope's dialect id and the caller's
-- account in the same statement, so that an operation is one round trip. When they find
-- nothing, GetScope tells a missing scope from a missing subscription.

-- name: GetScopedSubscription :one
-- GetScopedSubscription returns one subscription of the account's scope by both dialect ids.
SELECT s.* FROM subscriptions s
JOIN scopes sc ON sc.account_id = s.account_id AND sc.id = s.scope_id
WHERE sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.dialect = sqlc.arg(dialect) AND s.external_id = sqlc.arg(external_id);

-- name: ListScopedSubscriptions :many
-- ListScopedSubscriptions returns every subscription of the account's scope in creation order.
SELECT s.* FROM subscriptions s
JOIN scopes sc ON sc.account_id = s.account_id AND sc.id = s.scope_id
WHERE sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
ORDER BY s.created_at, s.id;

-- name: CreateScopedSubscription :one
-- CreateScopedSubscription inserts a subscription into the account's scope; no row means the
-- account has no such scope.
INSERT INTO subscriptions (
    account_id, scope_id, dialect, external_id, name, url, events, filters, status, secret,
    headers, properties, service, template
)
SELECT sc.account_id, sc.id, sqlc.arg(dialect), sqlc.arg(external_id), sqlc.arg(name), sqlc.arg(url),
       sqlc.arg(events)::text[], sqlc.arg(filters), sqlc.arg(status), sqlc.arg(secret), sqlc.arg(headers),
       sqlc.arg(properties), sqlc.arg(service), sqlc.arg(template)
FROM scopes sc
WHERE sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
RETURNING *;

-- name: ReplaceScopedSubscriptionTarget :one
-- ReplaceScopedSubscriptionTarget sets url and events, and the status when one is given (an
-- active subscription has no status reason; re-enabling starts the failure streak afresh), in
-- one atomic statement.
UPDATE subscriptions s
SET url = sqlc.arg(url), events = sqlc.arg(events)::text[],
    status = COALESCE(sqlc.narg(status)::text, s.status),
    status_reason = CASE WHEN COALESCE(sqlc.narg(status)::text, s.status) = 'active' THEN '' ELSE s.status_reason END,
    consecutive_failures = CASE WHEN sqlc.narg(status)::text = 'active' AND s.status <> 'active' THEN 0 ELSE s.consecutive_failures END,
    updated_at = statement_timestamp()
FROM scopes sc
WHERE sc.account_id = s.account_id AND sc.id = s.scope_id
  AND sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.dialect = sqlc.arg(dialect) AND s.external_id = sqlc.arg(external_id)
RETURNING s.*;

-- name: DeleteScopedSubscription :execrows
-- DeleteScopedSubscription removes one subscription of the account's scope.
DELETE FROM subscriptions s
USING scopes sc
WHERE sc.account_id = s.account_id AND sc.id = s.scope_id
  AND sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.dialect = sqlc.arg(dialect) AND s.external_id = sqlc.arg(external_id);

-- name: PatchScopedSubscription :one
-- PatchScopedSubscription changes the members given (NULL keeps one) of a subscription of the
-- account's scope in one atomic statement. Giving a status clears the status reason, and
-- re-enabling starts the failure streak afresh. A changed secret replaces the old one at once,
-- ending a rotation's overlap window.
UPDATE subscriptions s
SET name = COALESCE(sqlc.narg(name)::text, s.name),
    url = COALESCE(sqlc.narg(url)::text, s.url),
    events = COALESCE(sqlc.narg(events)::text[], s.events),
    secret = COALESCE(sqlc.narg(secret)::text, s.secret),
    previous_secret = CASE WHEN COALESCE(sqlc.narg(secret)::text, s.secret) = s.secret THEN s.previous_secret ELSE '' END,
    previous_secret_until = CASE WHEN COALESCE(sqlc.narg(secret)::text, s.secret) = s.secret THEN s.previous_secret_until END,
    status = COALESCE(sqlc.narg(status)::text, s.status),
    status_reason = CASE WHEN sqlc.narg(status)::text IS NULL THEN s.status_reason ELSE '' END,
    consecutive_failures = CASE WHEN sqlc.narg(status)::text = 'active' AND s.status <> 'active' THEN 0 ELSE s.consecutive_failures END,
    updated_at = statement_timestamp()
FROM scopes sc
WHERE sc.account_id = s.account_id AND sc.id = s.scope_id
  AND sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.dialect = sqlc.arg(dialect) AND s.external_id = sqlc.arg(external_id)
RETURNING s.*;

-- name: GetScopedSubscriptionWithScope :one
-- GetScopedSubscriptionWithScope is GetScopedSubscription with the scope, for dialects that
-- show the scope's members (Bird's organization, SuperOffice's associate) in every response.
SELECT sqlc.embed(s), sqlc.embed(sc) FROM subscriptions s
JOIN scopes sc ON sc.account_id = s.account_id AND sc.id = s.scope_id
WHERE sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.dialect = sqlc.arg(dialect) AND s.external_id = sqlc.arg(external_id);

-- name: ListScopedSubscriptionsAfter :many
-- ListScopedSubscriptionsAfter returns the account's scope's subscriptions with the scope, in
-- creation order, after the (created_at, id) cursor when one is given and at most max_rows
-- when given. No row: an empty scope, or none of the account's.
SELECT sqlc.embed(s), sqlc.embed(sc) FROM subscriptions s
JOIN scopes sc ON sc.account_id = s.account_id AND sc.id = s.scope_id
WHERE sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND (sqlc.narg(after_created_at)::timestamptz IS NULL
       OR (s.created_at, s.id) > (sqlc.narg(after_created_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY s.created_at, s.id
LIMIT sqlc.narg(max_rows);

-- name: ListScopedSubscriptionDeliveries :many
-- ListScopedSubscriptionDeliveries pages through the deliveries since a time, newest first,
-- optionally of one status, of a subscription of the account's scope named by both dialect ids.
-- No row: no deliveries, or no such subscription of the account.
SELECT d.* FROM deliveries d
JOIN subscriptions s ON s.account_id = d.account_id AND s.id = d.subscription_id
JOIN scopes sc ON sc.account_id = s.account_id AND sc.id = s.scope_id
WHERE d.account_id = sqlc.arg(account_id) AND sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.dialect = sqlc.arg(dialect) AND s.external_id = sqlc.arg(external_id)
  AND d.created_at >= sqlc.arg(since)
  AND (sqlc.narg(status)::text IS NULL OR d.status = sqlc.narg(status)::text)
  AND (sqlc.narg(before_created_at)::timestamptz IS NULL
       OR (d.created_at, d.id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
ORDER BY d.created_at DESC, d.id DESC
LIMIT sqlc.arg(max_rows);

-- name: LockAccountScope :one
-- LockAccountScope returns the account's scope with this dialect id and serialises its writers
-- until the transaction ends (an advisory lock on the scope's id); no row means the account has
-- no such scope. It is for checks that span rows (Bird's cap on subscriptions sharing a service,
-- event and filters): a later statement of the transaction sees every earlier writer's rows.
SELECT sc.* FROM scopes sc
CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtextextended(sc.id::text, 0))) AS lock
WHERE sc.dialect = sqlc.arg(dialect) AND sc.external_id = sqlc.arg(external_id)
  AND sc.account_id = sqlc.arg(account_id);

-- name: LockScopedSubscription :one
-- LockScopedSubscription is GetScopedSubscriptionWithScope that also takes LockAccountScope's
-- lock on the scope.
SELECT sqlc.embed(s), sqlc.embed(sc) FROM subscriptions s
JOIN scopes sc ON sc.account_id = s.account_id AND sc.id = s.scope_id
CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtextextended(sc.id::text, 0))) AS lock
WHERE sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.dialect = sqlc.arg(dialect) AND s.external_id = sqlc.arg(external_id);

-- name: CreateCappedSubscription :one
-- CreateCappedSubscription inserts a subscription unless max_same subscriptions of its scope
-- already share its service, events and filters; no row means the cap is reached. Run it under
-- LockAccountScope.
INSERT INTO subscriptions (
    account_id, scope_id, dialect, external_id, url, events, filters, status, secret,
    headers, properties, service, template
)
SELECT sqlc.arg(account_id), sqlc.arg(scope_id), sqlc.arg(dialect), sqlc.arg(external_id), sqlc.arg(url),
       sqlc.arg(events)::text[], sqlc.arg(filters), sqlc.arg(status), sqlc.arg(secret), sqlc.arg(headers),
       sqlc.arg(properties), sqlc.arg(service), sqlc.arg(template)
WHERE (SELECT count(*) FROM subscriptions o
       WHERE o.account_id = sqlc.arg(account_id) AND o.scope_id = sqlc.arg(scope_id) AND o.service = sqlc.arg(service)
         AND o.events = sqlc.arg(events)::text[] AND o.filters = sqlc.arg(filters)) < sqlc.arg(max_same)::bigint
RETURNING *;

-- name: PatchCappedSubscription :one
-- PatchCappedSubscription changes the members given (NULL keeps one) of a subscription of the
-- account's scope in one statement, and returns it with its scope. New filters are refused
-- (no row) when max_same other subscriptions of the scope share the service, events and those
-- filters: run it under LockScopedSubscription when filters are given. Giving a status clears
-- the status reason, and re-enabling starts the failure streak afresh. A changed secret replaces
-- the old one at once, ending a rotation's overlap window.
UPDATE subscriptions s
SET url = COALESCE(sqlc.narg(url)::text, s.url),
    template = COALESCE(sqlc.narg(template)::text, s.template),
    secret = COALESCE(sqlc.narg(secret)::text, s.secret),
    previous_secret = CASE WHEN COALESCE(sqlc.narg(secret)::text, s.secret) = s.secret THEN s.previous_secret ELSE '' END,
    previous_secret_until = CASE WHEN COALESCE(sqlc.narg(secret)::text, s.secret) = s.secret THEN s.previous_secret_until END,
    filters = COALESCE(sqlc.narg(filters)::jsonb, s.filters),
    status = COALESCE(sqlc.narg(status)::text, s.status),
    status_reason = CASE WHEN sqlc.narg(status)::text IS NULL THEN s.status_reason ELSE '' END,
    consecutive_failures = CASE WHEN sqlc.narg(status)::text = 'active' AND s.status <> 'active' THEN 0 ELSE s.consecutive_failures END,
    updated_at = statement_timestamp()
FROM scopes sc
WHERE sc.account_id = s.account_id AND sc.id = s.scope_id
  AND sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.dialect = sqlc.arg(dialect) AND s.external_id = sqlc.arg(external_id)
  AND (sqlc.narg(filters)::jsonb IS NULL
       OR (SELECT count(*) FROM subscriptions o
           WHERE o.account_id = s.account_id AND o.scope_id = s.scope_id AND o.service = s.service AND o.events = s.events
             AND o.filters = sqlc.narg(filters)::jsonb AND o.id <> s.id) < sqlc.arg(max_same)::bigint)
RETURNING sqlc.embed(s), sqlc.embed(sc);

-- name: GetScopedSubscriptionForUpdate :one
-- GetScopedSubscriptionForUpdate is GetScopedSubscriptionWithScope that also locks the
-- subscription until the transaction ends, for a read-modify-write that cannot lose a
-- concurrent update.
SELECT sqlc.embed(s), sqlc.embed(sc) FROM subscriptions s
JOIN scopes sc ON sc.account_id = s.account_id AND sc.id = s.scope_id
WHERE sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.dialect = sqlc.arg(dialect) AND s.external_id = sqlc.arg(external_id)
FOR UPDATE OF s;

-- name: CreateSuperOfficeWebhook :one
-- CreateSuperOfficeWebhook inserts a webhook into the account's scope under the next SuperOffice
-- webhook id, and returns it with its scope's name and parent id (the associate); no row means
-- the account has no such scope. (The scope is read once, beside the insert: a distributed
-- database does not run a query inside another's RETURNING.)
WITH sc AS (
    SELECT x.account_id, x.id, x.name, x.parent_id FROM scopes x
    WHERE x.dialect = sqlc.arg(scope_dialect) AND x.external_id = sqlc.arg(scope_external_id)
      AND x.account_id = sqlc.arg(account_id)
), created AS (
    INSERT INTO subscriptions (
        account_id, scope_id, dialect, external_id, name, url, events, filters, status, secret,
        headers, properties, service, errors_email
    )
    SELECT sc.account_id, sc.id, sqlc.arg(dialect), nextval('superoffice_webhook_ids')::integer::text,
           sqlc.arg(name), sqlc.arg(url), sqlc.arg(events)::text[], '[]', sqlc.arg(status), sqlc.arg(secret),
           sqlc.arg(headers), sqlc.arg(properties), sqlc.arg(service), sqlc.arg(errors_email)
    FROM sc
    RETURNING *
)
SELECT s.*, sc.name AS scope_name, sc.parent_id AS scope_parent_id
FROM created s JOIN sc ON sc.account_id = s.account_id AND sc.id = s.scope_id;

-- name: ReplaceSuperOfficeWebhook :one
-- ReplaceSuperOfficeWebhook replaces a webhook of the account's scope in one statement and
-- returns it with its scope; a NULL secret, headers or properties keeps the stored one. A
-- changed status clears the status reason, and re-enabling starts the failure streak afresh.
-- A changed secret replaces the old one at once, ending a rotation's overlap window.
UPDATE subscriptions s
SET name = sqlc.arg(name), url = sqlc.arg(url), events = sqlc.arg(events)::text[],
    secret = COALESCE(sqlc.narg(secret)::text, s.secret),
    previous_secret = CASE WHEN COALESCE(sqlc.narg(secret)::text, s.secret) = s.secret THEN s.previous_secret ELSE '' END,
    previous_secret_until = CASE WHEN COALESCE(sqlc.narg(secret)::text, s.secret) = s.secret THEN s.previous_secret_until END,
    headers = COALESCE(sqlc.narg(headers)::jsonb, s.headers),
    properties = COALESCE(sqlc.narg(properties)::jsonb, s.properties),
    errors_email = sqlc.arg(errors_email),
    status = sqlc.arg(status)::text,
    status_reason = CASE WHEN s.status = sqlc.arg(status)::text THEN s.status_reason ELSE '' END,
    consecutive_failures = CASE WHEN sqlc.arg(status)::text = 'active' AND s.status <> 'active' THEN 0 ELSE s.consecutive_failures END,
    updated_at = statement_timestamp()
FROM scopes sc
WHERE sc.account_id = s.account_id AND sc.id = s.scope_id
  AND sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.dialect = sqlc.arg(dialect) AND s.external_id = sqlc.arg(external_id)
RETURNING sqlc.embed(s), sqlc.embed(sc);

-- name: SetScopeWebhookTarget :one
-- SetScopeWebhookTarget points the first subscription of the account's scope (an Arkyn traffic
-- source's one webhook) at url with status, in one statement; the status reason and last error
-- are cleared, and re-enabling starts the failure streak afresh. No row: the account has no
-- such scope, or it has no subscription.
UPDATE subscriptions s
SET url = sqlc.arg(url), status = sqlc.arg(status)::text, status_reason = '', last_error = '',
    consecutive_failures = CASE WHEN sqlc.arg(status)::text = 'active' AND s.status <> 'active' THEN 0 ELSE s.consecutive_failures END,
    updated_at = statement_timestamp()
FROM scopes sc
WHERE sc.account_id = s.account_id AND sc.id = s.scope_id
  AND sc.dialect = sqlc.arg(scope_dialect) AND sc.external_id = sqlc.arg(scope_external_id)
  AND sc.account_id = sqlc.arg(account_id)
  AND s.id = (SELECT f.id FROM subscriptions f WHERE f.account_id = sc.account_id AND f.scope_id = sc.id ORDER BY f.created_at, f.id LIMIT 1)
RETURNING s.*;
