package postgres

import (
	"context"
	"crypto/md5"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// SeedContactsEvents writes synthetic contacts and events for a benchmark
// (nextflow bench segments) set-based, in the database: contacts
// contacts, contact i with external ID "c<i>", attribute plan "PRO" for
// even i and "FREE" for odd i, and an ID derived from the tenant and i;
// then events events, each of a random contact, 70% order.completed and
// the rest app.opened, at a random time within the last 60 days. The
// events go in slices of a million rows, one transaction each, with
// progress(rows written so far) after each (nil: none). Statistics and
// the visibility map are refreshed afterwards (VACUUM ANALYZE), as
// autovacuum leaves them after a bulk load.
func (s *Store) SeedContactsEvents(ctx context.Context, tenantID uuid.UUID, contacts, events int, progress func(contacts, events int)) error {
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
SELECT $1::uuid, md5($2 || i)::uuid, 'c' || i, jsonb_build_object('plan', CASE WHEN i % 2 = 0 THEN 'PRO' ELSE 'FREE' END)
FROM generate_series($3::int, $4::int) AS i`, tenantID, tenant, from, to)
		if err != nil {
			return fmt.Errorf("seed contacts %d-%d: %w", from, to, err)
		}
		progress(to+1, 0)
	}
	for from := 0; from < events; from += slice {
		to := min(events, from+slice) - 1
		err := exec(`INSERT INTO events (tenant_id, id, contact_id, name, occurred_at, received_at, message_id)
SELECT $1::uuid, gen_random_uuid(), md5($2 || floor(random() * $5)::int)::uuid,
       CASE WHEN random() < 0.7 THEN 'order.completed' ELSE 'app.opened' END, at, at, 'e' || i
FROM (SELECT i, clock_timestamp() - random() * interval '60 days' AS at FROM generate_series($3::int, $4::int) AS i) g`,
			tenantID, tenant, from, to, contacts)
		if err != nil {
			return fmt.Errorf("seed events %d-%d: %w", from, to, err)
		}
		progress(contacts, to+1)
	}
	if _, err := s.pool.Exec(ctx, "VACUUM (ANALYZE) contacts, events, segment_members"); err != nil {
		return fmt.Errorf("seed: vacuum: %w", err)
	}
	return nil
}

// SeedContactID is the ID SeedContactsEvents gives contact i of tenantID.
// (md5 of the tenant ID's text and i's, as a UUID).
func (s *Store) SeedContactID(tenantID uuid.UUID, i int) uuid.UUID {
	return uuid.UUID(md5.Sum([]byte(tenantID.String() + strconv.Itoa(i))))
}
