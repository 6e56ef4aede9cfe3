package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// callKind is the node type of callEffect.
const callKind = "test.call"

// callEffect counts its calls per execution; a call can be held at a gate
// until the test opens it.
type callEffect struct {
	mu    sync.Mutex
	calls map[uuid.UUID]int
	// gate, when set, holds each call until it is closed; started is
	// signalled as each call begins.
	gate    chan struct{}
	started chan uuid.UUID
}

func newCallEffect() *callEffect { return &callEffect{calls: map[uuid.UUID]int{}} }

// newGatedCallEffect is a callEffect whose calls wait at its gate, with
// room in started for that many calls' signals.
func newGatedCallEffect(started int) *callEffect {
	fx := newCallEffect()
	fx.gate, fx.started = make(chan struct{}), make(chan uuid.UUID, started)
	return fx
}

func (f *callEffect) Kind() string { return callKind }

func (f *callEffect) Prepare(context.Context, PrepareInput) (json.RawMessage, error) {
	return json.RawMessage(`{"to": "x"}`), nil
}

func (f *callEffect) Perform(_ context.Context, req EffectRequest) (json.RawMessage, error) {
	f.mu.Lock()
	f.calls[req.ExecutionID]++
	n := f.calls[req.ExecutionID]
	f.mu.Unlock()
	if f.started != nil {
		f.started <- req.ExecutionID
	}
	if f.gate != nil {
		<-f.gate
	}
	return json.Marshal(map[string]any{"call": n})
}

// callsOf is the number of calls made for execution id.
func (f *callEffect) callsOf(id uuid.UUID) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

// callDef is trigger → call (test.call) → done.
var callDef = fmt.Sprintf(`{"nodes": [
  {"id": "start", "type": "trigger.manual"},
  {"id": "call", "type": %q},
  {"id": "done", "type": "end"}],
 "edges": [{"id": "e1", "source": "start", "target": "call"}, {"id": "e2", "source": "call", "target": "done"}]}`, callKind)

// jobCountStore counts the advance jobs inserted per execution and keeps
// when the first one committed.
type jobCountStore struct {
	store.Store
	mu    sync.Mutex
	jobs  map[uuid.UUID]int
	first map[uuid.UUID]time.Time
}

func (s *jobCountStore) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	var mine map[uuid.UUID]int
	err := s.Store.InTx(ctx, tenantID, func(tx store.Tx) error {
		mine = map[uuid.UUID]int{}
		return fn(&jobCountTx{Tx: tx, jobs: mine})
	})
	if err == nil {
		now := time.Now()
		s.mu.Lock()
		for id, n := range mine {
			if _, ok := s.first[id]; !ok && n > 0 {
				s.first[id] = now
			}
			s.jobs[id] += n
		}
		s.mu.Unlock()
	}
	return err
}

// firstJobAt is when the first advance job for execution id committed
// (false: none yet).
func (s *jobCountStore) firstJobAt(id uuid.UUID) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.first[id]
	return at, ok
}

// jobsOf is the number of advance jobs committed for execution id.
func (s *jobCountStore) jobsOf(id uuid.UUID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs[id]
}

type jobCountTx struct {
	store.Tx
	jobs map[uuid.UUID]int
}

func (t *jobCountTx) note(args river.JobArgs) {
	if a, ok := args.(AdvanceArgs); ok {
		t.jobs[a.ExecutionID]++
	}
}

func (t *jobCountTx) JobInsert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	t.note(args)
	return t.Tx.JobInsert(ctx, args, opts)
}

func (t *jobCountTx) JobInsertMany(ctx context.Context, params []river.InsertManyParams) error {
	for _, p := range params {
		t.note(p.Args)
	}
	return t.Tx.JobInsertMany(ctx, params)
}

