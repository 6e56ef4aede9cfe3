package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// journeyEntryKeyCases check what reads a contact's journey entries
// through the entries' key (on PostgreSQL led by the contact since
// migration 00047, with no index by contact and entry time): a contact's
// list newest first across workflows, and the entries that go with their
// workflow and with their contact.
func journeyEntryKeyCases() []exerciseCase {
	return []exerciseCase{
		{"JourneyEntryListByContact/LatestFirstGoneWithWorkflowAndContact", func(t *testing.T, f *fixture) {
			wfs := []*domain.Workflow{f.newWorkflow(t, f.tenantA.ID, "One"), f.newWorkflow(t, f.tenantA.ID, "Two"), f.newWorkflow(t, f.tenantA.ID, "Three")}
			ann, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("ann")})
			bob, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("bob")})
			// Ann enters Two, Three, One (in that order, a little apart);
			// Bob enters One.
			versions := map[*domain.Workflow]*domain.WorkflowVersion{}
			for _, wf := range wfs {
				versions[wf] = f.newVersion(t, wf)
			}
			enter := func(wf *domain.Workflow, c *domain.Contact) {
				t.Helper()
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					id := domain.NewID()
					got, err := tx.JourneyEntryClaimMany(f.ctx, &store.JourneyEntryClaimManyParams{TenantID: f.tenantA.ID,
						Starts: []store.JourneyEntryClaim{{WorkflowID: wf.ID, ContactID: c.ID, ExecutionID: id, Reentry: "always"}}})
					require.NoError(t, err)
					require.Len(t, got, 1)
					v := versions[wf]
					_, err = tx.ExecutionInsert(f.ctx, &store.ExecutionInsertParams{TenantID: f.tenantA.ID, ID: id, WorkflowID: wf.ID,
						VersionID: v.ID, Version: v.Version, Status: domain.ExecutionWaiting, ContactID: &c.ID,
						TriggerType: "trigger.event", Context: []byte(`{}`), CurrentNodeID: "start"})
					require.NoError(t, err)
				})
				time.Sleep(2 * time.Millisecond)
			}
			enter(wfs[1], ann)
			enter(wfs[2], ann)
			enter(wfs[0], ann)
			enter(wfs[0], bob)
			list := func(c *domain.Contact) []string {
				t.Helper()
				var names []string
				f.read(t, f.tenantA.ID, func(tx store.Tx) {
					es, err := tx.JourneyEntryListByContact(f.ctx, f.tenantA.ID, c.ID, 0)
					require.NoError(t, err)
					for _, e := range es {
						require.Equal(t, c.ID, e.ContactID)
						for _, wf := range wfs {
							if wf.ID == e.WorkflowID {
								names = append(names, wf.Name)
							}
						}
					}
				})
				return names
			}
			require.Equal(t, []string{"One", "Three", "Two"}, list(ann), "latest entry first")
			require.Equal(t, []string{"One"}, list(bob))

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				require.NoError(t, tx.WorkflowDelete(f.ctx, f.tenantA.ID, wfs[2].ID))
			})
			require.Equal(t, []string{"One", "Two"}, list(ann), "a deleted workflow takes its entries")
			require.Equal(t, []string{"One"}, list(bob), "and only its own")

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.ContactErase(f.ctx, f.tenantA.ID, ann.ID, time.Now())
				require.NoError(t, err)
			})
			require.Empty(t, list(ann), "an erased contact takes its entries")
			require.Equal(t, []string{"One"}, list(bob))
		}},
	}
}
