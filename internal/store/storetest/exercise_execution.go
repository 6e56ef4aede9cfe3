package storetest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func executionCases() []exerciseCase {
	return []exerciseCase{
		{"Execution/InsertGetLockUpdateCount", func(t *testing.T, f *fixture) {
			wf := f.newWorkflow(t, f.tenantA.ID, "Welcome")
			v := f.newVersion(t, wf)
			contact := domain.NewID()
			e := f.newExecution(t, v, func(p *store.ExecutionInsertParams) {
				p.ContactID = &contact
				p.IdempotencyKey = "order-1"
			})
			require.Equal(t, f.tenantA.ID, e.TenantID)
			require.Equal(t, wf.ID, e.WorkflowID)
			require.Equal(t, v.ID, e.VersionID)
			require.Equal(t, 1, e.Version)
			require.Equal(t, domain.ExecutionPending, e.Status)
			require.Equal(t, &contact, e.ContactID)
			require.Equal(t, "trigger.manual", e.TriggerType)
			requireJSON(t, `{"trigger": {"type": "manual"}}`, e.Context)
			require.Equal(t, "start", e.CurrentNodeID)
			require.Zero(t, e.Token)
			require.Zero(t, e.StepCount)
			require.Empty(t, e.Error)
			require.Equal(t, "order-1", e.IdempotencyKey)
			require.Nil(t, e.StartedAt)
			require.Nil(t, e.FinishedAt)

			other := f.newChain(t, f.tenantB.ID)
			// The same key in another tenant, and empty keys, are no conflict.
			sameKeyB := f.newExecution(t, other.v, func(p *store.ExecutionInsertParams) { p.IdempotencyKey = "order-1" })
			f.newExecution(t, v, nil)
			f.newExecution(t, v, nil)

			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.ExecutionInsert(f.ctx, &store.ExecutionInsertParams{
					TenantID: f.tenantA.ID, WorkflowID: wf.ID, VersionID: v.ID, Version: 1, Status: domain.ExecutionPending,
					Context: json.RawMessage(`{}`), IdempotencyKey: "order-1",
				})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict)

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, e.ID)
				require.NoError(t, err)
				require.Equal(t, e, got)
				got, err = tx.ExecutionGetByIdempotencyKey(f.ctx, f.tenantA.ID, "order-1")
				require.NoError(t, err)
				require.Equal(t, e.ID, got.ID)
				_, err = tx.ExecutionGetByIdempotencyKey(f.ctx, f.tenantA.ID, "order-2")
				require.ErrorIs(t, err, store.ErrNotFound)

				locked, err := tx.ExecutionLock(f.ctx, f.tenantA.ID, e.ID)
				require.NoError(t, err)
				require.Equal(t, e, locked)

				started := ts()
				finished := started.Add(time.Second)
				require.NoError(t, tx.ExecutionUpdate(f.ctx, &store.ExecutionUpdateParams{
					TenantID: f.tenantA.ID, ID: e.ID, Status: domain.ExecutionFailed,
					Context: json.RawMessage(`{"vars": {"a": 1}}`), CurrentNodeID: "send", Token: 7, StepCount: 3,
					Error: "smtp down", StartedAt: &started, FinishedAt: &finished,
				}))
				got, err = tx.ExecutionGetByID(f.ctx, f.tenantA.ID, e.ID)
				require.NoError(t, err)
				require.Equal(t, domain.ExecutionFailed, got.Status)
				requireJSON(t, `{"vars": {"a": 1}}`, got.Context)
				require.Equal(t, "send", got.CurrentNodeID)
				require.EqualValues(t, 7, got.Token)
				require.Equal(t, 3, got.StepCount)
				require.Equal(t, "smtp down", got.Error)
				require.Equal(t, &started, got.StartedAt)
				require.Equal(t, &finished, got.FinishedAt)
				require.Equal(t, e.CreatedAt, got.CreatedAt)

				counts, err := tx.ExecutionCountByStatus(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Equal(t, map[domain.ExecutionStatus]int{domain.ExecutionFailed: 1, domain.ExecutionPending: 2}, counts)

				ids, err := tx.ExecutionListActiveIDsByWorkflow(f.ctx, f.tenantA.ID, wf.ID, 10)
				require.NoError(t, err)
				require.Len(t, ids, 2)
				require.NotContains(t, ids, e.ID, "terminal executions are not active")
				ids, err = tx.ExecutionListActiveIDsByWorkflow(f.ctx, f.tenantA.ID, wf.ID, 1)
				require.NoError(t, err)
				require.Len(t, ids, 1)

				// Tenant A's ID never reaches tenant B's executions.
				_, err = tx.ExecutionGetByID(f.ctx, f.tenantA.ID, other.e.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.ExecutionLock(f.ctx, f.tenantA.ID, other.e.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.ExecutionUpdate(f.ctx, &store.ExecutionUpdateParams{
					TenantID: f.tenantA.ID, ID: other.e.ID, Status: domain.ExecutionCancelled, Context: json.RawMessage(`{}`),
				}), store.ErrNotFound)
				counts, err = tx.ExecutionCountByStatus(f.ctx, f.tenantA.ID, other.wf.ID)
				require.NoError(t, err)
				require.Empty(t, counts)
				ids, err = tx.ExecutionListActiveIDsByWorkflow(f.ctx, f.tenantA.ID, other.wf.ID, 10)
				require.NoError(t, err)
				require.Empty(t, ids)
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				got, err := tx.ExecutionGetByIdempotencyKey(f.ctx, f.tenantB.ID, "order-1")
				require.NoError(t, err)
				require.Equal(t, sameKeyB.ID, got.ID)
				got, err = tx.ExecutionGetByID(f.ctx, f.tenantB.ID, other.e.ID)
				require.NoError(t, err)
				require.Equal(t, domain.ExecutionPending, got.Status)
			})
			// An execution cannot start on another tenant's workflow or version.
			err = f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.ExecutionInsert(f.ctx, &store.ExecutionInsertParams{
					TenantID: f.tenantA.ID, WorkflowID: other.wf.ID, VersionID: other.v.ID, Version: 1,
					Status: domain.ExecutionPending, Context: json.RawMessage(`{}`),
				})
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
		}},
		{"ExecutionLock/SerialisesWriters", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			const writers, rounds = 4, 5
			var wg sync.WaitGroup
			errs := make(chan error, writers*rounds)
			for range writers {
				wg.Go(func() {
					for range rounds {
						errs <- f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
							cur, err := tx.ExecutionLock(f.ctx, f.tenantA.ID, c.e.ID)
							if err != nil {
								return err
							}
							return tx.ExecutionUpdate(f.ctx, &store.ExecutionUpdateParams{
								TenantID: f.tenantA.ID, ID: c.e.ID, Status: domain.ExecutionRunning, Context: cur.Context,
								CurrentNodeID: cur.CurrentNodeID, Token: cur.Token + 1, StepCount: cur.StepCount + 1,
							})
						})
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, c.e.ID)
				require.NoError(t, err)
				require.EqualValues(t, writers*rounds, got.Token, "no locked read-modify-write was lost")
				require.Equal(t, writers*rounds, got.StepCount)
			})
		}},
		{"ExecutionList/FiltersAndPages", func(t *testing.T, f *fixture) {
			wf1 := f.newWorkflow(t, f.tenantA.ID, "One")
			v1 := f.newVersion(t, wf1)
			wf2 := f.newWorkflow(t, f.tenantA.ID, "Two")
			v2 := f.newVersion(t, wf2)
			contact := domain.NewID()
			var all []*domain.Execution // oldest first
			for i := range 6 {
				v := v1
				if i%2 == 1 {
					v = v2
				}
				e := f.newExecution(t, v, func(p *store.ExecutionInsertParams) {
					if i%3 == 0 {
						p.ContactID = &contact
					}
					if i >= 4 {
						p.Status = domain.ExecutionWaiting
					}
				})
				all = append(all, e)
			}
			f.newChain(t, f.tenantB.ID)
			ids := func(es []domain.Execution) []uuid.UUID {
				out := []uuid.UUID{}
				for _, e := range es {
					out = append(out, e.ID)
				}
				return out
			}
			want := func(idx ...int) []uuid.UUID {
				out := []uuid.UUID{}
				for _, i := range idx {
					out = append(out, all[i].ID)
				}
				return out
			}
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID})
				require.NoError(t, err)
				require.Equal(t, want(5, 4, 3, 2, 1, 0), ids(got), "newest first, own tenant only")

				got, err = tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, WorkflowID: &wf2.ID})
				require.NoError(t, err)
				require.Equal(t, want(5, 3, 1), ids(got))

				got, err = tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, Status: []domain.ExecutionStatus{domain.ExecutionWaiting}})
				require.NoError(t, err)
				require.Equal(t, want(5, 4), ids(got))
				got, err = tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, Status: []domain.ExecutionStatus{domain.ExecutionWaiting, domain.ExecutionPending}})
				require.NoError(t, err)
				require.Len(t, got, 6)
				got, err = tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, Status: []domain.ExecutionStatus{domain.ExecutionCompleted}})
				require.NoError(t, err)
				require.Empty(t, got)

				got, err = tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, ContactID: &contact})
				require.NoError(t, err)
				require.Equal(t, want(3, 0), ids(got))

				got, err = tx.ExecutionList(f.ctx, &store.ExecutionListParams{
					TenantID: f.tenantA.ID, WorkflowID: &wf1.ID, Status: []domain.ExecutionStatus{domain.ExecutionPending}, ContactID: &contact,
				})
				require.NoError(t, err)
				require.Equal(t, want(0), ids(got))

				after := all[2].CreatedAt.Add(-time.Microsecond)
				got, err = tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, CreatedAfter: &after})
				require.NoError(t, err)
				require.Equal(t, want(5, 4, 3, 2), ids(got))
				beforeT := all[2].CreatedAt.Add(time.Microsecond)
				got, err = tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, CreatedBefore: &beforeT})
				require.NoError(t, err)
				require.Equal(t, want(2, 1, 0), ids(got))
				got, err = tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, CreatedAfter: &after, CreatedBefore: &beforeT})
				require.NoError(t, err)
				require.Equal(t, want(2), ids(got))

				page1, err := tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, Limit: 4})
				require.NoError(t, err)
				require.Equal(t, want(5, 4, 3, 2), ids(page1))
				page2, err := tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, Limit: 4, Before: page1[3].ID})
				require.NoError(t, err)
				require.Equal(t, want(1, 0), ids(page2))
				page, err := tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, WorkflowID: &wf1.ID, Limit: 1, Before: all[4].ID})
				require.NoError(t, err)
				require.Equal(t, want(2), ids(page))

				// Another tenant's workflow filter finds nothing.
				got, err = tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, WorkflowID: &all[0].TenantID})
				require.NoError(t, err)
				require.Empty(t, got)
			})
		}},
		{"Step/InsertGetUpdateListCount", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			other := f.newChain(t, f.tenantB.ID)
			s1 := f.newStep(t, c.e, 1, "start", domain.StepCompleted)
			s2 := f.newStep(t, c.e, 2, "check", domain.StepRunning)
			require.Equal(t, c.e.ID, s1.ExecutionID)
			require.Equal(t, f.tenantA.ID, s1.TenantID)
			require.Equal(t, 1, s1.Seq)
			require.Equal(t, "start", s1.NodeID)
			require.Equal(t, "condition", s1.NodeType)
			require.Equal(t, domain.StepCompleted, s1.Status)
			require.Equal(t, 1, s1.Attempt)
			requireJSON(t, `{"seq": 1}`, s1.Input)
			require.Empty(t, s1.Output)
			require.Nil(t, s1.FinishedAt)
			sB := f.newStep(t, other.e, 1, "start", domain.StepCompleted)

			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.StepInsert(f.ctx, &store.StepInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: c.e.ID, Seq: 2, NodeID: "dup", NodeType: "end", Status: domain.StepRunning, Attempt: 1, StartedAt: ts(),
				})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict, "one step per sequence number")
			err = f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.StepInsert(f.ctx, &store.StepInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: other.e.ID, Seq: 9, NodeID: "x", NodeType: "end", Status: domain.StepRunning, Attempt: 1, StartedAt: ts(),
				})
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound, "a step cannot be filed under another tenant's execution")

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.StepGet(f.ctx, f.tenantA.ID, c.e.ID, 1)
				require.NoError(t, err)
				require.Equal(t, s1, got)

				fin := ts()
				require.NoError(t, tx.StepUpdate(f.ctx, &store.StepUpdateParams{
					TenantID: f.tenantA.ID, ExecutionID: c.e.ID, Seq: 2, Status: domain.StepFailed, Attempt: 2,
					Output: json.RawMessage(`{"result": true}`), Error: "boom", Handle: "error", FinishedAt: &fin,
				}))
				got, err = tx.StepGet(f.ctx, f.tenantA.ID, c.e.ID, 2)
				require.NoError(t, err)
				require.Equal(t, domain.StepFailed, got.Status)
				require.Equal(t, 2, got.Attempt)
				requireJSON(t, `{"result": true}`, got.Output)
				require.Equal(t, "boom", got.Error)
				require.Equal(t, "error", got.Handle)
				require.Equal(t, &fin, got.FinishedAt)
				requireJSON(t, `{"seq": 2}`, got.Input) // input is kept

				steps, err := tx.StepListByExecution(f.ctx, f.tenantA.ID, c.e.ID)
				require.NoError(t, err)
				require.Len(t, steps, 2)
				require.Equal(t, s1.ID, steps[0].ID)
				require.Equal(t, s2.ID, steps[1].ID)

				counts, err := tx.StepCountByNode(f.ctx, f.tenantA.ID, c.wf.ID)
				require.NoError(t, err)
				require.ElementsMatch(t, []store.NodeCount{
					{NodeID: "check", Status: domain.StepFailed, Count: 1},
					{NodeID: "start", Status: domain.StepCompleted, Count: 1},
				}, counts)

				// Tenant A's ID never reaches tenant B's steps.
				_, err = tx.StepGet(f.ctx, f.tenantA.ID, other.e.ID, sB.Seq)
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.StepUpdate(f.ctx, &store.StepUpdateParams{TenantID: f.tenantA.ID, ExecutionID: other.e.ID, Seq: sB.Seq, Status: domain.StepFailed}), store.ErrNotFound)
				_, err = tx.StepGet(f.ctx, f.tenantA.ID, c.e.ID, 7)
				require.ErrorIs(t, err, store.ErrNotFound, "no step with that sequence number")
				steps, err = tx.StepListByExecution(f.ctx, f.tenantA.ID, other.e.ID)
				require.NoError(t, err)
				require.Empty(t, steps)
				counts, err = tx.StepCountByNode(f.ctx, f.tenantA.ID, other.wf.ID)
				require.NoError(t, err)
				require.Empty(t, counts)
			})
			// A second execution of the same workflow adds to the counts.
			e2 := f.newExecution(t, c.v, nil)
			f.newStep(t, e2, 1, "start", domain.StepCompleted)
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				counts, err := tx.StepCountByNode(f.ctx, f.tenantA.ID, c.wf.ID)
				require.NoError(t, err)
				require.ElementsMatch(t, []store.NodeCount{
					{NodeID: "check", Status: domain.StepFailed, Count: 1},
					{NodeID: "start", Status: domain.StepCompleted, Count: 2},
				}, counts)
			})
		}},
		{"Outbox/InsertGetByKeyUpdate", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			st := f.newStep(t, c.e, 1, "send", domain.StepRunning)
			other := f.newChain(t, f.tenantB.ID)
			stB := f.newStep(t, other.e, 1, "send", domain.StepRunning)
			var entry *domain.OutboxEntry
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var created bool
				var err error
				entry, created, err = tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: c.e.ID, StepID: st.ID, IdempotencyKey: "exec-1/send/1",
					Kind: "email.send", Request: json.RawMessage(`{"to": "a@example.com"}`),
				})
				require.NoError(t, err)
				require.True(t, created)
				require.Equal(t, c.e.ID, entry.ExecutionID)
				require.Equal(t, st.ID, entry.StepID)
				require.Equal(t, "exec-1/send/1", entry.IdempotencyKey)
				require.Equal(t, "email.send", entry.Kind)
				require.Equal(t, domain.OutboxPending, entry.Status)
				require.Zero(t, entry.Attempts)
				requireJSON(t, `{"to": "a@example.com"}`, entry.Request)
				require.Empty(t, entry.Response)

				again, created, err := tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: c.e.ID, StepID: st.ID, IdempotencyKey: "exec-1/send/1",
					Kind: "email.send", Request: json.RawMessage(`{"to": "other@example.com"}`),
				})
				require.NoError(t, err)
				require.False(t, created)
				require.Equal(t, entry, again, "the existing entry is returned unchanged")

				require.NoError(t, tx.OutboxUpdate(f.ctx, &store.OutboxUpdateParams{
					TenantID: f.tenantA.ID, ID: entry.ID, Status: domain.OutboxDone, Attempts: 1,
					Response: json.RawMessage(`{"messageId": "m-1"}`),
				}))
				got, err := tx.OutboxGetByKey(f.ctx, f.tenantA.ID, "exec-1/send/1")
				require.NoError(t, err)
				require.Equal(t, domain.OutboxDone, got.Status)
				require.Equal(t, 1, got.Attempts)
				requireJSON(t, `{"messageId": "m-1"}`, got.Response)
				require.Empty(t, got.Error)

				_, err = tx.OutboxGetByKey(f.ctx, f.tenantA.ID, "nope")
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				// The same key in another tenant is another entry.
				b, created, err := tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
					TenantID: f.tenantB.ID, ExecutionID: other.e.ID, StepID: stB.ID, IdempotencyKey: "exec-1/send/1", Kind: "email.send",
				})
				require.NoError(t, err)
				require.True(t, created)
				require.NotEqual(t, entry.ID, b.ID)
				require.Equal(t, domain.OutboxPending, b.Status)
			})
			var bID uuid.UUID
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				b, err := tx.OutboxGetByKey(f.ctx, f.tenantB.ID, "exec-1/send/1")
				require.NoError(t, err)
				bID = b.ID
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				// Tenant A's ID never updates tenant B's entry.
				require.ErrorIs(t, tx.OutboxUpdate(f.ctx, &store.OutboxUpdateParams{
					TenantID: f.tenantA.ID, ID: bID, Status: domain.OutboxFailed, Attempts: 9,
				}), store.ErrNotFound)
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				b, err := tx.OutboxGetByKey(f.ctx, f.tenantB.ID, "exec-1/send/1")
				require.NoError(t, err)
				require.Equal(t, domain.OutboxPending, b.Status)
			})
		}},
		{"Wait/InsertListByEventDelete", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			c2 := f.newExecution(t, c.v, nil)
			other := f.newChain(t, f.tenantB.ID)
			alice, bob := domain.NewID(), domain.NewID()
			exp := ts().Add(time.Hour)
			insert := func(tenantID uuid.UUID, e *domain.Execution, event string, contact *uuid.UUID, corr string) *domain.Wait {
				var w *domain.Wait
				f.in(t, tenantID, func(tx store.Tx) {
					var err error
					w, err = tx.WaitInsert(f.ctx, &store.WaitInsertParams{
						TenantID: tenantID, ExecutionID: e.ID, NodeID: "wait", Token: 3, EventName: event,
						ContactID: contact, CorrelationValue: corr, ExpiresAt: &exp,
					})
					require.NoError(t, err)
				})
				return w
			}
			anyone := insert(f.tenantA.ID, c.e, "order.completed", nil, "")
			require.Equal(t, c.e.ID, anyone.ExecutionID)
			require.Equal(t, "wait", anyone.NodeID)
			require.EqualValues(t, 3, anyone.Token)
			require.Equal(t, "order.completed", anyone.EventName)
			require.Nil(t, anyone.ContactID)
			require.Empty(t, anyone.CorrelationValue)
			require.Equal(t, &exp, anyone.ExpiresAt)
			forAlice := insert(f.tenantA.ID, c2, "order.completed", &alice, "")
			forCart := insert(f.tenantA.ID, c2, "order.completed", &alice, "cart-9")
			insert(f.tenantA.ID, c.e, "email.opened", nil, "")
			insert(f.tenantB.ID, other.e, "order.completed", nil, "")

			waitIDs := func(p *store.WaitListByEventParams) []uuid.UUID {
				var out []uuid.UUID
				f.read(t, p.TenantID, func(tx store.Tx) {
					ws, err := tx.WaitListByEvent(f.ctx, p)
					require.NoError(t, err)
					out = []uuid.UUID{}
					for _, w := range ws {
						out = append(out, w.ID)
					}
				})
				return out
			}
			require.Equal(t, []uuid.UUID{anyone.ID},
				waitIDs(&store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "order.completed"}),
				"an event without contact or correlation resumes only waits without them")
			require.Equal(t, []uuid.UUID{anyone.ID, forAlice.ID},
				waitIDs(&store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "order.completed", ContactID: &alice}))
			require.Equal(t, []uuid.UUID{anyone.ID},
				waitIDs(&store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "order.completed", ContactID: &bob}))
			require.Equal(t, []uuid.UUID{anyone.ID, forAlice.ID, forCart.ID},
				waitIDs(&store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "order.completed", ContactID: &alice, CorrelationValue: "cart-9"}))
			require.Equal(t, []uuid.UUID{anyone.ID, forAlice.ID},
				waitIDs(&store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "order.completed", ContactID: &alice, CorrelationValue: "cart-1"}))
			require.Equal(t, []uuid.UUID{anyone.ID},
				waitIDs(&store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "order.completed", ContactID: &alice, Limit: 1}))
			require.Empty(t, waitIDs(&store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "nothing"}))

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				// Tenant A's ID never deletes tenant B's waits.
				require.NoError(t, tx.WaitDeleteByExecution(f.ctx, f.tenantA.ID, other.e.ID))
				require.NoError(t, tx.WaitDeleteByExecution(f.ctx, f.tenantA.ID, c2.ID))
			})
			require.Equal(t, []uuid.UUID{anyone.ID},
				waitIDs(&store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "order.completed", ContactID: &alice, CorrelationValue: "cart-9"}))
			require.Len(t, waitIDs(&store.WaitListByEventParams{TenantID: f.tenantB.ID, EventName: "order.completed"}), 1)

			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.WaitInsert(f.ctx, &store.WaitInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: other.e.ID, NodeID: "wait", EventName: "x",
				})
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound, "a wait cannot be filed under another tenant's execution")
		}},
	}
}
