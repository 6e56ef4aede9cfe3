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

// run is the work of one transaction on one locked execution.
type run struct {
	e        *Engine
	tx       store.Tx
	exec     *domain.Execution
	g        *graph
	c        *execContext
	now      time.Time
	status0  domain.ExecutionStatus
	events   []live.Event
	effect   *pendingEffect
	finished bool // terminal, or parked until a job or an event
	steps    []*store.StepInsertParams
	// batched: the run keeps the advance jobs it enqueues (jobs) and the
	// step outcomes it records (stepUpdates) for its caller to write with
	// other runs', instead of writing each at once.
	batched     bool
	jobs        []river.InsertManyParams
	stepUpdates []*store.StepUpdateParams
	// eager: the run is the eager start of an execution not yet inserted;
	// it stops, with handOff set, at the first node that needs the
	// execution's row (a wait, a side effect).
	eager   bool
	handOff bool
	// calls: (eager) the calls the start transaction readies for the
	// dispatcher (Options.CallAfterStart); nil without one.
	calls *startCalls
	// callNode: (eager) the node whose dispatcher makes the call readied
	// (readyAfterStart), written on the new row (CallNode); "" otherwise.
	callNode string
	// trace: (eager) the span of the request or job starting the
	// execution, which a call the dispatcher makes continues.
	trace tracing.Parent
	// preparing: (batched) the run stopped at this side-effect node, whose
	// EffectBatchPreparer its caller asks for the steps of several runs
	// at once before calling prepared.
	preparing *workflow.Node
	// outbox: (batched) the outbox entries of the side effects reached,
	// for the caller to insert after the steps they refer to.
	outbox []*store.OutboxInsertParams
	// effectToJob: a side effect reached after a recorded outcome is left
	// for a new advance job instead of being performed by this one.
	effectToJob bool
}

// enqueue inserts (or, when batched, keeps) the advance job for the
// execution's current token, at runAt (zero: now). A time further off than
// the engine's timer horizon is kept on the execution's row instead
// (WakeAt), for RunWakeups to turn into the job when it comes near.
func (r *run) enqueue(ctx context.Context, runAt time.Time) error {
	if runAt.Sub(r.now) > r.e.timerHorizon {
		at := runAt
		r.exec.WakeAt = &at
		return nil
	}
	if r.batched {
		r.jobs = append(r.jobs, advanceJob(advanceArgs(r.exec), runAt))
		return nil
	}
	return enqueue(ctx, r.tx, r.exec, runAt)
}

// pendingEffect is a side effect to perform once the transaction commits.
type pendingEffect struct {
	fx         SideEffect
	req        EffectRequest
	token      int64
	workflowID uuid.UUID
	outboxID   uuid.UUID
	attempts   int
	// done: the outbox already holds the result; do not perform again.
	done   bool
	output json.RawMessage
	// counted: the attempt of the call was counted in the transaction
	// that left the effect pending (readyCall: admitted, its call slot
	// taken), so the job calls at once; release gives the slot back.
	counted bool
	release func()
	// hold: the EffectAdmitter held the call in that transaction; the job
	// snoozes for it without asking again.
	hold time.Duration
}

