package storetest

import (
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func journeyEntryCases() []exerciseCase {
	return []exerciseCase{
		{"JourneyEntryPolicies", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			ann, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("ann")})
			claim := func(reentry string, mod func(p *store.ExecutionInsertParams)) (*domain.Execution, bool) {
				t.Helper()
				return f.claimEntry(t, c, ann.ID, reentry, mod)
			}
			finish := func(e *domain.Execution, status domain.ExecutionStatus) {
				t.Helper()
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					locked, err := tx.ExecutionLock(f.ctx, f.tenantA.ID, e.ID)
					require.NoError(t, err)
					err = tx.ExecutionUpdate(f.ctx, &store.ExecutionUpdateParams{TenantID: f.tenantA.ID, ID: e.ID,
						Token: locked.Token + 1, Status: status, Context: locked.Context,
						CurrentNodeID: locked.CurrentNodeID, StepCount: locked.StepCount})
					require.NoError(t, err)
				})
			}

			// one_at_a_time: not while the first execution waits; again once
			// it has ended.
			first, ok := claim("one_at_a_time", nil)
			require.True(t, ok)
			_, ok = claim("one_at_a_time", nil)
			require.False(t, ok, "the first execution is still waiting")
			finish(first, domain.ExecutionCompleted)
			second, ok := claim("one_at_a_time", nil)
			require.True(t, ok, "the first execution completed")
			var entry *domain.JourneyEntry
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				entry, err = tx.JourneyEntryGet(f.ctx, f.tenantA.ID, c.wf.ID, ann.ID)
				require.NoError(t, err)
			})
			require.Equal(t, &second.ID, entry.ExecutionID)
			require.Equal(t, 2, entry.Entries)
			require.Equal(t, "one_at_a_time", entry.Reentry)
			require.False(t, entry.EnteredAt.Before(entry.FirstEnteredAt))

			// once: never again, whatever the execution's state.
			finish(second, domain.ExecutionFailed)
			_, ok = claim("once", nil)
			require.False(t, ok, "the contact entered before")

			// always: every time, also while one runs.
			third, ok := claim("always", nil)
			require.True(t, ok)
			_, ok = claim("always", nil)
			require.True(t, ok)
			_, ok = claim("one_at_a_time", nil)
			require.False(t, ok, "an always entry is still waiting")
			_ = third

			// A claim whose execution is never inserted cannot commit on
			// SQLite, whose entries keep their deferred foreign key to the
			// execution. On PostgreSQL (migration 00050) inserting it in the
			// same transaction is the caller's duty, as the engine does.
			if f.s.Dialect() == store.DialectSQLite {
				err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
					carl, _, err := tx.ContactUpsert(f.ctx, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("carl")})
					require.NoError(t, err)
					_, err = tx.JourneyEntryClaimMany(f.ctx, &store.JourneyEntryClaimManyParams{TenantID: f.tenantA.ID,
						Starts: []store.JourneyEntryClaim{{WorkflowID: c.wf.ID, ContactID: carl.ID, ExecutionID: domain.NewID(), Reentry: "always"}}})
					return err
				})
				require.Error(t, err)
			}

			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				es, err := tx.JourneyEntryListByContact(f.ctx, f.tenantA.ID, ann.ID, 0)
				require.NoError(t, err)
				require.Len(t, es, 1)
				require.Equal(t, 4, es[0].Entries)
				_, err = tx.JourneyEntryGet(f.ctx, f.tenantA.ID, c.wf.ID, domain.NewID())
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.JourneyEntryGet(f.ctx, f.tenantB.ID, c.wf.ID, ann.ID)
				require.ErrorIs(t, err, store.ErrNotFound, "another tenant's entry is not found")
				es, err := tx.JourneyEntryListByContact(f.ctx, f.tenantB.ID, ann.ID, 0)
				require.NoError(t, err)
				require.Empty(t, es)
			})
		}},
		{"JourneyEntryConcurrentClaims", func(t *testing.T, f *fixture) {
			// Claims of one workflow and contact in concurrent transactions:
			// exactly one enters under one_at_a_time.
			c := f.newChain(t, f.tenantA.ID)
			ann, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("ann")})
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				entered int
			)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
						id := domain.NewID()
						got, err := tx.JourneyEntryClaimMany(f.ctx, &store.JourneyEntryClaimManyParams{TenantID: f.tenantA.ID,
							Starts: []store.JourneyEntryClaim{{WorkflowID: c.wf.ID, ContactID: ann.ID, ExecutionID: id, Reentry: "one_at_a_time"}}})
						if err != nil || len(got) == 0 {
							return err
						}
						if _, err := tx.ExecutionInsert(f.ctx, &store.ExecutionInsertParams{TenantID: f.tenantA.ID, ID: id,
							WorkflowID: c.wf.ID, VersionID: c.v.ID, Version: c.v.Version, Status: domain.ExecutionWaiting,
							ContactID: &ann.ID, TriggerType: "trigger.event", Context: []byte(`{}`), CurrentNodeID: "start"}); err != nil {
							return err
						}
						mu.Lock()
						entered++
						mu.Unlock()
						return nil
					})
					require.NoError(t, err)
				}()
			}
			wg.Wait()
			require.Equal(t, 1, entered)
		}},
		{"WaitCorrelationKey", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			c2 := f.newExecution(t, c.v, nil)
			c3 := f.newExecution(t, c.v, nil)
			insert := func(e *domain.Execution, key, value string) *domain.Wait {
				var w *domain.Wait
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					var err error
					w, err = tx.WaitInsert(f.ctx, &store.WaitInsertParams{TenantID: f.tenantA.ID, ExecutionID: e.ID, NodeID: "wait",
						Token: 1, EventName: "order.completed", CorrelationKey: key, CorrelationValue: value})
					require.NoError(t, err)
				})
				return w
			}
			byCart := insert(c.e, "cart_id", "42")
			require.Equal(t, "cart_id", byCart.CorrelationKey)
			require.Equal(t, "42", byCart.CorrelationValue)
			byOrder := insert(c2, "order_id", "42")
			plain := insert(c3, "", "")
			list := func(props map[string]string) []uuid.UUID {
				out := []uuid.UUID{}
				f.read(t, f.tenantA.ID, func(tx store.Tx) {
					ws, err := tx.WaitListByEvent(f.ctx, &store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "order.completed", Correlation: props})
					require.NoError(t, err)
					for _, w := range ws {
						out = append(out, w.ID)
					}
				})
				return out
			}
			require.Equal(t, []uuid.UUID{byCart.ID, plain.ID}, list(map[string]string{"cart_id": "42", "order_id": "7"}),
				"the key names the property: order_id 7 does not match order_id 42")
			require.Equal(t, []uuid.UUID{byCart.ID, byOrder.ID, plain.ID}, list(map[string]string{"cart_id": "42", "order_id": "42"}))
			require.Equal(t, []uuid.UUID{plain.ID}, list(map[string]string{"cart": "42"}))
			require.Equal(t, []uuid.UUID{plain.ID}, list(nil))

			// Which names and contacts have waits.
			alice, bob := domain.NewID(), domain.NewID()
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.WaitInsert(f.ctx, &store.WaitInsertParams{TenantID: f.tenantA.ID, ExecutionID: c3.ID, NodeID: "w2",
					Token: 1, EventName: "user.activated", ContactID: &alice})
				require.NoError(t, err)
			})
			keys := func(tenantID uuid.UUID, names []string, contacts []uuid.UUID) []store.WaitKey {
				var out []store.WaitKey
				f.read(t, tenantID, func(tx store.Tx) {
					var err error
					out, err = tx.WaitEventContactList(f.ctx, tenantID, names, contacts)
					require.NoError(t, err)
				})
				return out
			}
			require.ElementsMatch(t, []store.WaitKey{{EventName: "order.completed"}, {EventName: "user.activated", ContactID: &alice}},
				keys(f.tenantA.ID, []string{"order.completed", "user.activated", "other"}, []uuid.UUID{alice, bob}))
			require.Equal(t, []store.WaitKey{{EventName: "order.completed"}}, keys(f.tenantA.ID, []string{"order.completed", "user.activated"}, []uuid.UUID{bob}))
			require.Empty(t, keys(f.tenantA.ID, []string{"user.activated"}, nil))
			require.Empty(t, keys(f.tenantB.ID, []string{"order.completed", "user.activated"}, []uuid.UUID{alice}))
		}},
	}
}

