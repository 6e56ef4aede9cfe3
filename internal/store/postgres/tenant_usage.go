package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

// lockPeriod is the period of the rows that serialise counted creations.
const lockPeriod = ""

// UsageAdd adds to a monthly counter unless that passes the limit: one
// conditional upsert, which waits on a concurrent add's row lock and then
// decides on its committed count.
func (t *tx) UsageAdd(ctx context.Context, p *store.UsageAddParams) (int64, bool, error) {
	if p.N < 0 {
		return 0, false, fmt.Errorf("add %d to usage %s: negative", p.N, p.Counter)
	}
	limit := p.Limit
	if limit < 0 {
		limit = -1
	}
	if limit >= 0 && p.N > limit {
		// Even a fresh row would pass the limit (an insert is not checked).
		used, err := t.usageGet(ctx, p.TenantID, p.Period, p.Counter)
		return used, false, err
	}
	used, err := t.q.TenantUsageAdd(ctx, dbsqlc.TenantUsageAddParams{
		TenantID: p.TenantID, Period: p.Period, Counter: string(p.Counter), N: p.N, MaxUsed: limit,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		used, err := t.usageGet(ctx, p.TenantID, p.Period, p.Counter)
		return used, false, err
	}
	if err != nil {
		return 0, false, translate(err, "add to usage %s of tenant %s", p.Counter, p.TenantID)
	}
	return used, true, nil
}

func (t *tx) usageGet(ctx context.Context, tenantID uuid.UUID, period string, counter store.UsageCounter) (int64, error) {
	used, err := t.q.TenantUsageGet(ctx, dbsqlc.TenantUsageGetParams{TenantID: tenantID, Period: period, Counter: string(counter)})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, translate(err, "get usage %s of tenant %s", counter, tenantID)
	}
	return used, nil
}

// UsageLock holds the tenant's lock row of counter (an upsert adding 0
// takes its row lock) until the transaction ends.
func (t *tx) UsageLock(ctx context.Context, tenantID uuid.UUID, counter store.UsageCounter) error {
	_, err := t.q.TenantUsageAdd(ctx, dbsqlc.TenantUsageAddParams{
		TenantID: tenantID, Period: lockPeriod, Counter: string(counter), N: 0, MaxUsed: -1,
	})
	if err != nil {
		return translate(err, "lock usage %s of tenant %s", counter, tenantID)
	}
	return nil
}

// UsageListByPeriod returns a tenant's monthly counters of a period.
func (t *tx) UsageListByPeriod(ctx context.Context, tenantID uuid.UUID, period string) (map[store.UsageCounter]int64, error) {
	rows, err := t.q.TenantUsageListByPeriod(ctx, dbsqlc.TenantUsageListByPeriodParams{TenantID: tenantID, Period: period})
	if err != nil {
		return nil, translate(err, "list usage of tenant %s in %s", tenantID, period)
	}
	out := make(map[store.UsageCounter]int64, len(rows))
	for _, r := range rows {
		out[store.UsageCounter(r.Counter)] = r.Used
	}
	return out, nil
}

// UsageCount counts the rows behind a counted quantity.
func (t *tx) UsageCount(ctx context.Context, tenantID uuid.UUID, counter store.UsageCounter, now time.Time) (int64, error) {
	var (
		n   int64
		err error
	)
	switch counter {
	case store.UsageActiveWorkflows:
		n, err = t.q.TenantUsageCountActiveWorkflows(ctx, tenantID)
	case store.UsageWorkflows:
		n, err = t.q.TenantUsageCountWorkflows(ctx, tenantID)
	case store.UsageContacts:
		n, err = t.q.TenantUsageCountContacts(ctx, tenantID)
	case store.UsageMembers:
		n, err = t.q.TenantUsageCountMembers(ctx, dbsqlc.TenantUsageCountMembersParams{TenantID: tenantID, Now: now})
	default:
		return 0, fmt.Errorf("count usage %q: not a counted quantity", counter)
	}
	if err != nil {
		return 0, translate(err, "count %s of tenant %s", counter, tenantID)
	}
	return n, nil
}
