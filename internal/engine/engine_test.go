package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// bundle is what an engine test needs: a started engine over a fresh store
// and a tenant in it.
type bundle struct {
	st     store.Store
	eng    *Engine
	hub    *live.Hub
	tenant uuid.UUID
}

// each runs fn against SQLite and PostgreSQL, each with its own store,
// engine and running queue. opts tweak the engine.
func each(t *testing.T, fn func(t *testing.T, b *bundle), opts ...func(*Options)) {
	t.Helper()
	eachBackend(t, func(t *testing.T, open storeOpener) {
		workers := river.NewWorkers()
		st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
		fn(t, newBundle(t, st, workers, opts...))
	})
}

// storeOpener opens a fresh store of one backend (storetest.SQLite,
// storetest.Postgres).
type storeOpener = func(testing.TB, ...storetest.Option) store.Store

// eachBackend runs fn in a parallel subtest for SQLite and one for
// PostgreSQL, with the backend's store opener.
func eachBackend(t *testing.T, fn func(t *testing.T, open storeOpener)) {
	t.Helper()
	backends := map[string]storeOpener{"sqlite": storetest.SQLite, "postgres": storetest.Postgres}
	for _, name := range []string{"sqlite", "postgres"} {
		open := backends[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open)
		})
	}
}

// eachStopped is each with a queue that is not started (see
// stoppedBundle): the test starts it, or advances by hand.
func eachStopped(t *testing.T, opts Options, fn func(t *testing.T, b *bundle)) {
	t.Helper()
	eachBackend(t, func(t *testing.T, open storeOpener) { fn(t, stoppedBundle(t, open, opts)) })
}

func newBundle(t *testing.T, st store.Store, workers *river.Workers, opts ...func(*Options)) *bundle {
	t.Helper()
	hub := live.NewHub()
	o := Options{Publisher: hub, HTTP: HTTPOptions{Allow: []string{"127.0.0.1"}}}
	for _, f := range opts {
		f(&o)
	}
	eng := New(st, o)
	eng.RegisterWorkers(workers)
	ctx := context.Background()
	require.NoError(t, st.Queue().Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = st.Queue().Stop(ctx)
	})
	b := &bundle{st: st, eng: eng, hub: hub}
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanFree})
		if err != nil {
			return err
		}
		b.tenant = tn.ID
		return nil
	}))
	return b
}

// publish stores def as a workflow with one published, active version.
func (b *bundle) publish(t *testing.T, def string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	wfID := domain.NewID()
	require.True(t, json.Valid([]byte(def)), def)
	require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: b.tenant, ID: wfID, Name: "wf", Definition: json.RawMessage(def)}); err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: b.tenant, ID: domain.NewID(), WorkflowID: wfID, Version: 1, Definition: json.RawMessage(def)})
		if err != nil {
			return err
		}
		if _, err := tx.WorkflowSetCurrentVersion(ctx, b.tenant, wfID, v.ID, v.Version); err != nil {
			return err
		}
		_, err = tx.WorkflowSetActive(ctx, b.tenant, wfID, true)
		return err
	}))
	return wfID
}

func (b *bundle) start(t *testing.T, wfID uuid.UUID, input string) *domain.Execution {
	t.Helper()
	p := StartParams{TenantID: b.tenant, WorkflowID: wfID, TriggerType: workflow.TypeTriggerManual}
	if input != "" {
		p.Input = json.RawMessage(input)
	}
	exec, err := b.eng.Start(context.Background(), p)
	require.NoError(t, err)
	return exec
}

func (b *bundle) get(t *testing.T, id uuid.UUID) (*domain.Execution, []domain.Step) {
	t.Helper()
	ctx := context.Background()
	var exec *domain.Execution
	var steps []domain.Step
	require.NoError(t, b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
		var err error
		if exec, err = tx.ExecutionGetByID(ctx, b.tenant, id); err != nil {
			return err
		}
		steps, err = tx.StepListByExecution(ctx, b.tenant, id)
		return err
	}))
	return exec, steps
}

// waitFor polls until the execution reaches one of statuses.
func (b *bundle) waitFor(t *testing.T, id uuid.UUID, statuses ...domain.ExecutionStatus) (*domain.Execution, []domain.Step) {
	t.Helper()
	return b.waitForWithin(t, id, 20*time.Second, statuses...)
}

