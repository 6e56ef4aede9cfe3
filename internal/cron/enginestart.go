package cron

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// EngineStart is the cron scheduler's start path: the engine's StartTx
// with the occurrence's idempotency key. A schedule of a workflow that has
// lost its published version is skipped with a warning rather than retried.
func EngineStart(eng *engine.Engine, log *slog.Logger) StartFunc {
	return func(ctx context.Context, tx store.Tx, o Occurrence) error {
		_, err := eng.StartTx(ctx, tx, startParams(o))
		if errors.Is(err, engine.ErrNoVersion) || errors.Is(err, engine.ErrInactive) {
			log.WarnContext(ctx, "schedule skipped", "cron_job_id", o.CronJobID, "workflow_id", o.WorkflowID, "reason", err)
			return nil
		}
		return err
	}
}

// EngineStartMany is EngineStart for a batch, through the engine's
// StartManyTx. Occurrences of a workflow without a published version, or
// inactive, are skipped with a warning before the batch starts (StartManyTx
// would fail the whole batch on them).
func EngineStartMany(eng *engine.Engine, log *slog.Logger) StartManyFunc {
	return func(ctx context.Context, tx store.Tx, os []Occurrence) error {
		startable, err := startableWorkflows(ctx, tx, os)
		if err != nil {
			return err
		}
		ps := make([]engine.StartParams, 0, len(os))
		for _, o := range os {
			if reason := startable[workflowKey{o.TenantID, o.WorkflowID}]; reason != nil && !o.Manual {
				log.WarnContext(ctx, "schedule skipped", "cron_job_id", o.CronJobID, "workflow_id", o.WorkflowID, "reason", reason)
				continue
			}
			ps = append(ps, startParams(o))
		}
		if len(ps) == 0 {
			return nil
		}
		_, err = eng.StartManyTx(ctx, tx, ps)
		return err
	}
}

type workflowKey struct{ tenantID, workflowID uuid.UUID }

// startableWorkflows loads each workflow of os once and returns, for each
// that cannot start a schedule's execution, why not (nil when it can).
func startableWorkflows(ctx context.Context, tx store.Tx, os []Occurrence) (map[workflowKey]error, error) {
	out := map[workflowKey]error{}
	for _, o := range os {
		k := workflowKey{o.TenantID, o.WorkflowID}
		if _, seen := out[k]; seen {
			continue
		}
		wf, err := tx.WorkflowGetByID(ctx, o.TenantID, o.WorkflowID)
		if err != nil {
			return nil, fmt.Errorf("load workflow %s: %w", o.WorkflowID, err)
		}
		switch {
		case wf.CurrentVersionID == nil:
			out[k] = fmt.Errorf("start workflow %s: %w", wf.ID, engine.ErrNoVersion)
		case !wf.IsActive:
			out[k] = fmt.Errorf("start workflow %s: %w", wf.ID, engine.ErrInactive)
		default:
			out[k] = nil
		}
	}
	return out, nil
}

// startParams is the engine start of an occurrence.
func startParams(o Occurrence) engine.StartParams {
	p := engine.StartParams{
		TenantID: o.TenantID, WorkflowID: o.WorkflowID, TriggerType: "trigger.schedule",
		ScheduledAt: &o.ScheduledAt, IdempotencyKey: o.IdempotencyKey, Test: o.Manual,
	}
	if !IsStandalone(o.NodeID) {
		p.TriggerNodeID = o.NodeID
	}
	return p
}
