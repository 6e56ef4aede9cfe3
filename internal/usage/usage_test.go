package usage_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/usage"
)

type bundle struct {
	ctx    context.Context
	st     store.Store
	meter  *usage.Meter
	tenant *domain.Tenant
}

func setup(t *testing.T, st store.Store, p domain.Plan) *bundle {
	t.Helper()
	b := &bundle{ctx: context.Background(), st: st,
		meter: usage.New(st, usage.Options{Clock: func() time.Time { return time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) }})}
	require.NoError(t, st.InTx(b.ctx, uuid.Nil, func(tx store.Tx) error {
		var err error
		b.tenant, err = tx.TenantInsert(b.ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme", Plan: p})
		return err
	}))
	return b
}

func TestTakeExecutionsStopsAtThePlan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		b := setup(t, st, domain.PlanFree)
		free, _ := plan.For(domain.PlanFree)
		take := func(n int) error {
			return st.InTx(b.ctx, b.tenant.ID, func(tx store.Tx) error { return b.meter.Executions(b.ctx, tx, b.tenant.ID, n) })
		}
		require.NoError(t, take(free.ExecutionsPerMonth-1))
		require.NoError(t, take(1))
		err := take(1)
		var le *plan.LimitError
		require.ErrorAs(t, err, &le)
		require.Equal(t, plan.LimitExecutionsPerMonth, le.Limit)
		require.EqualValues(t, free.ExecutionsPerMonth, le.Value)
		require.EqualValues(t, free.ExecutionsPerMonth, le.Usage)
		require.Equal(t, domain.PlanFree, le.Plan)

		// A bigger plan lifts it at once.
		require.NoError(t, st.InTx(b.ctx, b.tenant.ID, func(tx store.Tx) error {
			_, err := b.meter.SetPlan(b.ctx, tx, b.tenant.ID, domain.PlanPro)
			return err
		}))
		require.NoError(t, take(1))
		p, err := b.meter.Plan(b.ctx, b.tenant.ID)
		require.NoError(t, err)
		require.Equal(t, domain.PlanPro, p)
	})
}

// TestHoldLetsExactlyTheLimitThrough races creators of active workflows:
// the FREE plan's number of them commit, the others get the limit error
// and write nothing.
func TestHoldLetsExactlyTheLimitThrough(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		b := setup(t, st, domain.PlanFree)
		free, _ := plan.For(domain.PlanFree)
		const racers = 12
		var passed, refused atomic.Int64
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				err := st.InTx(b.ctx, b.tenant.ID, func(tx store.Tx) error {
					if err := b.meter.Hold(b.ctx, tx, b.tenant.ID, store.UsageWorkflows, 1); err != nil {
						return err
					}
					_, err := tx.WorkflowInsert(b.ctx, &store.WorkflowInsertParams{TenantID: b.tenant.ID, Name: "w" + string(rune('a'+i)),
						Definition: json.RawMessage(`{"nodes":[],"edges":[]}`)})
					return err
				})
				var le *plan.LimitError
				switch {
				case err == nil:
					passed.Add(1)
				case assertLimit(t, err, &le):
					refused.Add(1)
				}
			})
		}
		wg.Wait()
		require.EqualValues(t, free.Workflows, passed.Load())
		require.EqualValues(t, racers-free.Workflows, refused.Load())
		require.NoError(t, st.Read(b.ctx, b.tenant.ID, func(tx store.Tx) error {
			n, err := tx.UsageCount(b.ctx, b.tenant.ID, store.UsageWorkflows, time.Now())
			require.EqualValues(t, free.Workflows, n)
			return err
		}))
	})
}

func assertLimit(t *testing.T, err error, le **plan.LimitError) bool {
	t.Helper()
	require.ErrorAs(t, err, le)
	require.Equal(t, plan.LimitWorkflows, (*le).Limit)
	return true
}

func TestReportShowsUsageAgainstThePlan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		b := setup(t, st, domain.PlanFree)
		require.NoError(t, st.InTx(b.ctx, b.tenant.ID, func(tx store.Tx) error {
			if err := b.meter.Take(b.ctx, tx, b.tenant.ID, store.UsageMessages, 7); err != nil {
				return err
			}
			_, _, err := tx.ContactUpsert(b.ctx, &store.ContactUpsertParams{TenantID: b.tenant.ID, Name: ptr("Ada")})
			return err
		}))
		var rep *usage.Report
		require.NoError(t, st.Read(b.ctx, b.tenant.ID, func(tx store.Tx) error {
			var err error
			rep, err = b.meter.Report(b.ctx, tx, b.tenant.ID)
			return err
		}))
		require.Equal(t, domain.PlanFree, rep.Limits.Plan)
		require.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), rep.PeriodStart)
		require.Equal(t, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), rep.PeriodEnd)
		got := map[plan.Limit]usage.Item{}
		for _, it := range rep.Items {
			got[it.Limit] = it
		}
		require.Equal(t, usage.Item{Limit: plan.LimitMessagesPerMonth, Value: 2000, Used: 7, Monthly: true}, got[plan.LimitMessagesPerMonth])
		require.Equal(t, usage.Item{Limit: plan.LimitContacts, Value: 1000, Used: 1}, got[plan.LimitContacts])
		require.Equal(t, usage.Item{Limit: plan.LimitExecutionsPerMonth, Value: 10000, Used: 0, Monthly: true}, got[plan.LimitExecutionsPerMonth])
		require.Contains(t, got, plan.LimitAITokensPerMonth)
		require.Len(t, rep.Items, 7)
	})
}

func ptr[T any](v T) *T { return &v }
