package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// fakeKind is the node type of fakeEffect.
const fakeKind = "test.send"

// fakeEffect is a side effect whose every seam a test can steer. Prepare
// and RecordResult write events of the contact named in the trigger input
// ("contact"), so a test can see which of their writes committed.
type fakeEffect struct {
	// skip, when set, is the reason Prepare skips with.
	skip string
	// fail is the number of calls that fail; failPermanent makes them
	// permanent failures.
	fail          atomic.Int64
	failPermanent bool
	// holds is the number of Admit calls that answer "wait".
	holds    atomic.Int64
	admits   atomic.Int64
	prepares atomic.Int64
	calls    atomic.Int64
	// recordFails is the number of RecordResult calls that fail, after
	// writing their event.
	recordFails atomic.Int64

	mu      sync.Mutex
	results []EffectResult
}

func (f *fakeEffect) Kind() string { return fakeKind }

func (f *fakeEffect) Prepare(ctx context.Context, in PrepareInput) (json.RawMessage, error) {
	f.prepares.Add(1)
	trigger, _ := in.Data["trigger"].(map[string]any)
	input, _ := trigger["input"].(map[string]any)
	contactID, err := uuid.Parse(fmt.Sprint(input["contact"]))
	if err != nil {
		return nil, fmt.Errorf("no contact in the trigger: %w", err)
	}
	// A read in the engine's transaction: the execution being run.
	exec, err := in.Tx.ExecutionGetByID(ctx, in.TenantID, in.ExecutionID)
	if err != nil {
		return nil, fmt.Errorf("read the execution: %w", err)
	}
	if err := writeEvent(ctx, in.Tx, in.TenantID, contactID, "fx.prepared", map[string]any{"node": in.NodeID, "status": exec.Status}); err != nil {
		return nil, err
	}
	if f.skip != "" {
		return nil, Skip(f.skip, json.RawMessage(`{"channel": "test"}`))
	}
	return json.Marshal(map[string]any{"contact": contactID})
}

func (f *fakeEffect) Admit(context.Context, EffectRequest) (time.Duration, error) {
	f.admits.Add(1)
	if f.holds.Add(-1) >= 0 {
		return 50 * time.Millisecond, nil
	}
	return 0, nil
}

func (f *fakeEffect) Perform(context.Context, EffectRequest) (json.RawMessage, error) {
	n := f.calls.Add(1)
	if f.fail.Add(-1) >= 0 {
		err := fmt.Errorf("provider refused call %d", n)
		if f.failPermanent {
			return nil, Permanent(err)
		}
		return nil, &EffectError{Err: err, Retryable: true, Output: json.RawMessage(`{"code": 131}`)}
	}
	return json.Marshal(map[string]any{"id": fmt.Sprintf("msg-%d", n)})
}

func (f *fakeEffect) RecordResult(ctx context.Context, tx store.Tx, res EffectResult) error {
	var req struct{ Contact uuid.UUID }
	if err := json.Unmarshal(res.Request, &req); err != nil {
		return fmt.Errorf("stored request: %w", err)
	}
	props := map[string]any{"attempt": res.Attempt, "calls": res.Calls, "retry": res.Retry, "output": res.Output, "key": res.IdempotencyKey}
	if res.Err != nil {
		props["error"] = res.Err.Error()
	}
	if err := writeEvent(ctx, tx, res.TenantID, req.Contact, "fx.recorded", props); err != nil {
		return err
	}
	if f.recordFails.Add(-1) >= 0 {
		return errors.New("recorder failed")
	}
	f.mu.Lock()
	f.results = append(f.results, res)
	f.mu.Unlock()
	return nil
}

// writeEvent stores an event under a fresh message ID: each write is a new
// row.
func writeEvent(ctx context.Context, tx store.Tx, tenantID, contactID uuid.UUID, name string, props map[string]any) error {
	data, err := json.Marshal(props)
	if err != nil {
		return err
	}
	_, err = tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: tenantID, Events: []store.EventInsert{{
		ContactID: contactID, Name: name, Properties: data, MessageID: uuid.NewString(),
	}}})
	if err != nil {
		return fmt.Errorf("write event %s: %w", name, err)
	}
	return nil
}

