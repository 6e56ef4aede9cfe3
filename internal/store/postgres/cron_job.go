package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toCronJob(r dbsqlc.CronJob) *domain.CronJob {
	return &domain.CronJob{
		ID:         r.ID,
		TenantID:   r.TenantID,
		WorkflowID: r.WorkflowID,
		NodeID:     r.NodeID,
		Schedule:   r.Schedule,
		Timezone:   r.Timezone,
		MissedRuns: r.MissedRuns,
		IsActive:   r.IsActive,
		LastRunAt:  utcPtr(r.LastRunAt),
		NextRunAt:  utcPtr(r.NextRunAt),
		CreatedAt:  utc(r.CreatedAt),
		UpdatedAt:  utc(r.UpdatedAt),
	}
}

func toCronJobs(rows []dbsqlc.CronJob) []domain.CronJob {
	out := make([]domain.CronJob, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toCronJob(r))
	}
	return out
}

// CronJobUpsert creates or replaces the schedule of a workflow's trigger
// node.
func (t *tx) CronJobUpsert(ctx context.Context, p *store.CronJobUpsertParams) (*domain.CronJob, error) {
	r, err := t.q.CronJobUpsert(ctx, dbsqlc.CronJobUpsertParams{
		ID:         newID(p.ID),
		TenantID:   p.TenantID,
		WorkflowID: p.WorkflowID,
		NodeID:     p.NodeID,
		Schedule:   p.Schedule,
		Timezone:   p.Timezone,
		MissedRuns: p.MissedRuns,
		IsActive:   p.IsActive,
		NextRunAt:  p.NextRunAt,
	})
	if err != nil {
		return nil, translate(err, "upsert schedule of workflow %s node %s", p.WorkflowID, p.NodeID)
	}
	return toCronJob(r), nil
}

// CronJobGetByID loads a schedule.
func (t *tx) CronJobGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.CronJob, error) {
	r, err := t.q.CronJobGetByID(ctx, dbsqlc.CronJobGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get schedule %s", id)
	}
	return toCronJob(r), nil
}

// CronJobList lists a tenant's schedules.
func (t *tx) CronJobList(ctx context.Context, tenantID uuid.UUID) ([]domain.CronJob, error) {
	rows, err := t.q.CronJobList(ctx, tenantID)
	if err != nil {
		return nil, translate(err, "list schedules of tenant %s", tenantID)
	}
	return toCronJobs(rows), nil
}

// CronJobListByWorkflow lists a workflow's schedules.
func (t *tx) CronJobListByWorkflow(ctx context.Context, tenantID, workflowID uuid.UUID) ([]domain.CronJob, error) {
	rows, err := t.q.CronJobListByWorkflow(ctx, dbsqlc.CronJobListByWorkflowParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return nil, translate(err, "list schedules of workflow %s", workflowID)
	}
	return toCronJobs(rows), nil
}

// CronJobUpdate updates a schedule's state.
func (t *tx) CronJobUpdate(ctx context.Context, p *store.CronJobUpdateParams) (*domain.CronJob, error) {
	r, err := t.q.CronJobUpdate(ctx, dbsqlc.CronJobUpdateParams{
		TenantID:   p.TenantID,
		ID:         p.ID,
		Schedule:   p.Schedule,
		Timezone:   p.Timezone,
		MissedRuns: p.MissedRuns,
		IsActive:   p.IsActive,
		LastRunAt:  p.LastRunAt,
		NextRunAt:  p.NextRunAt,
	})
	if err != nil {
		return nil, translate(err, "update schedule %s", p.ID)
	}
	return toCronJob(r), nil
}

// CronJobDelete deletes a schedule.
func (t *tx) CronJobDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.CronJobDelete(ctx, dbsqlc.CronJobDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete schedule %s", id)
}

// cronClaimMax bounds one CronJobClaimDue.
const cronClaimMax = 10000

// CronJobGetByIDSkipLocked loads a schedule and locks its row for the rest
// of the transaction; a row another transaction holds is ErrNotFound.
func (t *tx) CronJobGetByIDSkipLocked(ctx context.Context, tenantID, id uuid.UUID) (*domain.CronJob, error) {
	r, err := t.q.CronJobGetByIDSkipLocked(ctx, dbsqlc.CronJobGetByIDSkipLockedParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "lock schedule %s", id)
	}
	return toCronJob(r), nil
}

// CronJobClaimDue locks up to limit active schedules due at now, earliest
// first, skipping rows another transaction holds.
func (t *tx) CronJobClaimDue(ctx context.Context, now time.Time, n int) ([]domain.CronJob, error) {
	at := now.UTC()
	rows, err := t.q.CronJobClaimDue(ctx, dbsqlc.CronJobClaimDueParams{Now: &at, MaxRows: limit(n, cronClaimMax, cronClaimMax)})
	if err != nil {
		return nil, translate(err, "claim schedules due at %s", at.Format(time.RFC3339))
	}
	return toCronJobs(rows), nil
}

// cronJobAdvanceManySQL moves several active schedules on in one round
// trip; the arrays are zipped row by row.
const cronJobAdvanceManySQL = `UPDATE cron_jobs AS c
SET is_active = true, last_run_at = u.last_run_at, next_run_at = u.next_run_at, updated_at = clock_timestamp()
FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS u(tenant_id, id, last_run_at, next_run_at)
WHERE c.tenant_id = u.tenant_id AND c.id = u.id`

// CronJobAdvanceMany records that schedules fired and when each fires next.
func (t *tx) CronJobAdvanceMany(ctx context.Context, ps []store.CronJobAdvanceParams) error {
	n := len(ps)
	if n == 0 {
		return nil
	}
	tenants, ids := make([]uuid.UUID, n), make([]uuid.UUID, n)
	last, next := make([]time.Time, n), make([]time.Time, n)
	for i, p := range ps {
		tenants[i], ids[i], last[i], next[i] = p.TenantID, p.ID, p.LastRunAt.UTC(), p.NextRunAt.UTC()
	}
	tag, err := t.tx.Exec(ctx, cronJobAdvanceManySQL, tenants, ids, last, next)
	if err != nil {
		return translate(err, "advance %d schedules", n)
	}
	if int(tag.RowsAffected()) != n {
		return fmt.Errorf("advance %d schedules: %d not found: %w", n, n-int(tag.RowsAffected()), store.ErrNotFound)
	}
	return nil
}
