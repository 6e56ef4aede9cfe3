package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func retentionCases() []exerciseCase {
	return []exerciseCase{
		{"TenantListAfterPagesInIDOrder", exerciseTenantListAfter},
		{"ExecutionPruneTakesFinishedWithTheirRows", exerciseExecutionPrune},
		{"ExecutionPruneBatchesAreBounded", exerciseExecutionPruneBatches},
		{"EventPruneByOccurredAt", exerciseEventPrune},
		{"AuditPruneByCreatedAt", exerciseAuditPrune},
		{"DatabaseSizeCountsRows", exerciseDatabaseSize},
	}
}

func exerciseTenantListAfter(t *testing.T, f *fixture) {
	var all []store.TenantPlan
	f.read(t, uuid.Nil, func(tx store.Tx) {
		after := uuid.Nil
		for {
			page, err := tx.TenantListAfter(f.ctx, after, 1)
			require.NoError(t, err)
			if len(page) == 0 {
				return
			}
			require.Len(t, page, 1)
			all = append(all, page...)
			after = page[0].ID
		}
	})
	want := map[uuid.UUID]domain.Plan{f.tenantA.ID: domain.PlanPro, f.tenantB.ID: domain.PlanFree}
	got := map[uuid.UUID]domain.Plan{}
	for i, tp := range all {
		if i > 0 {
			require.Less(t, all[i-1].ID.String(), tp.ID.String(), "ID order")
		}
		got[tp.ID] = tp.Plan
	}
	require.Equal(t, want, got)
}

// prunable is an execution of its own contact with two steps, an outbox
// row, a message and a journey entry, finished (or not) at a given time.
type prunable struct {
	exec    *domain.Execution
	contact *domain.Contact
	outbox  string
	message uuid.UUID
}

func (f *fixture) newPrunable(t *testing.T, c chain, status domain.ExecutionStatus, finished *time.Time) prunable {
	t.Helper()
	contact, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: c.wf.TenantID, ExternalID: strp(domain.NewID().String())})
	e := f.newExecution(t, c.v, func(p *store.ExecutionInsertParams) {
		p.Status, p.FinishedAt, p.ContactID = status, finished, &contact.ID
	})
	st := f.newStep(t, e, 1, "send", domain.StepCompleted)
	f.newStep(t, e, 2, "end", domain.StepCompleted)
	key := fmt.Sprintf("%s:%d", e.ID, st.Seq)
	f.in(t, e.TenantID, func(tx store.Tx) {
		_, created, err := tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{TenantID: e.TenantID, ID: domain.NewID(),
			ExecutionID: e.ID, StepID: st.ID, IdempotencyKey: key, Kind: "email.send", Request: json.RawMessage(`{}`)})
		require.NoError(t, err)
		require.True(t, created)
		_, err = tx.JourneyEntryClaimMany(f.ctx, &store.JourneyEntryClaimManyParams{TenantID: e.TenantID,
			Starts: []store.JourneyEntryClaim{{WorkflowID: c.wf.ID, ContactID: contact.ID, ExecutionID: e.ID, Reentry: "always"}}})
		require.NoError(t, err)
	})
	m := f.newMessage(t, e.TenantID, func(p *store.MessageInsertParams) {
		p.ExecutionID, p.WorkflowID, p.ContactID = &e.ID, &c.wf.ID, &contact.ID
	})
	return prunable{exec: e, contact: contact, outbox: key, message: m.ID}
}

