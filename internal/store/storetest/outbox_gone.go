package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// outboxGoneCases: an execution's outbox entries go with it (on
// PostgreSQL by a statement trigger since migration 00049, which dropped
// the entries' foreign key to their execution).
func outboxGoneCases() []exerciseCase {
	return []exerciseCase{
		{"WorkflowDelete/TakesItsExecutionsOutboxEntries", func(t *testing.T, f *fixture) {
			gone, kept := f.newChain(t, f.tenantA.ID), f.newChain(t, f.tenantA.ID)
			for i, c := range []chain{gone, kept} {
				st := f.newStep(t, c.e, 1, "send", domain.StepRunning)
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					require.NoError(t, tx.OutboxInsertMany(f.ctx, []*store.OutboxInsertParams{{
						TenantID: f.tenantA.ID, ExecutionID: c.e.ID, StepID: st.ID,
						IdempotencyKey: []string{"gone-1", "kept-1"}[i], Kind: "email.send",
					}}))
				})
			}
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				require.NoError(t, tx.WorkflowDelete(f.ctx, f.tenantA.ID, gone.wf.ID))
			})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				entries, err := tx.OutboxListByExecution(f.ctx, f.tenantA.ID, gone.e.ID)
				require.NoError(t, err)
				require.Empty(t, entries, "entries go with their execution")
				_, err = tx.OutboxGetByKey(f.ctx, f.tenantA.ID, "gone-1")
				require.ErrorIs(t, err, store.ErrNotFound)
				entries, err = tx.OutboxListByExecution(f.ctx, f.tenantA.ID, kept.e.ID)
				require.NoError(t, err)
				require.Len(t, entries, 1, "another workflow's entries stay")
			})
		}},
	}
}