func (e *Engine) newRun(ctx context.Context, tx store.Tx, exec *domain.Execution) (*run, error) {
	c, err := decodeContext(exec.Context)
	if err != nil {
		return nil, fmt.Errorf("execution %s: %w", exec.ID, err)
	}
	c.Execution = executionVars(exec)
	tracing.Execution(ctx, exec.TenantID, exec.WorkflowID, exec.ID)
	// A timer kept on the row belongs to the state this run replaces: the
	// run sets a new one if it parks again.
	exec.WakeAt = nil
	r := &run{e: e, tx: tx, exec: exec, c: c, now: e.now().UTC(), status0: exec.Status}
	for _, a := range c.Engine.Announce {
		r.event(live.Kind(a.Kind), a.Status, a.StepID, a.NodeID)
	}
	c.Engine.Announce = nil
	g, err := e.graph(ctx, tx, exec.TenantID, exec.VersionID)
	if err != nil {
		if errors.Is(err, ErrBadDefinition) {
			r.failExecution(err.Error())
			return r, nil
		}
		return nil, err
	}
	r.g = g
	if err := r.refreshContact(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *run) event(kind live.Kind, status string, stepID uuid.UUID, nodeID string) {
	r.events = append(r.events, live.Event{
		TenantID: r.exec.TenantID, Kind: kind, ExecutionID: r.exec.ID, WorkflowID: r.exec.WorkflowID,
		Status: status, StepID: stepID, NodeID: nodeID, At: r.now,
	})
}

// insertStep records a new visit of n. The row is written when the run
// saves, together with the other steps of the transaction.
func (r *run) insertStep(_ context.Context, n *workflow.Node, status domain.StepStatus, input, output json.RawMessage, handle, errMsg string) (*store.StepInsertParams, error) {
	r.exec.StepCount++
	p := &store.StepInsertParams{
		TenantID: r.exec.TenantID, ID: domain.NewID(), ExecutionID: r.exec.ID, Seq: r.exec.StepCount,
		NodeID: n.ID, NodeType: n.Type, Status: status, Attempt: 1, Input: input, Output: output,
		Handle: handle, Error: store.StorableText(errMsg), StartedAt: r.now,
	}
	if status != domain.StepRunning && status != domain.StepWaiting {
		p.FinishedAt = &r.now
	}
	r.steps = append(r.steps, p)
	r.event(live.KindStep, string(status), p.ID, n.ID)
	r.events[len(r.events)-1].NodeType = n.Type
	return p, nil
}

// flushSteps writes the steps recorded by insertStep.
func (r *run) flushSteps(ctx context.Context) error {
	if len(r.steps) == 0 {
		return nil
	}
	steps := r.steps
	r.steps = nil
	if err := r.tx.StepInsertMany(ctx, steps); err != nil {
		return fmt.Errorf("record %d steps of execution %s: %w", len(steps), r.exec.ID, err)
	}
	return nil
}

// updateStep records the end (or progress) of an open step.
func (r *run) updateStep(ctx context.Context, open *openStep, status domain.StepStatus, output json.RawMessage, handle, errMsg string) error {
	p := &store.StepUpdateParams{
		TenantID: r.exec.TenantID, ExecutionID: r.exec.ID, Seq: open.Seq, Status: status, Attempt: open.Attempt,
		Output: output, Error: store.StorableText(errMsg), Handle: handle,
	}
	if status != domain.StepRunning && status != domain.StepWaiting {
		p.FinishedAt = &r.now
	}
	r.event(live.KindStep, string(status), open.ID, open.NodeID)
	if ev := &r.events[len(r.events)-1]; r.g != nil {
		if n := r.g.nodes[open.NodeID]; n != nil {
			ev.NodeType = n.Type
		}
		if p.FinishedAt != nil && !open.Started.IsZero() {
			ev.Took = r.now.Sub(open.Started)
		}
	}
	if r.batched {
		r.stepUpdates = append(r.stepUpdates, p)
		return nil
	}
	if err := r.tx.StepUpdate(ctx, p); err != nil {
		return fmt.Errorf("update step %s of execution %s: %w", open.NodeID, r.exec.ID, err)
	}
	return nil
}

func (r *run) moveTo(nodeID string) { r.exec.CurrentNodeID = nodeID }

// complete finishes the execution successfully.
func (r *run) complete() {
	r.exec.Status = domain.ExecutionCompleted
	r.exec.Token++
	r.exec.FinishedAt = &r.now
	r.c.Engine.Open = nil
	r.finished = true
}

// failExecution fails the execution with msg.
func (r *run) failExecution(msg string) {
	r.exec.Status = domain.ExecutionFailed
	r.exec.Error = store.StorableText(msg) // may quote a called service's error
	r.exec.Token++
	r.exec.FinishedAt = &r.now
	r.c.Engine.Open = nil
	r.finished = true
}

// nodeFailed records n's failure on its step (open, or a new one) and
// follows its error handle, or fails the execution. It reports whether the
// execution goes on.
func (r *run) nodeFailed(ctx context.Context, n *workflow.Node, open *openStep, msg string, output json.RawMessage) (bool, error) {
	r.c.setError(n.ID, msg)
	if open != nil {
		if err := r.updateStep(ctx, open, domain.StepFailed, output, handleErrorIf(r.g.hasHandle(n.ID, handleError)), msg); err != nil {
			return false, err
		}
	} else {
		if _, err := r.insertStep(ctx, n, domain.StepFailed, nil, output, handleErrorIf(r.g.hasHandle(n.ID, handleError)), msg); err != nil {
			return false, err
		}
	}
	r.c.Engine.Open = nil
	if r.g.hasHandle(n.ID, handleError) {
		r.moveTo(r.g.target(n.ID, handleError))
		return true, nil
	}
	r.failExecution(fmt.Sprintf("node %s (%s): %s", n.ID, n.Type, msg))
	return false, nil
}

func handleErrorIf(ok bool) string {
	if ok {
		return handleError
	}
	return ""
}

// begin marks a pending execution running.
func (r *run) begin() {
	if r.exec.Status == domain.ExecutionPending || r.exec.Status == domain.ExecutionWaiting {
		r.exec.Status = domain.ExecutionRunning
	}
	if r.exec.StartedAt == nil {
		r.exec.StartedAt = &r.now
	}
}

// resumeOpen continues the step left open at the current node, if any:
// a delay that is due, a wait whose timeout fired, or a side effect to
// (re)perform. It reports whether the loop may go on.
func (r *run) resumeOpen(ctx context.Context) (bool, error) {
	open := r.c.Engine.Open
	if open == nil {
		return true, nil
	}
	n := r.g.nodes[open.NodeID]
	if n == nil || open.NodeID != r.exec.CurrentNodeID {
		r.c.Engine.Open = nil
		return true, nil
	}
	cat, _ := r.e.category(n.Type)
	switch cat {
	case catDelay:
		out := map[string]any{"resumedAt": r.now}
		r.c.setOutput(n.ID, out)
		if err := r.updateStep(ctx, open, domain.StepCompleted, mustJSON(out), "", ""); err != nil {
			return false, err
		}
		r.c.Engine.Open = nil
		r.moveTo(r.g.target(n.ID, ""))
		return true, nil
	case catWait:
		if err := r.tx.WaitDeleteByExecution(ctx, r.exec.TenantID, r.exec.ID); err != nil {
			return false, fmt.Errorf("delete waits of execution %s: %w", r.exec.ID, err)
		}
		out := map[string]any{"timedOut": true}
		r.c.setOutput(n.ID, out)
		if err := r.updateStep(ctx, open, domain.StepCompleted, mustJSON(out), handleTimeout, ""); err != nil {
			return false, err
		}
		r.c.Engine.Open = nil
		r.moveTo(r.g.target(n.ID, handleTimeout))
		return true, nil
	case catEffect:
		entry, err := r.tx.OutboxGetByKey(ctx, r.exec.TenantID, open.Key)
		if err != nil {
			return false, fmt.Errorf("load outbox entry %s: %w", open.Key, err)
		}
		r.effect = r.pending(n, open, entry)
		return false, nil
	}
	r.c.Engine.Open = nil
	return true, nil
}

func (r *run) pending(n *workflow.Node, open *openStep, entry *domain.OutboxEntry) *pendingEffect {
	return &pendingEffect{
		fx: r.e.effects[n.Type],
		req: EffectRequest{
			TenantID: r.exec.TenantID, ExecutionID: r.exec.ID, StepID: open.ID, NodeID: n.ID,
			IdempotencyKey: open.Key, Attempt: open.Attempt, Request: entry.Request,
		},
		token:      r.exec.Token,
		workflowID: r.exec.WorkflowID,
		outboxID:   entry.ID,
		attempts:   entry.Attempts,
		done:       entry.Status == domain.OutboxDone,
		output:     entry.Response,
	}
}

// loop runs nodes from the current one until the execution finishes,
// parks, reaches a side effect or spends its budget.
func (r *run) loop(ctx context.Context) error {
	for visited := 0; ; visited++ {
		nodeID := r.exec.CurrentNodeID
		if nodeID == "" {
			r.complete()
			return nil
		}
		n := r.g.nodes[nodeID]
		if n != nil {
			tracing.Node(ctx, n.Type, n.ID)
		}
		if n == nil {
			r.failExecution(fmt.Sprintf("node %q is not in workflow version %d", nodeID, r.exec.Version))
			return nil
		}
		if r.exec.StepCount-r.c.Engine.StepBase >= r.e.stepLimit {
			r.failExecution(fmt.Sprintf("step limit of %d steps reached at node %s: the workflow may loop forever", r.e.stepLimit, nodeID))
			return nil
		}
		if visited >= r.e.pureBudget {
			// Continue in a new job so one execution cannot hold a worker.
			r.exec.Token++
			return r.enqueue(ctx, time.Time{})
		}
		cat, ok := r.e.category(n.Type)
		if !ok {
			goOn, err := r.nodeFailed(ctx, n, nil, fmt.Sprintf("unknown node type %q", n.Type), nil)
			if err != nil || !goOn {
				return err
			}
			continue
		}
		switch cat {
		case catPure:
			res, nerr := r.e.runPure(ctx, n, r.g.prepared(r.e, n), r.c, r.exec.ID)
			if nerr != nil {
				if err := ctx.Err(); err != nil {
					// The job was cancelled mid-evaluation: not the node's
					// failure; the job runs again.
					return fmt.Errorf("node %s: %s: %w", n.ID, nerr.msg, err)
				}
				goOn, err := r.nodeFailed(ctx, n, nil, nerr.msg, nil)
				if err != nil || !goOn {
					return err
				}
				continue
			}
			msg, err := r.writeContactAttributes(ctx, n, res.output)
			if err != nil {
				return err
			}
			if msg != "" {
				goOn, err := r.nodeFailed(ctx, n, nil, msg, nil)
				if err != nil || !goOn {
					return err
				}
				continue
			}
			if !isTrigger(n.Type) { // the trigger is in context as trigger.*
				r.c.setOutput(n.ID, res.output)
			}
			if _, err := r.insertStep(ctx, n, domain.StepCompleted, nil, r.pureOutput(n, res.output), res.handle, ""); err != nil {
				return err
			}
			r.moveTo(r.g.target(n.ID, res.handle))

		case catEnd:
			var cfg workflow.EndConfig
			_ = decodeConfig(n, &cfg)
			if _, err := r.insertStep(ctx, n, domain.StepCompleted, nil, nil, "", ""); err != nil {
				return err
			}
			if cfg.Status == "failed" {
				reason := cfg.Reason
				if reason == "" {
					reason = "ended as failed at node " + n.ID
				}
				r.failExecution(reason)
				return nil
			}
			r.complete()
			return nil

		case catDelay:
			due, nerr := dueAt(n, r.c, r.now)
			if nerr != nil {
				goOn, err := r.nodeFailed(ctx, n, nil, nerr.msg, nil)
				if err != nil || !goOn {
					return err
				}
				continue
			}
			input := map[string]any{"until": due}
			if at, skipped := r.testDue(due); skipped {
				input["skipped"], input["reason"], due = true, TestSkipPrefix+"delay skipped", at
			}
			st, err := r.insertStep(ctx, n, domain.StepWaiting, mustJSON(input), nil, "", "")
			if err != nil {
				return err
			}
			r.c.Engine.Open = &openStep{ID: st.ID, Seq: st.Seq, NodeID: n.ID, Attempt: 1, Started: st.StartedAt}
			r.exec.Status = domain.ExecutionWaiting
			r.exec.Token++
			r.finished = true
			return r.enqueue(ctx, due)

		case catWait, catEffect:
			if r.eager {
				if cat == catEffect && r.mayCallAfterStart() {
					// Prepared in the start, called by this process once
					// it commits (dispatch.go).
					r.calls.reserved++
					return r.startEffect(ctx, n)
				}
				r.handOff = true // the rest runs in the execution's first job
				return nil
			}
			if cat == catWait {
				return r.park(ctx, n)
			}
			return r.startEffect(ctx, n)
		}
	}
}

// park registers a wait_for_event and its timeout.
func (r *run) park(ctx context.Context, n *workflow.Node) error {
	var cfg waitConfig
	if err := decodeConfig(n, &cfg); err != nil || cfg.Event == "" {
		msg := "wait_for_event: missing event name"
		if err != nil {
			msg = err.Error()
		}
		goOn, ferr := r.nodeFailed(ctx, n, nil, msg, nil)
		if ferr != nil || !goOn {
			return ferr
		}
		return r.loop(ctx)
	}
	var expires *time.Time
	if cfg.Timeout != "" {
		d, err := workflow.ParseDuration(cfg.Timeout)
		if err != nil {
			goOn, ferr := r.nodeFailed(ctx, n, nil, "wait_for_event: "+err.Error(), nil)
			if ferr != nil || !goOn {
				return ferr
			}
			return r.loop(ctx)
		}
		t := r.now.Add(d)
		expires = &t
	}
	if tr := r.c.Engine.Test; tr != nil && tr.SkipDelays {
		t := r.now // a test run that skips waits times out at once
		expires = &t
	}
	input := map[string]any{"event": cfg.Event}
	corr := correlationValue(r.c, cfg.CorrelationKey)
	corrKey := ""
	if corr != "" {
		corrKey = cfg.CorrelationKey
		input["correlationKey"] = corrKey
		input["correlationValue"] = corr
	}
	if expires != nil {
		input["expiresAt"] = *expires
	}
	st, err := r.insertStep(ctx, n, domain.StepWaiting, mustJSON(input), nil, "", "")
	if err != nil {
		return err
	}
	r.c.Engine.Open = &openStep{ID: st.ID, Seq: st.Seq, NodeID: n.ID, Attempt: 1, Started: st.StartedAt}
	r.exec.Status = domain.ExecutionWaiting
	r.exec.Token++
	r.finished = true
	if _, err := r.tx.WaitInsert(ctx, &store.WaitInsertParams{
		TenantID: r.exec.TenantID, ID: domain.NewID(), ExecutionID: r.exec.ID, NodeID: n.ID,
		Token: r.exec.Token, EventName: cfg.Event, ContactID: r.exec.ContactID,
		CorrelationKey: corrKey, CorrelationValue: corr, ExpiresAt: expires,
	}); err != nil {
		return fmt.Errorf("register wait of execution %s: %w", r.exec.ID, err)
	}
	if expires != nil {
		return r.enqueue(ctx, *expires)
	}
	return nil
}

// startEffect records a side effect's step and outbox entry; the call is
// made after the commit. A batched run whose side effect prepares in
// batches stops instead (preparing), for its caller to prepare it with
// other runs' and call prepared.
func (r *run) startEffect(ctx context.Context, n *workflow.Node) error {
	fx := r.e.effects[n.Type]
	// The templates one side effect renders (URL, headers, body fields…)
	// share one budget, so their number multiplies no bound (#12).
	var req json.RawMessage
	err := r.testRefusal(ctx, n) // a test run's allow-list, before anything is written
	if err == nil {
		if _, ok := fx.(EffectBatchPreparer); ok && r.batched {
			r.preparing = n
			return nil
		}
		req, err = fx.Prepare(r.e.tmpl.WithBudget(ctx), r.prepareInput(n))
	}
	return r.prepared(ctx, n, req, nil, err)
}

// prepareInput is what n's Prepare is given.
func (r *run) prepareInput(n *workflow.Node) PrepareInput {
	return PrepareInput{
		TenantID: r.exec.TenantID, ExecutionID: r.exec.ID, NodeID: n.ID, Config: n.Config, Data: r.c.templateData(),
		Tx: r.tx,
	}
}

// prepared goes on from side effect n's Prepare (or PrepareMany) with
// what it returned: the step skipped or failed and the run on, or the
// step and its outbox entry recorded and the call left to perform, with
// value (PrepareItem.Value, nil from Prepare) carried along req.
func (r *run) prepared(ctx context.Context, n *workflow.Node, req json.RawMessage, value any, err error) error {
	fx := r.e.effects[n.Type]
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			// The job was cancelled while rendering: not the node's
			// failure; the job runs again.
			return fmt.Errorf("prepare node %s: %w (%w)", n.ID, err, cerr)
		}
		if errors.Is(err, store.ErrUnavailable) {
			// The database, not the node: the transaction rolls back and
			// the job runs again.
			return fmt.Errorf("prepare node %s: %w", n.ID, err)
		}
		var skip *skipError
		if errors.As(err, &skip) {
			out := skip.skippedOutput()
			r.c.setOutput(n.ID, out)
			if _, err := r.insertStep(ctx, n, domain.StepCompleted, nil, mustJSON(out), "", ""); err != nil {
				return err
			}
			r.moveTo(r.g.target(n.ID, ""))
			return r.loop(ctx)
		}
		// A template or expression past its bounds (tmpl.ErrLimit,
		// expr.ErrLimit) fails the same way again: the node fails for good.
		goOn, ferr := r.nodeFailed(ctx, n, nil, err.Error(), nil)
		if ferr != nil || !goOn {
			return ferr
		}
		return r.loop(ctx)
	}
	st, err := r.insertStep(ctx, n, domain.StepRunning, stepInput(fx, req), nil, "", "")
	if err != nil {
		return err
	}
	open := &openStep{ID: st.ID, Seq: st.Seq, NodeID: n.ID, Attempt: 1, Key: effectKey(r.exec.ID, st.Seq), Started: st.StartedAt}
	p := &store.OutboxInsertParams{
		TenantID: r.exec.TenantID, ID: domain.NewID(), ExecutionID: r.exec.ID, StepID: st.ID,
		IdempotencyKey: open.Key, Kind: n.Type, Request: req,
	}
	var entry *domain.OutboxEntry
	if r.batched {
		// The caller inserts the entries of its runs together, after their
		// steps (and, for an eager start, after the executions).
		r.outbox = append(r.outbox, p)
		entry = &domain.OutboxEntry{ID: p.ID, TenantID: p.TenantID, ExecutionID: p.ExecutionID, StepID: p.StepID,
			IdempotencyKey: p.IdempotencyKey, Kind: p.Kind, Status: domain.OutboxPending, Request: req}
	} else {
		// The outbox entry refers to the step: write the steps first.
		if err := r.flushSteps(ctx); err != nil {
			return err
		}
		if entry, _, err = r.tx.OutboxInsert(ctx, p); err != nil {
			return fmt.Errorf("record outbox entry %s: %w", open.Key, err)
		}
	}
	r.c.Engine.Open = open
	r.effect = r.pending(n, open, entry)
	r.effect.req.Value = value
	return nil
}

