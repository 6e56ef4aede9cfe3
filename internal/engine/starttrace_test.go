package engine

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// jobRecorder is a store whose transactions record the metadata of the
// River jobs inserted in them, by the execution each job advances.
type jobRecorder struct {
	store.Store
	mu    sync.Mutex
	metas map[uuid.UUID]string
}

func (s *jobRecorder) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	return s.Store.InTx(ctx, tenantID, func(tx store.Tx) error {
		return fn(recordingTx{Tx: tx, s: s})
	})
}

type recordingTx struct {
	store.Tx
	s *jobRecorder
}

func (t recordingTx) JobInsertMany(ctx context.Context, params []river.InsertManyParams) error {
	t.s.mu.Lock()
	for _, p := range params {
		args, ok := p.Args.(AdvanceArgs)
		if !ok {
			continue
		}
		meta := ""
		if p.InsertOpts != nil {
			meta = string(p.InsertOpts.Metadata)
		}
		t.s.metas[args.ExecutionID] = meta
	}
	t.s.mu.Unlock()
	return t.Tx.JobInsertMany(ctx, params)
}

// TestStartGroupCommitKeepsEachTrace starts executions in one shared
// transaction, each from a request with a span of its own: the advance
// job each start enqueues carries its own request's traceparent, not a
// new trace (the shared transaction runs under none of their spans).
func TestStartGroupCommitKeepsEachTrace(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open storeOpener) {
		gate := newStartGate(1)
		workers := river.NewWorkers()
		rec := &jobRecorder{Store: open(t, storetest.WithQueue(store.QueueConfig{Workers: workers})), metas: map[uuid.UUID]string{}}
		hub := live.NewHub()
		// Queued start: every start enqueues the advance job that runs it.
		eng := New(rec, Options{StartBatchers: 1, beforeStartBatchHook: gate.hook, QueuedStart: true, Publisher: hub})
		eng.RegisterWorkers(workers)
		t.Cleanup(eng.Close)
		b := &bundle{st: rec, eng: eng, hub: hub, tenant: newTenant(t, rec)}
		wf := b.publish(t, batchChain)

		held := holdRunner(t, b, gate, wf)
		const n = 4
		traces := make([]trace.TraceID, n)
		ids := make([]uuid.UUID, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			traces[i] = trace.TraceID(uuid.New())
			sc := trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: traces[i], SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, byte(i + 1)}, TraceFlags: trace.FlagsSampled,
			})
			ctx := trace.ContextWithSpanContext(context.Background(), sc)
			wg.Go(func() {
				exec, err := eng.Start(ctx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual})
				errs[i] = err
				if exec != nil {
					ids[i] = exec.ID
				}
			})
		}
		time.Sleep(200 * time.Millisecond) // all of them wait for the runner
		close(gate.release)
		wg.Wait()
		require.NoError(t, <-held)
		require.Equal(t, n, gate.batches()[1], "the waiting starts formed one batch: %v", gate.batches())

		rec.mu.Lock()
		defer rec.mu.Unlock()
		for i := range n {
			require.NoError(t, errs[i], "start %d", i)
			meta, ok := rec.metas[ids[i]]
			require.True(t, ok, "start %d enqueued its advance job", i)
			var m map[string]string
			require.NoError(t, json.Unmarshal([]byte(meta), &m), "start %d: metadata %q", i, meta)
			require.Contains(t, m["traceparent"], traces[i].String(), "start %d continues its own request's trace", i)
		}
	})
}
