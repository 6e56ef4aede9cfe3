package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toEvent(r dbsqlc.Event) domain.Event {
	return domain.Event{
		ID:         r.ID,
		TenantID:   r.TenantID,
		ContactID:  r.ContactID,
		Name:       r.Name,
		Properties: r.Properties,
		OccurredAt: utc(r.OccurredAt),
		ReceivedAt: utc(r.ReceivedAt),
		MessageID:  r.MessageID,
	}
}

// eventInsertManySQL inserts several events of one tenant in one round
// trip; the arrays are zipped row by row. A row whose message ID the tenant
// has stored (before, in a transaction committed meanwhile, or earlier in
// the arrays) is skipped; RETURNING names the rows written. The events'
// contacts are checked and locked first, once each (KEY SHARE, what the
// foreign key took per event before migration 00043: a contact delete
// waits for this transaction, and its contacts_gone trigger then deletes
// these events); when one is not the tenant's nothing is stored and the
// statement returns a NULL id. Raw SQL: the arrays' length varies per call.
//
// Planned on each call (customPlanOnly), and each distinct contact is one
// primary-key probe, taken in id order (a subquery with a locking clause
// is not flattened, so it stays the inner side of a nested loop): as a
// filter id = ANY($3) in a cached generic plan made while contacts was
// nearly empty, it read every contact of the tenant and tested each
// against the array (bench events: 41 ms a statement at 10,000 contacts,
// until autovacuum analyzed the table). Planned with stale statistics,
// each probe still weighs one index descent against reading the table.
//
// ON CONFLICT makes every row a speculative insertion: a probe of
// events_message_id_key, then the row and its index entries, then a
// confirmation record (one WAL record in nine of an event's). The
// statement EventInsertMany runs first, eventInsertManyPlainSQL, is a
// plain insert of the rows whose message ID it does not find stored (a
// scalar subquery per row, one probe of the same index, never flattened
// into a join over the tenant's events); only a copy that a concurrent
// transaction commits meanwhile makes it fail, with a unique violation,
// and then this one runs instead.
const eventInsertManySQL = eventInsertManyHead + `
    ON CONFLICT (tenant_id, message_id) DO NOTHING` + eventInsertManyTail

// eventInsertManyPlainSQL is eventInsertManySQL without ON CONFLICT: a
// message ID stored already is skipped, but one a concurrent transaction
// inserts fails the statement (see EventInsertMany). The arrays hold each
// message ID once.
const eventInsertManyPlainSQL = eventInsertManyHead + `
      AND (SELECT 1 FROM events x WHERE x.tenant_id = $1 AND x.message_id = u.message_id LIMIT 1) IS NULL` + eventInsertManyTail

const eventInsertManyHead = `WITH want AS MATERIALIZED (
    SELECT DISTINCT x.id FROM unnest($3::uuid[]) AS x(id) ORDER BY x.id
), c AS MATERIALIZED (
    SELECT k.id FROM want
        CROSS JOIN LATERAL (SELECT id FROM contacts WHERE tenant_id = $1 AND id = want.id FOR KEY SHARE) AS k
), ok AS MATERIALIZED (
    SELECT (SELECT count(*) FROM c) = (SELECT count(*) FROM want) AS found
), ins AS (
    INSERT INTO events (tenant_id, id, contact_id, name, properties, occurred_at, received_at, message_id)
    SELECT $1, u.id, u.contact_id, u.name, u.properties::jsonb, u.occurred_at, u.received_at, u.message_id
    FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[])
        AS u(id, contact_id, name, properties, occurred_at, received_at, message_id)
    WHERE (SELECT ok.found FROM ok) AND ` + customPlanOnly

const eventInsertManyTail = `
    RETURNING id
)
SELECT ins.id FROM ins
UNION ALL
SELECT NULL::uuid FROM ok WHERE NOT ok.found`