// waitForWithin is waitFor with its bound against hanging (not a speed
// the test asserts) given.
func (b *bundle) waitForWithin(t *testing.T, id uuid.UUID, within time.Duration, statuses ...domain.ExecutionStatus) (*domain.Execution, []domain.Step) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		exec, steps := b.get(t, id)
		for _, s := range statuses {
			if exec.Status == s {
				return exec, steps
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s is %s (error %q, at %s), want %v; steps %s", id, exec.Status, exec.Error, exec.CurrentNodeID, statuses, describe(steps))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func describe(steps []domain.Step) string {
	var parts []string
	for _, s := range steps {
		parts = append(parts, fmt.Sprintf("%d:%s:%s:%s:%s", s.Seq, s.NodeID, s.Status, s.Handle, s.Error))
	}
	return strings.Join(parts, " ")
}

func nodeIDs(steps []domain.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.NodeID
	}
	return out
}

func contextOf(t *testing.T, exec *domain.Execution) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(exec.Context, &m))
	return m
}

const branchDef = `{"nodes": [
  {"id": "start", "type": "trigger.manual"},
  {"id": "score", "type": "set_attribute", "config": {"target": "vars", "attributes": {"total": "trigger.input.amount * 2", "name": "'n-' + execution.id"}}},
  {"id": "vip", "type": "condition", "config": {"expression": "vars.total > 200"}},
  {"id": "big", "type": "set_attribute", "config": {"target": "vars", "attributes": {"tier": "'gold'"}}},
  {"id": "small", "type": "set_attribute", "config": {"target": "vars", "attributes": {"tier": "'basic'"}}},
  {"id": "done", "type": "end"}],
 "edges": [
  {"id": "e1", "source": "start", "target": "score"},
  {"id": "e2", "source": "score", "target": "vip"},
  {"id": "e3", "source": "vip", "sourceHandle": "true", "target": "big"},
  {"id": "e4", "source": "vip", "sourceHandle": "false", "target": "small"},
  {"id": "e5", "source": "big", "target": "done"},
  {"id": "e6", "source": "small", "target": "done"}]}`

func TestLinearJourneyAndConditionPaths(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		wf := b.publish(t, branchDef)
		events, cancel, err := b.hub.Subscribe(context.Background(), b.tenant)
		require.NoError(t, err)
		defer cancel()

		hi := b.start(t, wf, `{"amount": 150}`)
		lo := b.start(t, wf, `{"amount": 50}`)
		require.Equal(t, domain.ExecutionCompleted, hi.Status, "an eager start runs a pure journey to its end")

		exec, steps := b.waitFor(t, hi.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "score", "vip", "big", "done"}, nodeIDs(steps))
		require.Equal(t, "true", steps[2].Handle)
		vars := contextOf(t, exec)["vars"].(map[string]any)
		require.EqualValues(t, 300, vars["total"])
		require.Equal(t, "gold", vars["tier"])
		require.Equal(t, "n-"+hi.ID.String(), vars["name"])
		require.NotNil(t, exec.StartedAt)
		require.NotNil(t, exec.FinishedAt)
		require.Equal(t, 5, exec.StepCount)

		exec, steps = b.waitFor(t, lo.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "score", "vip", "small", "done"}, nodeIDs(steps))
		require.Equal(t, "basic", contextOf(t, exec)["vars"].(map[string]any)["tier"])
		for _, s := range steps {
			require.Equal(t, domain.StepCompleted, s.Status)
		}

		// Live events arrived for both executions, ending COMPLETED.
		completed := map[uuid.UUID]bool{}
		deadline := time.After(5 * time.Second)
		for len(completed) < 2 {
			select {
			case ev := <-events:
				if ev.Kind == live.KindExecution && ev.Status == string(domain.ExecutionCompleted) {
					completed[ev.ExecutionID] = true
				}
			case <-deadline:
				t.Fatalf("completion events: %v", completed)
			}
		}
	})
}

