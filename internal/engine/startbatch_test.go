package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// startGate holds the start runner on its holdAt-th batch so that the
// starts submitted meanwhile form the next batch, and records batch sizes.
type startGate struct {
	mu      sync.Mutex
	sizes   []int
	holdAt  int
	release chan struct{}
}

func newStartGate(holdAt int) *startGate {
	return &startGate{holdAt: holdAt, release: make(chan struct{})}
}

func (g *startGate) hook(n int) {
	g.mu.Lock()
	g.sizes = append(g.sizes, n)
	hold := len(g.sizes) == g.holdAt
	g.mu.Unlock()
	if hold {
		<-g.release
	}
}

func (g *startGate) batches() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.sizes...)
}

// gatedBundle is a bundle whose single start runner waits on gate's first
// batch.
func gatedBundle(t *testing.T, open storeOpener, gate *startGate) *bundle {
	t.Helper()
	return stoppedBundle(t, open, Options{StartBatchers: 1, beforeStartBatchHook: gate.hook})
}

// holdRunner starts one execution of wfID in the background; the runner
// takes it and waits on the gate. The returned channel gets its error.
func holdRunner(t *testing.T, b *bundle, gate *startGate, wfID uuid.UUID) chan error {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := b.eng.Start(context.Background(), StartParams{TenantID: b.tenant, WorkflowID: wfID, TriggerType: workflow.TypeTriggerManual})
		errc <- err
	}()
	require.Eventually(t, func() bool { return len(gate.batches()) == gate.holdAt }, 5*time.Second, time.Millisecond)
	return errc
}

type startOutcome struct {
	exec *domain.Execution
	err  error
}

// TestStartGroupCommit submits starts while the runner is held, so they
// share one transaction: a key repeated inside the batch and a key used by
// an earlier batch give the first execution; a start of a missing workflow
// fails alone; a start whose row cannot be inserted (its ID is taken)
// fails the shared transaction, which is then run one start at a time, so
// only that start fails. Pure journeys finish in their start.
func TestStartGroupCommit(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open storeOpener) {
		ctx := context.Background()
		for _, dupID := range []bool{false, true} {
			gate := newStartGate(2)
			b := gatedBundle(t, open, gate)
			pure := b.publish(t, batchChain)
			params := func(key string) StartParams {
				return StartParams{TenantID: b.tenant, WorkflowID: pure, TriggerType: workflow.TypeTriggerManual, Input: []byte(`{"n": 0}`), IdempotencyKey: key}
			}
			earlier, err := b.eng.Start(ctx, params("earlier")) // batch 1: a key used by an earlier batch
			require.NoError(t, err)
			held := holdRunner(t, b, gate, pure)
			taken := earlier.ID
			ps := []StartParams{
				params("same"), params("same"), params("same"), params("earlier"), params(""),
				{TenantID: b.tenant, WorkflowID: domain.NewID(), TriggerType: workflow.TypeTriggerManual},
			}
			if dupID {
				ps = append(ps, StartParams{TenantID: b.tenant, ID: taken, WorkflowID: pure, TriggerType: workflow.TypeTriggerManual})
			}
			out := make([]startOutcome, len(ps))
			var wg sync.WaitGroup
			for i, p := range ps {
				wg.Go(func() {
					exec, err := b.eng.Start(ctx, p)
					out[i] = startOutcome{exec, err}
				})
			}
			time.Sleep(200 * time.Millisecond) // all of them wait for the runner
			close(gate.release)
			wg.Wait()
			require.NoError(t, <-held)
			require.Equal(t, len(ps), gate.batches()[2], "the waiting starts formed one batch: %v", gate.batches())

			for i := range 5 {
				require.NoError(t, out[i].err, "start %d", i)
				require.Equal(t, domain.ExecutionCompleted, out[i].exec.Status, "start %d", i)
			}
			require.Equal(t, out[0].exec.ID, out[1].exec.ID, "one key, one execution")
			require.Equal(t, out[0].exec.ID, out[2].exec.ID, "one key, one execution")
			require.Equal(t, earlier.ID, out[3].exec.ID, "a key of an earlier batch gives its execution")
			require.NotEqual(t, out[0].exec.ID, out[4].exec.ID)
			require.ErrorIs(t, out[5].err, store.ErrNotFound, "a missing workflow fails its start only")
			if dupID {
				require.Error(t, out[6].err, "a taken ID fails its start only")
				require.Nil(t, out[6].exec)
			}
			for _, i := range []int{0, 4} {
				got, steps := b.get(t, out[i].exec.ID)
				require.Equal(t, domain.ExecutionCompleted, got.Status)
				require.Equal(t, []string{"start", "check", "small", "done"}, nodeIDs(steps), "steps written once")
			}
			if !dupID {
				require.Positive(t, b.eng.startCommits.Load(), "a shared transaction committed")
			}
		}
	})
}

// TestStartGroupCommitCancel cancels a caller while it waits for the
// runner: it gets the context's error and nothing is started.
func TestStartGroupCommitCancel(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open storeOpener) {
		gate := newStartGate(1)
		b := gatedBundle(t, open, gate)
		pure := b.publish(t, batchChain)
		held := holdRunner(t, b, gate, pure)

		ctx, cancel := context.WithCancel(context.Background())
		id := domain.NewID()
		errc := make(chan error, 1)
		go func() {
			_, err := b.eng.Start(ctx, StartParams{TenantID: b.tenant, ID: id, WorkflowID: pure, TriggerType: workflow.TypeTriggerManual})
			errc <- err
		}()
		time.Sleep(50 * time.Millisecond)
		cancel()
		require.ErrorIs(t, <-errc, context.Canceled)
		close(gate.release)
		require.NoError(t, <-held)
		err := b.st.Read(context.Background(), b.tenant, func(tx store.Tx) error {
			_, err := tx.ExecutionGetByID(context.Background(), b.tenant, id)
			return err
		})
		require.True(t, errors.Is(err, store.ErrNotFound), "the cancelled start wrote nothing: %v", err)
	})
}