// fakeDef is trigger → send (test.send) → check (the send was skipped?)
// → done; the send's error handle goes to fallback.
func fakeDef(retry string) string {
	return fmt.Sprintf(`{"nodes": [
	  {"id": "start", "type": "trigger.manual"},
	  {"id": "send", "type": %q, "config": {"to": "{{ trigger.input.contact }}" %s}},
	  {"id": "check", "type": "condition", "config": {"expression": "has(steps.send.output.skipped) && steps.send.output.skipped"}},
	  {"id": "fallback", "type": "set_attribute", "config": {"target": "vars", "attributes": {"fellBack": "true"}}},
	  {"id": "done", "type": "end"}],
	 "edges": [
	  {"id": "e1", "source": "start", "target": "send"},
	  {"id": "e2", "source": "send", "target": "check"},
	  {"id": "e3", "source": "check", "sourceHandle": "true", "target": "done"},
	  {"id": "e4", "source": "check", "sourceHandle": "false", "target": "done"},
	  {"id": "e5", "source": "send", "sourceHandle": "error", "target": "fallback"},
	  {"id": "e6", "source": "fallback", "target": "done"}]}`, fakeKind, retry)
}

// fakeRun publishes fakeDef, starts it for a new contact and waits for
// the execution to end with status.
func fakeRun(t *testing.T, b *bundle, retry string, status domain.ExecutionStatus) (*domain.Execution, []domain.Step, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	var contactID uuid.UUID
	require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
		email := uuid.NewString()[:8] + "@example.com"
		c, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: b.tenant, Email: &email})
		if err != nil {
			return err
		}
		contactID = c.ID
		return nil
	}))
	wf := b.publish(t, fakeDef(retry))
	exec := b.start(t, wf, fmt.Sprintf(`{"contact": %q}`, contactID))
	done, steps := b.waitFor(t, exec.ID, status)
	return done, steps, contactID
}

// events returns the events named name of contactID, oldest first.
func (b *bundle) events(t *testing.T, contactID uuid.UUID, name string) []domain.Event {
	t.Helper()
	ctx := context.Background()
	var evs []domain.Event
	require.NoError(t, b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
		var err error
		evs, err = tx.EventList(ctx, &store.EventListParams{TenantID: b.tenant, ContactID: &contactID, Name: name, Limit: 100})
		return err
	}))
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs
}

func (b *bundle) outbox(t *testing.T, executionID uuid.UUID) []*domain.OutboxEntry {
	t.Helper()
	ctx := context.Background()
	var entries []*domain.OutboxEntry
	require.NoError(t, b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
		var err error
		entries, err = tx.OutboxListByExecution(ctx, b.tenant, executionID)
		return err
	}))
	return entries
}

func props(t *testing.T, ev domain.Event) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(ev.Properties, &m))
	return m
}

func withEffect(fx SideEffect) func(*Options) {
	return func(o *Options) { o.SideEffects = append(o.SideEffects, fx) }
}

// TestEffectPrepareReadsAndWritesInStepTx: Prepare reads the execution and
// writes a row in the engine's transaction; the row commits with the step
// and the outbox entry, once.
func TestEffectPrepareReadsAndWritesInStepTx(t *testing.T) {
	t.Parallel()
	fakes := map[string]*fakeEffect{"sqlite": {}, "postgres": {}}
	for name, fx := range fakes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			each1(t, name, func(t *testing.T, b *bundle) {
				exec, steps, contactID := fakeRun(t, b, "", domain.ExecutionCompleted)
				require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
				require.Equal(t, "false", steps[2].Handle, "not skipped")
				prepared := b.events(t, contactID, "fx.prepared")
				require.Len(t, prepared, 1)
				require.Equal(t, "send", props(t, prepared[0])["node"])
				require.Equal(t, string(domain.ExecutionRunning), props(t, prepared[0])["status"], "Prepare read the execution in the step's transaction")
				require.EqualValues(t, 1, fx.calls.Load())
				entries := b.outbox(t, exec.ID)
				require.Len(t, entries, 1)
				require.Equal(t, domain.OutboxDone, entries[0].Status)
			}, withEffect(fx))
		})
	}
}

