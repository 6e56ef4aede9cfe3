package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// EventStore holds the events contacts did (ingestion, the events list,
// retention).
type EventStore interface {
	// EventInsertMany stores the events of one tenant and returns those it
	// stored, in the order of p.Events. An event whose message ID the
	// tenant has already stored (before, in a concurrent transaction, or
	// earlier in p.Events) is skipped: it is not an error and not returned.
	// An event of a contact that is not the tenant's is ErrNotFound.
	EventInsertMany(ctx context.Context, p *EventInsertManyParams) ([]domain.Event, error)
	// EventList pages through a tenant's events, newest first.
	EventList(ctx context.Context, p *EventListParams) ([]domain.Event, error)
	// EventNameList returns up to limit distinct event names the tenant has
	// stored, in name order.
	EventNameList(ctx context.Context, tenantID uuid.UUID, limit int) ([]string, error)
	// EventDeleteBefore deletes up to limit events of every tenant received
	// before before and returns how many it deleted (retention). Call it in
	// a system transaction (InTx with uuid.Nil).
	EventDeleteBefore(ctx context.Context, before time.Time, limit int) (int, error)
}

// EventInsertManyParams stores events of one tenant.
type EventInsertManyParams struct {
	TenantID uuid.UUID
	Events   []EventInsert
}

// EventInsert is one event to store.
type EventInsert struct {
	ID         uuid.UUID // zero: generated
	ContactID  uuid.UUID
	Name       string
	Properties json.RawMessage // a JSON object; empty stores {}
	OccurredAt time.Time       // zero: ReceivedAt
	ReceivedAt time.Time       // zero: now
	MessageID  string          // never empty
}

// EventListParams filters and pages a tenant's events, newest first (by
// occurrence, then ID).
type EventListParams struct {
	TenantID  uuid.UUID
	Name      string     // empty: any
	ContactID *uuid.UUID // nil: any
	From      *time.Time // occurred at or after
	To        *time.Time // occurred before
	// After is the cursor: the last event of the previous page; nil starts
	// at the newest.
	After *EventCursor
	Limit int
}

// EventCursor is a position in the events list: the occurrence time and
// ID of the last event seen.
type EventCursor struct {
	OccurredAt time.Time
	ID         uuid.UUID
}

// EventsToInsert returns p's events as they will be stored: IDs generated
// where zero, ReceivedAt now and OccurredAt ReceivedAt where zero, times in
// UTC at microsecond precision (both databases keep that), properties {}
// where empty. Backends store exactly these rows.
func EventsToInsert(p *EventInsertManyParams, now time.Time) []domain.Event {
	now = now.UTC().Truncate(time.Microsecond)
	out := make([]domain.Event, len(p.Events))
	for i, e := range p.Events {
		ev := domain.Event{
			ID: e.ID, TenantID: p.TenantID, ContactID: e.ContactID, Name: e.Name,
			Properties: e.Properties, OccurredAt: e.OccurredAt.UTC().Truncate(time.Microsecond),
			ReceivedAt: e.ReceivedAt.UTC().Truncate(time.Microsecond), MessageID: e.MessageID,
		}
		if ev.ID == uuid.Nil {
			ev.ID = domain.NewID()
		}
		if e.ReceivedAt.IsZero() {
			ev.ReceivedAt = now
		}
		if e.OccurredAt.IsZero() {
			ev.OccurredAt = ev.ReceivedAt
		}
		if len(ev.Properties) == 0 {
			ev.Properties = json.RawMessage(`{}`)
		}
		out[i] = ev
	}
	return out
}
