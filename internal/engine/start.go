package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tracing"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// StartParams describes a new execution.
type StartParams struct {
	TenantID uuid.UUID
	// ID is the new execution's ID; zero means a generated one.
	ID         uuid.UUID
	WorkflowID uuid.UUID
	// VersionID pins a version; zero means the workflow's current published
	// version, which the workflow must be active to start (unless Test or
	// a manual trigger).
	VersionID uuid.UUID
	// Version, with VersionID, is that version's number as the caller read
	// it with the workflow (the events path, from the active versions it
	// lists), sparing the start a read of the version row; zero reads it.
	Version int
	// TriggerType is the type of the trigger that fired ("trigger.manual",
	// "trigger.event", "trigger.schedule", "trigger.webhook").
	TriggerType string
	// TriggerNodeID picks the trigger node; empty means the first trigger of
	// TriggerType.
	TriggerNodeID string
	// Input is the start request's input (manual and webhook starts).
	Input json.RawMessage
	// Event is the event that started it (event starts).
	Event json.RawMessage
	// ScheduledAt is the occurrence that fired (schedule starts).
	ScheduledAt *time.Time
	ContactID   *uuid.UUID
	// Contact is the contact as expressions see it (email, attributes,
	// timezone…).
	Contact map[string]any
	// IdempotencyKey, when set, makes a repeated start return the execution
	// created first.
	IdempotencyKey string
	// Test allows starting an inactive workflow (the builder's test run).
	Test bool
	// testRun makes the execution a test run with these options
	// (StartTestTx).
	testRun *TestOptions
	// traceCtx, in a start group commit (which runs under none of its
	// requests' spans), is the context of the request this start belongs
	// to: the jobs the start enqueues continue that request's trace.
	traceCtx context.Context
}

// Start starts an execution. Concurrent starts share transactions (the
// start group commit, see startbatch.go); each caller gets its own
// execution or error, exactly as StartTx in a transaction of its own
// would give it.
func (e *Engine) Start(ctx context.Context, p StartParams) (*domain.Execution, error) {
	return e.startOne(ctx, p.TenantID, func(context.Context, store.Tx, *startTxCache) (StartParams, error) { return p, nil })
}

// StartChecked is Start for a request that must still be allowed in the
// transaction holding its start: check runs there first (an API key
// answered from a cache is confirmed, say), and its error refuses this
// start alone, with nothing written for it. In a shared transaction check
// sees what that transaction sees, so a change committed before the start
// (a key revoked on another node) is never missed; its outcome is shared
// by the starts of that transaction with the same key (a comparable value
// naming all that check checks, e.g. an API key's ID and the permission
// confirmed), so it runs once per key.
func (e *Engine) StartChecked(ctx context.Context, p StartParams, key any, check func(ctx context.Context, tx store.Tx) error) (*domain.Execution, error) {
	return e.startOne(ctx, p.TenantID, func(ctx context.Context, tx store.Tx, cache *startTxCache) (StartParams, error) {
		err, done := cache.checked[key]
		if !done {
			err = check(ctx, tx)
			if ctx.Err() == nil {
				cache.checked[key] = err
			}
		}
		if err != nil {
			return StartParams{}, err
		}
		return p, nil
	})
}

// StartTx starts an execution inside the caller's transaction, committing
// (or not) with the caller's own writes. See StartManyTx.
func (e *Engine) StartTx(ctx context.Context, tx store.Tx, p StartParams) (*domain.Execution, error) {
	execs, err := e.StartManyTx(ctx, tx, []StartParams{p})
	if err != nil {
		return nil, err
	}
	return execs[0], nil
}

// StartManyTx starts several executions inside the caller's transaction:
// the bulk path for an event that starts many journeys, for a batch of
// schedules, or for load. Results are in the order of ps; a start whose
// idempotency key was used before returns the execution created first.
// An error rolls back nothing by itself (the caller's transaction does).
//
// Eager start (unless Options.QueuedStart): each new execution first runs
// in memory from its trigger through its pure nodes, up to a delay (which
// it parks on), its end, or the first node that needs its row (a wait, a
// side effect), and is inserted in that state with its steps. Only an
// execution with work left gets an advance job, so a journey that opens
// with a few pure nodes costs no job for them and starts with no queue
// latency. What an eager start writes is exactly what the first advance
// job would have written, in the same transaction as the execution itself.
// Live events are published once the caller's transaction commits.
func (e *Engine) StartManyTx(ctx context.Context, tx store.Tx, ps []StartParams) ([]*domain.Execution, error) {
	return e.startMany(ctx, tx, ps, newStartCache(), nil)
}