// TestEffectPrepareRollsBackWithStepTx: a step transaction that fails after
// Prepare wrote its row takes the row with it; Prepare runs again and the
// row is there once.
func TestEffectPrepareRollsBackWithStepTx(t *testing.T) {
	t.Parallel()
	fakes := map[string]*fakeEffect{"sqlite": {}, "postgres": {}}
	for name, fx := range fakes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachOpen(t, name, func(st store.Store) store.Store { return &failOutboxInsertStore{Store: st} }, func(t *testing.T, b *bundle) {
				_, steps, contactID := fakeRun(t, b, "", domain.ExecutionCompleted)
				require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
				require.EqualValues(t, 2, fx.prepares.Load(), "Prepare ran again after the rollback")
				require.Len(t, b.events(t, contactID, "fx.prepared"), 1, "the rolled-back write is gone")
				require.EqualValues(t, 1, fx.calls.Load())
			}, withEffect(fx))
		})
	}
}

// failOutboxInsertStore fails the first outbox insert, as if the database
// had failed in the middle of the step's transaction.
type failOutboxInsertStore struct {
	store.Store
	failed atomic.Bool
}

func (s *failOutboxInsertStore) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	return s.Store.InTx(ctx, tenantID, func(tx store.Tx) error { return fn(&failOutboxInsertTx{Tx: tx, s: s}) })
}

type failOutboxInsertTx struct {
	store.Tx
	s *failOutboxInsertStore
}

func (t *failOutboxInsertTx) OutboxInsert(ctx context.Context, p *store.OutboxInsertParams) (*domain.OutboxEntry, bool, error) {
	if t.s.failed.CompareAndSwap(false, true) {
		return nil, false, errors.New("simulated database failure")
	}
	return t.Tx.OutboxInsert(ctx, p)
}

// TestEffectSkip: Prepare's Skip makes no call and writes no outbox entry;
// the step completes with the reason, marked skipped, and the execution
// follows the normal out handle (the check node sees skipped).
func TestEffectSkip(t *testing.T) {
	t.Parallel()
	fakes := map[string]*fakeEffect{"sqlite": {skip: "unsubscribed"}, "postgres": {skip: "unsubscribed"}}
	for name, fx := range fakes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			each1(t, name, func(t *testing.T, b *bundle) {
				exec, steps, contactID := fakeRun(t, b, "", domain.ExecutionCompleted)
				require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
				require.Equal(t, domain.StepCompleted, steps[1].Status)
				require.JSONEq(t, `{"skipped": true, "reason": "unsubscribed", "channel": "test"}`, string(steps[1].Output))
				require.Empty(t, steps[1].Handle, "the normal out handle")
				require.Equal(t, "true", steps[2].Handle, "the next node sees the step as skipped")
				require.Zero(t, fx.calls.Load(), "no call")
				require.Zero(t, fx.admits.Load())
				require.Empty(t, b.outbox(t, exec.ID), "no outbox entry")
				require.Len(t, b.events(t, contactID, "fx.prepared"), 1, "Prepare's write commits with the skipped step")
				require.Empty(t, b.events(t, contactID, "fx.recorded"))
			}, withEffect(fx))
		})
	}
}