// webhookThree is a three-node webhook journey answered on completion.
const webhookThree = `{"nodes": [
  {"id": "hook", "type": "trigger.webhook", "config": {"respond": "on_completion", "timeout": "5s"}},
  {"id": "set", "type": "set_attribute", "config": {"target": "vars", "attributes": {"n": "has(trigger.input.n) ? trigger.input.n : 0"}}},
  {"id": "done", "type": "end"}],
 "edges": [{"id": "e1", "source": "hook", "target": "set"}, {"id": "e2", "source": "set", "target": "done"}]}`

// TestWebhookGroupCommit sends webhook requests that share a transaction:
// the good ones finish in their start with their own input and the node's
// wait; a body that is not an object and a URL without a webhook fail
// alone with their own errors.
func TestWebhookGroupCommit(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open storeOpener) {
		gate := newStartGate(1)
		b := gatedBundle(t, open, gate)
		hook := b.publish(t, webhookThree)
		held := holdRunner(t, b, gate, b.publish(t, batchChain))

		reqs := []WebhookStart{
			{TenantID: b.tenant, WorkflowID: hook, Body: []byte(`{"n": 1}`)},
			{TenantID: b.tenant, WorkflowID: hook, Body: []byte(`[1]`)},
			{TenantID: b.tenant, WorkflowID: hook, Body: []byte(`{"n": 2}`)},
			{TenantID: b.tenant, WorkflowID: domain.NewID(), Body: []byte(`{}`)},
			{TenantID: b.tenant, WorkflowID: hook},
		}
		type outcome struct {
			started *WebhookStarted
			err     error
		}
		out := make([]outcome, len(reqs))
		var wg sync.WaitGroup
		for i, w := range reqs {
			wg.Go(func() {
				s, err := b.eng.StartWebhook(context.Background(), w)
				out[i] = outcome{s, err}
			})
		}
		time.Sleep(200 * time.Millisecond)
		close(gate.release)
		wg.Wait()
		require.NoError(t, <-held)
		require.Equal(t, len(reqs), gate.batches()[1], "one batch: %v", gate.batches())

		require.ErrorIs(t, out[1].err, ErrWebhookBody)
		require.ErrorIs(t, out[3].err, ErrNotWebhook)
		for _, i := range []int{0, 2, 4} {
			require.NoError(t, out[i].err)
			require.Equal(t, 5*time.Second, out[i].started.Wait)
			exec := out[i].started.Execution
			require.Equal(t, domain.ExecutionCompleted, exec.Status, "finished by its start")
			got, steps := b.get(t, exec.ID)
			require.Equal(t, domain.ExecutionCompleted, got.Status)
			require.Equal(t, []string{"hook", "set", "done"}, nodeIDs(steps))
			vars := contextOf(t, got)["vars"].(map[string]any)
			switch i {
			case 0:
				require.EqualValues(t, 1, vars["n"])
			case 2:
				require.EqualValues(t, 2, vars["n"])
			}
		}
	})
}

// TestStartCheckedOncePerKey: the starts of one shared transaction that
// name the same check key share one run of its check, whose refusal fails
// those starts only; another key's check runs on its own, and a later
// transaction checks again.
func TestStartCheckedOncePerKey(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open storeOpener) {
		ctx := context.Background()
		gate := newStartGate(1)
		b := gatedBundle(t, open, gate)
		pure := b.publish(t, batchChain)
		p := StartParams{TenantID: b.tenant, WorkflowID: pure, TriggerType: workflow.TypeTriggerManual, Input: []byte(`{"n": 0}`)}
		var mu sync.Mutex
		runs := map[string]int{}
		refused := errors.New("refused")
		check := func(key string) func(context.Context, store.Tx) error {
			return func(context.Context, store.Tx) error {
				mu.Lock()
				runs[key]++
				mu.Unlock()
				if key == "bad" {
					return refused
				}
				return nil
			}
		}
		held := holdRunner(t, b, gate, pure)
		keys := []string{"good", "good", "good", "bad", "bad"}
		out := make([]startOutcome, len(keys))
		var wg sync.WaitGroup
		for i, k := range keys {
			wg.Go(func() {
				exec, err := b.eng.StartChecked(ctx, p, k, check(k))
				out[i] = startOutcome{exec, err}
			})
		}
		time.Sleep(200 * time.Millisecond) // all of them wait for the runner
		close(gate.release)
		wg.Wait()
		require.NoError(t, <-held)
		require.Equal(t, len(keys), gate.batches()[1], "the waiting starts formed one batch: %v", gate.batches())
		require.Equal(t, map[string]int{"good": 1, "bad": 1}, runs, "one check per key and transaction")
		for i, k := range keys {
			if k == "bad" {
				require.ErrorIs(t, out[i].err, refused, "start %d", i)
				require.Nil(t, out[i].exec)
				continue
			}
			require.NoError(t, out[i].err, "start %d", i)
			require.Equal(t, domain.ExecutionCompleted, out[i].exec.Status)
		}

		_, err := b.eng.StartChecked(ctx, p, "good", check("good"))
		require.NoError(t, err)
		require.Equal(t, 2, runs["good"], "a later transaction checks again")
	})
}
