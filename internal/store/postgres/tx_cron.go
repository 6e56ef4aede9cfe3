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