// TestEffectRecordResult: RecordResult sees each outcome (a retried
// failure, then the success) in the transaction that records it.
func TestEffectRecordResult(t *testing.T) {
	t.Parallel()
	retry := `, "retry": {"maxAttempts": 3, "backoff": "20ms"}`
	t.Run("retried then sent", func(t *testing.T) {
		t.Parallel()
		fakes := map[string]*fakeEffect{"sqlite": {}, "postgres": {}}
		for _, fx := range fakes {
			fx.fail.Store(1)
		}
		for name, fx := range fakes {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				each1(t, name, func(t *testing.T, b *bundle) {
					exec, steps, contactID := fakeRun(t, b, retry, domain.ExecutionCompleted)
					require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
					require.Equal(t, 2, steps[1].Attempt)
					recorded := b.events(t, contactID, "fx.recorded")
					require.Len(t, recorded, 2)
					first, second := props(t, recorded[0]), props(t, recorded[1])
					require.Equal(t, true, first["retry"])
					require.EqualValues(t, 1, first["attempt"])
					require.Contains(t, first["error"], "provider refused call 1")
					require.Equal(t, map[string]any{"code": float64(131)}, first["output"])
					require.Equal(t, false, second["retry"])
					require.EqualValues(t, 2, second["attempt"])
					require.EqualValues(t, 2, second["calls"])
					require.Nil(t, second["error"])
					require.Equal(t, map[string]any{"id": "msg-2"}, second["output"])
					require.Equal(t, exec.ID.String()+":2", second["key"])
					fx.mu.Lock()
					defer fx.mu.Unlock()
					require.Len(t, fx.results, 2)
					require.Equal(t, fakeKind, fx.results[1].Kind)
					require.Equal(t, steps[1].ID, fx.results[1].StepID)
					require.False(t, fx.results[0].RetryAt.IsZero())
				}, withEffect(fx))
			})
		}
	})
	t.Run("permanent failure", func(t *testing.T) {
		t.Parallel()
		fakes := map[string]*fakeEffect{"sqlite": {failPermanent: true}, "postgres": {failPermanent: true}}
		for _, fx := range fakes {
			fx.fail.Store(1)
		}
		for name, fx := range fakes {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				each1(t, name, func(t *testing.T, b *bundle) {
					_, steps, contactID := fakeRun(t, b, retry, domain.ExecutionCompleted)
					require.Equal(t, []string{"start", "send", "fallback", "done"}, nodeIDs(steps))
					recorded := b.events(t, contactID, "fx.recorded")
					require.Len(t, recorded, 1)
					require.Equal(t, false, props(t, recorded[0])["retry"])
					require.Contains(t, props(t, recorded[0])["error"], "provider refused call 1")
					require.EqualValues(t, 1, fx.calls.Load())
				}, withEffect(fx))
			})
		}
	})
}

// TestEffectRecordResultErrorRollsBack: RecordResult's error rolls its
// transaction back (its write is gone, the step not finished by it); the
// outcome is kept in the outbox, so the call is not made again, and the
// job records the result again with the same outcome.
func TestEffectRecordResultErrorRollsBack(t *testing.T) {
	t.Parallel()
	fakes := map[string]*fakeEffect{"sqlite": {}, "postgres": {}}
	for _, fx := range fakes {
		fx.recordFails.Store(1)
	}
	for name, fx := range fakes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			each1(t, name, func(t *testing.T, b *bundle) {
				exec, steps, contactID := fakeRun(t, b, "", domain.ExecutionCompleted)
				require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
				require.EqualValues(t, 1, fx.calls.Load(), "the call is not made again")
				recorded := b.events(t, contactID, "fx.recorded")
				require.Len(t, recorded, 1, "the failed RecordResult's write was rolled back")
				require.Equal(t, map[string]any{"id": "msg-1"}, props(t, recorded[0])["output"], "recorded again with the same outcome")
				require.EqualValues(t, 1, props(t, recorded[0])["calls"])
				entries := b.outbox(t, exec.ID)
				require.Len(t, entries, 1)
				require.Equal(t, domain.OutboxDone, entries[0].Status)
				require.Equal(t, 1, entries[0].Attempts)
			}, withEffect(fx))
		})
	}
}

