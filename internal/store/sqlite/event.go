package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

const eventColumns = `id, tenant_id, contact_id, name, properties, occurred_at, received_at, message_id`

// eventInsertSQL[n] inserts n events with a multi-row statement; a row
// whose message ID the tenant has stored (or an earlier row of the same
// statement carries) is skipped, and RETURNING names the rows written.
var eventInsertSQL = multiRowInserts("INSERT INTO events ("+eventColumns+")", 8,
	" ON CONFLICT (tenant_id, message_id) DO NOTHING RETURNING id")

// EventInsertMany stores events of one tenant with a few multi-row
// statements, skipping message IDs it has stored, and returns the stored
// ones in input order.
func (t *tx) EventInsertMany(ctx context.Context, p *store.EventInsertManyParams) ([]domain.Event, error) {
	if len(p.Events) == 0 {
		return nil, nil
	}
	evs := store.EventsToInsert(p, time.Now())
	written := make(map[uuid.UUID]bool, len(evs))
	for done := 0; done < len(evs); {
		n := chunkSize(len(evs) - done)
		args := make([]any, 0, 8*n)
		for _, e := range evs[done : done+n] {
			args = append(args, e.ID, p.TenantID, e.ContactID, e.Name, string(e.Properties), e.OccurredAt, e.ReceivedAt, e.MessageID)
		}
		ids, err := t.returnedIDs(ctx, eventInsertSQL[n], args)
		if err != nil {
			return nil, wrap(err, "insert %d events", n)
		}
		for id := range ids {
			written[id] = true
		}
		done += n
	}
	out := make([]domain.Event, 0, len(written))
	for _, e := range evs {
		if written[e.ID] {
			out = append(out, e)
		}
	}
	return out, nil
}

// EventList pages through a tenant's events, newest first.
func (t *tx) EventList(ctx context.Context, p *store.EventListParams) ([]domain.Event, error) {
	var sb strings.Builder
	args := []any{p.TenantID}
	sb.WriteString(`SELECT ` + eventColumns + ` FROM events WHERE tenant_id = ?`)
	if p.Name != "" {
		sb.WriteString(` AND name = ?`)
		args = append(args, p.Name)
	}
	if p.ContactID != nil {
		sb.WriteString(` AND contact_id = ?`)
		args = append(args, *p.ContactID)
	}
	if p.From != nil {
		sb.WriteString(` AND occurred_at >= ?`)
		args = append(args, utc(*p.From))
	}
	if p.To != nil {
		sb.WriteString(` AND occurred_at < ?`)
		args = append(args, utc(*p.To))
	}
	if p.After != nil {
		at := utc(p.After.OccurredAt)
		sb.WriteString(` AND (occurred_at < ? OR (occurred_at = ? AND id < ?))`)
		args = append(args, at, at, p.After.ID)
	}
	sb.WriteString(` ORDER BY occurred_at DESC, id DESC LIMIT ?`)
	args = append(args, limit(p.Limit, 50, 1000))

	rows, err := t.tx.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return nil, wrap(err, "list events of tenant %s", p.TenantID)
	}
	defer rows.Close()
	out := []domain.Event{}
	for rows.Next() {
		var (
			e     domain.Event
			props string
		)
		if err := rows.Scan(&e.ID, &e.TenantID, &e.ContactID, &e.Name, &props, &e.OccurredAt, &e.ReceivedAt, &e.MessageID); err != nil {
			return nil, wrap(err, "list events of tenant %s", p.TenantID)
		}
		e.Properties = []byte(props)
		e.OccurredAt, e.ReceivedAt = e.OccurredAt.UTC(), e.ReceivedAt.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "list events of tenant %s", p.TenantID)
	}
	return out, nil
}

// EventNameList returns distinct event names of a tenant in name order.
func (t *tx) EventNameList(ctx context.Context, tenantID uuid.UUID, n int) ([]string, error) {
	names, err := t.q.EventNameList(ctx, t.tx, &dbsqlc.EventNameListParams{TenantID: tenantID, MaxRows: limit(n, 200, 1000)})
	if err != nil {
		return nil, wrap(err, "list event names of tenant %s", tenantID)
	}
	return names, nil
}

// EventDeleteBefore deletes up to limit events of every tenant that
// occurred before before.
func (t *tx) EventDeleteBefore(ctx context.Context, before time.Time, n int) (int, error) {
	deleted, err := t.q.EventDeleteBefore(ctx, t.tx, &dbsqlc.EventDeleteBeforeParams{Before: utc(before), MaxRows: limit(n, 1000, 100000)})
	if err != nil {
		return 0, wrap(err, "delete events before %s", before.Format(time.RFC3339))
	}
	return int(deleted), nil
}
