package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Broadcasts are read and written with hand-written SQL, like segments.
// SQLite's single writer serialises the batches of a broadcast, so
// BroadcastLock is a plain read.

const broadcastColumns = `id, tenant_id, name, workflow_id, version_id, version, trigger_node_id, segment_id, status,
schedule_mode, send_at, timezone, starts_at, rate_per_second, generation, total, started, skipped, last_error,
snapshot_at, created_at, updated_at, finished_at`

func scanBroadcast(row rowScanner) (*domain.Broadcast, error) {
	b := &domain.Broadcast{}
	var status string
	var snapshot, finished sql.NullTime
	if err := row.Scan(&b.ID, &b.TenantID, &b.Name, &b.WorkflowID, &b.VersionID, &b.Version, &b.TriggerNodeID, &b.SegmentID, &status,
		&b.ScheduleMode, &b.SendAt, &b.Timezone, &b.StartsAt, &b.RatePerSecond, &b.Generation, &b.Total, &b.Started, &b.Skipped, &b.LastError,
		&snapshot, &b.CreatedAt, &b.UpdatedAt, &finished); err != nil {
		return nil, err
	}
	b.Status = domain.BroadcastStatus(status)
	b.SnapshotAt, b.FinishedAt = timePtr(snapshot), timePtr(finished)
	b.StartsAt, b.CreatedAt, b.UpdatedAt = b.StartsAt.UTC(), b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, nil
}

// BroadcastInsert creates a broadcast.
func (t *tx) BroadcastInsert(ctx context.Context, b *domain.Broadcast) (*domain.Broadcast, error) {
	id := b.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	now := utc(time.Now())
	out, err := scanBroadcast(t.tx.QueryRowContext(ctx, `INSERT INTO broadcasts (tenant_id, id, name, workflow_id, version_id, version,
trigger_node_id, segment_id, status, schedule_mode, send_at, timezone, starts_at, rate_per_second, generation, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+broadcastColumns,
		b.TenantID, id, b.Name, b.WorkflowID, b.VersionID, b.Version, b.TriggerNodeID, b.SegmentID, string(b.Status),
		b.ScheduleMode, b.SendAt, b.Timezone, utc(b.StartsAt), b.RatePerSecond, max(b.Generation, 1), now, now))
	return out, wrap(err, "insert broadcast %q", b.Name)
}

// BroadcastGet reads a broadcast.
func (t *tx) BroadcastGet(ctx context.Context, tenantID, id uuid.UUID) (*domain.Broadcast, error) {
	b, err := scanBroadcast(t.tx.QueryRowContext(ctx, `SELECT `+broadcastColumns+` FROM broadcasts WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return b, wrap(err, "get broadcast %s", id)
}

// BroadcastLock reads a broadcast; the transaction is the only writer.
func (t *tx) BroadcastLock(ctx context.Context, tenantID, id uuid.UUID) (*domain.Broadcast, error) {
	return t.BroadcastGet(ctx, tenantID, id)
}

// BroadcastList lists a tenant's broadcasts, newest first.
func (t *tx) BroadcastList(ctx context.Context, tenantID uuid.UUID, n int) ([]domain.Broadcast, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+broadcastColumns+` FROM broadcasts WHERE tenant_id = ?
ORDER BY created_at DESC, id DESC LIMIT ?`, tenantID, limit(n, 50, 500))
	if err != nil {
		return nil, wrap(err, "list broadcasts of tenant %s", tenantID)
	}
	defer func() { _ = rows.Close() }()
	var out []domain.Broadcast
	for rows.Next() {
		b, err := scanBroadcast(rows)
		if err != nil {
			return nil, wrap(err, "list broadcasts of tenant %s", tenantID)
		}
		out = append(out, *b)
	}
	return out, wrap(rows.Err(), "list broadcasts of tenant %s", tenantID)
}

// BroadcastSave writes a broadcast's state.
func (t *tx) BroadcastSave(ctx context.Context, b *domain.Broadcast) (*domain.Broadcast, error) {
	out, err := scanBroadcast(t.tx.QueryRowContext(ctx, `UPDATE broadcasts SET status = ?, generation = ?, total = ?, started = ?,
skipped = ?, last_error = ?, snapshot_at = ?, finished_at = ?, updated_at = ?
WHERE tenant_id = ? AND id = ? RETURNING `+broadcastColumns,
		string(b.Status), b.Generation, b.Total, b.Started, b.Skipped, b.LastError, nullTime(b.SnapshotAt), nullTime(b.FinishedAt),
		utc(time.Now()), b.TenantID, b.ID))
	return out, wrap(err, "save broadcast %s", b.ID)
}

// BroadcastRecipientSnapshot takes the segment's members as recipients.
func (t *tx) BroadcastRecipientSnapshot(ctx context.Context, tenantID, broadcastID, segmentID uuid.UUID, dueAt time.Time) (int, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO broadcast_recipients (tenant_id, broadcast_id, contact_id, due_at)
SELECT tenant_id, ?, contact_id, ? FROM segment_members WHERE tenant_id = ? AND segment_id = ?
ON CONFLICT DO NOTHING`, broadcastID, utc(dueAt), tenantID, segmentID)
	if err != nil {
		return 0, wrap(err, "take recipients of broadcast %s", broadcastID)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "take recipients of broadcast %s", broadcastID)
}

// BroadcastRecipientTimezones lists the recipients' distinct timezones.
func (t *tx) BroadcastRecipientTimezones(ctx context.Context, tenantID, broadcastID uuid.UUID) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT DISTINCT c.timezone FROM broadcast_recipients r
JOIN contacts c ON c.tenant_id = r.tenant_id AND c.id = r.contact_id
WHERE r.tenant_id = ? AND r.broadcast_id = ? ORDER BY 1`, tenantID, broadcastID)
	if err != nil {
		return nil, wrap(err, "timezones of broadcast %s", broadcastID)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var tz string
		if err := rows.Scan(&tz); err != nil {
			return nil, wrap(err, "timezones of broadcast %s", broadcastID)
		}
		out = append(out, tz)
	}
	return out, wrap(rows.Err(), "timezones of broadcast %s", broadcastID)
}

