package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// SideEffect is a node type that acts on the outside world (an HTTP call, a
// message send, an AI call). The engine records each call in the outbox
// under a unique idempotency key before performing it, counts each attempt
// in a commit before the call (the one that recorded the entry, when it
// can: see doc.go), and records the result after; a call whose outbox
// entry is already DONE is not made again.
// Register implementations through Options.SideEffects.
//
// A side effect may also implement EffectAdmitter (a rate limit held in
// front of the call) and EffectRecorder (rows written with the call's
// outcome, e.g. a message's status).
type SideEffect interface {
	// Kind is the node type implemented, e.g. "http.request".
	Kind() string
	// Prepare builds the request from the node's config and the execution
	// context (rendering templates). It runs inside the engine's
	// transaction (PrepareInput.Tx), the one that writes the step and the
	// outbox entry, and must not call out of the process.
	//
	// It may read the tenant's rows through in.Tx (a template, a
	// suppression, the contact's messaging window, a channel connection)
	// and write rows that must commit together with the outbox entry (a
	// message queued). In an eager start (doc.go) it runs in the start
	// transaction before the execution's row and steps are written: it
	// must not read them. Prepare runs again for the same step only when that
	// transaction rolled back, so what it wrote is never left twice.
	//
	// The request is stored in the outbox and given to Perform, unchanged
	// on every attempt. Returning Skip(reason, output) makes no call: the
	// step completes with that output and the execution follows the
	// node's normal out handle. Any other error fails the node for good,
	// except one that wraps store.ErrUnavailable, or any error once ctx
	// has ended (the transaction is rolled back and the job runs again); rows
	// Prepare wrote before such a failure commit with the failed step, so
	// write after the checks that may fail.
	Prepare(ctx context.Context, in PrepareInput) (json.RawMessage, error)
	// Perform carries the request out, outside any transaction. Its output
	// becomes steps.<node>.output. Errors are retried unless marked with
	// Permanent; an *EffectError may also carry an output.
	Perform(ctx context.Context, req EffectRequest) (json.RawMessage, error)
}

// PrepareInput is what Prepare builds a request from.
type PrepareInput struct {
	TenantID    uuid.UUID
	ExecutionID uuid.UUID
	NodeID      string
	Config      json.RawMessage
	// Data is the execution context as templates see it: trigger, contact,
	// steps, vars, execution.
	Data map[string]any
	// Tx is the engine's transaction, scoped to TenantID, in which the
	// step and the outbox entry are written. It may be shared with other
	// executions of the tenant (the group commit): use it only for this
	// execution's rows, and do not keep it after Prepare returns.
	Tx store.Tx
}

// EffectBatchPreparer is implemented by a side effect that can prepare
// the steps of many executions at once (a send: one suppression read, one
// quota update and one message insert for all). In the advance group
// commit the engine gathers the executions of a transaction that reach
// the side effect and calls PrepareMany once for them, in that
// transaction, instead of Prepare for each; elsewhere (an execution
// advanced on its own) Prepare is called as usual.
//
// PrepareMany must give each item what Prepare would have returned for
// it (Request, or Err: Skip, a failure of the node, an error that wraps
// store.ErrUnavailable), writing the same rows. An error it returns
// itself rolls the whole transaction back; its executions are then
// advanced one by one, with Prepare.
type EffectBatchPreparer interface {
	SideEffect
	PrepareMany(ctx context.Context, tx store.Tx, items []*PrepareItem) error
}

// PrepareItem is one step given to EffectBatchPreparer.PrepareMany.
type PrepareItem struct {
	// Ctx is the step's context: it carries the template budget its
	// node's templates share.
	Ctx context.Context
	In  PrepareInput
	// Request and Err are PrepareMany's answer for the step: what Prepare
	// would have returned.
	Request json.RawMessage
	Err     error
	// Value, optional, is what Request encodes, as PrepareMany built it
	// (e.g. a *sendRequest): the engine hands it back with the step's
	// call in this process (EffectRequest.Value, EffectResult.Value), so
	// the side effect need not decode the request it has just encoded.
	// Neither PrepareMany nor anyone after may modify it.
	Value any
}

// Skip is what Prepare returns to make no call (an unsubscribed or
// suppressed contact, a closed messaging window): the step completes with
// output, which the engine marks {"skipped": true, "reason": reason} (a
// JSON object keeps its own fields; any other output is kept under
// "output"), and the execution follows the node's normal out handle.
// Rows Prepare wrote commit with the skipped step.
func Skip(reason string, output json.RawMessage) error {
	return &skipError{reason: reason, output: output}
}

