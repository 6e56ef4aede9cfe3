package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// ResumeEvent is an incoming event that may resume wait_for_event steps.
type ResumeEvent struct {
	TenantID  uuid.UUID
	EventName string
	// ContactID is the event's contact; waits of other contacts are not
	// resumed (waits without a contact match any).
	ContactID *uuid.UUID
	// Correlation is the event's properties a wait's correlation key may
	// name, as strings (see EventTx): a wait registered with key K and
	// value V matches only when Correlation[K] == V.
	Correlation map[string]string
	// CorrelationValue matches waits registered with a value and no key
	// (none are registered so any more; kept for waits stored before
	// correlation keys were).
	CorrelationValue string
	// Payload is the event as recorded; it becomes the step's output under
	// "event".
	Payload json.RawMessage
}

// resumeLimit caps the waits one event resumes in one transaction.
const resumeLimit = 1000

// ResumeTx resumes the executions waiting for ev, inside the caller's
// transaction (the one that stores the event): each matching wait's step
// completes with the event as its output, the execution moves along the
// "event" handle, and its advance job is enqueued. It returns the IDs of
// the executions resumed.
func (e *Engine) ResumeTx(ctx context.Context, tx store.Tx, ev ResumeEvent) ([]uuid.UUID, error) {
	waits, err := tx.WaitListByEvent(ctx, &store.WaitListByEventParams{
		TenantID: ev.TenantID, EventName: ev.EventName, ContactID: ev.ContactID,
		Correlation: ev.Correlation, CorrelationValue: ev.CorrelationValue, Limit: resumeLimit,
	})
	if err != nil {
		return nil, fmt.Errorf("list waits for event %s: %w", ev.EventName, err)
	}
	// Lock in a stable order so concurrent events cannot deadlock.
	slices.SortFunc(waits, func(a, b domain.Wait) int { return slices.Compare(a.ExecutionID[:], b.ExecutionID[:]) })
	var payload any
	if len(ev.Payload) > 0 {
		if payload, err = toJSONValue(ev.Payload); err != nil {
			return nil, fmt.Errorf("event payload: %w", err)
		}
	}
	var resumed []uuid.UUID
	for _, w := range waits {
		exec, err := tx.ExecutionLock(ctx, w.TenantID, w.ExecutionID)
		if err != nil {
			return nil, fmt.Errorf("lock execution %s: %w", w.ExecutionID, err)
		}
		if exec.Status != domain.ExecutionWaiting || exec.Token != w.Token || exec.CurrentNodeID != w.NodeID {
			continue // stale wait: the execution moved on
		}
		r, err := e.newRun(ctx, tx, exec)
		if err != nil {
			return nil, err
		}
		open := r.c.Engine.Open
		if r.finished || open == nil || open.NodeID != w.NodeID {
			continue
		}
		out := map[string]any{"event": payload, "name": ev.EventName}
		r.c.setOutput(w.NodeID, out)
		if err := r.updateStep(ctx, open, domain.StepCompleted, mustJSON(out), handleEvent, ""); err != nil {
			return nil, err
		}
		if err := tx.WaitDeleteByExecution(ctx, exec.TenantID, exec.ID); err != nil {
			return nil, fmt.Errorf("delete waits of execution %s: %w", exec.ID, err)
		}
		r.c.Engine.Open = nil
		r.exec.Status = domain.ExecutionRunning
		r.c.Engine.Announce = append(r.c.Engine.Announce,
			announcement{Kind: string(live.KindStep), Status: string(domain.StepCompleted), StepID: open.ID, NodeID: w.NodeID},
			announcement{Kind: string(live.KindExecution), Status: string(domain.ExecutionRunning)})
		r.moveTo(r.g.target(w.NodeID, handleEvent))
		r.exec.Token++
		if err := enqueue(ctx, tx, r.exec, time.Time{}); err != nil {
			return nil, err
		}
		if err := r.save(ctx); err != nil {
			return nil, err
		}
		resumed = append(resumed, exec.ID)
	}
	return resumed, nil
}

// Cancel stops an execution in any non-terminal state: it is marked
// CANCELLED, its open step cancelled and its waits deleted; jobs still
// pending find it terminal and do nothing.
func (e *Engine) Cancel(ctx context.Context, tenantID, id uuid.UUID) (*domain.Execution, error) {
	var exec *domain.Execution
	var events []live.Event
	err := e.store.InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		exec, err = tx.ExecutionLock(ctx, tenantID, id)
		if err != nil {
			return fmt.Errorf("lock execution %s: %w", id, err)
		}
		if exec.Status.Terminal() {
			return fmt.Errorf("cancel execution %s (%s): %w", id, exec.Status, ErrTerminal)
		}
		c, err := decodeContext(exec.Context)
		if err != nil {
			return err
		}
		r := &run{e: e, tx: tx, exec: exec, c: c, now: e.now().UTC(), status0: exec.Status}
		if open := c.Engine.Open; open != nil {
			if err := r.updateStep(ctx, open, domain.StepCancelled, nil, "", "cancelled"); err != nil {
				return err
			}
		}
		if err := tx.WaitDeleteByExecution(ctx, tenantID, id); err != nil {
			return fmt.Errorf("delete waits of execution %s: %w", id, err)
		}
		c.Engine.Open = nil
		exec.Status = domain.ExecutionCancelled
		exec.Token++
		exec.FinishedAt = &r.now
		if err := r.save(ctx); err != nil {
			return err
		}
		events = r.events
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.publish(ctx, events)
	return exec, nil
}

// Retry resumes a FAILED execution at the node that failed: a new step (a
// new attempt) with a new token. An execution already folded into the
// analytics rollups is taken out of them in the same transaction.
func (e *Engine) Retry(ctx context.Context, tenantID, id uuid.UUID) (*domain.Execution, error) {
	var exec *domain.Execution
	var events []live.Event
	err := e.store.InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		exec, err = tx.ExecutionLock(ctx, tenantID, id)
		if err != nil {
			return fmt.Errorf("lock execution %s: %w", id, err)
		}
		if exec.Status != domain.ExecutionFailed {
			return fmt.Errorf("retry execution %s (%s): %w", id, exec.Status, ErrNotFailed)
		}
		// Once folded into the analytics rollups as failed, it must leave
		// them: it runs again and its next finish is folded anew.
		if _, err := tx.AnalyticsUnfoldExecution(ctx, tenantID, id); err != nil {
			return fmt.Errorf("retry execution %s: %w", id, err)
		}
		c, err := decodeContext(exec.Context)
		if err != nil {
			return err
		}
		r := &run{e: e, tx: tx, exec: exec, c: c, now: e.now().UTC(), status0: exec.Status}
		c.Engine.Open = nil
		c.Engine.StepBase = exec.StepCount
		exec.Status = domain.ExecutionPending
		exec.Error = ""
		exec.FinishedAt = nil
		exec.Token++
		if err := enqueue(ctx, tx, exec, time.Time{}); err != nil {
			return err
		}
		if err := r.save(ctx); err != nil {
			return err
		}
		events = r.events
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.publish(ctx, events)
	return exec, nil
}
