package cron

import (
	"context"
	"errors"
	"log/slog"

	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// EngineStart is the cron scheduler's start path: the engine's StartTx
// with the occurrence's idempotency key. A schedule of a workflow that has
// lost its published version is skipped with a warning rather than retried.
func EngineStart(eng *engine.Engine, log *slog.Logger) StartFunc {
	return func(ctx context.Context, tx store.Tx, o Occurrence) error {
		p := engine.StartParams{
			TenantID: o.TenantID, WorkflowID: o.WorkflowID, TriggerType: "trigger.schedule",
			ScheduledAt: &o.ScheduledAt, IdempotencyKey: o.IdempotencyKey, Test: o.Manual,
		}
		if !IsStandalone(o.NodeID) {
			p.TriggerNodeID = o.NodeID
		}
		_, err := eng.StartTx(ctx, tx, p)
		if errors.Is(err, engine.ErrNoVersion) || errors.Is(err, engine.ErrInactive) {
			log.WarnContext(ctx, "schedule skipped", "cron_job_id", o.CronJobID, "workflow_id", o.WorkflowID, "reason", err)
			return nil
		}
		return err
	}
}