func TestStartRules(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		wf := b.publish(t, branchDef)
		p := StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, Input: json.RawMessage(`{"amount": 1}`), IdempotencyKey: "k1"}
		first, err := b.eng.Start(ctx, p)
		require.NoError(t, err)
		again, err := b.eng.Start(ctx, p)
		require.NoError(t, err)
		require.Equal(t, first.ID, again.ID)

		// Inactive workflows start only manually or as tests.
		require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			_, err := tx.WorkflowSetActive(ctx, b.tenant, wf, false)
			return err
		}))
		_, err = b.eng.Start(ctx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: "trigger.event", Event: json.RawMessage(`{"name":"x"}`)})
		require.ErrorIs(t, err, ErrInactive)
		_, err = b.eng.Start(ctx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: "trigger.event", Test: true, Input: json.RawMessage(`{"amount": 1}`)})
		require.NoError(t, err)

		// Several at once, one of them a repeat.
		var many []*domain.Execution
		require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			var err error
			many, err = b.eng.StartManyTx(ctx, tx, []StartParams{
				{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, Input: json.RawMessage(`{"amount": 150}`)},
				p,
				{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, Input: json.RawMessage(`{"amount": 10}`)},
				{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, IdempotencyKey: "twice", Input: json.RawMessage(`{"amount": 1}`)},
				{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, IdempotencyKey: "twice", Input: json.RawMessage(`{"amount": 1}`)},
			})
			return err
		}))
		require.Len(t, many, 5)
		require.Equal(t, first.ID, many[1].ID)
		require.Equal(t, many[3].ID, many[4].ID, "one key, one execution, even within a batch")
		b.waitFor(t, many[3].ID, domain.ExecutionCompleted)
		b.waitFor(t, many[0].ID, domain.ExecutionCompleted)
		b.waitFor(t, many[2].ID, domain.ExecutionCompleted)

		// No published version.
		noVersion := domain.NewID()
		require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			_, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: b.tenant, ID: noVersion, Name: "draft", Definition: json.RawMessage(branchDef)})
			return err
		}))
		_, err = b.eng.Start(ctx, StartParams{TenantID: b.tenant, WorkflowID: noVersion, TriggerType: workflow.TypeTriggerManual})
		require.ErrorIs(t, err, ErrNoVersion)

		// A start inside a caller's transaction that rolls back leaves nothing.
		var rolledBack uuid.UUID
		boom := errors.New("boom")
		err = b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			exec, err := b.eng.StartTx(ctx, tx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual})
			if err != nil {
				return err
			}
			rolledBack = exec.ID
			return boom
		})
		require.ErrorIs(t, err, boom)
		err = b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
			_, err := tx.ExecutionGetByID(ctx, b.tenant, rolledBack)
			return err
		})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestSplit(t *testing.T) {
	t.Parallel()
	// Deterministic per execution and node.
	id := uuid.New()
	require.Equal(t, splitPoint(id, "ab"), splitPoint(id, "ab"))
	// Roughly the weights over many executions.
	e := New(nil, Options{})
	counts := map[string]int{}
	const runs = 4000
	for range runs {
		c, _ := decodeContext(nil)
		res, nerr := e.runPure(context.Background(), nodeOf("split", `{"variants": [{"name": "a", "weight": 70}, {"name": "b", "weight": 30}]}`), nil, c, uuid.New())
		require.Nil(t, nerr)
		counts[res.handle]++
	}
	require.InDelta(t, 0.7, float64(counts["a"])/runs, 0.04)
	require.InDelta(t, 0.3, float64(counts["b"])/runs, 0.04)

	each(t, func(t *testing.T, b *bundle) {
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "ab", "type": "split", "config": {"variants": [{"name": "a", "weight": 50}, {"name": "b", "weight": 50}]}},
		  {"id": "ea", "type": "end"}, {"id": "eb", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "ab"},
		  {"id": "e2", "source": "ab", "sourceHandle": "a", "target": "ea"},
		  {"id": "e3", "source": "ab", "sourceHandle": "b", "target": "eb"}]}`)
		for range 4 {
			exec := b.start(t, wf, "")
			_, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
			want := "ea"
			if splitPoint(exec.ID, "ab") >= 0.5 {
				want = "eb"
			}
			require.Equal(t, want, steps[2].NodeID)
		}
	})
}

func TestDelayFiresAfterDueTime(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "wait", "type": "delay", "config": {"duration": "1s"}},
		  {"id": "done", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "wait"}, {"id": "e2", "source": "wait", "target": "done"}]}`)
		began := time.Now()
		exec := b.start(t, wf, "")
		waiting, steps := b.waitFor(t, exec.ID, domain.ExecutionWaiting, domain.ExecutionCompleted)
		require.Equal(t, domain.ExecutionWaiting, waiting.Status, "completed before its delay")
		require.Equal(t, domain.StepWaiting, steps[1].Status)

		done, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "wait", "done"}, nodeIDs(steps))
		require.GreaterOrEqual(t, done.FinishedAt.Sub(began), time.Second)
		require.GreaterOrEqual(t, steps[1].FinishedAt.Sub(steps[1].StartedAt), time.Second-10*time.Millisecond)
	})
}

