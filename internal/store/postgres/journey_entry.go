package postgres

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toJourneyEntry(r dbsqlc.JourneyEntry) *domain.JourneyEntry {
	return &domain.JourneyEntry{
		TenantID:       r.TenantID,
		WorkflowID:     r.WorkflowID,
		ContactID:      r.ContactID,
		ExecutionID:    r.ExecutionID,
		Reentry:        r.Reentry,
		Entries:        int(r.Entries),
		FirstEnteredAt: utc(r.FirstEnteredAt),
		EnteredAt:      utc(r.EnteredAt),
	}
}

// JourneyEntryClaimMany claims the entries of p's starts in one statement
// (INSERT … ON CONFLICT DO UPDATE … WHERE the policy allows), in workflow
// and contact order so concurrent claimers lock shared rows in one order.
func (t *tx) JourneyEntryClaimMany(ctx context.Context, p *store.JourneyEntryClaimManyParams) ([]uuid.UUID, error) {
	if len(p.Starts) == 0 {
		return nil, nil
	}
	starts := slices.Clone(p.Starts)
	slices.SortFunc(starts, compareClaims)
	arg := dbsqlc.JourneyEntryClaimManyParams{
		TenantID:     p.TenantID,
		WorkflowIds:  make([]uuid.UUID, len(starts)),
		ContactIds:   make([]uuid.UUID, len(starts)),
		ExecutionIds: make([]uuid.UUID, len(starts)),
		Reentries:    make([]string, len(starts)),
	}
	for i, s := range starts {
		arg.WorkflowIds[i], arg.ContactIds[i], arg.ExecutionIds[i], arg.Reentries[i] = s.WorkflowID, s.ContactID, s.ExecutionID, s.Reentry
	}
	rows, err := dbsqlc.New(perCall{t.tx}).JourneyEntryClaimMany(ctx, arg) // planEachCall
	if err != nil {
		return nil, translate(err, "claim %d journey entries", len(starts))
	}
	out := make([]uuid.UUID, 0, len(rows))
	for _, id := range rows {
		if id != nil {
			out = append(out, *id)
		}
	}
	return out, nil
}

// compareClaims orders claims by workflow, then contact.
func compareClaims(a, b store.JourneyEntryClaim) int {
	if c := slices.Compare(a.WorkflowID[:], b.WorkflowID[:]); c != 0 {
		return c
	}
	return slices.Compare(a.ContactID[:], b.ContactID[:])
}

// JourneyEntryGet returns the entry of a workflow and contact.
func (t *tx) JourneyEntryGet(ctx context.Context, tenantID, workflowID, contactID uuid.UUID) (*domain.JourneyEntry, error) {
	r, err := t.q.JourneyEntryGet(ctx, dbsqlc.JourneyEntryGetParams{TenantID: tenantID, WorkflowID: workflowID, ContactID: contactID})
	if err != nil {
		return nil, translate(err, "get journey entry of workflow %s and contact %s", workflowID, contactID)
	}
	return toJourneyEntry(r), nil
}

// JourneyEntryListByContact returns a contact's entries, latest first.
func (t *tx) JourneyEntryListByContact(ctx context.Context, tenantID, contactID uuid.UUID, n int) ([]domain.JourneyEntry, error) {
	rows, err := t.q.JourneyEntryListByContact(ctx, dbsqlc.JourneyEntryListByContactParams{
		TenantID: tenantID, ContactID: contactID, MaxRows: limit(n, 100, 1000),
	})
	if err != nil {
		return nil, translate(err, "list journey entries of contact %s", contactID)
	}
	out := make([]domain.JourneyEntry, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toJourneyEntry(r))
	}
	return out, nil
}

// WorkflowActiveVersionList returns the active workflows' current versions.
func (t *tx) WorkflowActiveVersionList(ctx context.Context, tenantID uuid.UUID) ([]store.ActiveVersion, error) {
	rows, err := t.q.WorkflowActiveVersionList(ctx, tenantID)
	if err != nil {
		return nil, translate(err, "list active workflow versions")
	}
	out := make([]store.ActiveVersion, 0, len(rows))
	for _, r := range rows {
		if r.CurrentVersionID != nil {
			out = append(out, store.ActiveVersion{WorkflowID: r.ID, VersionID: *r.CurrentVersionID, Version: int(r.CurrentVersion)})
		}
	}
	return out, nil
}

// WaitEventContactList returns which of the names and contacts have waits.
func (t *tx) WaitEventContactList(ctx context.Context, tenantID uuid.UUID, eventNames []string, contactIDs []uuid.UUID) ([]store.WaitKey, error) {
	if len(eventNames) == 0 {
		return nil, nil
	}
	rows, err := dbsqlc.New(perCall{t.tx}).WaitEventContactList(ctx, dbsqlc.WaitEventContactListParams{TenantID: tenantID, EventNames: eventNames, ContactIds: contactIDs})
	if err != nil {
		return nil, translate(err, "list waits of %d event names", len(eventNames))
	}
	out := make([]store.WaitKey, len(rows))
	for i, r := range rows {
		out[i] = store.WaitKey{EventName: r.EventName, ContactID: r.ContactID}
	}
	return out, nil
}
