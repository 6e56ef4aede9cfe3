package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// preparedValue is what valueFakeEffect's PrepareMany sets as an item's
// Value: the request it encoded.
type preparedValue struct{ request json.RawMessage }

// valueFakeEffect is fakeEffect preparing in batches, each item with a
// Value, and noting the Value its Perform is given.
type valueFakeEffect struct {
	*fakeEffect
	mu        sync.Mutex
	prepared  map[string]*preparedValue // by request
	performed []any
}

func (f *valueFakeEffect) PrepareMany(_ context.Context, _ store.Tx, items []*PrepareItem) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range items {
		it.Request, it.Err = f.Prepare(it.Ctx, it.In)
		v := &preparedValue{request: it.Request}
		it.Value = v
		f.prepared[string(it.Request)] = v
	}
	return nil
}

func (f *valueFakeEffect) Perform(ctx context.Context, req EffectRequest) (json.RawMessage, error) {
	f.mu.Lock()
	f.performed = append(f.performed, req.Value)
	f.mu.Unlock()
	return f.fakeEffect.Perform(ctx, req)
}

// TestEffectValueCarried: the value a side effect's PrepareMany builds a
// request from (PrepareItem.Value) comes back, the same one, with that
// step's call in the process (EffectRequest.Value to Perform,
// EffectResult.Value to RecordResult), so the side effect need not decode
// what it has just encoded; an effect whose call is taken up from the
// outbox gets none.
func TestEffectValueCarried(t *testing.T) {
	t.Parallel()
	fx := &valueFakeEffect{fakeEffect: &fakeEffect{}, prepared: map[string]*preparedValue{}}
	b := stoppedBundle(t, storetest.SQLite, Options{QueuedStart: true, SideEffects: []SideEffect{fx}})
	ctx := context.Background()
	wf := b.publish(t, fakeDef(""))
	ps := make([]StartParams, 3)
	require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
		for i := range ps {
			email := fmt.Sprintf("value-%d@example.com", i)
			c, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: b.tenant, Email: &email})
			if err != nil {
				return err
			}
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
	var reqs []*advanceRequest
	for _, exec := range execs {
		reqs = append(reqs, &advanceRequest{ctx: ctx, args: advanceArgs(exec), done: make(chan advanceResult, 1)})
	}
	b.eng.advanceBatch(reqs)
	for i, r := range reqs {
		res := <-r.done
		require.NoError(t, res.err)
		require.NotNil(t, res.effect)
		want := fx.prepared[string(res.effect.req.Request)]
		require.NotNil(t, want, "prepared by PrepareMany")
		require.Same(t, want, res.effect.req.Value, "the value PrepareMany set, carried with the call")

		if i == len(reqs)-1 {
			// Taken up from the outbox (a later job, another process):
			// no value, the side effect decodes the stored request.
			entries := b.outbox(t, execs[i].ID)
			require.Len(t, entries, 1)
			exec, _ := b.get(t, execs[i].ID)
			require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
				r, err := b.eng.newRun(ctx, tx, exec)
				if err != nil {
					return err
				}
				_, err = r.resumeOpen(ctx)
				require.NotNil(t, r.effect)
				require.Nil(t, r.effect.req.Value)
				return err
			}))
		}
		next, err := b.eng.perform(ctx, res.effect, false)
		require.NoError(t, err)
		require.Nil(t, next)
		fx.mu.Lock()
		require.Same(t, want, fx.performed[len(fx.performed)-1], "Perform got it")
		fx.mu.Unlock()
	}
	fx.fakeEffect.mu.Lock()
	defer fx.fakeEffect.mu.Unlock()
	require.Len(t, fx.results, len(execs))
	for _, res := range fx.results {
		require.Same(t, fx.prepared[string(res.Request)], res.Value, "RecordResult got it")
	}
}