// EventInsertMany stores events of one tenant, skipping message IDs it has
// stored, and returns the stored ones in input order. Each message ID is
// inserted once (the first copy in the batch) by a plain insert, in a
// savepoint: when a concurrent transaction commits a copy of one of them
// meanwhile, the insert fails on the unique key, the savepoint is rolled
// back and eventInsertManySQL skips the copy instead.
func (t *tx) EventInsertMany(ctx context.Context, p *store.EventInsertManyParams) ([]domain.Event, error) {
	if len(p.Events) == 0 {
		return nil, nil
	}
	evs := store.EventsToInsert(p, time.Now())
	once := make([]domain.Event, 0, len(evs))
	seen := make(map[string]bool, len(evs))
	for _, e := range evs {
		if !seen[e.MessageID] {
			seen[e.MessageID] = true
			once = append(once, e)
		}
	}
	sp, err := t.tx.Begin(ctx)
	if err != nil {
		return nil, translate(err, "savepoint before inserting %d events", len(once))
	}
	written, err := insertEvents(ctx, sp, eventInsertManyPlainSQL, p.TenantID, once)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == pgUniqueViolation:
		if err := sp.Rollback(ctx); err != nil {
			return nil, translate(err, "roll back the insert of %d events", len(once))
		}
		if written, err = insertEvents(ctx, t.tx, eventInsertManySQL, p.TenantID, once); err != nil {
			return nil, translate(err, "insert %d events", len(once))
		}
	case err != nil:
		_ = sp.Rollback(ctx)
		return nil, translate(err, "insert %d events", len(once))
	default:
		if err := sp.Commit(ctx); err != nil {
			return nil, translate(err, "release the savepoint of %d events", len(once))
		}
	}
	out := make([]domain.Event, 0, len(written))
	for _, e := range once {
		if written[e.ID] {
			out = append(out, e)
		}
	}
	return out, nil
}

// insertEvents runs sql, eventInsertManySQL or eventInsertManyPlainSQL, for
// evs and returns the IDs of the events written. Errors come untranslated
// (the caller tells a unique violation), except a contact that is not the
// tenant's, store.ErrNotFound.
func insertEvents(ctx context.Context, q pgx.Tx, sql string, tenantID uuid.UUID, evs []domain.Event) (map[uuid.UUID]bool, error) {
	n := len(evs)
	ids, contacts := make([]uuid.UUID, n), make([]uuid.UUID, n)
	names, props, msgIDs := make([]string, n), make([]string, n), make([]string, n)
	occurred, received := make([]time.Time, n), make([]time.Time, n)
	for i, e := range evs {
		ids[i], contacts[i] = e.ID, e.ContactID
		names[i], props[i], msgIDs[i] = e.Name, string(e.Properties), e.MessageID
		occurred[i], received[i] = e.OccurredAt, e.ReceivedAt
	}
	rows, err := q.Query(ctx, sql, tenantID, ids, contacts, names, props, occurred, received, msgIDs)
	if err != nil {
		return nil, err
	}
	written := make(map[uuid.UUID]bool, n)
	missing := false
	for rows.Next() {
		var id *uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		if id == nil {
			missing = true
			continue
		}
		written[*id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if missing {
		return nil, fmt.Errorf("a contact is not the tenant's: %w", store.ErrNotFound)
	}
	return written, nil
}

// EventList pages through a tenant's events, newest first.
func (t *tx) EventList(ctx context.Context, p *store.EventListParams) ([]domain.Event, error) {
	q := dbsqlc.EventListParams{
		TenantID: p.TenantID, ContactID: p.ContactID, FromAt: microPtr(p.From), ToAt: microPtr(p.To),
		MaxRows: limit(p.Limit, 50, 1000),
	}
	if p.Name != "" {
		q.Name = &p.Name
	}
	if p.After != nil {
		q.AfterAt, q.AfterID = microPtr(&p.After.OccurredAt), p.After.ID
	}
	rows, err := t.q.EventList(ctx, q)
	if err != nil {
		return nil, translate(err, "list events of tenant %s", p.TenantID)
	}
	out := make([]domain.Event, 0, len(rows))
	for _, r := range rows {
		out = append(out, toEvent(r))
	}
	return out, nil
}

// EventNameList returns distinct event names of a tenant in name order.
func (t *tx) EventNameList(ctx context.Context, tenantID uuid.UUID, n int) ([]string, error) {
	names, err := t.q.EventNameList(ctx, dbsqlc.EventNameListParams{TenantID: tenantID, MaxRows: limit(n, 200, 1000)})
	if err != nil {
		return nil, translate(err, "list event names of tenant %s", tenantID)
	}
	return names, nil
}

// EventDeleteBefore deletes up to limit events of every tenant that
// occurred before before.
func (t *tx) EventDeleteBefore(ctx context.Context, before time.Time, n int) (int, error) {
	deleted, err := t.q.EventDeleteBefore(ctx, dbsqlc.EventDeleteBeforeParams{Before: before.UTC(), MaxRows: limit(n, 1000, 100000)})
	if err != nil {
		return 0, translate(err, "delete events before %s", before.Format(time.RFC3339))
	}
	return int(deleted), nil
}