// save writes the execution's steps and state.
func (r *run) save(ctx context.Context) error {
	if err := r.flushSteps(ctx); err != nil {
		return err
	}
	up, err := r.finish()
	if err != nil {
		return err
	}
	if err := r.tx.ExecutionUpdate(ctx, up); err != nil {
		return fmt.Errorf("update execution %s: %w", r.exec.ID, err)
	}
	return nil
}

// finish encodes the execution's state for writing and notes a change of
// status among the run's events.
func (r *run) finish() (*store.ExecutionUpdateParams, error) {
	data, err := r.c.encode()
	if err != nil {
		return nil, err
	}
	r.exec.Context = data
	if r.exec.Status.Terminal() {
		r.exec.WakeAt = nil // a finished execution has no timer left
	}
	if r.exec.Status != r.status0 {
		r.event(live.KindExecution, string(r.exec.Status), uuid.Nil, "")
		r.events[len(r.events)-1].Started = r.status0 == domain.ExecutionPending
	}
	return &store.ExecutionUpdateParams{
		TenantID: r.exec.TenantID, ID: r.exec.ID, Status: r.exec.Status, Context: data,
		CurrentNodeID: r.exec.CurrentNodeID, Token: r.exec.Token, StepCount: r.exec.StepCount,
		Error: r.exec.Error, StartedAt: r.exec.StartedAt, FinishedAt: r.exec.FinishedAt, WakeAt: r.exec.WakeAt,
	}, nil
}

// pureOutput is the JSON of a pure node's step output. A trigger's output
// is the context's trigger, written as the context writes it (triggerJSON:
// trigger.event as the start received it, compacted once), not encoded
// again through json.Marshal at every start.
func (r *run) pureOutput(n *workflow.Node, output any) json.RawMessage {
	if isTrigger(n.Type) {
		if m, ok := output.(map[string]any); ok && sameMap(m, r.c.Trigger) {
			if b, err := r.c.triggerJSON(); err == nil {
				return b
			}
		}
	}
	return mustJSON(output)
}

func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return data
}
