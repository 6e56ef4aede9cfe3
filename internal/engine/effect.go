package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// SideEffect is a node type that acts on the outside world (an HTTP call, a
// message send, an AI call). The engine records each call in the outbox
// under a unique idempotency key before performing it, counts each attempt
// in a commit of its own just before the call, and records the result
// after; a call whose outbox entry is already DONE is not made again.
// Register implementations through Options.SideEffects.
type SideEffect interface {
	// Kind is the node type implemented, e.g. "http.request".
	Kind() string
	// Prepare builds the request from the node's config and the execution
	// context (rendering templates). It runs inside the engine's
	// transaction and must not do I/O; its error fails the node for good.
	// The request is stored in the outbox and given to Perform, unchanged
	// on every attempt.
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
// write keeps). A call that was made and then lost — the process died, or
// the database was unreachable when the result was to be recorded — thus
// still shows: the next attempt is counted as the second under the same
// idempotency key, and the execution view says how many times the call
// may have reached the provider. Failing to count (the database is down)
// makes no call.
func (e *Engine) recordAttempt(ctx context.Context, pe *pendingEffect) (int, error) {
	n := 0
	err := e.store.InTx(ctx, pe.req.TenantID, func(tx store.Tx) error {
		var err error
		n, err = tx.OutboxAttempt(ctx, pe.req.TenantID, pe.outboxID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record attempt of %s: %w", pe.req.IdempotencyKey, err)
	}
	return n, nil
}
