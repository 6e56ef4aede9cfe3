package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
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
