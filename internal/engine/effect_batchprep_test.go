package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// batchPrepFakeEffect is fakeEffect with an EffectBatchPreparer: the first
// step of each batch is skipped, the second fails, the others are
// prepared as Prepare does; failBatch makes the next PrepareMany fail.
type batchPrepFakeEffect struct {
	*fakeEffect
	mu        sync.Mutex
	batches   []int
	failBatch bool
}

func (f *batchPrepFakeEffect) PrepareMany(_ context.Context, _ store.Tx, items []*PrepareItem) error {
	f.mu.Lock()
	fail := f.failBatch
	f.failBatch = false
	f.batches = append(f.batches, len(items))
	f.mu.Unlock()
	if fail {
		return errors.New("the batch's suppression read failed")
	}
	for i, it := range items {
		switch i {
		case 0:
			it.Err = Skip("first of the batch", json.RawMessage(`{"channel": "test"}`))
		case 1:
			it.Err = errors.New("the template does not render")
		default:
			it.Request, it.Err = f.Prepare(it.Ctx, it.In)
		}
	}
	return nil
}

// TestEffectBatchPreparer: in the advance group commit the executions that
// reach a side effect preparing in batches are prepared by one
// PrepareMany; each then goes on as after its own Prepare (skipped: the
// step completes and the run goes on; failed: the error handle; prepared:
// a running step and a pending outbox entry, whose call is then made and
// recorded). A failing PrepareMany rolls the transaction back and the
// executions are prepared one by one through Prepare.
func TestEffectBatchPreparer(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fx := &batchPrepFakeEffect{fakeEffect: &fakeEffect{}}
			open := map[string]storeOpener{"sqlite": storetest.SQLite, "postgres": storetest.Postgres}[name]
			b := stoppedBundle(t, open, Options{QueuedStart: true, SideEffects: []SideEffect{fx}})
			ctx := context.Background()
			wf := b.publish(t, fakeDef(""))
			start := func(n int) ([]*domain.Execution, []uuid.UUID) {
				contacts := make([]uuid.UUID, n)
				ps := make([]StartParams, n)
				require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
					for i := range contacts {
						email := uuid.NewString()[:8] + "@example.com"
						c, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: b.tenant, Email: &email})
						if err != nil {
							return err
						}
						contacts[i] = c.ID
						ps[i] = StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual,
							Input: json.RawMessage(fmt.Sprintf(`{"contact": %q}`, c.ID))}
					}
					return nil
				}))
				var execs []*domain.Execution
				require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
					var err error
					execs, err = b.eng.StartManyTx(ctx, tx, ps)
					return err
				}))
				return execs, contacts
			}
			advance := func(execs []*domain.Execution) []advanceResult {
				var reqs []*advanceRequest
				for _, exec := range execs {
					reqs = append(reqs, &advanceRequest{ctx: ctx, args: advanceArgs(exec), done: make(chan advanceResult, 1)})
				}
				b.eng.advanceBatch(reqs)
				out := make([]advanceResult, len(reqs))
				for i, r := range reqs {
					out[i] = <-r.done
					require.NoError(t, out[i].err)
				}
				return out
			}

			execs, contacts := start(5)
			commits := b.eng.batchCommits.Load()
			res := advance(execs)
			require.Equal(t, commits+1, b.eng.batchCommits.Load(), "one transaction")
			require.Equal(t, []int{5}, fx.batches, "one PrepareMany for the five")
			require.Equal(t, int64(3), fx.prepares.Load())

			// Skipped: the step completed, the execution went on to its end.
			got, steps := b.get(t, execs[0].ID)
			require.Equal(t, domain.ExecutionCompleted, got.Status)
			require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
			require.JSONEq(t, `{"channel": "test", "skipped": true, "reason": "first of the batch"}`, string(steps[1].Output))
			require.Empty(t, b.outbox(t, execs[0].ID))
			require.Nil(t, res[0].effect)
			// Failed: the node's error handle.
			got, steps = b.get(t, execs[1].ID)
			require.Equal(t, domain.ExecutionCompleted, got.Status)
			require.Equal(t, []string{"start", "send", "fallback", "done"}, nodeIDs(steps))
			require.Equal(t, domain.StepFailed, steps[1].Status)
			require.Contains(t, steps[1].Error, "the template does not render")
			require.Nil(t, res[1].effect)
			// Prepared: a running step and its pending outbox entry, written
			// with the batch; the call is left to the job.
			for i := 2; i < 5; i++ {
				got, steps := b.get(t, execs[i].ID)
				require.Equal(t, domain.ExecutionRunning, got.Status)
				require.Equal(t, []string{"start", "send"}, nodeIDs(steps))
				require.Equal(t, domain.StepRunning, steps[1].Status)
				entries := b.outbox(t, execs[i].ID)
				require.Len(t, entries, 1)
				require.Equal(t, domain.OutboxPending, entries[0].Status)
				// The attempt of the call the job makes next is counted in
				// the same commit (readyCall): the call needs no commit first.
				require.Equal(t, 1, entries[0].Attempts)
				require.NotNil(t, entries[0].AttemptedAt)
				require.Equal(t, steps[1].ID, entries[0].StepID)
				require.NotNil(t, res[i].effect)
				require.True(t, res[i].effect.counted)
				require.Equal(t, entries[0].ID, res[i].effect.outboxID)
				require.Len(t, b.events(t, contacts[i], "fx.prepared"), 1)
				// The call, then its outcome recorded through the group
				// commit, the attempt not counted again.
				next, err := b.eng.perform(ctx, res[i].effect, false)
				require.NoError(t, err)
				require.Nil(t, next)
				got, steps = b.get(t, execs[i].ID)
				require.Equal(t, domain.ExecutionCompleted, got.Status)
				require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
				entries = b.outbox(t, execs[i].ID)
				require.Equal(t, domain.OutboxDone, entries[0].Status)
				require.Equal(t, 1, entries[0].Attempts)
				require.Len(t, b.events(t, contacts[i], "fx.recorded"), 1)
			}
			require.Equal(t, int64(3), fx.calls.Load())

			// A failing PrepareMany: nothing of the batch commits, and each
			// execution is prepared alone by Prepare.
			fx.mu.Lock()
			fx.failBatch = true
			fx.mu.Unlock()
			execs, contacts = start(3)
			commits = b.eng.batchCommits.Load()
			res = advance(execs)
			require.Equal(t, commits, b.eng.batchCommits.Load(), "the shared transaction did not commit")
			require.Equal(t, []int{5, 3}, fx.batches)
			require.Equal(t, int64(6), fx.prepares.Load(), "then each through Prepare")
			for i, exec := range execs {
				require.NotNil(t, res[i].effect)
				entries := b.outbox(t, exec.ID)
				require.Len(t, entries, 1)
				require.Equal(t, domain.OutboxPending, entries[0].Status)
				require.Len(t, b.events(t, contacts[i], "fx.prepared"), 1, "prepared once: the batch's writes rolled back")
			}
		})
	}
}