func TestDueAtUntil(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	c, _ := decodeContext([]byte(`{"contact": {"timezone": "America/New_York"}}`))
	// 09:00 in New York (UTC-4 in March after DST) is 13:00 UTC, later today.
	due, nerr := dueAt(nodeOf("delay", `{"until": "09:00"}`), c, now)
	require.Nil(t, nerr)
	require.Equal(t, time.Date(2026, 3, 10, 13, 0, 0, 0, time.UTC), due.UTC())
	// 11:00 UTC has passed: tomorrow.
	due, nerr = dueAt(nodeOf("delay", `{"until": "11:00", "timezone": "UTC"}`), c, now)
	require.Nil(t, nerr)
	require.Equal(t, time.Date(2026, 3, 11, 11, 0, 0, 0, time.UTC), due.UTC())
	// Unknown contact zone falls back to UTC; unknown explicit zone fails.
	c2, _ := decodeContext([]byte(`{"contact": {"timezone": "Mars/Base"}}`))
	due, nerr = dueAt(nodeOf("delay", `{"until": "18:30"}`), c2, now)
	require.Nil(t, nerr)
	require.Equal(t, time.Date(2026, 3, 10, 18, 30, 0, 0, time.UTC), due)
	_, nerr = dueAt(nodeOf("delay", `{"until": "18:30", "timezone": "Mars/Base"}`), c, now)
	require.NotNil(t, nerr)
	due, nerr = dueAt(nodeOf("delay", `{"duration": "2d"}`), c, now)
	require.Nil(t, nerr)
	require.Equal(t, now.Add(48*time.Hour), due)
}

const waitDef = `{"nodes": [
  {"id": "start", "type": "trigger.manual"},
  {"id": "paid", "type": "wait_for_event", "config": {"event": "order.paid", "timeout": "%s", "correlationKey": "order_id"}},
  {"id": "thanks", "type": "set_attribute", "config": {"target": "vars", "attributes": {"paid": "steps.paid.output.event.total"}}},
  {"id": "nudge", "type": "set_attribute", "config": {"target": "vars", "attributes": {"nudged": "true"}}},
  {"id": "done", "type": "end"}],
 "edges": [
  {"id": "e1", "source": "start", "target": "paid"},
  {"id": "e2", "source": "paid", "sourceHandle": "event", "target": "thanks"},
  {"id": "e3", "source": "paid", "sourceHandle": "timeout", "target": "nudge"},
  {"id": "e4", "source": "thanks", "target": "done"},
  {"id": "e5", "source": "nudge", "target": "done"}]}`

func TestWaitForEvent(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		wf := b.publish(t, fmt.Sprintf(waitDef, "1h"))
		events, stop, err := b.hub.Subscribe(ctx, b.tenant)
		require.NoError(t, err)
		defer stop()
		exec := b.start(t, wf, `{"order_id": 42}`)
		other := b.start(t, wf, `{"order_id": 43}`)
		b.waitFor(t, exec.ID, domain.ExecutionWaiting)
		b.waitFor(t, other.ID, domain.ExecutionWaiting)

		var resumed []uuid.UUID
		require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			var err error
			resumed, err = b.eng.ResumeTx(ctx, tx, ResumeEvent{TenantID: b.tenant, EventName: "order.paid", Correlation: map[string]string{"order_id": "42"}, Payload: json.RawMessage(`{"total": 99.5}`)})
			return err
		}))
		require.Equal(t, []uuid.UUID{exec.ID}, resumed)
		// The resume is announced by the job that follows it.
		deadline := time.After(10 * time.Second)
		for announced := false; !announced; {
			select {
			case ev := <-events:
				announced = ev.Kind == live.KindStep && ev.NodeID == "paid" && ev.ExecutionID == exec.ID && ev.Status == string(domain.StepCompleted)
			case <-deadline:
				t.Fatal("the resumed wait step was not announced")
			}
		}
		done, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "paid", "thanks", "done"}, nodeIDs(steps))
		require.Equal(t, "event", steps[1].Handle)
		require.EqualValues(t, 99.5, contextOf(t, done)["vars"].(map[string]any)["paid"])

		// The same event again resumes nothing; the other order still waits.
		require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			var err error
			resumed, err = b.eng.ResumeTx(ctx, tx, ResumeEvent{TenantID: b.tenant, EventName: "order.paid", Correlation: map[string]string{"order_id": "42"}})
			return err
		}))
		require.Empty(t, resumed)
		still, _ := b.get(t, other.ID)
		require.Equal(t, domain.ExecutionWaiting, still.Status)

		// Timeout.
		wf2 := b.publish(t, fmt.Sprintf(waitDef, "1s"))
		timed := b.start(t, wf2, `{"order_id": 7}`)
		done, steps = b.waitFor(t, timed.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "paid", "nudge", "done"}, nodeIDs(steps))
		require.Equal(t, "timeout", steps[1].Handle)
		require.Equal(t, true, contextOf(t, done)["vars"].(map[string]any)["nudged"])
		// Its wait is gone: a late event resumes nothing.
		require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			var err error
			resumed, err = b.eng.ResumeTx(ctx, tx, ResumeEvent{TenantID: b.tenant, EventName: "order.paid", Correlation: map[string]string{"order_id": "7"}})
			return err
		}))
		require.Empty(t, resumed)
	})
}