// TestEffectAdmitHoldsWithoutSpendingAttempts: a call held by the limit is
// snoozed: no call, no attempt counted, no retry budget spent (one attempt
// allowed, and it succeeds after two holds).
func TestEffectAdmitHoldsWithoutSpendingAttempts(t *testing.T) {
	t.Parallel()
	fakes := map[string]*fakeEffect{"sqlite": {}, "postgres": {}}
	for _, fx := range fakes {
		fx.holds.Store(2)
	}
	for name, fx := range fakes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			each1(t, name, func(t *testing.T, b *bundle) {
				exec, steps, _ := fakeRun(t, b, `, "retry": {"maxAttempts": 1}`, domain.ExecutionCompleted)
				require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
				require.Equal(t, domain.StepCompleted, steps[1].Status)
				require.Equal(t, 1, steps[1].Attempt)
				require.EqualValues(t, 3, fx.admits.Load(), "asked again after each hold")
				require.EqualValues(t, 1, fx.calls.Load())
				entries := b.outbox(t, exec.ID)
				require.Len(t, entries, 1)
				require.Equal(t, 1, entries[0].Attempts, "held calls are not counted")
			}, withEffect(fx))
		})
	}
}

// each1 is each on the one backend named ("sqlite", "postgres"), for tests
// whose fakes count per backend.
func each1(t *testing.T, backend string, fn func(t *testing.T, b *bundle), opts ...func(*Options)) {
	t.Helper()
	eachOpen(t, backend, nil, fn, opts...)
}

// eachOpen is each1 over a store wrapped by wrap (nil: none).
func eachOpen(t *testing.T, backend string, wrap func(store.Store) store.Store, fn func(t *testing.T, b *bundle), opts ...func(*Options)) {
	t.Helper()
	open := map[string]storeOpener{"sqlite": storetest.SQLite, "postgres": storetest.Postgres}[backend]
	workers := river.NewWorkers()
	st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	if wrap != nil {
		st = wrap(st)
	}
	fn(t, newBundle(t, st, workers, opts...))
}

