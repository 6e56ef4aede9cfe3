package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Broadcasts are read and written with hand-written SQL, like segments.

const broadcastColumns = `id, tenant_id, name, workflow_id, version_id, version, trigger_node_id, segment_id, status,
schedule_mode, send_at, timezone, starts_at, rate_per_second, generation, total, started, skipped, last_error,
snapshot_at, created_at, updated_at, finished_at`

func scanBroadcast(row pgx.Row) (*domain.Broadcast, error) {
	b := &domain.Broadcast{}
	var status string
	if err := row.Scan(&b.ID, &b.TenantID, &b.Name, &b.WorkflowID, &b.VersionID, &b.Version, &b.TriggerNodeID, &b.SegmentID, &status,
		&b.ScheduleMode, &b.SendAt, &b.Timezone, &b.StartsAt, &b.RatePerSecond, &b.Generation, &b.Total, &b.Started, &b.Skipped, &b.LastError,
		&b.SnapshotAt, &b.CreatedAt, &b.UpdatedAt, &b.FinishedAt); err != nil {
		return nil, err
	}
	b.Status = domain.BroadcastStatus(status)
	return b, nil
}

// BroadcastInsert creates a broadcast.
func (t *tx) BroadcastInsert(ctx context.Context, b *domain.Broadcast) (*domain.Broadcast, error) {
	id := b.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	gen := max(b.Generation, 1)
	out, err := scanBroadcast(t.tx.QueryRow(ctx, `INSERT INTO broadcasts (tenant_id, id, name, workflow_id, version_id, version,
trigger_node_id, segment_id, status, schedule_mode, send_at, timezone, starts_at, rate_per_second, generation)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING `+broadcastColumns,
		b.TenantID, id, b.Name, b.WorkflowID, b.VersionID, b.Version, b.TriggerNodeID, b.SegmentID, string(b.Status),
		b.ScheduleMode, b.SendAt, b.Timezone, b.StartsAt, b.RatePerSecond, gen))
	return out, translate(err, "insert broadcast %q", b.Name)
}

// BroadcastGet reads a broadcast.
func (t *tx) BroadcastGet(ctx context.Context, tenantID, id uuid.UUID) (*domain.Broadcast, error) {
	b, err := scanBroadcast(t.tx.QueryRow(ctx, `SELECT `+broadcastColumns+` FROM broadcasts WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return b, translate(err, "get broadcast %s", id)
}

// BroadcastLock reads a broadcast and holds its row for the transaction.
func (t *tx) BroadcastLock(ctx context.Context, tenantID, id uuid.UUID) (*domain.Broadcast, error) {
	b, err := scanBroadcast(t.tx.QueryRow(ctx, `SELECT `+broadcastColumns+` FROM broadcasts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id))
	return b, translate(err, "lock broadcast %s", id)
}

// BroadcastList lists a tenant's broadcasts, newest first.
func (t *tx) BroadcastList(ctx context.Context, tenantID uuid.UUID, n int) ([]domain.Broadcast, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+broadcastColumns+` FROM broadcasts WHERE tenant_id = $1
ORDER BY created_at DESC, id DESC LIMIT $2`, tenantID, limit(n, pageDefault, pageMax))
	if err != nil {
		return nil, translate(err, "list broadcasts of tenant %s", tenantID)
	}
	defer rows.Close()
	var out []domain.Broadcast
	for rows.Next() {
		b, err := scanBroadcast(rows)
		if err != nil {
			return nil, translate(err, "list broadcasts of tenant %s", tenantID)
		}
		out = append(out, *b)
	}
	return out, translate(rows.Err(), "list broadcasts of tenant %s", tenantID)
}

// BroadcastSave writes a broadcast's state.
func (t *tx) BroadcastSave(ctx context.Context, b *domain.Broadcast) (*domain.Broadcast, error) {
	out, err := scanBroadcast(t.tx.QueryRow(ctx, `UPDATE broadcasts SET status = $3, generation = $4, total = $5, started = $6,
skipped = $7, last_error = $8, snapshot_at = $9, finished_at = $10, updated_at = clock_timestamp()
WHERE tenant_id = $1 AND id = $2 RETURNING `+broadcastColumns,
		b.TenantID, b.ID, string(b.Status), b.Generation, b.Total, b.Started, b.Skipped, b.LastError, b.SnapshotAt, b.FinishedAt))
	return out, translate(err, "save broadcast %s", b.ID)
}