// sink is an HTTP test server that counts calls and fails the first
// failures of them with status.
type sink struct {
	*httptest.Server
	calls    atomic.Int64
	failures atomic.Int64
	status   int
	mu       sync.Mutex
	keys     []string
}

func newSink(t *testing.T, failures int, status int) *sink {
	t.Helper()
	s := &sink{status: status}
	s.failures.Store(int64(failures))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		s.mu.Lock()
		s.keys = append(s.keys, r.Header.Get("Idempotency-Key"))
		s.mu.Unlock()
		if s.failures.Add(-1) >= 0 {
			w.WriteHeader(s.status)
			_, _ = w.Write([]byte("nope"))
			return
		}
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "echo": in, "path": r.URL.Path, "auth": r.Header.Get("Authorization")})
	}))
	t.Cleanup(s.Close)
	return s
}

func httpDef(url, retry string, errorEdge bool) string {
	edges := `{"id": "e1", "source": "start", "target": "call"},
	  {"id": "e2", "source": "call", "target": "check"},
	  {"id": "e3", "source": "check", "sourceHandle": "true", "target": "done"}`
	if errorEdge {
		edges += `, {"id": "e4", "source": "call", "sourceHandle": "error", "target": "fallback"}, {"id": "e5", "source": "fallback", "target": "done"}`
	}
	return fmt.Sprintf(`{"nodes": [
	  {"id": "start", "type": "trigger.manual"},
	  {"id": "call", "type": "http.request", "config": {"method": "POST", "url": "%s/orders/{{ trigger.input.id }}",
	     "headers": {"Authorization": "Bearer {{ trigger.input.token }}"},
	     "body": {"id": "{{ trigger.input.id }}", "fixed": 1}, "timeout": "5s" %s}},
	  {"id": "check", "type": "condition", "config": {"expression": "steps.call.output.status == 200 && steps.call.output.body.ok && steps.call.output.body.echo.id == '7'"}},
	  {"id": "fallback", "type": "set_attribute", "config": {"target": "vars", "attributes": {"fellBack": "steps.call.error"}}},
	  {"id": "done", "type": "end"}],
	 "edges": [%s]}`, url, retry, edges)
}

func TestHTTPRequest(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		srv := newSink(t, 0, 0)
		wf := b.publish(t, httpDef(srv.URL, "", false))
		exec := b.start(t, wf, `{"id": 7, "token": "s3cret"}`)
		done, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "call", "check", "done"}, nodeIDs(steps))
		require.Equal(t, "true", steps[2].Handle)
		out := contextOf(t, done)["steps"].(map[string]any)["call"].(map[string]any)["output"].(map[string]any)
		body := out["body"].(map[string]any)
		require.Equal(t, "/orders/7", body["path"])
		require.Equal(t, "Bearer s3cret", body["auth"])
		require.EqualValues(t, 1, srv.calls.Load())
		require.Equal(t, []string{exec.ID.String() + ":2"}, srv.keys)
		require.JSONEq(t, string(steps[1].Output), mustString(t, out))
	})
}

func mustString(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}

func TestHTTPRequestSSRFGuard(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		srv := newSink(t, 0, 0)
		wf := b.publish(t, httpDef(srv.URL, "", false))
		exec := b.start(t, wf, `{"id": 7}`)
		failed, steps := b.waitFor(t, exec.ID, domain.ExecutionFailed)
		require.Contains(t, failed.Error, "not allowed")
		require.Equal(t, domain.StepFailed, steps[1].Status)
		require.Equal(t, 1, steps[1].Attempt, "a refused address is not retried")
		require.Zero(t, srv.calls.Load())
	}, func(o *Options) { o.HTTP.Allow = nil })
}

