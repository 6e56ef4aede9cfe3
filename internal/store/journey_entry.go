package store

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// JourneyEntryStore keeps the journey entries that enforce trigger.event's
// re-entry policy, and lists the workflows an event may start.
type JourneyEntryStore interface {
	// JourneyEntryClaimMany claims, for each start of p, the entry of its
	// workflow and contact under its re-entry policy, and returns the
	// execution IDs of the starts that may go ahead; a refused claim is
	// left out, not an error. The database decides, so concurrent
	// transactions (on any node) cannot both enter under once or
	// one_at_a_time:
	//   - once: the first claim of a workflow and contact ever succeeds.
	//   - one_at_a_time: a claim succeeds when there is no entry, or the
	//     entry's execution is COMPLETED, FAILED or CANCELLED (or deleted)
	//     as this transaction sees it; an execution another transaction
	//     committed meanwhile counts as running.
	//   - always: every claim succeeds.
	// The entry names the new execution, which the caller must insert in
	// the same transaction (SQLite checks the reference at commit;
	// PostgreSQL, since migration 00050, does not). A deleted execution
	// leaves its entries naming none. A workflow and contact must appear
	// at most once in p.Starts.
	JourneyEntryClaimMany(ctx context.Context, p *JourneyEntryClaimManyParams) ([]uuid.UUID, error)
	// JourneyEntryGet returns the entry of a workflow and contact, or
	// ErrNotFound.
	JourneyEntryGet(ctx context.Context, tenantID, workflowID, contactID uuid.UUID) (*domain.JourneyEntry, error)
	// JourneyEntryListByContact returns a contact's entries, latest first
	// (default 100, at most 1000).
	JourneyEntryListByContact(ctx context.Context, tenantID, contactID uuid.UUID, limit int) ([]domain.JourneyEntry, error)
	// WorkflowActiveVersionList returns the tenant's active workflows that
	// have a published version, by ID: the workflows an event may start.
	WorkflowActiveVersionList(ctx context.Context, tenantID uuid.UUID) ([]ActiveVersion, error)
	// WaitEventContactList returns which of the event names and contacts
	// have waits, as distinct (name, contact) keys; a nil contact stands for
	// waits of no contact, which an event of any contact may resume. Events
	// whose name and contact (or name and nil) are missing resume nothing,
	// so a batch needs no per-event look-up for them.
	WaitEventContactList(ctx context.Context, tenantID uuid.UUID, eventNames []string, contactIDs []uuid.UUID) ([]WaitKey, error)
}

// WaitKey is an event name and a contact that waits exist for (nil: waits
// of no contact).
type WaitKey struct {
	EventName string
	ContactID *uuid.UUID
}

// JourneyEntryClaimManyParams are the starts of one tenant that claim
// their journey entries.
type JourneyEntryClaimManyParams struct {
	TenantID uuid.UUID
	Starts   []JourneyEntryClaim
}

// JourneyEntryClaim is one start's claim: workflow, contact, the new
// execution's ID and the re-entry policy (workflow.ReentryOnce,
// ReentryOneAtATime or ReentryAlways).
type JourneyEntryClaim struct {
	WorkflowID  uuid.UUID
	ContactID   uuid.UUID
	ExecutionID uuid.UUID
	Reentry     string
}

// ActiveVersion is an active workflow's current published version.
type ActiveVersion struct {
	WorkflowID uuid.UUID
	VersionID  uuid.UUID
	Version    int
}

// CorrelationPairs returns p.Correlation as "key\x1fvalue" strings (unit
// separator between), sorted, and the distinct values: the forms the
// stores match waits' correlation key and value against.
func (p *WaitListByEventParams) CorrelationPairs() (pairs, values []string) {
	pairs = make([]string, 0, len(p.Correlation))
	values = make([]string, 0, len(p.Correlation))
	for k, v := range p.Correlation {
		pairs = append(pairs, k+"\x1f"+v)
		values = append(values, v)
	}
	slices.Sort(pairs)
	slices.Sort(values)
	return pairs, slices.Compact(values)
}
