package cron

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
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
// StartManyTx. Occurrences that cannot start (engine.Startable: no
// published version, or an inactive workflow) are skipped with a warning
// before the batch starts, as EngineStart skips them one by one
// (StartManyTx would fail the whole batch on them).
func EngineStartMany(eng *engine.Engine, log *slog.Logger) StartManyFunc {
	return func(ctx context.Context, tx store.Tx, os []Occurrence) error {
		workflows := map[workflowKey]*domain.Workflow{}
		ps := make([]engine.StartParams, 0, len(os))
		for _, o := range os {
			k := workflowKey{o.TenantID, o.WorkflowID}
			wf := workflows[k]
			if wf == nil {
				var err error
				if wf, err = tx.WorkflowGetByID(ctx, o.TenantID, o.WorkflowID); err != nil {
					return fmt.Errorf("load workflow %s: %w", o.WorkflowID, err)
				}
				workflows[k] = wf
			}
			p := startParams(o)
			if reason := engine.Startable(wf, p); reason != nil {
				log.WarnContext(ctx, "schedule skipped", "cron_job_id", o.CronJobID, "workflow_id", o.WorkflowID, "reason", reason)
				continue
			}
			ps = append(ps, p)
		}
		if len(ps) == 0 {
			return nil
		}
		_, err := eng.StartManyTx(ctx, tx, ps)
		return err
	}
}

type workflowKey struct{ tenantID, workflowID uuid.UUID }

// startParams is the engine start of an occurrence.
func startParams(o Occurrence) engine.StartParams {
	p := engine.StartParams{
		TenantID: o.TenantID, WorkflowID: o.WorkflowID, TriggerType: workflow.TypeTriggerSchedule,
		ScheduledAt: &o.ScheduledAt, IdempotencyKey: o.IdempotencyKey, Test: o.Manual,
	}
	if !IsStandalone(o.NodeID) {
		p.TriggerNodeID = o.NodeID
	}
	return p
}