func TestHTTPRetries(t *testing.T) {
	t.Parallel()
	retry := `, "retry": {"maxAttempts": 3, "backoff": "50ms"}`
	t.Run("error handle", func(t *testing.T) {
		t.Parallel()
		each(t, func(t *testing.T, b *bundle) {
			srv := newSink(t, 100, http.StatusServiceUnavailable)
			wf := b.publish(t, httpDef(srv.URL, retry, true))
			exec := b.start(t, wf, `{"id": 7}`)
			done, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
			require.Equal(t, []string{"start", "call", "fallback", "done"}, nodeIDs(steps))
			require.Equal(t, domain.StepFailed, steps[1].Status)
			require.Equal(t, "error", steps[1].Handle)
			require.Equal(t, 3, steps[1].Attempt)
			require.Contains(t, steps[1].Error, "status 503")
			require.EqualValues(t, 3, srv.calls.Load())
			require.Contains(t, contextOf(t, done)["vars"].(map[string]any)["fellBack"], "status 503")
			// Every attempt carried the same idempotency key.
			require.Equal(t, []string{exec.ID.String() + ":2", exec.ID.String() + ":2", exec.ID.String() + ":2"}, srv.keys)
		})
	})
	t.Run("failed then retried", func(t *testing.T) {
		t.Parallel()
		each(t, func(t *testing.T, b *bundle) {
			srv := newSink(t, 3, http.StatusInternalServerError)
			wf := b.publish(t, httpDef(srv.URL, retry, false))
			exec := b.start(t, wf, `{"id": 7}`)
			failed, steps := b.waitFor(t, exec.ID, domain.ExecutionFailed)
			require.Contains(t, failed.Error, "status 500")
			require.Contains(t, failed.Error, "after 3 attempts")
			require.Equal(t, domain.StepFailed, steps[len(steps)-1].Status)
			require.EqualValues(t, 3, srv.calls.Load())

			_, err := b.eng.Retry(context.Background(), b.tenant, exec.ID)
			require.NoError(t, err)
			_, steps = b.waitFor(t, exec.ID, domain.ExecutionCompleted)
			require.Equal(t, []string{"start", "call", "call", "check", "done"}, nodeIDs(steps))
			require.EqualValues(t, 4, srv.calls.Load())
			_, err = b.eng.Retry(context.Background(), b.tenant, exec.ID)
			require.ErrorIs(t, err, ErrNotFailed)
		})
	})
	t.Run("client error is not retried", func(t *testing.T) {
		t.Parallel()
		each(t, func(t *testing.T, b *bundle) {
			srv := newSink(t, 1, http.StatusBadRequest)
			wf := b.publish(t, httpDef(srv.URL, retry, false))
			exec := b.start(t, wf, `{"id": 7}`)
			failed, _ := b.waitFor(t, exec.ID, domain.ExecutionFailed)
			require.Contains(t, failed.Error, "status 400")
			require.EqualValues(t, 1, srv.calls.Load())
		})
	})
}

func TestOutboxDoneIsNotPerformedAgain(t *testing.T) {
	t.Parallel()
	var crashes atomic.Int64
	each(t, func(t *testing.T, b *bundle) {
		srv := newSink(t, 0, 0)
		wf := b.publish(t, httpDef(srv.URL, "", false))
		exec := b.start(t, wf, `{"id": 7}`)
		_, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "call", "check", "done"}, nodeIDs(steps))
		require.EqualValues(t, 1, srv.calls.Load(), "the call was made again after the crash")
	}, func(o *Options) {
		o.afterPerformHook = func(uuid.UUID) error {
			if crashes.Add(1)%2 == 1 { // first pass of each backend
				return errors.New("simulated crash after the call")
			}
			return nil
		}
	})
}

