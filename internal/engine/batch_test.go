package engine

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

const batchChain = `{"nodes": [
  {"id": "start", "type": "trigger.manual"},
  {"id": "check", "type": "condition", "config": {"expression": "has(trigger.input.n) && trigger.input.n > 1"}},
  {"id": "big", "type": "set_attribute", "config": {"target": "vars", "attributes": {"size": "'big'"}}},
  {"id": "small", "type": "set_attribute", "config": {"target": "vars", "attributes": {"size": "'small'"}}},
  {"id": "wait", "type": "delay", "config": {"duration": "0s"}},
  {"id": "done", "type": "end"}],
 "edges": [
  {"id": "e1", "source": "start", "target": "check"},
  {"id": "e2", "source": "check", "sourceHandle": "true", "target": "big"},
  {"id": "e3", "source": "check", "sourceHandle": "false", "target": "small"},
  {"id": "e4", "source": "big", "target": "wait"},
  {"id": "e5", "source": "small", "target": "done"},
  {"id": "e6", "source": "wait", "target": "done"}]}`

// TestAdvanceBatch runs one group-commit batch by hand (the queue does not
// work jobs): executions of two tenants, a duplicate request and a stale
// one. Each execution advances exactly as on its own, in one transaction
// per tenant.
func TestAdvanceBatch(t *testing.T) {
	t.Parallel()
	eachStopped(t, Options{QueuedStart: true}, func(t *testing.T, a *bundle) {
		// Queued starts: the batch advances the executions from their
		// triggers. The queue is never started.
		ctx := context.Background()
		st, eng, hub := a.st, a.eng, a.hub
		b := &bundle{st: st, eng: eng, hub: hub, tenant: newTenant(t, st)}
		wfA, wfB := a.publish(t, batchChain), b.publish(t, batchChain)

		startMany := func(bd *bundle, wf uuid.UUID, inputs ...string) []*domain.Execution {
			ps := make([]StartParams, len(inputs))
			for i, in := range inputs {
				ps[i] = StartParams{TenantID: bd.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, Input: []byte(in)}
			}
			var execs []*domain.Execution
			require.NoError(t, st.InTx(ctx, bd.tenant, func(tx store.Tx) error {
				var err error
				execs, err = eng.StartManyTx(ctx, tx, ps)
				return err
			}))
			return execs
		}
		execsA := startMany(a, wfA, `{"n": 1}`, `{"n": 2}`, `{"n": 3}`, `{}`)
		execsB := startMany(b, wfB, `{"n": 5}`, `{"n": 0}`)

		var reqs []*advanceRequest
		req := func(exec *domain.Execution, token int64) *advanceRequest {
			r := &advanceRequest{ctx: ctx, args: AdvanceArgs{TenantID: exec.TenantID, ExecutionID: exec.ID, Token: token}, done: make(chan advanceResult, 1)}
			reqs = append(reqs, r)
			return r
		}
		for _, exec := range append(append([]*domain.Execution{}, execsA...), execsB...) {
			req(exec, exec.Token)
		}
		dup := req(execsA[0], execsA[0].Token)
		stale := req(execsB[0], execsB[0].Token+7)
		before := eng.GroupCommitStats()
		eng.advanceBatch(reqs)
		require.EqualValues(t, 2, eng.batchCommits.Load(), "one shared transaction per tenant")
		aloneSince := func(before GroupCommitStats) GroupCommitStats {
			s := eng.GroupCommitStats()
			return GroupCommitStats{Alone: s.Alone - before.Alone, Single: s.Single - before.Single,
				Duplicate: s.Duplicate - before.Duplicate, Failed: s.Failed - before.Failed}
		}
		require.Equal(t, GroupCommitStats{Alone: 2, Duplicate: 2}, aloneSince(before),
			"the duplicate and the stale request (the same execution) ran alone")

		for _, r := range reqs {
			res := <-r.done
			require.NoError(t, res.err)
			require.Nil(t, res.effect)
			if r == dup || r == stale {
				require.Empty(t, res.events, "a duplicate or stale request changes nothing")
			}
		}
		// n > 1 parks on the delay (WAITING, its wake-up job enqueued);
		// the others complete through "small".
		check := func(bd *bundle, exec *domain.Execution, want domain.ExecutionStatus, nodes ...string) {
			t.Helper()
			got, steps := bd.get(t, exec.ID)
			require.Equal(t, want, got.Status, "execution %s", exec.ID)
			var visited []string
			for _, s := range steps {
				visited = append(visited, s.NodeID)
			}
			require.Equal(t, nodes, visited)
			require.Equal(t, len(nodes), got.StepCount)
		}
		check(a, execsA[0], domain.ExecutionCompleted, "start", "check", "small", "done")
		check(a, execsA[1], domain.ExecutionWaiting, "start", "check", "big", "wait")
		check(a, execsA[2], domain.ExecutionWaiting, "start", "check", "big", "wait")
		check(a, execsA[3], domain.ExecutionCompleted, "start", "check", "small", "done")
		check(b, execsB[0], domain.ExecutionWaiting, "start", "check", "big", "wait")
		check(b, execsB[1], domain.ExecutionCompleted, "start", "check", "small", "done")

		// The waiting ones resume in a second batch with their new
		// tokens and complete.
		reqs = nil
		for _, pair := range []struct {
			bd   *bundle
			exec *domain.Execution
		}{{a, execsA[1]}, {a, execsA[2]}, {b, execsB[0]}} {
			got, _ := pair.bd.get(t, pair.exec.ID)
			req(got, got.Token)
		}
		before = eng.GroupCommitStats()
		eng.advanceBatch(reqs)
		require.Equal(t, GroupCommitStats{Alone: 1, Single: 1}, aloneSince(before), "tenant B's only request ran alone")
		for _, r := range reqs {
			require.NoError(t, (<-r.done).err)
		}
		check(a, execsA[1], domain.ExecutionCompleted, "start", "check", "big", "wait", "done")
		check(b, execsB[0], domain.ExecutionCompleted, "start", "check", "big", "wait", "done")
	})
}

// stoppedBundle is a bundle over a fresh store whose queue is not started
// (a test starts it, or advances by hand).
func stoppedBundle(t *testing.T, open storeOpener, opts Options) *bundle {
	t.Helper()
	workers := river.NewWorkers()
	st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	opts.Publisher = live.NewHub()
	eng := New(st, opts)
	eng.RegisterWorkers(workers)
	t.Cleanup(eng.Close)
	return &bundle{st: st, eng: eng, hub: opts.Publisher.(*live.Hub), tenant: newTenant(t, st)}
}

func newTenant(t *testing.T, st store.Store) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var id uuid.UUID
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "T", Slug: "t-" + uuid.NewString()[:8], Plan: domain.PlanFree})
		if err != nil {
			return err
		}
		id = tn.ID
		return nil
	}))
	return id
}