// TestCallAfterStart: a side effect an eager start reaches is prepared in
// the start's transaction and called once by the process that started
// it, without a River job: the outcome is recorded (the outbox entry
// DONE, one attempt counted), the execution moves on and its recovery
// time is cleared.
func TestCallAfterStart(t *testing.T) {
	t.Parallel()
	fakes := map[string]*callEffect{"sqlite": newCallEffect(), "postgres": newCallEffect()}
	for _, backend := range []string{"sqlite", "postgres"} {
		fx := fakes[backend]
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			eachCalls1(t, backend, fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
				wf := b.publish(t, callDef)
				var execs []*domain.Execution
				for range 5 {
					exec := b.start(t, wf, "")
					require.Equal(t, domain.ExecutionRunning, exec.Status)
					require.NotNil(t, exec.WakeAt, "the start leaves a recovery time")
					require.True(t, exec.WakeAt.After(time.Now().Add(3*time.Minute)), "far ahead: %s", exec.WakeAt)
					execs = append(execs, exec)
				}
				for _, exec := range execs {
					done, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
					require.Equal(t, []string{"start", "call", "done"}, nodeIDs(steps))
					require.Nil(t, done.WakeAt, "the recovery time is cleared with the outcome")
					require.Equal(t, 1, fx.callsOf(exec.ID))
					entries := b.outbox(t, exec.ID)
					require.Len(t, entries, 1)
					require.Equal(t, domain.OutboxDone, entries[0].Status)
					require.Equal(t, 1, entries[0].Attempts)
					require.Zero(t, jobs.jobsOf(exec.ID), "no River job for the execution")
				}
				require.EqualValues(t, 5, b.eng.CallStats().Called)
			})
		})
	}
}

// eachCalls1 is eachCalls on one backend.
func eachCalls1(t *testing.T, backend string, fx *callEffect, fn func(t *testing.T, b *bundle, jobs *jobCountStore), opts ...func(*Options)) {
	t.Helper()
	var jobs *jobCountStore
	wrap := func(st store.Store) store.Store {
		jobs = &jobCountStore{Store: st, jobs: map[uuid.UUID]int{}, first: map[uuid.UUID]time.Time{}}
		return jobs
	}
	all := append([]func(*Options){withEffect(fx), func(o *Options) { o.CallAfterStart = true }}, opts...)
	eachOpen(t, backend, wrap, func(t *testing.T, b *bundle) {
		t.Cleanup(b.eng.Close)
		fn(t, b, jobs)
	}, all...)
}

// shortCalls shrinks the call windows to seconds (recovery 2.5 s after
// the start) and runs timers with a one-second horizon.
func shortCalls(o *Options) {
	o.callWindowsHook = &callWindows{start: 500 * time.Millisecond, call: 500 * time.Millisecond, record: time.Second, margin: 500 * time.Millisecond}
	o.TimerHorizon, o.WakeupInterval = time.Second, 50*time.Millisecond
}

// TestCallAfterStartRecovered: the process "dies" after the start commits
// and before the call; the execution is recovered at its recovery time by
// an advance job, which finds the entry PENDING with its attempt counted
// and calls exactly once (two attempts counted for one call).
func TestCallAfterStartRecovered(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		fx := newCallEffect()
		var dead atomic.Bool
		dead.Store(true)
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			eachCalls1(t, backend, fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
				ctx, stop := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); b.eng.RunWakeups(ctx) }()
				t.Cleanup(func() { stop(); <-done })
				wf := b.publish(t, callDef)
				exec := b.start(t, wf, "")
				require.NotNil(t, exec.WakeAt)
				wakeAt := *exec.WakeAt
				time.Sleep(200 * time.Millisecond)
				require.Zero(t, fx.callsOf(exec.ID), "the process died before the call")
				got, _ := b.get(t, exec.ID)
				require.Equal(t, domain.ExecutionRunning, got.Status)
				finished, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
				require.Equal(t, []string{"start", "call", "done"}, nodeIDs(steps))
				require.False(t, finished.FinishedAt.Before(wakeAt), "recovered at its recovery time, not before")
				require.Equal(t, 1, fx.callsOf(exec.ID), "called exactly once")
				entries := b.outbox(t, exec.ID)
				require.Len(t, entries, 1)
				require.Equal(t, domain.OutboxDone, entries[0].Status)
				require.Equal(t, 2, entries[0].Attempts, "the start's count and the recovery's")
				require.Equal(t, 1, jobs.jobsOf(exec.ID), "one job: the recovery's")
			}, shortCalls, func(o *Options) { o.beforeCallHook = func(EffectRequest) bool { return !dead.Load() } })
		})
	}
}

