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
	"github.com/nextflow-dev/nextflow/internal/store"
)

// StartParams describes a new execution.
type StartParams struct {
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	// VersionID pins a version; zero means the workflow's current published
	// version, which the workflow must be active to start (unless Test or
	// a manual trigger).
	VersionID uuid.UUID
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
}

// TriggerManual is the manual trigger's node type.
const TriggerManual = "trigger.manual"

// Start starts an execution in its own transaction.
func (e *Engine) Start(ctx context.Context, p StartParams) (*domain.Execution, error) {
	var exec *domain.Execution
	err := e.store.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		var err error
		exec, err = e.StartTx(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return exec, nil
}

// StartTx starts an execution inside the caller's transaction: the
// execution is inserted PENDING and its first advance job enqueued, both
// committing (or not) with the caller's own writes.
func (e *Engine) StartTx(ctx context.Context, tx store.Tx, p StartParams) (*domain.Execution, error) {
	exec, created, err := e.insertExecution(ctx, tx, p)
	if err != nil || !created {
		return exec, err
	}
	if err := enqueue(ctx, tx, exec, time.Time{}); err != nil {
		return nil, err
	}
	return exec, nil
}

// StartManyTx starts several executions inside the caller's transaction,
// enqueueing their first jobs in one insert: the bulk path for an event
// that starts many journeys, or for load. Results are in the order of ps;
// an error rolls back nothing by itself (the caller's transaction does).
func (e *Engine) StartManyTx(ctx context.Context, tx store.Tx, ps []StartParams) ([]*domain.Execution, error) {
	cache := &startCache{workflows: map[uuid.UUID]*domain.Workflow{}, versions: map[uuid.UUID]*domain.WorkflowVersion{}}
	out := make([]*domain.Execution, len(ps))
	jobs := make([]river.InsertManyParams, 0, len(ps))
	// Executions are inserted in batches of one tenant (one round trip for
	// the lot); one whose idempotency key was used before comes back nil
	// and is looked up.
	var batch []*store.ExecutionInsertParams
	var batchAt []int
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		execs, err := tx.ExecutionInsertMany(ctx, batch)
		if err != nil {
			return fmt.Errorf("start %d executions: %w", len(batch), err)
		}
		for i, exec := range execs {
			if exec == nil {
				p := batch[i]
				existing, err := tx.ExecutionGetByIdempotencyKey(ctx, p.TenantID, p.IdempotencyKey)
				if err != nil {
					return fmt.Errorf("look up execution by idempotency key: %w", err)
				}
				out[batchAt[i]] = existing
				continue
			}
			out[batchAt[i]] = exec
			jobs = append(jobs, river.InsertManyParams{Args: AdvanceArgs{TenantID: exec.TenantID, ExecutionID: exec.ID, Token: exec.Token}})
		}
		batch, batchAt = batch[:0], batchAt[:0]
		return nil
	}
	for i, p := range ps {
		ip, err := e.prepareExecution(ctx, tx, p, cache)
		if err != nil {
			return nil, err
		}
		if len(batch) > 0 && (batch[0].TenantID != ip.TenantID || len(batch) >= startBatchSize) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		batch, batchAt = append(batch, ip), append(batchAt, i)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(jobs) > 0 {
		if err := tx.JobInsertMany(ctx, jobs); err != nil {
			return nil, fmt.Errorf("enqueue %d executions: %w", len(jobs), err)
		}
	}
	return out, nil
}

// startBatchSize bounds the executions one bulk insert writes.
const startBatchSize = 1000

// insertExecution inserts the execution p describes, or returns the one
// its idempotency key names (created=false).
func (e *Engine) insertExecution(ctx context.Context, tx store.Tx, p StartParams) (*domain.Execution, bool, error) {
	if p.IdempotencyKey != "" {
		existing, err := tx.ExecutionGetByIdempotencyKey(ctx, p.TenantID, p.IdempotencyKey)
		if err == nil {
			return existing, false, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, false, fmt.Errorf("look up execution by idempotency key: %w", err)
		}
	}
	ip, err := e.prepareExecution(ctx, tx, p, nil)
	if err != nil {
		return nil, false, err
	}
	exec, err := tx.ExecutionInsert(ctx, ip)
	if err != nil {
		return nil, false, fmt.Errorf("insert execution of workflow %s: %w", p.WorkflowID, err)
	}
	return exec, true, nil
}

// prepareExecution resolves the version and trigger p starts and builds
// the new execution's row: PENDING at its trigger, with its context.
func (e *Engine) prepareExecution(ctx context.Context, tx store.Tx, p StartParams, cache *startCache) (*store.ExecutionInsertParams, error) {
	versionID := p.VersionID
	version := 0
	if versionID == uuid.Nil {
		wf := cache.workflow(p.TenantID, p.WorkflowID)
		if wf == nil {
			var err error
			if wf, err = tx.WorkflowGetByID(ctx, p.TenantID, p.WorkflowID); err != nil {
				return nil, fmt.Errorf("load workflow %s: %w", p.WorkflowID, err)
			}
			cache.putWorkflow(wf)
		}
		if wf.CurrentVersionID == nil {
			return nil, fmt.Errorf("start workflow %s: %w", p.WorkflowID, ErrNoVersion)
		}
		if !wf.IsActive && !p.Test && p.TriggerType != TriggerManual {
			return nil, fmt.Errorf("start workflow %s: %w", p.WorkflowID, ErrInactive)
		}
		versionID, version = *wf.CurrentVersionID, wf.CurrentVersion
	}
	g, err := e.graph(ctx, tx, p.TenantID, versionID)
	if err != nil {
		return nil, err
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

	id := domain.NewID()
	c := &execContext{
		Trigger: map[string]any{"type": triggerType},
		Contact: p.Contact,
		Steps:   map[string]any{},
		Vars:    map[string]any{},
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
	} else if triggerType == TriggerManual || triggerType == "trigger.webhook" {
		c.Trigger["input"] = map[string]any{}
	}
	if len(p.Event) > 0 {
		v, err := toJSONValue(p.Event)
		if err != nil {
			return nil, fmt.Errorf("event: %w", err)
		}
		c.Trigger["event"] = v
	}
	if p.ScheduledAt != nil {
		c.Trigger["scheduledAt"] = p.ScheduledAt.UTC()
	}
	data, err := c.encode()
	if err != nil {
		return nil, err
	}
	return &store.ExecutionInsertParams{
		TenantID: p.TenantID, ID: id, WorkflowID: p.WorkflowID, VersionID: versionID, Version: version,
		Status: domain.ExecutionPending, ContactID: p.ContactID, TriggerType: triggerType, Context: data,
		CurrentNodeID: trigger.ID, IdempotencyKey: p.IdempotencyKey,
	}, nil
}

// startCache keeps the workflow and version rows read while starting a
// batch of executions (a nil cache keeps nothing). Rows are read in the
// batch's transaction, so they stay valid for its length.
type startCache struct {
	workflows map[uuid.UUID]*domain.Workflow
	versions  map[uuid.UUID]*domain.WorkflowVersion
}

// workflow returns the cached workflow id of tenantID, if any.
func (c *startCache) workflow(tenantID, id uuid.UUID) *domain.Workflow {
	if c == nil {
		return nil
	}
	if wf := c.workflows[id]; wf != nil && wf.TenantID == tenantID {
		return wf
	}
	return nil
}

func (c *startCache) putWorkflow(wf *domain.Workflow) {
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
