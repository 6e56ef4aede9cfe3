package postgres

import (
	"context"
	"crypto/md5"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// SeedContactsEvents writes synthetic contacts and events for a benchmark
// (nextflow bench segments) set-based, in the database: contacts
// contacts, contact i with external ID "c<i>", attribute plan "PRO" for
// even i and "FREE" for odd i, and an ID derived from the tenant and i
// that sorts by i (SeedContactID) — contacts' UUIDv7s sort by creation,
// so a range of IDs sits in a few neighbouring pages of the table, as a
// chunk of a segment computation reads it (random IDs would spread each
// chunk over the whole table);
// then events events, each of a random contact, 70% order.completed and
// the rest app.opened, at a random time within the last 60 days, with
// IDs in insertion order (as the application's UUIDv7s are). The events'
// secondary indexes (those not behind a constraint) are dropped for the
// load and built again after it, in one pass each rather than one random
// insert per row: at 10M events that is the difference between most of an
// hour and minutes. The events go in slices of a million rows, one
// transaction each, with progress(rows written so far) after each (nil:
// none). Statistics and the visibility map are refreshed afterwards
// (VACUUM ANALYZE), as autovacuum leaves them after a bulk load. Meant for
// a scratch schema of its own: other writers of events would miss the
// indexes while it runs.
func (s *Store) SeedContactsEvents(ctx context.Context, tenantID uuid.UUID, contacts, events int, progress func(contacts, events int)) (rerr error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	tenant := tenantID.String()
	exec := func(sql string, args ...any) error {
		ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginQuery(tenantID, false, s.systemTokens[0])})
		if err != nil {
			return err
		}
		defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
		if _, err := ptx.Exec(ctx, sql, args...); err != nil {
			return err
		}
		return ptx.Commit(ctx)
	}
	const slice = 1_000_000
	for from := 0; from < contacts; from += slice {
		to := min(contacts, from+slice) - 1
		err := exec(`INSERT INTO contacts (tenant_id, id, external_id, attributes)
SELECT $1::uuid, (left(md5($2), 12) || '7' || lpad(to_hex(i), 19, '0'))::uuid, 'c' || i, jsonb_build_object('plan', CASE WHEN i % 2 = 0 THEN 'PRO' ELSE 'FREE' END)
FROM generate_series($3::int, $4::int) AS i`, tenantID, tenant, from, to)
		if err != nil {
			return fmt.Errorf("seed contacts %d-%d: %w", from, to, err)
		}
		progress(to+1, 0)
	}
	if events > 0 {
		rows, err := s.pool.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename = 'events'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`)
		if err != nil {
			return fmt.Errorf("seed: list event indexes: %w", err)
		}
		type index struct{ name, def string }
		idx, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
			var i index
			return i, r.Scan(&i.name, &i.def)
		})
		if err != nil {
			return fmt.Errorf("seed: list event indexes: %w", err)
		}
		for _, i := range idx {
			if _, err := s.pool.Exec(ctx, "DROP INDEX "+pgx.Identifier{i.name}.Sanitize()); err != nil {
				return fmt.Errorf("seed: drop index %s: %w", i.name, err)
			}
		}
		// Built again even when the load fails, so the schema stays whole.
		defer func() {
			for _, i := range idx {
				if err := s.buildIndex(context.WithoutCancel(ctx), i.def); err != nil && rerr == nil {
					rerr = fmt.Errorf("seed: build index %s: %w", i.name, err)
				}
			}
			if rerr == nil {
				if _, err := s.pool.Exec(ctx, "VACUUM (ANALYZE) contacts, events, segment_members"); err != nil {
					rerr = fmt.Errorf("seed: vacuum: %w", err)
				}
			}
		}()
	}
	for from := 0; from < events; from += slice {
		to := min(events, from+slice) - 1
		err := exec(`INSERT INTO events (tenant_id, id, contact_id, name, occurred_at, received_at, message_id)
SELECT $1::uuid, ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, (left(md5($2), 12) || '7' || lpad(to_hex(floor(random() * $5)::int), 19, '0'))::uuid,
       CASE WHEN random() < 0.7 THEN 'order.completed' ELSE 'app.opened' END, at, at, 'e' || i
FROM (SELECT i, clock_timestamp() - random() * interval '60 days' AS at FROM generate_series($3::int, $4::int) AS i) g`,
			tenantID, tenant, from, to, contacts)
		if err != nil {
			return fmt.Errorf("seed events %d-%d: %w", from, to, err)
		}
		progress(contacts, to+1)
	}
	if events == 0 {
		if _, err := s.pool.Exec(ctx, "VACUUM (ANALYZE) contacts, events, segment_members"); err != nil {
			return fmt.Errorf("seed: vacuum: %w", err)
		}
	}
	return nil
}

// SeedReuse finds the tenant a SeedContactsEvents left in this scratch
// schema (the only one) for another benchmark run on the same data, and
// clears what earlier runs made of it: segments and their members,
// broadcasts and recipients, workflows and their executions, the month's
// usage and the job queue. It returns the tenant, its contacts and the
// events (the planner's estimate).
func (s *Store) SeedReuse(ctx context.Context) (tenantID uuid.UUID, contacts, events int, err error) {
	var tenants int
	err = s.pool.QueryRow(ctx, `SELECT count(*), (array_agg(id))[1] FROM tenants`).Scan(&tenants, &tenantID)
	if err != nil {
		return uuid.Nil, 0, 0, fmt.Errorf("seed reuse: %w", err)
	}
	if tenants != 1 {
		return uuid.Nil, 0, 0, fmt.Errorf("seed reuse: %d tenants in schema %s, want the one a seed left", tenants, s.schema)
	}
	if _, err := s.pool.Exec(ctx, `TRUNCATE segments, broadcasts, workflows, workflow_execution_steps, tenant_usage, river_job CASCADE`); err != nil {
		return uuid.Nil, 0, 0, fmt.Errorf("seed reuse: clear earlier runs: %w", err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE tenant_id = $1`, tenantID).Scan(&contacts); err != nil {
		return uuid.Nil, 0, 0, fmt.Errorf("seed reuse: count contacts: %w", err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT reltuples::bigint FROM pg_class WHERE oid = 'events'::regclass`).Scan(&events); err != nil {
		return uuid.Nil, 0, 0, fmt.Errorf("seed reuse: count events: %w", err)
	}
	if _, err := s.pool.Exec(ctx, "VACUUM (ANALYZE) segment_members, broadcast_recipients, workflow_executions"); err != nil {
		return uuid.Nil, 0, 0, fmt.Errorf("seed reuse: vacuum: %w", err)
	}
	return tenantID, contacts, events, nil
}

// buildIndex runs a CREATE INDEX with room to sort in memory.
func (s *Store) buildIndex(ctx context.Context, def string) error {
	ptx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = ptx.Rollback(ctx) }()
	if _, err := ptx.Exec(ctx, "SET LOCAL maintenance_work_mem = '512MB'"); err != nil {
		return err
	}
	if _, err := ptx.Exec(ctx, def); err != nil {
		return err
	}
	return ptx.Commit(ctx)
}

// SeedContactID is the ID SeedContactsEvents gives contact i of tenantID:
// the first 12 hex digits of the md5 of the tenant ID's text, a 7 and i
// in 19 hex digits.
func (s *Store) SeedContactID(tenantID uuid.UUID, i int) uuid.UUID {
	sum := md5.Sum([]byte(tenantID.String()))
	return uuid.MustParse(fmt.Sprintf("%x7%019x", sum[:6], i))
}

// SeedSchema names the schema a seed was written to ("" for the
// connection's default), for a later run's SeedReuse.
func (s *Store) SeedSchema() string { return s.schema }
