package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// journeyEntryGoneCases: a journey entry outlives its execution with no
// execution named, so one_at_a_time lets the contact in again (on
// PostgreSQL by a statement trigger since migration 00050, which dropped
// the entries' foreign key to their execution and its ON DELETE SET NULL).
func journeyEntryGoneCases() []exerciseCase {
	return []exerciseCase{
		{"ExecutionPrune/ClearsJourneyEntriesExecution", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			old := ts().Add(-48 * time.Hour)
			// claim claims who's entry of the workflow under one_at_a_time.
			claim := func(who *domain.Contact, mod func(p *store.ExecutionInsertParams)) (*domain.Execution, bool) {
				t.Helper()
				return f.claimEntry(t, c, who.ID, "one_at_a_time", mod)
			}
			entryOf := func(who *domain.Contact) *domain.JourneyEntry {
				t.Helper()
				var entry *domain.JourneyEntry
				f.read(t, f.tenantA.ID, func(tx store.Tx) {
					var err error
					entry, err = tx.JourneyEntryGet(f.ctx, f.tenantA.ID, c.wf.ID, who.ID)
					require.NoError(t, err)
				})
				return entry
			}
			ann, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("ann")})
			bob, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("bob")})
			_, ok := claim(ann, func(p *store.ExecutionInsertParams) {
				p.Status, p.FinishedAt = domain.ExecutionCompleted, &old
			})
			require.True(t, ok)
			waiting, ok := claim(bob, nil)
			require.True(t, ok)

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.ExecutionPrune(f.ctx, f.tenantA.ID, ts().Add(-24*time.Hour), 100)
				require.NoError(t, err)
				require.Equal(t, int64(1), got.Executions)
			})
			entry := entryOf(ann)
			require.Nil(t, entry.ExecutionID, "the entry no longer names its pruned execution")
			require.Equal(t, 1, entry.Entries, "the entry stays")
			require.Equal(t, &waiting.ID, entryOf(bob).ExecutionID, "an entry of an execution kept keeps it")

			again, ok := claim(ann, nil)
			require.True(t, ok, "one_at_a_time: the pruned execution has ended")
			entry = entryOf(ann)
			require.Equal(t, &again.ID, entry.ExecutionID)
			require.Equal(t, 2, entry.Entries)
			_, ok = claim(bob, nil)
			require.False(t, ok, "one_at_a_time: bob's execution still waits")
		}},
	}
}
