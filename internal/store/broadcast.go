package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// BroadcastStore keeps broadcasts and their recipients: one row per
// contact taken from the segment, marked in the transaction that starts
// its execution, so a recipient is started exactly once whatever crashes.
type BroadcastStore interface {
	BroadcastInsert(ctx context.Context, b *domain.Broadcast) (*domain.Broadcast, error)
	BroadcastGet(ctx context.Context, tenantID, id uuid.UUID) (*domain.Broadcast, error)
	// BroadcastLock reads a broadcast and holds its row until the
	// transaction ends (PostgreSQL: FOR UPDATE; SQLite's single writer
	// holds every row), so batches of one broadcast never overlap.
	BroadcastLock(ctx context.Context, tenantID, id uuid.UUID) (*domain.Broadcast, error)
	// BroadcastList lists a tenant's broadcasts, newest first.
	BroadcastList(ctx context.Context, tenantID uuid.UUID, limit int) ([]domain.Broadcast, error)
	// BroadcastSave writes a broadcast's state: status, generation,
	// counters, last error, snapshot and finish times.
	BroadcastSave(ctx context.Context, b *domain.Broadcast) (*domain.Broadcast, error)
	// BroadcastRecipientSnapshot takes the segment's stored members as the
	// broadcast's recipients, all due at dueAt, and returns how many.
	BroadcastRecipientSnapshot(ctx context.Context, tenantID, broadcastID, segmentID uuid.UUID, dueAt time.Time) (int, error)
	// BroadcastRecipientTimezones lists the distinct timezones of the
	// recipients' contacts ("" included when some have none).
	BroadcastRecipientTimezones(ctx context.Context, tenantID, broadcastID uuid.UUID) ([]string, error)
	// BroadcastRecipientSetDue sets the due time of the pending recipients
	// whose contact's timezone is timezone.
	BroadcastRecipientSetDue(ctx context.Context, tenantID, broadcastID uuid.UUID, timezone string, dueAt time.Time) (int, error)
	// BroadcastRecipientDue takes up to limit pending recipients due at or
	// before now, by due time then contact ID, with their contacts, and
	// holds them until the transaction ends: on PostgreSQL a recipient
	// another transaction holds is passed over (FOR UPDATE SKIP LOCKED),
	// so turns of one broadcast that run at once take different
	// recipients; SQLite's single writer runs one at a time.
	BroadcastRecipientDue(ctx context.Context, tenantID, broadcastID uuid.UUID, now time.Time, limit int) ([]BroadcastRecipient, error)
	// BroadcastAdvance records a turn of a broadcast running in
	// p.Generation: adds to its counters, keeps p.LastError when set, and
	// ends it when p.End is set. A broadcast not running in that
	// generation (paused, cancelled, ended or resumed since the turn read
	// it) is left alone and the answer is ErrConflict: the turn must not
	// commit what it started.
	BroadcastAdvance(ctx context.Context, p *BroadcastAdvanceParams) (*domain.Broadcast, error)
	// BroadcastRecipientMark marks recipients handled: started with their
	// execution, or skipped (ExecutionID nil). A recipient not pending is
	// an error (ErrConflict): it was handled already.
	BroadcastRecipientMark(ctx context.Context, tenantID, broadcastID uuid.UUID, marks []BroadcastMark) error
	// BroadcastRecipientNextDue returns the earliest due time of a pending
	// recipient (nil: none left).
	BroadcastRecipientNextDue(ctx context.Context, tenantID, broadcastID uuid.UUID) (*time.Time, error)
	// BroadcastRecipientCount counts a broadcast's recipients in each
	// state: pending, started, skipped.
	BroadcastRecipientCount(ctx context.Context, tenantID, broadcastID uuid.UUID) (pending, started, skipped int, err error)
}

// BroadcastRecipient is a pending recipient taken for a turn.
type BroadcastRecipient struct {
	ContactID uuid.UUID
	// Contact is the stored contact; nil when it was erased after the
	// recipients were taken.
	Contact *domain.Contact
}

// BroadcastAdvanceParams is one turn of a running broadcast.
type BroadcastAdvanceParams struct {
	TenantID uuid.UUID
	ID       uuid.UUID
	// Generation is the job generation the turn ran in.
	Generation int
	// Started and Skipped are added to the counters.
	Started, Skipped int
	// LastError, when not empty, replaces the last error.
	LastError string
	// End, when set (completed or failed), ends the broadcast at EndedAt.
	End     domain.BroadcastStatus
	EndedAt time.Time
}

// BroadcastMark is a recipient handled.
type BroadcastMark struct {
	ContactID uuid.UUID
	// ExecutionID is the execution started for it (nil: skipped).
	ExecutionID *uuid.UUID
}

// BroadcastMaxBatch bounds the recipients one transaction handles.
const BroadcastMaxBatch = 1000