func TestCancelWaiting(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "wait", "type": "delay", "config": {"duration": "1h"}},
		  {"id": "done", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "wait"}, {"id": "e2", "source": "wait", "target": "done"}]}`)
		exec := b.start(t, wf, "")
		waiting, _ := b.waitFor(t, exec.ID, domain.ExecutionWaiting)

		cancelled, err := b.eng.Cancel(ctx, b.tenant, exec.ID)
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionCancelled, cancelled.Status)
		got, steps := b.get(t, exec.ID)
		require.Equal(t, domain.ExecutionCancelled, got.Status)
		require.NotNil(t, got.FinishedAt)
		require.Equal(t, domain.StepCancelled, steps[1].Status)

		// The wake-up job, run now with the old token, does nothing.
		require.NoError(t, b.eng.advance(ctx, AdvanceArgs{TenantID: b.tenant, ExecutionID: exec.ID, Token: waiting.Token}))
		again, steps2 := b.get(t, exec.ID)
		require.Equal(t, domain.ExecutionCancelled, again.Status)
		require.Len(t, steps2, len(steps))

		_, err = b.eng.Cancel(ctx, b.tenant, exec.ID)
		require.ErrorIs(t, err, ErrTerminal)
	})
}

func TestStaleTokenDoesNothing(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "wait", "type": "delay", "config": {"duration": "1h"}},
		  {"id": "done", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "wait"}, {"id": "e2", "source": "wait", "target": "done"}]}`)
		exec := b.start(t, wf, "")
		waiting, steps := b.waitFor(t, exec.ID, domain.ExecutionWaiting)
		// A duplicate of the first job (token of the start) runs again.
		require.NoError(t, b.eng.advance(ctx, AdvanceArgs{TenantID: b.tenant, ExecutionID: exec.ID, Token: exec.Token}))
		after, steps2 := b.get(t, exec.ID)
		require.Equal(t, waiting.Token, after.Token)
		require.Equal(t, domain.ExecutionWaiting, after.Status)
		require.Equal(t, len(steps), len(steps2))
		// The current token wakes the delay early (as its job would).
		require.NoError(t, b.eng.advance(ctx, AdvanceArgs{TenantID: b.tenant, ExecutionID: exec.ID, Token: waiting.Token}))
		_, steps3 := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "wait", "done"}, nodeIDs(steps3))
	}, func(o *Options) { o.QueuedStart = true }) // the first job is the start's
}

func TestStepLimit(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "count", "type": "set_attribute", "config": {"target": "vars", "attributes": {"n": "has(vars.n) ? vars.n + 1 : 1"}}},
		  {"id": "again", "type": "delay", "config": {"duration": "0s"}}],
		 "edges": [{"id": "e1", "source": "start", "target": "count"}, {"id": "e2", "source": "count", "target": "again"},
		  {"id": "e3", "source": "again", "target": "count"}]}`)
		exec := b.start(t, wf, "")
		failed, steps := b.waitFor(t, exec.ID, domain.ExecutionFailed)
		require.Contains(t, failed.Error, "step limit of 20 steps")
		require.Len(t, steps, 20)
		// A retry grants a fresh allowance.
		_, err := b.eng.Retry(context.Background(), b.tenant, exec.ID)
		require.NoError(t, err)
		_, steps = b.waitFor(t, exec.ID, domain.ExecutionFailed)
		require.Len(t, steps, 40)
	}, func(o *Options) { o.StepLimit = 20; o.Logger = slog.Default() })
}

func TestPureBudgetContinuesInNewJob(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		wf := b.publish(t, chainDef(12))
		exec := b.start(t, wf, "")
		done, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Len(t, steps, 14)
		require.EqualValues(t, 12, contextOf(t, done)["vars"].(map[string]any)["n"])
		require.Greater(t, done.Token, int64(3), "the chain took several jobs")
	}, func(o *Options) { o.PureBudget = 4 })
}

func TestPureFailureFailsExecution(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "bad", "type": "condition", "config": {"expression": "trigger.input.missing.deeper > 1"}},
		  {"id": "done", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "bad"}, {"id": "e2", "source": "bad", "sourceHandle": "true", "target": "done"}]}`)
		exec := b.start(t, wf, `{}`)
		failed, steps := b.waitFor(t, exec.ID, domain.ExecutionFailed)
		require.Contains(t, failed.Error, "node bad")
		require.Equal(t, domain.StepFailed, steps[1].Status)
		require.NotEmpty(t, steps[1].Error)
	})
}

