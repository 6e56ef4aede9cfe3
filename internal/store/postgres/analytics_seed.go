package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// SeedAnalytics writes a synthetic history for a benchmark (nextflow
// bench analytics) set-based, in the database, for one tenant and one
// published version: contacts contacts; executions executions spread
// over the last 60 days (5% still waiting, 10% failed, 3% cancelled, the
// rest completed), each with steps steps (the trigger, an A/B split
// "ab" taking A or B, then condition steps, the last an end "endA" or
// "endB"), one message per execution (email, WhatsApp or Messenger, with
// delivery statuses mixed) and, for a third of the contacts, a
// "order.completed" event a few hours after one of their entries. Rows
// go in slices of 100,000 executions, one transaction each, with
// progress(executions written) after each; VACUUM ANALYZE follows, as
// autovacuum would after a bulk load. It is raw SQL because it is a
// benchmark's bulk load: generate_series, not sqlc queries.
func (s *Store) SeedAnalytics(ctx context.Context, tenantID, workflowID, versionID uuid.UUID, contacts, executions, steps int, progress func(executions int)) error {
	if steps < 3 {
		return fmt.Errorf("seed analytics: at least 3 steps per execution, not %d", steps)
	}
	if progress == nil {
		progress = func(int) {}
	}
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
	tenant := tenantID.String()
	if err := exec(`INSERT INTO contacts (tenant_id, id, external_id, attributes, created_at, updated_at)
		SELECT $1::uuid, md5($1 || ':c' || i)::uuid, 'c' || i, '{}', now(), now() FROM generate_series(0, $2::int - 1) i`,
		tenant, contacts); err != nil {
		return fmt.Errorf("seed contacts: %w", err)
	}
	const slice = 100_000
	base := time.Now().UTC()
	for from := 0; from < executions; from += slice {
		to := min(from+slice, executions)
		// x: one row per execution with its times, status and contact.
		// r and the age are hashes of i, so that every statement of the
		// slice sees the same execution; ids are UUIDv7 of created_at,
		// as the engine's are.
		const rows = `
WITH h AS (
    SELECT i, md5($1 || ':e' || i) AS hx, $8::timestamptz - (('x' || substr(md5($1 || ':t' || i), 1, 8))::bit(32)::bigint
            / 4294967296.0 * interval '60 days') AS created_at,
        ('x' || substr(md5($1 || ':r' || i), 1, 8))::bit(32)::bigint / 4294967296.0 AS r
    FROM generate_series($3::int, $4::int - 1) i
), x AS (
    SELECT i, (lpad(to_hex(floor(extract(epoch FROM created_at) * 1000)::bigint), 12, '0') || '7' || substr(hx, 14, 3)
            || '8' || substr(hx, 18, 3) || substr(hx, 21, 12))::uuid AS id,
        md5($1 || ':c' || (i % $5))::uuid AS contact_id, created_at, r, (i % 2 = 0) AS a
    FROM h
)`
		err := exec(rows+`
INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status, contact_id, trigger_type,
    context, current_node_id, step_count, created_at, updated_at, started_at, finished_at)
SELECT x.id, $1::uuid, $2::uuid, $6::uuid, 1,
    CASE WHEN x.r < 0.05 THEN 'WAITING' WHEN x.r < 0.15 THEN 'FAILED' WHEN x.r < 0.18 THEN 'CANCELLED' ELSE 'COMPLETED' END,
    x.contact_id, 'trigger.manual', '{}', 'start', $7::int, x.created_at, x.created_at, x.created_at,
    CASE WHEN x.r < 0.05 THEN NULL ELSE x.created_at + (x.r * interval '2 hours') END
FROM x`, tenant, workflowID.String(), from, to, contacts, versionID.String(), steps, base)
		if err != nil {
			return fmt.Errorf("seed executions: %w", err)
		}
		err = exec(rows+`
INSERT INTO workflow_execution_steps (id, tenant_id, execution_id, seq, node_id, node_type, status, attempt, handle, started_at, finished_at)
SELECT md5(x.id::text || ':' || s)::uuid, $1::uuid, x.id, s,
    CASE WHEN s = 1 THEN 'start' WHEN s = 2 THEN 'ab' WHEN s = $7 THEN CASE WHEN x.a THEN 'endA' ELSE 'endB' END ELSE 'step' || s END,
    CASE WHEN s = 1 THEN 'trigger.manual' WHEN s = 2 THEN 'split' WHEN s = $7 THEN 'end' ELSE 'condition' END,
    'COMPLETED', 1,
    CASE WHEN s = 2 THEN CASE WHEN x.a THEN 'A' ELSE 'B' END ELSE '' END,
    x.created_at, x.created_at
FROM x, generate_series(1, $7::int) s
WHERE $2::text <> '' AND $6::text <> '' AND $5::int > 0`, tenant, workflowID.String(), from, to, contacts, versionID.String(), steps, base)
		if err != nil {
			return fmt.Errorf("seed steps: %w", err)
		}
		err = exec(rows+`
INSERT INTO messages (tenant_id, id, channel, contact_id, workflow_id, workflow_version, execution_id, node_id,
    recipient, status, queued_at, sent_at, delivered_at, read_at, failed_at, bounced_at)
SELECT $1::uuid, md5(x.id::text || ':m')::uuid, (ARRAY['email', 'whatsapp', 'messenger'])[1 + x.i % 3], x.contact_id, $2::uuid, 1, x.id, 'send',
    'r' || x.i,
    CASE WHEN x.r < 0.02 THEN 'failed' WHEN x.r < 0.04 THEN 'bounced' WHEN x.r < 0.3 THEN 'sent' WHEN x.r < 0.7 THEN 'delivered' ELSE 'read' END,
    x.created_at,
    CASE WHEN x.r >= 0.02 THEN x.created_at + interval '1 second' END,
    CASE WHEN x.r >= 0.3 THEN x.created_at + interval '1 minute' END,
    CASE WHEN x.r >= 0.7 THEN x.created_at + interval '1 hour' END,
    CASE WHEN x.r < 0.02 THEN x.created_at + interval '1 second' END,
    CASE WHEN x.r >= 0.02 AND x.r < 0.04 THEN x.created_at + interval '1 minute' END
FROM x WHERE $6::text <> '' AND $7::int > 0`, tenant, workflowID.String(), from, to, contacts, versionID.String(), steps, base)
		if err != nil {
			return fmt.Errorf("seed messages: %w", err)
		}
		err = exec(rows+`
INSERT INTO events (tenant_id, id, contact_id, name, properties, occurred_at, received_at, message_id)
SELECT $1::uuid, md5(x.id::text || ':ev')::uuid, x.contact_id, 'order.completed', '{}',
    x.created_at + (x.r * interval '100 hours'), x.created_at + (x.r * interval '100 hours') + interval '1 second', x.id::text
FROM x WHERE x.i % 3 = 0 AND x.created_at + (x.r * interval '100 hours') < $8::timestamptz
    AND $2::text <> '' AND $6::text <> '' AND $5::int > 0 AND $7::int > 0`,
			tenant, workflowID.String(), from, to, contacts, versionID.String(), steps, base)
		if err != nil {
			return fmt.Errorf("seed events: %w", err)
		}
		progress(to)
	}
	for _, t := range []string{"workflow_executions", "workflow_execution_steps", "messages", "events", "contacts"} {
		if _, err := s.pool.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	return nil
}

// AnalyticsRollupReset empties the tenant's analytics rollups and
// watermarks, so that a benchmark reusing a generated history times the
// reports before the rollup again.
func (s *Store) AnalyticsRollupReset(ctx context.Context, tenantID uuid.UUID) error {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginQuery(tenantID, false, s.systemTokens[0])})
	if err != nil {
		return fmt.Errorf("reset analytics rollups: %w", err)
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	for _, t := range analyticsRollupTables {
		if _, err := ptx.Exec(ctx, "DELETE FROM "+t+" WHERE tenant_id = $1", tenantID); err != nil {
			return fmt.Errorf("reset analytics rollups: %s: %w", t, err)
		}
	}
	return ptx.Commit(ctx)
}

// analyticsRollupTables are the tables AnalyticsRollupReset empties.
var analyticsRollupTables = []string{"analytics_watermarks", "analytics_execution_days", "analytics_message_days",
	"analytics_split_days", "analytics_split_pending", "analytics_goal_firsts"}