// skipError is Skip's error.
type skipError struct {
	reason string
	output json.RawMessage
}

func (e *skipError) Error() string { return "skipped: " + e.reason }

// skippedOutput is the output of a skipped step: s.output with "skipped"
// and "reason" set.
func (e *skipError) skippedOutput() map[string]any {
	out := map[string]any{}
	if len(e.output) > 0 {
		var v any
		if err := json.Unmarshal(e.output, &v); err == nil {
			if m, ok := v.(map[string]any); ok {
				out = m
			} else if v != nil {
				out["output"] = v
			}
		}
	}
	out["skipped"] = true
	out["reason"] = e.reason
	return out
}

// EffectAdmitter is implemented by a side effect held by a limit (messages
// per second per phone number, per recipient…). Admit is called before
// each attempt is counted, often inside the engine's transaction that
// leaves the call pending (so that the attempt is counted in it): it must
// answer quickly and must not use that transaction. A wait above zero
// means the limit holds the call, and the engine makes no call, counts no
// attempt, spends none of the node's retry budget, and runs the advance
// job again after wait (a durable River snooze), when Admit is asked
// again. An error from Admit makes no call either; the job asks again
// before counting, and is retried as after any database error. A call
// Admit let through in a transaction that then rolled back is asked again.
type EffectAdmitter interface {
	Admit(ctx context.Context, req EffectRequest) (wait time.Duration, err error)
}

// EffectRecorder is implemented by a side effect that keeps rows of its own
// in step with the call's outcome (a message moved from queued to sent or
// failed). RecordResult is called inside the transaction that records the
// outcome in the outbox and on the step, and moves the execution on: after
// a success, after a failure that will be retried (res.Retry), and after
// a permanent one. Its writes commit together with that outcome, exactly
// once per outcome. Its error rolls the transaction back like any database
// error: the outcome alone is then kept in the outbox (the call is not
// made again) and the job runs again, calling RecordResult again with the
// same outcome.
type EffectRecorder interface {
	RecordResult(ctx context.Context, tx store.Tx, res EffectResult) error
}

// EffectBatchRecorder is implemented by an EffectRecorder that can write
// the rows of many successful calls at once (messages marked sent in one
// statement). In the advance group commit the engine gathers the
// successes of a transaction's executions for it and calls RecordResults
// once, before that transaction commits, instead of RecordResult for
// each; failures still go to RecordResult at once, as their rows (a
// suppression) may be read by the runs that follow in the same
// transaction. RecordResults must do for each result what RecordResult
// would; its error rolls the transaction back like RecordResult's.
type EffectBatchRecorder interface {
	EffectRecorder
	RecordResults(ctx context.Context, tx store.Tx, res []EffectResult) error
}

// effectRecords gathers, in a group-commit transaction, the successes
// whose EffectBatchRecorder writes them together (write).
type effectRecords struct {
	byRecorder map[EffectBatchRecorder][]EffectResult
	order      []EffectBatchRecorder
}

// record hands res to pe's recorder: kept for write when rs gathers (not
// nil), the call succeeded and the recorder writes in batches; else at
// once.
func (rs *effectRecords) record(ctx context.Context, tx store.Tx, pe *pendingEffect, res EffectResult) error {
	br, ok := pe.fx.(EffectBatchRecorder)
	if rs == nil || !ok || res.Err != nil {
		return recordEffect(ctx, tx, pe, res)
	}
	if rs.byRecorder == nil {
		rs.byRecorder = map[EffectBatchRecorder][]EffectResult{}
	}
	if _, seen := rs.byRecorder[br]; !seen {
		rs.order = append(rs.order, br)
	}
	rs.byRecorder[br] = append(rs.byRecorder[br], res)
	return nil
}

// write hands each recorder its gathered results.
func (rs *effectRecords) write(ctx context.Context, tx store.Tx) error {
	for _, br := range rs.order {
		res := rs.byRecorder[br]
		if err := br.RecordResults(ctx, tx, res); err != nil {
			return fmt.Errorf("record the results of %d calls (%s): %w", len(res), res[0].Kind, err)
		}
	}
	return nil
}

// EffectStepInput is implemented by a side effect whose stored request
// holds what the execution view must not show (an AI prompt with the
// personal data its workspace asked to blank). StepInput returns what the
// step records as its input, and a test run's preview shows, for a
// request Prepare built; the outbox keeps the request itself for Perform.
type EffectStepInput interface {
	StepInput(request json.RawMessage) json.RawMessage
}

