package db

import (
	"context"
	"database/sql"
	"fmt"
)

// Distributed mode: on a Citus coordinator (a database with the citus extension), Migrate
// applies the same migrations and then distributes the schema: every tenant table is split by
// account_id into co-located shards, so that one account's rows of every table live on one
// worker and each of its statements is routed there whole; the small tables that every tenant
// shares are reference tables (a copy on every node). Nothing else about the schema changes,
// except what Citus requires of a distributed table's keys (below).

// ReferenceTables are copied to every node. Authentication finds an account from a secret or a
// portal session's token alone, before any account is known, so accounts, credentials and
// portal sessions cannot be split by account.
var ReferenceTables = []string{"accounts", "credentials", "portal_sessions"}

// TenantTables are distributed by account_id, co-located with one another, parents first.
var TenantTables = []string{"scopes", "subscriptions", "events", "deliveries", "delivery_attempts"}

// OwnTables are distributed by a column of their own, not co-located with tenants.
var OwnTables = map[string]string{
	// A Shipping key's request counter, found by the key's digest alone.
	"rate_limit_windows": "key_sha256",
}

// LocalTables stay on the coordinator only: the migrations' own, and the delivery engine's
// wake-ups, which only statements of their own read and write (see 00011_delivery_wakeups.sql).
var LocalTables = []string{"goose_db_version", "delivery_wakeups"}

// globalKeys are unique keys that do not include account_id, which Citus refuses on a table
// distributed by it: each becomes unique per account. The ids they cover are made by the
// service (random or from a sequence), never chosen by a client, so they stay unique across
// the service; a look-up by one of them alone reads every shard.
var globalKeys = []struct{ table, constraint, columns string }{
	{"scopes", "scopes_pkey", ""},
	{"scopes", "scopes_dialect_external_id_key", "account_id, dialect, external_id"},
	{"subscriptions", "subscriptions_pkey", ""},
	{"subscriptions", "subscriptions_dialect_external_id_key", "account_id, dialect, external_id"},
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// IsDistributed tells whether the database is a Citus coordinator, which makes Migrate
// distribute the schema.
func IsDistributed(ctx context.Context, conn interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (bool, error) {
	var on bool
	err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')`).Scan(&on)
	return on, err
}

// distribute turns the migrated schema into the distributed one, within the caller's
// transaction; an instance starting on a distributed database leaves it as it is.
func distribute(ctx context.Context, conn execer) error {
	done, err := distributedTables(ctx, conn)
	if err != nil {
		return err
	}
	// Citus routes new_event_keys' look-up to one shard only when it knows the account, so it
	// is planned for each call here (00012 makes it one plan for all on plain PostgreSQL).
	if _, err := conn.ExecContext(ctx, `ALTER FUNCTION new_event_keys(uuid, text[]) RESET plan_cache_mode`); err != nil {
		return err
	}
	if done[TenantTables[len(TenantTables)-1]] {
		return nil
	}
	// Citus checks foreign keys as it distributes (a local table may not reference a distributed
	// one, nor the reverse): they are taken off and put back, unchanged, once all is distributed.
	keys, err := foreignKeys(ctx, conn)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s DROP CONSTRAINT %s`, k.table, k.name)); err != nil {
			return err
		}
	}
	for _, t := range ReferenceTables {
		if done[t] {
			continue
		}
		if _, err := conn.ExecContext(ctx, `SELECT create_reference_table($1)`, t); err != nil {
			return fmt.Errorf("reference table %s: %w", t, err)
		}
	}
	for _, k := range globalKeys {
		if done[k.table] {
			continue
		}
		stmt := fmt.Sprintf(`ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s`, k.table, k.constraint)
		if k.columns != "" {
			stmt += fmt.Sprintf(`, ADD CONSTRAINT %s UNIQUE (%s)`, k.constraint, k.columns)
		}
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", k.constraint, err)
		}
	}
	for i, t := range TenantTables {
		if done[t] {
			continue
		}
		colocate := "default"
		if i > 0 {
			colocate = TenantTables[0]
		}
		if _, err := conn.ExecContext(ctx, `SELECT create_distributed_table($1, 'account_id', colocate_with => $2)`, t, colocate); err != nil {
			return fmt.Errorf("distributing %s: %w", t, err)
		}
	}
	for t, column := range OwnTables {
		if done[t] {
			continue
		}
		if _, err := conn.ExecContext(ctx, `SELECT create_distributed_table($1, $2, colocate_with => 'none')`, t, column); err != nil {
			return fmt.Errorf("distributing %s: %w", t, err)
		}
	}
	for _, k := range keys {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ADD CONSTRAINT %s %s`, k.table, k.name, k.def)); err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
	}
	return nil
}

type foreignKey struct{ table, name, def string }

// foreignKeys returns the foreign keys of the schema's tables (of partitioned tables, not of
// their partitions, which inherit them), referenced tables first.
func foreignKeys(ctx context.Context, conn execer) ([]foreignKey, error) {
	rows, err := conn.QueryContext(ctx, `
		SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
		WHERE c.contype = 'f' AND c.conparentid = 0 AND n.nspname = current_schema() AND NOT r.relispartition
		ORDER BY c.conrelid, c.conname`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []foreignKey
	for rows.Next() {
		var k foreignKey
		if err := rows.Scan(&k.table, &k.name, &k.def); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// distributedTables returns the tables Citus already knows (distributed or reference).
func distributedTables(ctx context.Context, conn execer) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, `SELECT logicalrelid::regclass::text FROM pg_dist_partition`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		done[t] = true
	}
	return done, rows.Err()
}