// StartEachTx is StartManyTx for starts that may fail one by one (a
// broadcast's recipients): a start that fails its own checks or its eager
// run (its contact was deleted, say) leaves a nil execution and its error
// at its index in errs, and the others go on. The error returned is one
// that fails the whole transaction.
func (e *Engine) StartEachTx(ctx context.Context, tx store.Tx, ps []StartParams) (execs []*domain.Execution, errs []error, err error) {
	errs = make([]error, len(ps))
	execs, err = e.startMany(ctx, tx, ps, newStartCache(), errs)
	return execs, errs, err
}

// startMany is StartManyTx, reading workflows and versions through cache.
// With errs (len(ps) long) a start that fails
// its own checks or its eager run records its error there, leaving a nil
// execution, and the others go on; without, the first such error is
// returned. An error returned fails the whole transaction.
func (e *Engine) startMany(ctx context.Context, tx store.Tx, ps []StartParams, cache *startCache, errs []error) ([]*domain.Execution, error) {
	fail := func(i int, err error) error {
		if errs == nil {
			return err
		}
		errs[i] = err
		return nil
	}
	out := make([]*domain.Execution, len(ps))
	var (
		w      runWrites
		events []live.Event
		// The executions of one tenant are inserted in one round trip; runs
		// are the eager runs of batch (nil without eager start).
		batch   []*store.ExecutionInsertParams
		runs    []*run
		batchAt []int
		// calls are the calls the dispatcher makes once tx commits.
		calls *startCalls
	)
	if e.dispatch != nil {
		calls = &startCalls{}
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := e.settleStarts(ctx, batch, runs, tx); err != nil {
			return err
		}
		execs, err := tx.ExecutionInsertMany(ctx, batch)
		if err != nil {
			return fmt.Errorf("start %d executions: %w", len(batch), err)
		}
		if err := e.takeQuota(ctx, tx, batch[0].TenantID, ps, batchAt, execs); err != nil {
			return err
		}
		for i, exec := range execs {
			if exec == nil {
				// The idempotency key was used: the first execution stands and
				// this one's run is dropped.
				p := batch[i]
				existing, err := tx.ExecutionGetByIdempotencyKey(ctx, p.TenantID, p.IdempotencyKey)
				if err != nil {
					return fmt.Errorf("look up execution by idempotency key: %w", err)
				}
				out[batchAt[i]] = existing
				continue
			}
			out[batchAt[i]] = exec
			r := runs[i]
			traceCtx := ps[batchAt[i]].traceCtx
			if r != nil {
				if traceCtx != nil {
					tracing.KeepTrace(traceCtx, r.jobs)
				}
				w.add(r)
				events = append(events, r.events...)
			}
			if r == nil || r.handOff {
				job := []river.InsertManyParams{advanceJob(advanceArgs(exec), time.Time{})}
				if traceCtx != nil {
					tracing.KeepTrace(traceCtx, job)
				}
				w.jobs = append(w.jobs, job...)
			}
		}
		batch, runs, batchAt = batch[:0], runs[:0], batchAt[:0]
		if err := w.writeSteps(ctx, tx); err != nil { // after the executions they refer to
			return err
		}
		return w.writeOutbox(ctx, tx) // after the steps
	}
	for i, p := range ps {
		if p.IdempotencyKey != "" {
			// A key used by an earlier start returns that execution, even if
			// the workflow could not be started now (a retried request).
			existing, err := tx.ExecutionGetByIdempotencyKey(ctx, p.TenantID, p.IdempotencyKey)
			if err == nil {
				out[i] = existing
				continue
			}
			if !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("look up execution by idempotency key: %w", err)
			}
		}
		ne, err := e.prepareExecution(ctx, tx, p, cache)
		if err != nil {
			if err := fail(i, err); err != nil {
				return nil, err
			}
			continue
		}
		if len(batch) > 0 && (batch[0].TenantID != ne.params.TenantID || len(batch) >= startBatchSize) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		var r *run
		if !e.queuedStart {
			r, err = e.startEager(ctx, tx, ne, calls)
			if r != nil {
				// A start group commit runs under none of its requests'
				// spans: p.traceCtx is the request's.
				r.trace = tracing.ParentOf(ctx)
				if p.traceCtx != nil {
					r.trace = tracing.ParentOf(p.traceCtx)
				}
			}
		} else {
			ne.params.Context, err = ne.c.encode()
		}
		if err != nil {
			if err := fail(i, err); err != nil {
				return nil, err
			}
			continue
		}
		batch, runs, batchAt = append(batch, ne.params), append(runs, r), append(batchAt, i)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if err := w.writeJobs(ctx, tx); err != nil {
		return nil, err
	}
	if len(events) > 0 {
		tx.AfterCommit(func(ctx context.Context) { e.publish(ctx, events) })
	}
	e.pushAfterCommit(tx, calls)
	return out, nil
}

