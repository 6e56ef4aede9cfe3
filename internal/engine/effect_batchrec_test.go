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

// batchFakeEffect is fakeEffect with an EffectBatchRecorder: RecordResults
// notes the size of each batch and records each result as RecordResult.
type batchFakeEffect struct {
	*fakeEffect
	mu      sync.Mutex
	batches []int
	// failBatch makes the next RecordResults fail after its writes.
	failBatch bool
}

func (f *batchFakeEffect) RecordResults(ctx context.Context, tx store.Tx, res []EffectResult) error {
	for _, r := range res {
		if r.Err != nil {
			return fmt.Errorf("a failure in the batch: %w", r.Err)
		}
		if err := f.RecordResult(ctx, tx, r); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failBatch {
		f.failBatch = false
		return errors.New("batch recorder failed")
	}
	f.batches = append(f.batches, len(res))
	return nil
}

// TestEffectBatchRecorder: in the advance group commit the successes of a
// transaction go to RecordResults together, a failure to RecordResult at
// once; a RecordResults error rolls the shared transaction back and the
// outcomes are then recorded one by one through RecordResult. Each outcome
// is recorded once and its execution completes or retries.
func TestEffectBatchRecorder(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fx := &batchFakeEffect{fakeEffect: &fakeEffect{}}
			open := map[string]storeOpener{"sqlite": storetest.SQLite, "postgres": storetest.Postgres}[name]
			b := stoppedBundle(t, open, Options{QueuedStart: true, SideEffects: []SideEffect{fx}})
			ctx := context.Background()
			wf := b.publish(t, fakeDef(""))
			contacts := make([]uuid.UUID, 7)
			ps := make([]StartParams, len(contacts))
			require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
				for i := range contacts {
					email := uuid.NewString()[:8] + "@example.com"
					c, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: b.tenant, Email: &email})
					if err != nil {
						return err
					}
					contacts[i] = c.ID
					ps[i] = StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, Input: json.RawMessage(fmt.Sprintf(`{"contact": %q}`, c.ID))}
				}
				return nil
			}))
			var execs []*domain.Execution
			require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
				var err error
				execs, err = b.eng.StartManyTx(ctx, tx, ps)
				return err
			}))
			var reqs []*advanceRequest
			for _, exec := range execs {
				reqs = append(reqs, &advanceRequest{ctx: ctx, args: advanceArgs(exec), done: make(chan advanceResult, 1)})
			}
			b.eng.advanceBatch(reqs)
			var pending []*pendingEffect
			for _, r := range reqs {
				res := <-r.done
				require.NoError(t, res.err)
				require.NotNil(t, res.effect)
				pending = append(pending, res.effect)
			}
			outcome := func(pe *pendingEffect, err error) *advanceRequest {
				out := &effectOutcome{calls: 1, up: &store.OutboxUpdateParams{TenantID: pe.req.TenantID, ID: pe.outboxID, Attempts: 1}}
				if err != nil {
					out.err, out.up.Status, out.up.Error = err, domain.OutboxFailed, err.Error()
				} else {
					out.output = json.RawMessage(fmt.Sprintf(`{"id": "m-%s"}`, pe.req.ExecutionID))
					out.up.Status, out.up.Response = domain.OutboxDone, out.output
				}
				return &advanceRequest{ctx: ctx, result: &effectResult{pe: pe, out: out}, done: make(chan advanceResult, 1),
					args: AdvanceArgs{TenantID: pe.req.TenantID, ExecutionID: pe.req.ExecutionID, Token: pe.token}}
			}

			// Three successes and a permanent failure share a transaction.
			commits := b.eng.batchCommits.Load()
			shared := []*advanceRequest{outcome(pending[0], nil), outcome(pending[1], nil), outcome(pending[2], nil),
				outcome(pending[6], Permanent(errors.New("no such number")))}
			b.eng.advanceBatch(shared)
			require.Equal(t, commits+1, b.eng.batchCommits.Load())
			require.Equal(t, []int{3}, fx.batches, "the three successes in one RecordResults")

			// A failing RecordResults: the batch is redone one by one.
			fx.mu.Lock()
			fx.failBatch = true
			fx.mu.Unlock()
			alone := []*advanceRequest{outcome(pending[3], nil), outcome(pending[4], nil), outcome(pending[5], nil)}
			b.eng.advanceBatch(alone)
			require.Equal(t, commits+1, b.eng.batchCommits.Load(), "the failed shared transaction did not commit")
			require.Equal(t, []int{3}, fx.batches, "alone, each went through RecordResult")

			for _, r := range append(shared, alone...) {
				res := <-r.done
				require.NoError(t, res.err)
			}
			for i, exec := range execs {
				got, steps := b.get(t, exec.ID)
				require.Len(t, b.events(t, contacts[i], "fx.recorded"), 1, "execution %d: recorded once", i)
				entries := b.outbox(t, exec.ID)
				require.Len(t, entries, 1)
				if i == 6 {
					// The failure leaves by the send's error handle.
					require.Equal(t, domain.ExecutionCompleted, got.Status)
					require.Equal(t, []string{"start", "send", "fallback", "done"}, nodeIDs(steps))
					require.Equal(t, domain.StepFailed, steps[1].Status)
					require.Equal(t, domain.OutboxFailed, entries[0].Status)
					continue
				}
				require.Equal(t, domain.ExecutionCompleted, got.Status, "execution %d", i)
				require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
				require.Equal(t, domain.OutboxDone, entries[0].Status)
			}
		})
	}
}