// TestCallAfterStartCancelWhileQueued: an execution cancelled while its
// call waits in the dispatcher (the one call slot taken by another call)
// makes no call; the other call goes on.
func TestCallAfterStartCancelWhileQueued(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		fx := newGatedCallEffect(4)
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			eachCalls1(t, backend, fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
				wf := b.publish(t, callDef)
				first := b.start(t, wf, "")
				require.Equal(t, first.ID, <-fx.started, "the first call holds the only slot")
				queued := b.start(t, wf, "")
				_, err := b.eng.Cancel(context.Background(), b.tenant, queued.ID)
				require.NoError(t, err)
				close(fx.gate)
				b.waitFor(t, first.ID, domain.ExecutionCompleted)
				require.Eventually(t, func() bool { return b.eng.CallStats().Dropped == 1 }, 10*time.Second, 10*time.Millisecond)
				require.Zero(t, fx.callsOf(queued.ID), "no call for the cancelled execution")
				got, _ := b.get(t, queued.ID)
				require.Equal(t, domain.ExecutionCancelled, got.Status)
				require.Nil(t, got.WakeAt, "the cancel cleared the recovery time")
				require.Zero(t, jobs.jobsOf(queued.ID))
			}, func(o *Options) { o.MaxUncommittedCalls = 1 })
		})
	}
}

// TestCallAfterStartStop: stopping the process (StopCalls) hands the
// calls still waiting to advance jobs at once, which call them once each,
// and lets the call under way finish and record: nothing is called twice
// and nothing waits for the recovery time.
func TestCallAfterStartStop(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		fx := newGatedCallEffect(8)
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			eachCalls1(t, backend, fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
				wf := b.publish(t, callDef)
				first := b.start(t, wf, "")
				require.Equal(t, first.ID, <-fx.started)
				var queued []*domain.Execution
				for range 3 {
					queued = append(queued, b.start(t, wf, ""))
				}
				b.eng.Drain()
				stopped := make(chan error, 1)
				go func() { stopped <- b.eng.StopCalls(context.Background()) }()
				require.Eventually(t, func() bool { return b.eng.CallStats().Handed == 3 }, 10*time.Second, 10*time.Millisecond)
				select {
				case err := <-stopped:
					t.Fatalf("StopCalls returned (%v) while a call was under way", err)
				default:
				}
				close(fx.gate)
				require.NoError(t, <-stopped)
				for _, exec := range append([]*domain.Execution{first}, queued...) {
					done, _ := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
					require.Nil(t, done.WakeAt)
					require.True(t, done.FinishedAt.Before(*exec.WakeAt), "not left to the recovery time")
					require.Equal(t, 1, fx.callsOf(exec.ID), "called once")
				}
				require.Zero(t, jobs.jobsOf(first.ID))
				for _, exec := range queued {
					require.Equal(t, 1, jobs.jobsOf(exec.ID), "handed to one job")
				}
				require.EqualValues(t, 1, b.eng.CallStats().Called)
			}, func(o *Options) { o.MaxUncommittedCalls = 1 })
		})
	}
}

// TestCallAfterStartQueueFull: past Options.CallQueue waiting calls, a
// start leaves its call to an advance job; every call is still made once.
func TestCallAfterStartQueueFull(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		fx := newGatedCallEffect(8)
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			eachCalls1(t, backend, fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
				require.Equal(t, 2, b.eng.CallQueue())
				wf := b.publish(t, callDef)
				first := b.start(t, wf, "")
				require.Equal(t, first.ID, <-fx.started, "the first call holds the only slot")
				// The next waits with the dispatcher's feeder for the slot,
				// out of the queue; the two after it fill the queue.
				held := b.start(t, wf, "")
				require.Eventually(t, func() bool { return b.eng.dispatch.size.Load() == 0 }, 10*time.Second, 5*time.Millisecond)
				queued := []*domain.Execution{b.start(t, wf, ""), b.start(t, wf, "")}
				over := b.start(t, wf, "")
				close(fx.gate)
				all := append([]*domain.Execution{first, held, over}, queued...)
				for _, exec := range all {
					b.waitFor(t, exec.ID, domain.ExecutionCompleted)
					require.Equal(t, 1, fx.callsOf(exec.ID), "called once")
				}
				for _, exec := range all[:2] {
					require.Zero(t, jobs.jobsOf(exec.ID))
				}
				for _, exec := range queued {
					require.Zero(t, jobs.jobsOf(exec.ID), "waited in the queue")
				}
				require.Equal(t, 1, jobs.jobsOf(over.ID), "the queue was full: a job called")
				require.EqualValues(t, 4, b.eng.CallStats().Called)
			}, func(o *Options) { o.MaxUncommittedCalls, o.CallQueue = 1, 2 })
		})
	}
}
