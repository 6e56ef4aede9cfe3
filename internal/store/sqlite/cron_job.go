package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func cronJobFromRow(r dbsqlc.CronJob) *domain.CronJob {
	return &domain.CronJob{
		ID:         r.ID,
		TenantID:   r.TenantID,
		WorkflowID: r.WorkflowID,
		NodeID:     r.NodeID,
		Schedule:   r.Schedule,
		Timezone:   r.Timezone,
		MissedRuns: r.MissedRuns,
		IsActive:   r.IsActive,
		LastRunAt:  timePtr(r.LastRunAt),
		NextRunAt:  timePtr(r.NextRunAt),
		CreatedAt:  r.CreatedAt.UTC(),
		UpdatedAt:  r.UpdatedAt.UTC(),
	}
}

// CronJobUpsert creates the schedule of a workflow's trigger node, or
// replaces the schedule, timezone, policy, activity and next run of the
// existing one (keeping its ID and last run).
func (t *tx) CronJobUpsert(ctx context.Context, p *store.CronJobUpsertParams) (*domain.CronJob, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	missed := p.MissedRuns
	if missed == "" {
		missed = domain.MissedRunsSkip
	}
	r, err := t.q.CronJobUpsert(ctx, t.tx, &dbsqlc.CronJobUpsertParams{
		ID:         id,
		TenantID:   p.TenantID,
		WorkflowID: p.WorkflowID,
		NodeID:     p.NodeID,
		Schedule:   p.Schedule,
		Timezone:   p.Timezone,
		MissedRuns: missed,
		IsActive:   p.IsActive,
		NextRunAt:  nullTime(p.NextRunAt),
		Now:        now(),
	})
	if err != nil {
		return nil, wrap(err, "upsert schedule of node %q of workflow %s", p.NodeID, p.WorkflowID)
	}
	return cronJobFromRow(r), nil
}

// CronJobGetByID returns a tenant's schedule.
func (t *tx) CronJobGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.CronJob, error) {
	r, err := t.q.CronJobGetByID(ctx, t.tx, &dbsqlc.CronJobGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "get schedule %s", id)
	}
	return cronJobFromRow(r), nil
}

// CronJobList returns a tenant's schedules, oldest first.
func (t *tx) CronJobList(ctx context.Context, tenantID uuid.UUID) ([]domain.CronJob, error) {
	rows, err := t.q.CronJobList(ctx, t.tx, tenantID)
	if err != nil {
		return nil, wrap(err, "list schedules of tenant %s", tenantID)
	}
	return cronJobsFromRows(rows), nil
}

// CronJobListByWorkflow returns a workflow's schedules, by node ID.
func (t *tx) CronJobListByWorkflow(ctx context.Context, tenantID, workflowID uuid.UUID) ([]domain.CronJob, error) {
	rows, err := t.q.CronJobListByWorkflow(ctx, t.tx, &dbsqlc.CronJobListByWorkflowParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return nil, wrap(err, "list schedules of workflow %s", workflowID)
	}
	return cronJobsFromRows(rows), nil
}

func cronJobsFromRows(rows []dbsqlc.CronJob) []domain.CronJob {
	out := make([]domain.CronJob, 0, len(rows))
	for _, r := range rows {
		out = append(out, *cronJobFromRow(r))
	}
	return out
}

// CronJobUpdate updates a schedule's state.
func (t *tx) CronJobUpdate(ctx context.Context, p *store.CronJobUpdateParams) (*domain.CronJob, error) {
	r, err := t.q.CronJobUpdate(ctx, t.tx, &dbsqlc.CronJobUpdateParams{
		TenantID:   p.TenantID,
		ID:         p.ID,
		Schedule:   p.Schedule,
		Timezone:   p.Timezone,
		MissedRuns: p.MissedRuns,
		IsActive:   p.IsActive,
		LastRunAt:  nullTime(p.LastRunAt),
		NextRunAt:  nullTime(p.NextRunAt),
		Now:        now(),
	})
	if err != nil {
		return nil, wrap(err, "update schedule %s", p.ID)
	}
	return cronJobFromRow(r), nil
}

// CronJobDelete deletes a tenant's schedule.
func (t *tx) CronJobDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.CronJobDelete(ctx, t.tx, &dbsqlc.CronJobDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete schedule %s", id)
}

// CronJobGetByIDSkipLocked returns a tenant's schedule; the write
// transaction's writer lock already keeps others from changing it.
func (t *tx) CronJobGetByIDSkipLocked(ctx context.Context, tenantID, id uuid.UUID) (*domain.CronJob, error) {
	if t.readOnly {
		return nil, fmt.Errorf("lock schedule %s: %w", id, errReadOnly)
	}
	return t.CronJobGetByID(ctx, tenantID, id)
}

// cronClaimMax bounds one CronJobClaimDue.
const cronClaimMax = 10000

// CronJobClaimDue returns up to n active schedules of every tenant due at
// now, earliest first. It needs a write transaction, whose writer lock
// makes the claim exclusive until commit.
func (t *tx) CronJobClaimDue(ctx context.Context, now time.Time, n int) ([]domain.CronJob, error) {
	if t.readOnly {
		return nil, fmt.Errorf("claim due schedules: %w", errReadOnly)
	}
	if n <= 0 || n > cronClaimMax {
		n = cronClaimMax
	}
	rows, err := t.q.CronJobClaimDue(ctx, t.tx, &dbsqlc.CronJobClaimDueParams{Now: sql.NullTime{Time: utc(now), Valid: true}, MaxRows: int64(n)})
	if err != nil {
		return nil, wrap(err, "claim schedules due at %s", now.UTC().Format(time.RFC3339))
	}
	return cronJobsFromRows(rows), nil
}

// CronJobAdvanceMany records that schedules fired and when each fires next
// (one statement each: on SQLite a statement costs no round trip).
func (t *tx) CronJobAdvanceMany(ctx context.Context, ps []store.CronJobAdvanceParams) error {
	at := now()
	for _, p := range ps {
		last, next := p.LastRunAt, p.NextRunAt
		n, err := t.q.CronJobAdvance(ctx, t.tx, &dbsqlc.CronJobAdvanceParams{
			TenantID: p.TenantID, ID: p.ID, LastRunAt: nullTime(&last), NextRunAt: nullTime(&next), Now: at,
		})
		if err := affected(n, err, "advance schedule %s", p.ID); err != nil {
			return err
		}
	}
	return nil
}