// stepInput is what a side effect's step records as its input: the
// request, or what its EffectStepInput makes of it.
func stepInput(fx SideEffect, req json.RawMessage) json.RawMessage {
	if si, ok := fx.(EffectStepInput); ok {
		return si.StepInput(req)
	}
	return req
}

// EffectRouter is implemented by a side effect whose output chooses the
// node's out handle, as a condition or a split does (ai.classify follows
// the handle of the label the model chose). OutHandle is called with a
// successful call's output, in the transaction that records it; the
// handle is kept on the step, and "" is the normal out handle. A handle
// with no edge ends that path of the execution, as it does for a
// condition. It must be deterministic: a recorded outcome replayed from
// the outbox takes the same handle.
type EffectRouter interface {
	OutHandle(output json.RawMessage) string
}

// outHandle is the handle pe's successful output leaves by: its
// EffectRouter's choice, or the normal out handle.
func outHandle(pe *pendingEffect, output json.RawMessage) string {
	rt, ok := pe.fx.(EffectRouter)
	if !ok {
		return ""
	}
	return rt.OutHandle(output)
}

// EffectResult is the outcome of one attempt of a side effect, as given to
// EffectRecorder.RecordResult.
type EffectResult struct {
	TenantID    uuid.UUID
	ExecutionID uuid.UUID
	StepID      uuid.UUID
	NodeID      string
	Kind        string
	// IdempotencyKey is the outbox key of the step.
	IdempotencyKey string
	// Attempt is the node's attempt, from 1 (EffectRequest.Attempt).
	Attempt int
	// Calls is the number of calls begun under IdempotencyKey, each
	// counted before it was made.
	Calls int
	// Request is the stored request, as Prepare built it.
	Request json.RawMessage
	// Value is EffectRequest.Value: what Request encodes when this
	// process prepared it, else nil.
	Value any
	// Output is Perform's output, or the output of its *EffectError.
	Output json.RawMessage
	// Err is Perform's error; nil after a success.
	Err error
	// Retry tells that the failure will be retried, at RetryAt.
	Retry   bool
	RetryAt time.Time
}

// EffectRequest is one attempt of a side effect.
type EffectRequest struct {
	TenantID    uuid.UUID
	ExecutionID uuid.UUID
	StepID      uuid.UUID
	NodeID      string
	// IdempotencyKey is unique per step and the same on every attempt;
	// pass it to providers that deduplicate (e.g. an Idempotency-Key header).
	IdempotencyKey string
	// Attempt counts from 1.
	Attempt int
	Request json.RawMessage
	// Value is what Request encodes, as the side effect's PrepareMany set
	// it (PrepareItem.Value), when this process prepared the step and
	// carries its call on; nil otherwise (a request read back from the
	// outbox: after a restart, in another process, in a later job, or
	// one prepared by Prepare), when Request is to be decoded. It is
	// shared: do not modify it.
	Value any
}

// EffectError is a side effect's failure.
type EffectError struct {
	Err       error
	Retryable bool
	// Output, when set, is recorded as the step's output (e.g. the error
	// response of an HTTP call).
	Output json.RawMessage
}

// Error returns the underlying error's message.
func (e *EffectError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *EffectError) Unwrap() error { return e.Err }

// Permanent marks err as a failure that retrying will not fix.
func Permanent(err error) error { return &EffectError{Err: err} }

// Retryable marks err as a transient failure.
func Retryable(err error) error { return &EffectError{Err: err, Retryable: true} }

// classify tells whether err may be retried and what output it carries.
func classify(err error) (retryable bool, output json.RawMessage) {
	var fe *EffectError
	if errors.As(err, &fe) {
		return fe.Retryable, fe.Output
	}
	return true, nil
}

// effectKey is the outbox idempotency key of the step with sequence seq.
func effectKey(executionID uuid.UUID, seq int) string {
	return fmt.Sprintf("%s:%d", executionID, seq)
}

