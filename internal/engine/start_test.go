package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// TestEagerStart starts executions with the queue stopped, so that only
// what the start transaction itself wrote is there: a pure journey is
// COMPLETED with all its steps and needs no job; a journey that reaches a
// side effect stops before it and its job (run once the queue starts)
// makes the call once; a delay is parked with its wake-up job; events are
// published only after the commit; a repeated idempotency key writes no
// second run; a rolled-back start leaves nothing.
func TestEagerStart(t *testing.T) {
	t.Parallel()
	eachStopped(t, Options{HTTP: HTTPOptions{Allow: []string{"127.0.0.1"}}}, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		st, eng, hub := b.st, b.eng, b.hub
		events, cancel, err := hub.Subscribe(ctx, b.tenant)
		require.NoError(t, err)
		defer cancel()

		startMany := func(ps ...StartParams) ([]*domain.Execution, error) {
			var execs []*domain.Execution
			err := st.InTx(ctx, b.tenant, func(tx store.Tx) error {
				var err error
				if execs, err = eng.StartManyTx(ctx, tx, ps); err != nil {
					return err
				}
				mine := map[uuid.UUID]bool{}
				for _, exec := range execs {
					mine[exec.ID] = true
				}
				for {
					select {
					case ev := <-events:
						if mine[ev.ExecutionID] {
							return fmt.Errorf("event %+v published before the commit", ev)
						}
						continue // an earlier start's
					case <-time.After(20 * time.Millisecond):
					}
					return nil
				}
			})
			return execs, err
		}
		params := func(wf uuid.UUID, input, key string) StartParams {
			return StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, Input: []byte(input), IdempotencyKey: key}
		}

		// A pure journey: finished by its start, events after the commit.
		pure := b.publish(t, batchChain)
		execs, err := startMany(params(pure, `{"n": 0}`, ""), params(pure, `{"n": 1}`, "once"), params(pure, `{"n": 1}`, "once"))
		require.NoError(t, err)
		require.Equal(t, execs[1].ID, execs[2].ID, "one idempotency key, one execution")
		for _, exec := range execs[:2] {
			require.Equal(t, domain.ExecutionCompleted, exec.Status)
			got, steps := b.get(t, exec.ID)
			require.Equal(t, domain.ExecutionCompleted, got.Status)
			require.Equal(t, []string{"start", "check", "small", "done"}, nodeIDs(steps), "steps written once")
			require.Equal(t, 4, got.StepCount)
			require.NotNil(t, got.StartedAt)
			require.NotNil(t, got.FinishedAt)
			require.Equal(t, "small", contextOf(t, got)["vars"].(map[string]any)["size"])
		}
		completed := map[uuid.UUID]bool{}
		for len(completed) < 2 {
			select {
			case ev := <-events:
				if ev.Kind == live.KindExecution && ev.Status == string(domain.ExecutionCompleted) {
					completed[ev.ExecutionID] = true
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("completion events: got %d of 2", len(completed))
			}
		}
		again, err := startMany(params(pure, `{"n": 1}`, "once"))
		require.NoError(t, err)
		require.Equal(t, execs[1].ID, again[0].ID)
		_, steps := b.get(t, execs[1].ID)
		require.Len(t, steps, 4, "a key used by an earlier start runs nothing again")
		retried := params(pure, `{"n": 1}`, "once")
		retried.TriggerType = "trigger.webhook" // not a trigger of this workflow: a new start would fail
		again, err = startMany(retried)
		require.NoError(t, err, "a used key returns its execution before anything else is checked")
		require.Equal(t, execs[1].ID, again[0].ID)

		// A delay parks the execution; its wake-up job is due in an hour.
		delayed, err := startMany(params(pure, `{"n": 5}`, ""))
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionWaiting, delayed[0].Status)
		_, steps = b.get(t, delayed[0].ID)
		require.Equal(t, []string{"start", "check", "big", "wait"}, nodeIDs(steps))
		require.Equal(t, domain.StepWaiting, steps[3].Status)

		// A side effect is left to the execution's first job.
		sink := newSink(t, 0, 0)
		effect := b.publish(t, httpDef(sink.URL, "", false))
		handed, err := startMany(params(effect, `{"id": 7, "token": "s3cret"}`, ""))
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionRunning, handed[0].Status)
		require.Equal(t, "call", handed[0].CurrentNodeID)
		_, steps = b.get(t, handed[0].ID)
		require.Equal(t, []string{"start"}, nodeIDs(steps))
		require.Zero(t, sink.calls.Load(), "no call inside the start transaction")

		// A start whose transaction rolls back leaves nothing.
		var lost []*domain.Execution
		err = st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			var err error
			if lost, err = eng.StartManyTx(ctx, tx, []StartParams{params(pure, `{"n": 0}`, "")}); err != nil {
				return err
			}
			return errors.New("caller changed its mind")
		})
		require.Error(t, err)
		require.NoError(t, st.Read(ctx, b.tenant, func(tx store.Tx) error {
			_, err := tx.ExecutionGetByID(ctx, b.tenant, lost[0].ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			return nil
		}))

		require.NoError(t, st.Queue().Start(ctx))
		t.Cleanup(func() {
			stopCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
			defer stop()
			_ = st.Queue().Stop(stopCtx)
		})
		_, steps = b.waitFor(t, handed[0].ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "call", "check", "done"}, nodeIDs(steps))
		require.EqualValues(t, 1, sink.calls.Load())
		for {
			select {
			case ev := <-events:
				require.NotEqual(t, lost[0].ID, ev.ExecutionID, "no event of a rolled-back start")
				continue
			case <-time.After(200 * time.Millisecond):
			}
			break
		}
	})
}