// TestEffectResultsGroupCommit records side effects' outcomes by hand
// through the advance group commit: three successes and a failure to
// retry in one shared transaction, and three whose shared transaction
// fails (a RecordResult error), which are then recorded one by one. Each
// outcome is written once: outbox entry, step, RecordResult's row and the
// run after the effect (or the retry's job, which the queue then works).
func TestEffectResultsGroupCommit(t *testing.T) {
	t.Parallel()
	fakes := map[string]*fakeEffect{"sqlite": {}, "postgres": {}}
	for name, fx := range fakes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
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

			// Advance all six to their side effect: the calls are not made.
			// No call slot is free, so no attempt is counted with them
			// (readyCall): each is counted on its own, below.
			var slots []func()
			for {
				release, ok := b.eng.tryCallSlot()
				if !ok {
					break
				}
				slots = append(slots, release)
			}
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
				require.False(t, res.effect.counted, "no slot: not counted with the pending effect")
				require.Zero(t, b.outbox(t, res.effect.req.ExecutionID)[0].Attempts)
				pending = append(pending, res.effect)
			}
			for _, release := range slots {
				release()
			}
			require.Zero(t, fx.calls.Load())

			// The attempts of three calls are counted in one transaction.
			var attempts []*attemptRequest
			var attemptReqs []*advanceRequest
			for _, pe := range pending[:3] {
				a := &attemptRequest{ctx: ctx, tenantID: pe.req.TenantID, outboxID: pe.outboxID, key: pe.req.IdempotencyKey, done: make(chan attemptResult, 1)}
				attempts = append(attempts, a)
				attemptReqs = append(attemptReqs, &advanceRequest{ctx: ctx, attempt: a, args: AdvanceArgs{TenantID: a.tenantID}})
			}
			before := b.eng.batchCommits.Load()
			b.eng.advanceBatch(attemptReqs)
			require.Equal(t, before+1, b.eng.batchCommits.Load(), "three attempts, one transaction")
			for i, r := range attempts {
				res := <-r.done
				require.NoError(t, res.err)
				require.Equal(t, 1, res.n)
				entries := b.outbox(t, pending[i].req.ExecutionID)
				require.Equal(t, 1, entries[0].Attempts)
				require.NotNil(t, entries[0].AttemptedAt)
			}

			results := func(pes []*pendingEffect) []*advanceRequest {
				var reqs []*advanceRequest
				for _, pe := range pes {
					output := json.RawMessage(fmt.Sprintf(`{"id": "m-%s"}`, pe.req.ExecutionID))
					er := &effectResult{pe: pe, out: &effectOutcome{output: output, calls: 1, up: &store.OutboxUpdateParams{
						TenantID: pe.req.TenantID, ID: pe.outboxID, Status: domain.OutboxDone, Attempts: 1, Response: output,
					}}}
					reqs = append(reqs, &advanceRequest{ctx: ctx, result: er, done: make(chan advanceResult, 1),
						args: AdvanceArgs{TenantID: pe.req.TenantID, ExecutionID: pe.req.ExecutionID, Token: pe.token}})
				}
				return reqs
			}

			commits := b.eng.batchCommits.Load()
			shared := results(pending[:3])
			retried := pending[6]
			failure := &EffectError{Err: errors.New("try later"), Retryable: true}
			shared = append(shared, &advanceRequest{ctx: ctx, done: make(chan advanceResult, 1),
				args: AdvanceArgs{TenantID: retried.req.TenantID, ExecutionID: retried.req.ExecutionID, Token: retried.token},
				result: &effectResult{pe: retried, out: &effectOutcome{err: failure, calls: 1, up: &store.OutboxUpdateParams{
					TenantID: retried.req.TenantID, ID: retried.outboxID, Status: domain.OutboxFailed, Attempts: 1, Error: failure.Error(),
				}}}})
			b.eng.advanceBatch(shared)
			require.Equal(t, commits+1, b.eng.batchCommits.Load(), "three results, one transaction")

			fx.recordFails.Store(1)
			alone := results(pending[3:6])
			b.eng.advanceBatch(alone)
			require.Equal(t, commits+1, b.eng.batchCommits.Load(), "the failed shared transaction did not commit")

			for _, r := range append(shared, alone...) {
				res := <-r.done
				require.NoError(t, res.err)
				require.Nil(t, res.effect)
				require.NotEmpty(t, res.events)
			}
			for i, exec := range execs[:6] {
				got, steps := b.get(t, exec.ID)
				require.Equal(t, domain.ExecutionCompleted, got.Status)
				require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
				require.Equal(t, domain.StepCompleted, steps[1].Status)
				require.JSONEq(t, fmt.Sprintf(`{"id": "m-%s"}`, exec.ID), string(steps[1].Output))
				entries := b.outbox(t, exec.ID)
				require.Len(t, entries, 1)
				require.Equal(t, domain.OutboxDone, entries[0].Status)
				require.Len(t, b.events(t, contacts[i], "fx.recorded"), 1, "execution %d: recorded once", i)
			}

			// The failure is recorded for a retry, whose job the shared
			// transaction inserted: the queue works it and the call is made.
			got, steps := b.get(t, retried.req.ExecutionID)
			require.Equal(t, domain.ExecutionRunning, got.Status)
			require.Equal(t, domain.StepRunning, steps[1].Status)
			require.Contains(t, steps[1].Error, "try later")
			recorded := b.events(t, contacts[6], "fx.recorded")
			require.Len(t, recorded, 1)
			require.Equal(t, true, props(t, recorded[0])["retry"])
			require.Zero(t, fx.calls.Load())
			require.NoError(t, b.st.Queue().Start(ctx))
			t.Cleanup(func() {
				stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = b.st.Queue().Stop(stopCtx)
			})
			_, steps = b.waitFor(t, retried.req.ExecutionID, domain.ExecutionCompleted)
			require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
			require.Equal(t, 2, steps[1].Attempt)
			require.EqualValues(t, 1, fx.calls.Load())
			require.Len(t, b.events(t, contacts[6], "fx.recorded"), 2)
		})
	}
}
