// Package analyticsbench measures the analytics reports and the rollup on
// a large generated history (nextflow bench analytics).
package analyticsbench

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/analytics"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Config sizes the run.
type Config struct {
	// Steps is the number of step rows to generate (about).
	Steps int
	// StepsPerExecution is the steps of each execution (≥ 3).
	StepsPerExecution int
	// Warm is how many times each query runs after its first (cold) run.
	Warm int
	Out  func(format string, args ...any)
}

// seeder writes the history inside the database (PostgreSQL).
type seeder interface {
	SeedAnalytics(ctx context.Context, tenantID, workflowID, versionID uuid.UUID, contacts, executions, steps int, progress func(int)) error
}

// Run seeds a tenant on st and times each report before and after the
// rollup, and the rollup itself.
func Run(ctx context.Context, st store.Store, cfg Config) (string, error) {
	say := cfg.Out
	if say == nil {
		say = func(string, ...any) {}
	}
	sd, ok := st.(seeder)
	if !ok {
		return "", fmt.Errorf("the %s store cannot seed in bulk: use --db postgres", st.Dialect())
	}
	if cfg.StepsPerExecution < 3 {
		cfg.StepsPerExecution = 5
	}
	if cfg.Warm <= 0 {
		cfg.Warm = 5
	}
	executions := cfg.Steps / cfg.StepsPerExecution
	var tenant, wf, ver uuid.UUID
	err := st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		t, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Bench", Slug: "bench-" + uuid.NewString()[:8], Plan: domain.PlanBiz})
		if err != nil {
			return err
		}
		tenant = t.ID
		return nil
	})
	if err != nil {
		return "", err
	}
	def := json.RawMessage(`{"nodes":[],"edges":[]}`)
	err = st.InTx(ctx, tenant, func(tx store.Tx) error {
		w, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, Name: "Bench", Definition: def})
		if err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenant, WorkflowID: w.ID, Version: 1, Definition: def})
		if err != nil {
			return err
		}
		wf, ver = w.ID, v.ID
		return nil
	})
	if err != nil {
		return "", err
	}
	began := time.Now()
	if err := sd.SeedAnalytics(ctx, tenant, wf, ver, max(executions/5, 1), executions, cfg.StepsPerExecution, func(n int) {
		say("seeded %d/%d executions (%s)", n, executions, time.Since(began).Round(time.Second))
	}); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "analytics: %d executions × %d steps = %d step rows, %d messages; seeded in %s\n",
		executions, cfg.StepsPerExecution, executions*cfg.StepsPerExecution, executions, time.Since(began).Round(time.Millisecond))

	now := time.Now().UTC()
	to := now.Truncate(24*time.Hour).AddDate(0, 0, 1)
	period := &store.AnalyticsPeriodParams{TenantID: tenant, From: to.AddDate(0, 0, -90), To: to}
	one := *period
	one.WorkflowID = wf
	goal := &store.AnalyticsGoalParams{TenantID: tenant, WorkflowID: wf, From: to.AddDate(0, 0, -30), To: to,
		SplitType: "split", EndType: "end", Goal: "order.completed", Within: 72 * time.Hour}
	queries := []struct {
		name string
		fn   func(tx store.Tx) error
	}{
		{"executions/day (tenant, 90 d)", func(tx store.Tx) error { _, err := tx.AnalyticsExecutionDays(ctx, period); return err }},
		{"executions/day (workflow, 90 d)", func(tx store.Tx) error { _, err := tx.AnalyticsExecutionDays(ctx, &one); return err }},
		{"executions now", func(tx store.Tx) error { _, err := tx.AnalyticsExecutionsNow(ctx, period); return err }},
		{"messages/day (tenant, 90 d)", func(tx store.Tx) error { _, err := tx.AnalyticsMessageDays(ctx, period); return err }},
		{"splits (30 d, goal 72h)", func(tx store.Tx) error { _, err := tx.AnalyticsSplitVariants(ctx, goal); return err }},
		{"conversion (30 d, 72h)", func(tx store.Tx) error { _, err := tx.AnalyticsConversion(ctx, goal); return err }},
	}
	timeAll := func(stage string) error {
		fmt.Fprintf(&b, "  %s:\n", stage)
		for _, q := range queries {
			var times []time.Duration
			for i := 0; i <= cfg.Warm; i++ {
				t0 := time.Now()
				if err := st.Read(ctx, tenant, q.fn); err != nil {
					return fmt.Errorf("%s: %w", q.name, err)
				}
				times = append(times, time.Since(t0))
			}
			cold, warm := times[0], times[1:]
			sort.Slice(warm, func(i, j int) bool { return warm[i] < warm[j] })
			fmt.Fprintf(&b, "    %-34s cold %9s  warm median %9s (of %d)\n", q.name, cold.Round(time.Microsecond), warm[len(warm)/2].Round(time.Microsecond), len(warm))
			say("%s %s done", stage, q.name)
		}
		return nil
	}
	if err := timeAll("before the rollup (every row live)"); err != nil {
		return "", err
	}
	r := analytics.New(st, analytics.Options{})
	t0 := time.Now()
	c, err := r.Tenant(ctx, tenant, r.Through(time.Now()))
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "  rollup: folded %d executions and %d messages in %s\n", c.Executions, c.Messages, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	c, err = r.Tenant(ctx, tenant, r.Through(time.Now()))
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "  rollup again (nothing new): %d executions in %s\n", c.Executions, time.Since(t0).Round(time.Millisecond))
	if err := timeAll("after the rollup"); err != nil {
		return "", err
	}
	return b.String(), nil
}
