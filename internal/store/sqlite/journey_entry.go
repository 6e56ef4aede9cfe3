package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func journeyEntryFromRow(r dbsqlc.JourneyEntry) *domain.JourneyEntry {
	return &domain.JourneyEntry{
		TenantID:       r.TenantID,
		WorkflowID:     r.WorkflowID,
		ContactID:      r.ContactID,
		ExecutionID:    uuidPtr(r.ExecutionID),
		Reentry:        r.Reentry,
		Entries:        int(r.Entries),
		FirstEnteredAt: r.FirstEnteredAt.UTC(),
		EnteredAt:      r.EnteredAt.UTC(),
	}
}

// JourneyEntryClaimMany claims the entries of p's starts one statement
// each (INSERT … ON CONFLICT DO UPDATE … WHERE the policy allows); the
// single writer serialises claimers.
func (t *tx) JourneyEntryClaimMany(ctx context.Context, p *store.JourneyEntryClaimManyParams) ([]uuid.UUID, error) {
	if len(p.Starts) == 0 {
		return nil, nil
	}
	at := now()
	out := make([]uuid.UUID, 0, len(p.Starts))
	for _, s := range p.Starts {
		id, err := t.q.JourneyEntryClaim(ctx, t.tx, &dbsqlc.JourneyEntryClaimParams{
			TenantID:    p.TenantID,
			WorkflowID:  s.WorkflowID,
			ContactID:   s.ContactID,
			ExecutionID: uuid.NullUUID{UUID: s.ExecutionID, Valid: true},
			Reentry:     s.Reentry,
			Now:         at,
		})
		if errors.Is(err, sql.ErrNoRows) {
			continue // the policy refused the entry
		}
		if err != nil {
			return nil, wrap(err, "claim journey entry of workflow %s and contact %s", s.WorkflowID, s.ContactID)
		}
		if id.Valid {
			out = append(out, id.UUID)
		}
	}
	slices.SortFunc(out, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return out, nil
}

// JourneyEntryGet returns the entry of a workflow and contact.
func (t *tx) JourneyEntryGet(ctx context.Context, tenantID, workflowID, contactID uuid.UUID) (*domain.JourneyEntry, error) {
	r, err := t.q.JourneyEntryGet(ctx, t.tx, &dbsqlc.JourneyEntryGetParams{TenantID: tenantID, WorkflowID: workflowID, ContactID: contactID})
	if err != nil {
		return nil, wrap(err, "get journey entry of workflow %s and contact %s", workflowID, contactID)
	}
	return journeyEntryFromRow(r), nil
}

// JourneyEntryListByContact returns a contact's entries, latest first.
func (t *tx) JourneyEntryListByContact(ctx context.Context, tenantID, contactID uuid.UUID, n int) ([]domain.JourneyEntry, error) {
	rows, err := t.q.JourneyEntryListByContact(ctx, t.tx, &dbsqlc.JourneyEntryListByContactParams{
		TenantID: tenantID, ContactID: contactID, Max: limit(n, 100, 1000),
	})
	if err != nil {
		return nil, wrap(err, "list journey entries of contact %s", contactID)
	}
	out := make([]domain.JourneyEntry, 0, len(rows))
	for _, r := range rows {
		out = append(out, *journeyEntryFromRow(r))
	}
	return out, nil
}

// WorkflowActiveVersionList returns the active workflows' current versions.
func (t *tx) WorkflowActiveVersionList(ctx context.Context, tenantID uuid.UUID) ([]store.ActiveVersion, error) {
	rows, err := t.q.WorkflowActiveVersionList(ctx, t.tx, tenantID)
	if err != nil {
		return nil, wrap(err, "list active workflow versions")
	}
	out := make([]store.ActiveVersion, 0, len(rows))
	for _, r := range rows {
		if r.CurrentVersionID.Valid {
			out = append(out, store.ActiveVersion{WorkflowID: r.ID, VersionID: r.CurrentVersionID.UUID, Version: int(r.CurrentVersion)})
		}
	}
	return out, nil
}

// WaitEventContactList returns which of the names and contacts have waits.
func (t *tx) WaitEventContactList(ctx context.Context, tenantID uuid.UUID, eventNames []string, contactIDs []uuid.UUID) ([]store.WaitKey, error) {
	if len(eventNames) == 0 {
		return nil, nil
	}
	names, err := json.Marshal(eventNames)
	if err != nil {
		return nil, fmt.Errorf("encode event names: %w", err)
	}
	if contactIDs == nil {
		contactIDs = []uuid.UUID{}
	}
	contacts, err := json.Marshal(contactIDs)
	if err != nil {
		return nil, fmt.Errorf("encode contact IDs: %w", err)
	}
	rows, err := t.q.WaitEventContactList(ctx, t.tx, &dbsqlc.WaitEventContactListParams{TenantID: tenantID, EventNames: string(names), ContactIds: string(contacts)})
	if err != nil {
		return nil, wrap(err, "list waits of %d event names", len(eventNames))
	}
	out := make([]store.WaitKey, len(rows))
	for i, r := range rows {
		out[i] = store.WaitKey{EventName: r.EventName, ContactID: uuidPtr(r.ContactID)}
	}
	return out, nil
}