// recordAttempt counts one more attempt of pe's call, in a commit of its
// own, before the call is made, and returns the count (which the result
// write keeps); for a call whose attempt was not counted with its pending
// effect (readyCall). A call that was made and then lost — the process died, or
// the database was unreachable when the result was to be recorded — thus
// still shows: the next attempt is counted as the second under the same
// idempotency key, and the execution view says how many times the call
// may have reached the provider. Failing to count (the database is down)
// makes no call.
//
// Counts of calls about to be made at the same moment share that commit,
// and share it with the advance group commit's other work (batch.go):
// each call still waits for the commit that holds its count, so none is
// made before its attempt is durable.
func (e *Engine) recordAttempt(ctx context.Context, pe *pendingEffect) (int, error) {
	if e.batch == nil || e.effectResultsAlone {
		return e.recordAttemptAlone(ctx, pe.req.TenantID, pe.outboxID, pe.req.IdempotencyKey)
	}
	req := &attemptRequest{ctx: ctx, tenantID: pe.req.TenantID, outboxID: pe.outboxID, key: pe.req.IdempotencyKey, done: make(chan attemptResult, 1)}
	if !e.batch.submitAttempt(ctx, req) {
		return e.recordAttemptAlone(ctx, req.tenantID, req.outboxID, req.key)
	}
	res := <-req.done
	return res.n, res.err
}

// readyCall readies pe, the call its job makes once the transaction that
// left it pending commits, for its attempt to be counted in that same
// transaction (countReady): the side effect's EffectAdmitter lets it
// through and one of Options.MaxUncommittedCalls is free (taken without
// waiting, never blocking the transaction). It reports whether pe is
// ready. A call the limit holds keeps the wait in pe.hold, for its job to
// snooze on; a call not readied (no slot free, an admitter's error, the
// results recorded alone) is admitted and counted after the commit, as
// before (perform). A call slot taken here is given back by perform, or
// by giveBack when the transaction does not commit.
func (e *Engine) readyCall(ctx context.Context, pe *pendingEffect) bool {
	if pe == nil || pe.done || pe.fx == nil || pe.counted || pe.release != nil || e.effectResultsAlone {
		return false
	}
	if adm, ok := pe.fx.(EffectAdmitter); ok {
		wait, err := adm.Admit(ctx, pe.req)
		if err != nil {
			return false // asked again after the commit, as any call
		}
		if wait > 0 {
			pe.hold = wait
			return false
		}
	}
	release, ok := e.tryCallSlot()
	if !ok {
		return false
	}
	pe.release = release
	return true
}

// countReady counts, in tx, the attempts of the calls readyCall readied:
// those whose outbox entries are among inserts (not written yet) are
// counted with their insert (OutboxInsertParams.Counted), the others
// (entries written before) in one statement. Their jobs call once tx
// commits, without a commit of their own first.
func countReady(ctx context.Context, tx store.Tx, tenantID uuid.UUID, ready []*pendingEffect, inserts []*store.OutboxInsertParams) error {
	if len(ready) == 0 {
		return nil
	}
	var fresh map[uuid.UUID]*store.OutboxInsertParams
	if len(inserts) > 0 {
		fresh = make(map[uuid.UUID]*store.OutboxInsertParams, len(inserts))
		for _, p := range inserts {
			fresh[p.ID] = p
		}
	}
	var ids []uuid.UUID
	var written []*pendingEffect
	for _, pe := range ready {
		if p := fresh[pe.outboxID]; p != nil {
			p.Counted = true
			pe.attempts, pe.counted = 1, true
			continue
		}
		ids, written = append(ids, pe.outboxID), append(written, pe)
	}
	if len(ids) == 0 {
		return nil
	}
	counts, err := tx.OutboxAttemptMany(ctx, tenantID, ids)
	if err != nil {
		return fmt.Errorf("count the attempts of %d calls: %w", len(ids), err)
	}
	for i, pe := range written {
		pe.attempts, pe.counted = counts[i], true
	}
	return nil
}

// giveBack returns the call slots of calls readied in a transaction that
// did not commit (their jobs make no call from it).
func giveBack(ready []*pendingEffect) {
	for _, pe := range ready {
		if pe.release != nil {
			pe.release()
			pe.release = nil
		}
		pe.counted = false
	}
}

// recordAttemptAlone counts one attempt in a transaction of its own.
func (e *Engine) recordAttemptAlone(ctx context.Context, tenantID, outboxID uuid.UUID, key string) (int, error) {
	n := 0
	err := e.store.InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		n, err = tx.OutboxAttempt(ctx, tenantID, outboxID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record attempt of %s: %w", key, err)
	}
	return n, nil
}

// attemptRequest is one attempt to count, waiting for its batch.
type attemptRequest struct {
	ctx      context.Context
	tenantID uuid.UUID
	outboxID uuid.UUID
	key      string
	done     chan attemptResult
}

// attemptResult is the count of an attempt, or why it was not counted.
type attemptResult struct {
	n   int
	err error
}