// BroadcastRecipientSnapshot takes the segment's members as recipients in
// one statement.
func (t *tx) BroadcastRecipientSnapshot(ctx context.Context, tenantID, broadcastID, segmentID uuid.UUID, dueAt time.Time) (int, error) {
	tag, err := t.tx.Exec(ctx, `INSERT INTO broadcast_recipients (tenant_id, broadcast_id, contact_id, due_at)
SELECT tenant_id, $2, contact_id, $4 FROM segment_members WHERE tenant_id = $1 AND segment_id = $3
ON CONFLICT DO NOTHING`, tenantID, broadcastID, segmentID, dueAt)
	if err != nil {
		return 0, translate(err, "take recipients of broadcast %s", broadcastID)
	}
	return int(tag.RowsAffected()), nil
}

// BroadcastRecipientTimezones lists the recipients' distinct timezones.
func (t *tx) BroadcastRecipientTimezones(ctx context.Context, tenantID, broadcastID uuid.UUID) ([]string, error) {
	rows, err := t.tx.Query(ctx, `SELECT DISTINCT c.timezone FROM broadcast_recipients r
JOIN contacts c ON c.tenant_id = r.tenant_id AND c.id = r.contact_id
WHERE r.tenant_id = $1 AND r.broadcast_id = $2 ORDER BY 1`, tenantID, broadcastID)
	if err != nil {
		return nil, translate(err, "timezones of broadcast %s", broadcastID)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, translate(err, "timezones of broadcast %s", broadcastID)
}

// BroadcastRecipientSetDue sets the due time of a timezone's pending
// recipients.
func (t *tx) BroadcastRecipientSetDue(ctx context.Context, tenantID, broadcastID uuid.UUID, timezone string, dueAt time.Time) (int, error) {
	tag, err := t.tx.Exec(ctx, `UPDATE broadcast_recipients r SET due_at = $4 FROM contacts c
WHERE r.tenant_id = $1 AND r.broadcast_id = $2 AND r.state = 0
  AND c.tenant_id = r.tenant_id AND c.id = r.contact_id AND c.timezone = $3`, tenantID, broadcastID, timezone, dueAt)
	if err != nil {
		return 0, translate(err, "schedule recipients of broadcast %s in %q", broadcastID, timezone)
	}
	return int(tag.RowsAffected()), nil
}

// BroadcastRecipientDue takes pending recipients due at now with their
// contacts, locking them and passing over those another turn holds.
func (t *tx) BroadcastRecipientDue(ctx context.Context, tenantID, broadcastID uuid.UUID, now time.Time, n int) ([]store.BroadcastRecipient, error) {
	rows, err := t.tx.Query(ctx, `SELECT r.contact_id, c.id IS NOT NULL, `+recipientContactColumns+`
FROM broadcast_recipients r LEFT JOIN contacts c ON c.tenant_id = r.tenant_id AND c.id = r.contact_id
WHERE r.tenant_id = $1 AND r.broadcast_id = $2 AND r.state = 0 AND r.due_at <= $3
ORDER BY r.due_at, r.contact_id LIMIT $4 FOR UPDATE OF r SKIP LOCKED`, tenantID, broadcastID, now, min(max(n, 1), store.BroadcastMaxBatch))
	if err != nil {
		return nil, translate(err, "due recipients of broadcast %s", broadcastID)
	}
	defer rows.Close()
	var out []store.BroadcastRecipient
	for rows.Next() {
		var r store.BroadcastRecipient
		var present bool
		c, err := scanContact(prefixRow{rows, []any{&r.ContactID, &present}})
		if err != nil {
			return nil, translate(err, "due recipients of broadcast %s", broadcastID)
		}
		if present {
			r.Contact = c
		}
		out = append(out, r)
	}
	return out, translate(rows.Err(), "due recipients of broadcast %s", broadcastID)
}

// recipientContactColumns are contactColumns of c, LEFT JOINed to
// recipients r: a recipient whose contact is gone scans as a placeholder.
const recipientContactColumns = `r.contact_id, r.tenant_id, c.external_id, c.email, c.phone, c.messenger_psid,
    coalesce(c.name, ''), coalesce(c.timezone, ''), coalesce(c.locale, ''), coalesce(c.attributes, '{}'), coalesce(c.subscriptions, '{}'),
    coalesce(c.created_at, r.due_at), coalesce(c.updated_at, r.due_at), c.last_seen_at`

// prefixRow scans its first columns into before, the rest into the
// destinations a scanner of the remaining columns passes.
type prefixRow struct {
	row    pgx.Row
	before []any
}

func (p prefixRow) Scan(dest ...any) error { return p.row.Scan(append(p.before, dest...)...) }

// BroadcastAdvance records a turn of a broadcast running in its
// generation.
func (t *tx) BroadcastAdvance(ctx context.Context, p *store.BroadcastAdvanceParams) (*domain.Broadcast, error) {
	var ended *time.Time
	if p.End != "" {
		at := p.EndedAt.UTC()
		ended = &at
	}
	b, err := scanBroadcast(t.tx.QueryRow(ctx, `UPDATE broadcasts SET started = started + $4, skipped = skipped + $5,
    last_error = CASE WHEN $6 = '' THEN last_error ELSE $6 END,
    status = CASE WHEN $7 = '' THEN status ELSE $7 END, finished_at = coalesce($8, finished_at), updated_at = clock_timestamp()
WHERE tenant_id = $1 AND id = $2 AND generation = $3 AND status = 'running' RETURNING `+broadcastColumns,
		p.TenantID, p.ID, p.Generation, p.Started, p.Skipped, p.LastError, string(p.End), ended))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("advance broadcast %s: not running in generation %d: %w", p.ID, p.Generation, store.ErrConflict)
	}
	return b, translate(err, "advance broadcast %s", p.ID)
}