// settleStarts finishes the eager runs of a batch of new executions
// before their rows are written: the side effects that prepare in batches
// prepare the steps of all the runs that stopped at them (prepareRuns),
// each side effect prepared is given its caller (readyAfterStart: the
// dispatcher, or a job), and each row takes the state its run reached.
func (e *Engine) settleStarts(ctx context.Context, batch []*store.ExecutionInsertParams, runs []*run, tx store.Tx) error {
	if err := e.prepareRuns(ctx, tx, runs); err != nil {
		return err
	}
	for i, r := range runs {
		if r == nil {
			continue // queued start: its context is encoded already
		}
		if r.effect != nil && r.calls != nil {
			r.readyAfterStart(ctx)
		}
		// The state a job would write as an update is the new row's.
		up, err := r.finish()
		if err != nil {
			return err
		}
		p := batch[i]
		p.Status, p.Context, p.CurrentNodeID, p.Token = up.Status, up.Context, up.CurrentNodeID, up.Token
		p.StepCount, p.Error, p.StartedAt, p.FinishedAt, p.WakeAt = up.StepCount, up.Error, up.StartedAt, up.FinishedAt, up.WakeAt
		p.CallNode = r.callNode
	}
	return nil
}

// takeQuota passes the executions just inserted (not those an idempotency
// key returned, nor test runs) to Options.ExecutionQuota; its refusal
// fails the transaction, so nothing of it is written (a group commit then
// retries its starts one by one, and those within the quota go through).
func (e *Engine) takeQuota(ctx context.Context, tx store.Tx, tenantID uuid.UUID, ps []StartParams, at []int, execs []*domain.Execution) error {
	if e.quota == nil {
		return nil
	}
	n := 0
	for i, exec := range execs {
		if p := ps[at[i]]; exec != nil && !p.Test && p.testRun == nil {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if err := e.quota(ctx, tx, tenantID, n); err != nil {
		return fmt.Errorf("start %d executions: %w", n, err)
	}
	return nil
}

// startBatchSize bounds the executions one bulk insert writes.
const startBatchSize = 1000

// startEager runs a new execution as its first advance job would, in
// memory, up to where it parks, ends, or needs its row; settleStarts then
// sets ne's row to the state it reached. The run holds the steps to write
// after the row, the jobs to enqueue, the events to publish, and whether
// the execution needs a job to go on (handOff). With calls (the
// dispatcher runs), a side effect reached may be prepared in the start
// (run.mayCallAfterStart).
func (e *Engine) startEager(ctx context.Context, tx store.Tx, ne *newExecution, calls *startCalls) (*run, error) {
	p := ne.params
	exec := &domain.Execution{
		ID: p.ID, TenantID: p.TenantID, WorkflowID: p.WorkflowID, VersionID: p.VersionID, Version: p.Version,
		Status: p.Status, ContactID: p.ContactID, TriggerType: p.TriggerType, CurrentNodeID: p.CurrentNodeID,
		IdempotencyKey: p.IdempotencyKey,
	}
	ne.c.Execution = executionVars(exec)
	tracing.Execution(ctx, exec.TenantID, exec.WorkflowID, exec.ID)
	r := &run{e: e, tx: tx, exec: exec, g: ne.g, c: ne.c, now: e.now().UTC(), status0: exec.Status,
		batched: true, eager: true, calls: calls}
	r.begin()
	if err := r.loop(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Startable reports why workflow wf cannot start the execution p asks for
// at its current published version (ErrNoVersion, or ErrInactive unless p
// is a test or manual start), or nil when it can.
func Startable(wf *domain.Workflow, p StartParams) error {
	return startable(wf.ID, wf.CurrentVersionID, wf.IsActive, p)
}

// startable is Startable of a workflow's ID, current version and activity.
func startable(id uuid.UUID, currentVersionID *uuid.UUID, active bool, p StartParams) error {
	if currentVersionID == nil {
		return fmt.Errorf("start workflow %s: %w", id, ErrNoVersion)
	}
	if !active && !p.Test && p.TriggerType != workflow.TypeTriggerManual {
		return fmt.Errorf("start workflow %s: %w", id, ErrInactive)
	}
	return nil
}

// newExecution is an execution about to be inserted: its row, and the
// context and graph an eager start runs it with.
type newExecution struct {
	params *store.ExecutionInsertParams
	c      *execContext
	g      *graph
}

// prepareExecution resolves the version and trigger p starts and builds
// the new execution's row, PENDING at its trigger, and its context (which
// the caller encodes into the row once the execution is where it starts).
func (e *Engine) prepareExecution(ctx context.Context, tx store.Tx, p StartParams, cache *startCache) (*newExecution, error) {
	versionID := p.VersionID
	version := 0
	if versionID == uuid.Nil {
		wf := cache.workflow(p.TenantID, p.WorkflowID)
		if wf == nil {
			var err error
			if wf, err = tx.WorkflowGetStartInfo(ctx, p.TenantID, p.WorkflowID); err != nil {
				return nil, fmt.Errorf("load workflow %s: %w", p.WorkflowID, err)
			}
			cache.putWorkflow(wf)
		}
		if err := startable(wf.ID, wf.CurrentVersionID, wf.IsActive, p); err != nil {
			return nil, err
		}
		versionID, version = *wf.CurrentVersionID, wf.CurrentVersion
	}
	g, err := e.graph(ctx, tx, p.TenantID, versionID)
	if err != nil {
		return nil, err
	}
	if version == 0 && p.Version > 0 {
		version = p.Version // read with the workflow by the caller
	}
	if version == 0 {
		v := cache.version(p.TenantID, versionID)
		if v == nil {
			var err error
			if v, err = tx.WorkflowVersionGetByID(ctx, p.TenantID, versionID); err != nil {
				return nil, fmt.Errorf("load workflow version %s: %w", versionID, err)
			}
			cache.putVersion(v)
		}
		if v.WorkflowID != p.WorkflowID {
			return nil, store.NotFoundf("version %s of workflow %s", versionID, p.WorkflowID)
		}
		version = v.Version
	}
	trigger, err := g.trigger(p.TriggerNodeID, p.TriggerType)
	if err != nil {
		return nil, err
	}
	triggerType := p.TriggerType
	if triggerType == "" {
		triggerType = trigger.Type
	}

	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	c := &execContext{
		Trigger: map[string]any{"type": triggerType},
		Contact: p.Contact,
		Steps:   map[string]any{},
		Vars:    map[string]any{},
		Engine:  engineState{Test: p.testRun},
	}
	if c.Contact, err = startContact(ctx, tx, p.TenantID, p.ContactID, c.Contact); err != nil {
		return nil, err
	}
	if c.Contact == nil {
		c.Contact = map[string]any{}
	}
	if p.ContactID != nil {
		if _, ok := c.Contact["id"]; !ok {
			c.Contact["id"] = p.ContactID.String()
		}
	}
	if len(p.Input) > 0 {
		v, err := toJSONValue(p.Input)
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		c.Trigger["input"] = v
	} else if triggerType == workflow.TypeTriggerManual || triggerType == workflow.TypeTriggerWebhook {
		c.Trigger["input"] = map[string]any{}
	}
	if len(p.Event) > 0 {
		v, err := toJSONValue(p.Event)
		if err != nil {
			return nil, fmt.Errorf("event: %w", err)
		}
		c.setEvent(p.Event, v) // encoded once, here, for every write of the context
	}
	if p.ScheduledAt != nil {
		c.Trigger["scheduledAt"] = p.ScheduledAt.UTC()
	}
	return &newExecution{params: &store.ExecutionInsertParams{
		TenantID: p.TenantID, ID: id, WorkflowID: p.WorkflowID, VersionID: versionID, Version: version,
		Status: domain.ExecutionPending, ContactID: p.ContactID, TriggerType: triggerType,
		CurrentNodeID: trigger.ID, IdempotencyKey: p.IdempotencyKey,
	}, c: c, g: g}, nil
}

// startCache keeps the workflow and version rows read while starting a
// batch of executions (a nil cache keeps nothing): of a workflow, only
// what a start reads (store.WorkflowStartInfo), not its draft. Rows are
// read in the batch's transaction, so they stay valid for its length.
type startCache struct {
	workflows map[uuid.UUID]*store.WorkflowStartInfo
	versions  map[uuid.UUID]*domain.WorkflowVersion
}

// newStartCache returns an empty cache.
func newStartCache() *startCache {
	return &startCache{workflows: map[uuid.UUID]*store.WorkflowStartInfo{}, versions: map[uuid.UUID]*domain.WorkflowVersion{}}
}

// workflow returns the cached workflow id of tenantID, if any.
func (c *startCache) workflow(tenantID, id uuid.UUID) *store.WorkflowStartInfo {
	if c == nil {
		return nil
	}
	if wf := c.workflows[id]; wf != nil && wf.TenantID == tenantID {
		return wf
	}
	return nil
}

func (c *startCache) putWorkflow(wf *store.WorkflowStartInfo) {
	if c != nil {
		c.workflows[wf.ID] = wf
	}
}

// version returns the cached version id of tenantID, if any.
func (c *startCache) version(tenantID, id uuid.UUID) *domain.WorkflowVersion {
	if c == nil {
		return nil
	}
	if v := c.versions[id]; v != nil && v.TenantID == tenantID {
		return v
	}
	return nil
}

func (c *startCache) putVersion(v *domain.WorkflowVersion) {
	if c != nil {
		c.versions[v.ID] = v
	}
}