func exerciseExecutionPrune(t *testing.T, f *fixture) {
	old := ts().Add(-48 * time.Hour)
	cutoff := ts().Add(-24 * time.Hour)
	recent := ts().Add(-time.Hour)
	setupTenant := func(tenantID uuid.UUID) chain {
		wf := f.newWorkflow(t, tenantID, "Welcome")
		return chain{wf: wf, v: f.newVersion(t, wf)}
	}
	cA, cB := setupTenant(f.tenantA.ID), setupTenant(f.tenantB.ID)

	var gone []prunable
	for _, s := range []domain.ExecutionStatus{domain.ExecutionCompleted, domain.ExecutionFailed, domain.ExecutionCancelled} {
		gone = append(gone, f.newPrunable(t, cA, s, &old))
	}
	var kept []prunable
	kept = append(kept,
		f.newPrunable(t, cA, domain.ExecutionCompleted, &recent), // finished after the cutoff
		f.newPrunable(t, cA, domain.ExecutionWaiting, nil),       // never finished ones, whatever their age
		f.newPrunable(t, cA, domain.ExecutionRunning, nil),
		f.newPrunable(t, cA, domain.ExecutionPending, nil),
		f.newPrunable(t, cA, domain.ExecutionRunning, &old),   // a retried execution that kept a finish time
		f.newPrunable(t, cB, domain.ExecutionCompleted, &old), // another tenant's
	)
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.WaitInsert(f.ctx, &store.WaitInsertParams{TenantID: f.tenantA.ID, ID: domain.NewID(),
			ExecutionID: kept[1].exec.ID, NodeID: "wait", EventName: "order.completed", ContactID: &kept[1].contact.ID})
		require.NoError(t, err)
	})

	want := store.ExecutionPruneCounts{Executions: 3, Steps: 6, Outbox: 3, Messages: 3}
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.ExecutionPruneCount(f.ctx, f.tenantA.ID, cutoff)
		require.NoError(t, err)
		require.Equal(t, want, got, "dry-run count")
	})
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.ExecutionPrune(f.ctx, f.tenantA.ID, cutoff, 100)
		require.NoError(t, err)
		require.Equal(t, want, got, "the batch deletes what the count said")
		again, err := tx.ExecutionPrune(f.ctx, f.tenantA.ID, cutoff, 100)
		require.NoError(t, err)
		require.Zero(t, again)
	})

	// Each execution's journey entry and contact stay (re-entry policies
	// read the entry), the entry without a pruned execution.
	check := func(p prunable, exists bool) {
		t.Helper()
		tenantID := p.exec.TenantID
		f.read(t, tenantID, func(tx store.Tx) {
			entry, err := tx.JourneyEntryGet(f.ctx, tenantID, p.exec.WorkflowID, p.contact.ID)
			require.NoError(t, err)
			_, cerr := tx.ContactGetByID(f.ctx, tenantID, p.contact.ID)
			require.NoError(t, cerr)
			if exists {
				require.Equal(t, &p.exec.ID, entry.ExecutionID)
			} else {
				require.Nil(t, entry.ExecutionID)
			}
			_, err = tx.ExecutionGetByID(f.ctx, tenantID, p.exec.ID)
			steps, serr := tx.StepListByExecution(f.ctx, tenantID, p.exec.ID)
			require.NoError(t, serr)
			_, oerr := tx.OutboxGetByKey(f.ctx, tenantID, p.outbox)
			_, merr := tx.MessageGetByID(f.ctx, tenantID, p.message)
			if exists {
				require.NoError(t, err, p.exec.Status)
				require.Len(t, steps, 2)
				require.NoError(t, oerr)
				require.NoError(t, merr)
				return
			}
			require.ErrorIs(t, err, store.ErrNotFound, p.exec.Status)
			require.Empty(t, steps)
			require.ErrorIs(t, oerr, store.ErrNotFound)
			require.ErrorIs(t, merr, store.ErrNotFound)
		})
	}
	for _, p := range gone {
		check(p, false)
	}
	for _, p := range kept {
		check(p, true)
	}
	// The waiting execution's wait stays.
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		waits, err := tx.WaitListByEvent(f.ctx, &store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "order.completed", ContactID: &kept[1].contact.ID})
		require.NoError(t, err)
		require.Len(t, waits, 1)
	})
	// Tenant B's same-age execution is not reachable from tenant A's prune.
	f.read(t, f.tenantB.ID, func(tx store.Tx) {
		got, err := tx.ExecutionPruneCount(f.ctx, f.tenantB.ID, cutoff)
		require.NoError(t, err)
		require.Equal(t, store.ExecutionPruneCounts{Executions: 1, Steps: 2, Outbox: 1, Messages: 1}, got)
	})
}

func exerciseExecutionPruneBatches(t *testing.T, f *fixture) {
	c := f.newChain(t, f.tenantA.ID)
	old := ts().Add(-time.Hour)
	const n = 7
	for range n {
		e := f.newExecution(t, c.v, func(p *store.ExecutionInsertParams) {
			p.Status, p.FinishedAt = domain.ExecutionCompleted, &old
		})
		f.newStep(t, e, 1, "end", domain.StepCompleted)
	}
	var sizes []int64
	for {
		var got store.ExecutionPruneCounts
		f.in(t, f.tenantA.ID, func(tx store.Tx) {
			var err error
			got, err = tx.ExecutionPrune(f.ctx, f.tenantA.ID, ts(), 3)
			require.NoError(t, err)
		})
		require.Equal(t, got.Executions, got.Steps)
		sizes = append(sizes, got.Executions)
		if got.Executions < 3 {
			break
		}
	}
	// The chain's own execution is PENDING: never taken.
	require.Equal(t, []int64{3, 3, 1}, sizes)
}