func TestContactAttributesAndEndStatus(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "tag", "type": "set_attribute", "config": {"attributes": {"plan": "'pro'", "greeting": "'hi ' + contact.email"}}},
		  {"id": "pro", "type": "condition", "config": {"expression": "contact.attributes.plan == 'pro' && contact.attributes.seen == 1"}},
		  {"id": "ok", "type": "end"},
		  {"id": "bad", "type": "end", "config": {"status": "failed", "reason": "not a pro"}}],
		 "edges": [{"id": "e1", "source": "start", "target": "tag"}, {"id": "e2", "source": "tag", "target": "pro"},
		  {"id": "e3", "source": "pro", "sourceHandle": "true", "target": "ok"},
		  {"id": "e4", "source": "pro", "sourceHandle": "false", "target": "bad"}]}`)
		contactID := domain.NewID()
		start := func(seen int) *domain.Execution {
			exec, err := b.eng.Start(ctx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, ContactID: &contactID,
				Contact: map[string]any{"email": "ada@example.com", "attributes": map[string]any{"seen": seen}}})
			require.NoError(t, err)
			return exec
		}
		good := start(1)
		done, _ := b.waitFor(t, good.ID, domain.ExecutionCompleted)
		contact := contextOf(t, done)["contact"].(map[string]any)
		require.Equal(t, contactID.String(), contact["id"])
		attrs := contact["attributes"].(map[string]any)
		require.Equal(t, "pro", attrs["plan"])
		require.Equal(t, "hi ada@example.com", attrs["greeting"])

		bad := start(2)
		failed, _ := b.waitFor(t, bad.ID, domain.ExecutionFailed)
		require.Equal(t, "not a pro", failed.Error)
	})
}

func TestEffectChainHandsOff(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		srv := newSink(t, 0, 0)
		n := inlineEffects + 3
		var nodes, edges []string
		nodes = append(nodes, `{"id": "start", "type": "trigger.manual"}`)
		prev := "start"
		for i := range n {
			id := fmt.Sprintf("c%d", i)
			nodes = append(nodes, fmt.Sprintf(`{"id": %q, "type": "http.request", "config": {"method": "POST", "url": "%s/%d", "body": "{\"i\": %d}"}}`, id, srv.URL, i, i))
			edges = append(edges, fmt.Sprintf(`{"id": "e%d", "source": %q, "target": %q}`, i, prev, id))
			prev = id
		}
		wf := b.publish(t, fmt.Sprintf(`{"nodes": [%s], "edges": [%s]}`, strings.Join(nodes, ","), strings.Join(edges, ",")))
		exec := b.start(t, wf, "")
		done, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Len(t, steps, n+1)
		require.EqualValues(t, n, srv.calls.Load())
		require.Greater(t, done.Token, int64(1), "the chain was handed to a second job")
	})
}

func TestCancelDuringCall(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		entered := make(chan struct{}, 1)
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			entered <- struct{}{}
			<-release
			_, _ = w.Write([]byte(`{}`))
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		wf := b.publish(t, httpDef(srv.URL, "", false))
		exec := b.start(t, wf, `{"id": 7}`)
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the call was not made")
		}
		_, err := b.eng.Cancel(ctx, b.tenant, exec.ID)
		require.NoError(t, err)
		release <- struct{}{}
		time.Sleep(200 * time.Millisecond)
		got, steps := b.get(t, exec.ID)
		require.Equal(t, domain.ExecutionCancelled, got.Status)
		require.Equal(t, []string{"start", "call"}, nodeIDs(steps))
		require.Equal(t, domain.StepCancelled, steps[1].Status)
	})
}

func TestWaitByContactAndCancel(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "click", "type": "wait_for_event", "config": {"event": "email.clicked"}},
		  {"id": "done", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "click"}, {"id": "e2", "source": "click", "sourceHandle": "event", "target": "done"}]}`)
		ada, bob := domain.NewID(), domain.NewID()
		startFor := func(contact uuid.UUID) *domain.Execution {
			exec, err := b.eng.Start(ctx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, ContactID: &contact})
			require.NoError(t, err)
			b.waitFor(t, exec.ID, domain.ExecutionWaiting)
			return exec
		}
		adaExec, bobExec, bobExec2 := startFor(ada), startFor(bob), startFor(bob)
		resume := func(contact uuid.UUID) []uuid.UUID {
			var ids []uuid.UUID
			require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
				var err error
				ids, err = b.eng.ResumeTx(ctx, tx, ResumeEvent{TenantID: b.tenant, EventName: "email.clicked", ContactID: &contact, Payload: json.RawMessage(`{"link": "x"}`)})
				return err
			}))
			return ids
		}
		_, err := b.eng.Cancel(ctx, b.tenant, bobExec2.ID)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{bobExec.ID}, resume(bob), "only bob's live execution resumes")
		b.waitFor(t, bobExec.ID, domain.ExecutionCompleted)
		still, _ := b.get(t, adaExec.ID)
		require.Equal(t, domain.ExecutionWaiting, still.Status)
		require.Equal(t, []uuid.UUID{adaExec.ID}, resume(ada))
		b.waitFor(t, adaExec.ID, domain.ExecutionCompleted)
		cancelled, _ := b.get(t, bobExec2.ID)
		require.Equal(t, domain.ExecutionCancelled, cancelled.Status)
	})
}