// claimEntry claims contactID's entry of c's workflow under reentry, in a
// transaction of tenant A, and when it enters inserts its execution
// (changed by mod) in the same transaction, as the engine's event starts
// do. It returns that execution, and false when the claim was refused.
func (f *fixture) claimEntry(t *testing.T, c chain, contactID uuid.UUID, reentry string, mod func(p *store.ExecutionInsertParams)) (*domain.Execution, bool) {
	t.Helper()
	var exec *domain.Execution
	var entered bool
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		id := domain.NewID()
		got, err := tx.JourneyEntryClaimMany(f.ctx, &store.JourneyEntryClaimManyParams{TenantID: f.tenantA.ID,
			Starts: []store.JourneyEntryClaim{{WorkflowID: c.wf.ID, ContactID: contactID, ExecutionID: id, Reentry: reentry}}})
		require.NoError(t, err)
		if len(got) == 0 {
			return
		}
		require.Equal(t, []uuid.UUID{id}, got)
		entered = true
		p := &store.ExecutionInsertParams{TenantID: f.tenantA.ID, ID: id, WorkflowID: c.wf.ID, VersionID: c.v.ID,
			Version: c.v.Version, Status: domain.ExecutionWaiting, ContactID: &contactID, TriggerType: "trigger.event",
			Context: []byte(`{}`), CurrentNodeID: "start"}
		if mod != nil {
			mod(p)
		}
		exec, err = tx.ExecutionInsert(f.ctx, p)
		require.NoError(t, err)
	})
	return exec, entered
}