// BroadcastRecipientSetDue sets the due time of a timezone's pending
// recipients.
func (t *tx) BroadcastRecipientSetDue(ctx context.Context, tenantID, broadcastID uuid.UUID, timezone string, dueAt time.Time) (int, error) {
	res, err := t.tx.ExecContext(ctx, `UPDATE broadcast_recipients SET due_at = ?
WHERE tenant_id = ? AND broadcast_id = ? AND state = 0
  AND contact_id IN (SELECT id FROM contacts WHERE tenant_id = ? AND timezone = ?)`, utc(dueAt), tenantID, broadcastID, tenantID, timezone)
	if err != nil {
		return 0, wrap(err, "schedule recipients of broadcast %s in %q", broadcastID, timezone)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "schedule recipients of broadcast %s in %q", broadcastID, timezone)
}

// BroadcastRecipientDue takes pending recipients due at now with their
// contacts (the single writer holds them). A contact's erasure takes its
// recipients with it (the foreign key's cascade), so each has a contact.
func (t *tx) BroadcastRecipientDue(ctx context.Context, tenantID, broadcastID uuid.UUID, now time.Time, n int) ([]store.BroadcastRecipient, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT r.contact_id, `+contactColumnsOfC+` FROM broadcast_recipients r
JOIN contacts c ON c.tenant_id = r.tenant_id AND c.id = r.contact_id
WHERE r.tenant_id = ? AND r.broadcast_id = ? AND r.state = 0 AND r.due_at <= ?
ORDER BY r.due_at, r.contact_id LIMIT ?`, tenantID, broadcastID, utc(now), min(max(n, 1), store.BroadcastMaxBatch))
	if err != nil {
		return nil, wrap(err, "due recipients of broadcast %s", broadcastID)
	}
	defer func() { _ = rows.Close() }()
	var out []store.BroadcastRecipient
	for rows.Next() {
		var r store.BroadcastRecipient
		if r.Contact, err = scanContact(prefixRow{rows, []any{&r.ContactID}}); err != nil {
			return nil, wrap(err, "due recipients of broadcast %s", broadcastID)
		}
		out = append(out, r)
	}
	return out, wrap(rows.Err(), "due recipients of broadcast %s", broadcastID)
}

// contactColumnsOfC is contactColumns of the table aliased c.
var contactColumnsOfC = func() string {
	cols := strings.Split(contactColumns, ",")
	for i, c := range cols {
		cols[i] = "c." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// prefixRow scans its first columns into before, the rest into the
// destinations a scanner of the remaining columns passes.
type prefixRow struct {
	row    rowScanner
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
	b, err := scanBroadcast(t.tx.QueryRowContext(ctx, `UPDATE broadcasts SET started = started + ?, skipped = skipped + ?,
    last_error = CASE WHEN ? = '' THEN last_error ELSE ? END,
    status = CASE WHEN ? = '' THEN status ELSE ? END, finished_at = coalesce(?, finished_at), updated_at = ?
WHERE tenant_id = ? AND id = ? AND generation = ? AND status = 'running' RETURNING `+broadcastColumns,
		p.Started, p.Skipped, p.LastError, p.LastError, string(p.End), string(p.End), nullTime(ended), utc(time.Now()),
		p.TenantID, p.ID, p.Generation))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("advance broadcast %s: not running in generation %d: %w", p.ID, p.Generation, store.ErrConflict)
	}
	return b, wrap(err, "advance broadcast %s", p.ID)
}

// BroadcastRecipientMark marks recipients handled, one statement each
// (in-process: no round trips).
func (t *tx) BroadcastRecipientMark(ctx context.Context, tenantID, broadcastID uuid.UUID, marks []store.BroadcastMark) error {
	if len(marks) == 0 {
		return nil
	}
	stmt, err := t.tx.PrepareContext(ctx, `UPDATE broadcast_recipients SET state = ?, execution_id = ?
WHERE tenant_id = ? AND broadcast_id = ? AND contact_id = ? AND state = 0`)
	if err != nil {
		return wrap(err, "mark recipients of broadcast %s", broadcastID)
	}
	defer func() { _ = stmt.Close() }()
	for _, m := range marks {
		state := 2
		var exec any
		if m.ExecutionID != nil {
			state, exec = 1, *m.ExecutionID
		}
		res, err := stmt.ExecContext(ctx, state, exec, tenantID, broadcastID, m.ContactID)
		if err != nil {
			return wrap(err, "mark recipient %s of broadcast %s", m.ContactID, broadcastID)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("mark recipient %s of broadcast %s: not pending: %w", m.ContactID, broadcastID, errors.Join(store.ErrConflict, err))
		}
	}
	return nil
}

// BroadcastRecipientNextDue returns the earliest pending due time.
func (t *tx) BroadcastRecipientNextDue(ctx context.Context, tenantID, broadcastID uuid.UUID) (*time.Time, error) {
	var at time.Time
	err := t.tx.QueryRowContext(ctx, `SELECT due_at FROM broadcast_recipients WHERE tenant_id = ? AND broadcast_id = ? AND state = 0
ORDER BY due_at LIMIT 1`, tenantID, broadcastID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(err, "next recipient of broadcast %s", broadcastID)
	}
	at = at.UTC()
	return &at, nil
}

// BroadcastRecipientCount counts recipients by state.
func (t *tx) BroadcastRecipientCount(ctx context.Context, tenantID, broadcastID uuid.UUID) (pending, started, skipped int, err error) {
	err = t.tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 1), count(*) FILTER (WHERE state = 2)
FROM broadcast_recipients WHERE tenant_id = ? AND broadcast_id = ?`, tenantID, broadcastID).Scan(&pending, &started, &skipped)
	return pending, started, skipped, wrap(err, "count recipients of broadcast %s", broadcastID)
}