func exerciseEventPrune(t *testing.T, f *fixture) {
	now := ts()
	for _, tenantID := range []uuid.UUID{f.tenantA.ID, f.tenantB.ID} {
		c := eventContact(t, f, tenantID, "u1")
		var evs []store.EventInsert
		for i := range 5 {
			evs = append(evs, store.EventInsert{ContactID: c.ID, Name: "page.viewed", MessageID: fmt.Sprintf("old-%d", i),
				OccurredAt: now.Add(-time.Duration(48+i) * time.Hour)})
		}
		evs = append(evs, store.EventInsert{ContactID: c.ID, Name: "page.viewed", MessageID: "new", OccurredAt: now.Add(-time.Hour)})
		insertEvents(t, f, tenantID, evs...)
	}
	cutoff := now.Add(-24 * time.Hour)
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		n, err := tx.EventPruneCount(f.ctx, f.tenantA.ID, cutoff)
		require.NoError(t, err)
		require.EqualValues(t, 5, n)
	})
	var sizes []int64
	for {
		var n int64
		f.in(t, f.tenantA.ID, func(tx store.Tx) {
			var err error
			n, err = tx.EventPrune(f.ctx, f.tenantA.ID, cutoff, 2)
			require.NoError(t, err)
		})
		sizes = append(sizes, n)
		if n < 2 {
			break
		}
	}
	require.Equal(t, []int64{2, 2, 1}, sizes)
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		evs, err := tx.EventList(f.ctx, &store.EventListParams{TenantID: f.tenantA.ID})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, "new", evs[0].MessageID)
	})
	f.read(t, f.tenantB.ID, func(tx store.Tx) {
		n, err := tx.EventPruneCount(f.ctx, f.tenantB.ID, cutoff)
		require.NoError(t, err)
		require.EqualValues(t, 5, n, "another tenant's events stay")
	})
}

func exerciseAuditPrune(t *testing.T, f *fixture) {
	audit := func(tenantID uuid.UUID, n int) {
		f.in(t, tenantID, func(tx store.Tx) {
			for i := range n {
				require.NoError(t, tx.AuditInsert(f.ctx, &store.AuditInsertParams{TenantID: tenantID, ActorType: "user",
					Action: "workflow.update", TargetID: fmt.Sprint(i)}))
			}
		})
	}
	audit(f.tenantA.ID, 3)
	audit(f.tenantB.ID, 2)
	time.Sleep(5 * time.Millisecond) // the entries above are strictly older than cutoff
	cutoff := ts()
	time.Sleep(5 * time.Millisecond)
	audit(f.tenantA.ID, 1)

	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		n, err := tx.AuditPruneCount(f.ctx, f.tenantA.ID, cutoff)
		require.NoError(t, err)
		require.EqualValues(t, 3, n)
	})
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		n, err := tx.AuditPrune(f.ctx, f.tenantA.ID, cutoff, 2)
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		n, err = tx.AuditPrune(f.ctx, f.tenantA.ID, cutoff, 2)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
	})
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		left, err := tx.AuditListByTenant(f.ctx, &store.AuditListParams{TenantID: f.tenantA.ID})
		require.NoError(t, err)
		require.Len(t, left, 1)
	})
	f.read(t, f.tenantB.ID, func(tx store.Tx) {
		n, err := tx.AuditPruneCount(f.ctx, f.tenantB.ID, cutoff)
		require.NoError(t, err)
		require.EqualValues(t, 2, n, "another tenant's entries stay")
	})
}

func exerciseDatabaseSize(t *testing.T, f *fixture) {
	sr, ok := f.s.(store.SizeReporter)
	require.True(t, ok, "%T measures its database", f.s)
	before, err := sr.DatabaseSize(f.ctx)
	require.NoError(t, err)
	require.Positive(t, before.Bytes)
	require.Len(t, before.Rows, len(store.SizeTables))
	c := eventContact(t, f, f.tenantA.ID, "u1")
	insertEvents(t, f, f.tenantA.ID, store.EventInsert{ContactID: c.ID, Name: "page.viewed", MessageID: "m1"},
		store.EventInsert{ContactID: c.ID, Name: "page.viewed", MessageID: "m2"})
	after, err := sr.DatabaseSize(f.ctx)
	require.NoError(t, err)
	require.Equal(t, before.Rows["events"]+2, after.Rows["events"])
	if v, ok := f.s.(store.Vacuumer); ok {
		_, err := v.AutovacuumOn(f.ctx)
		require.NoError(t, err)
		require.NoError(t, v.Vacuum(f.ctx))
	}
}