// BroadcastRecipientMark marks recipients handled in one statement.
func (t *tx) BroadcastRecipientMark(ctx context.Context, tenantID, broadcastID uuid.UUID, marks []store.BroadcastMark) error {
	if len(marks) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(marks))
	execs := make([]*uuid.UUID, len(marks))
	for i, m := range marks {
		ids[i], execs[i] = m.ContactID, m.ExecutionID
	}
	tag, err := t.tx.Exec(ctx, `UPDATE broadcast_recipients r
SET state = CASE WHEN m.execution_id IS NULL THEN 2 ELSE 1 END, execution_id = m.execution_id
FROM unnest($3::uuid[], $4::uuid[]) AS m(contact_id, execution_id)
WHERE r.tenant_id = $1 AND r.broadcast_id = $2 AND r.contact_id = m.contact_id AND r.state = 0`, tenantID, broadcastID, ids, execs)
	if err != nil {
		return translate(err, "mark %d recipients of broadcast %s", len(marks), broadcastID)
	}
	if n := int(tag.RowsAffected()); n != len(marks) {
		return fmt.Errorf("mark %d recipients of broadcast %s: %d were pending: %w", len(marks), broadcastID, n, store.ErrConflict)
	}
	return nil
}

// BroadcastRecipientNextDue returns the earliest pending due time.
func (t *tx) BroadcastRecipientNextDue(ctx context.Context, tenantID, broadcastID uuid.UUID) (*time.Time, error) {
	var at *time.Time
	err := t.tx.QueryRow(ctx, `SELECT min(due_at) FROM broadcast_recipients WHERE tenant_id = $1 AND broadcast_id = $2 AND state = 0`,
		tenantID, broadcastID).Scan(&at)
	return at, translate(err, "next recipient of broadcast %s", broadcastID)
}

// BroadcastRecipientCount counts recipients by state.
func (t *tx) BroadcastRecipientCount(ctx context.Context, tenantID, broadcastID uuid.UUID) (pending, started, skipped int, err error) {
	err = t.tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 1), count(*) FILTER (WHERE state = 2)
FROM broadcast_recipients WHERE tenant_id = $1 AND broadcast_id = $2`, tenantID, broadcastID).Scan(&pending, &started, &skipped)
	return pending, started, skipped, translate(err, "count recipients of broadcast %s", broadcastID)
}
