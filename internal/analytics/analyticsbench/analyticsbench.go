// Package analyticsbench measures the analytics reports and the rollup on
// a large generated history (nextflow bench analytics).
package analyticsbench

import (
	"context"
	"encoding/json"
	"errors"
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
	// Keep reuses the history a previous run with Keep left in the
	// database (its rollups emptied first), or seeds one to keep.
	Keep bool
	// RollupOnly skips timing the reports before the rollup; with Keep,
	// a kept history's rollups are kept too (only what is new is folded).
	RollupOnly bool
	Out        func(format string, args ...any)
}

// keptSlug is the slug of the tenant a kept history belongs to.
const keptSlug = "bench-analytics"

// seeder writes the history inside the database (PostgreSQL).
type seeder interface {
	SeedAnalytics(ctx context.Context, tenantID, workflowID, versionID uuid.UUID, contacts, executions, steps int, progress func(int)) error
	// AnalyticsRollupReset empties the tenant's rollups and watermarks.
	AnalyticsRollupReset(ctx context.Context, tenantID uuid.UUID) error
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
	var b strings.Builder
	var tenant, wf uuid.UUID
	if cfg.Keep {
		var err error
		if tenant, wf, err = kept(ctx, st); err != nil {
			return "", err
		}
	}
	if tenant != uuid.Nil && cfg.RollupOnly {
		fmt.Fprintf(&b, "analytics: reusing the kept history and its rollups\n")
	} else if tenant != uuid.Nil {
		if err := sd.AnalyticsRollupReset(ctx, tenant); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "analytics: reusing the kept history (rollups emptied)\n")
	} else {
		began := time.Now()
		var err error
		if tenant, wf, err = seed(ctx, st, sd, cfg, executions, say); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "analytics: %d executions × %d steps = %d step rows, %d messages; seeded in %s\n",
			executions, cfg.StepsPerExecution, executions*cfg.StepsPerExecution, executions, time.Since(began).Round(time.Millisecond))
	}

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
			line := fmt.Sprintf("%-34s cold %9s  warm median %9s (of %d)", q.name, cold.Round(time.Microsecond), warm[len(warm)/2].Round(time.Microsecond), len(warm))
			fmt.Fprintf(&b, "    %s\n", line)
			say("%s: %s", stage, line)
		}
		return nil
	}
	if !cfg.RollupOnly {
		if err := timeAll("before the rollup (every row live)"); err != nil {
			return "", err
		}
	}
	r := analytics.New(st, analytics.Options{})
	t0 := time.Now()
	c, err := r.Tenant(ctx, tenant, r.Through(time.Now()))
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "  rollup: folded %d executions (%d first goal events) and %d messages in %s\n", c.Executions, c.GoalFirsts, c.Messages, time.Since(t0).Round(time.Millisecond))
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

// kept finds the tenant and workflow of a kept history (uuid.Nil when there
// is none yet).
func kept(ctx context.Context, st store.Store) (tenant, wf uuid.UUID, err error) {
	var t *domain.Tenant
	err = st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
		var err error
		t, err = tx.TenantGetBySlug(ctx, keptSlug)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return uuid.Nil, uuid.Nil, nil
	}
	if err != nil {
		return uuid.Nil, uuid.Nil, fmt.Errorf("find the kept history: %w", err)
	}
	err = st.Read(ctx, t.ID, func(tx store.Tx) error {
		ws, err := tx.WorkflowList(ctx, &store.WorkflowListParams{TenantID: t.ID, Limit: 1})
		if err != nil {
			return err
		}
		if len(ws) == 0 {
			return fmt.Errorf("the kept tenant %s has no workflow: drop the schema", t.ID)
		}
		wf = ws[0].ID
		return nil
	})
	return t.ID, wf, err
}

// seed creates a tenant (slug keptSlug when cfg.Keep), a workflow and its
// version, and generates the history.
func seed(ctx context.Context, st store.Store, sd seeder, cfg Config, executions int, say func(string, ...any)) (tenant, wf uuid.UUID, err error) {
	slug := "bench-" + uuid.NewString()[:8]
	if cfg.Keep {
		slug = keptSlug
	}
	var ver uuid.UUID
	err = st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		t, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Bench", Slug: slug, Plan: domain.PlanBiz})
		if err != nil {
			return err
		}
		tenant = t.ID
		return nil
	})
	if err != nil {
		return uuid.Nil, uuid.Nil, err
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
		return uuid.Nil, uuid.Nil, err
	}
	began := time.Now()
	err = sd.SeedAnalytics(ctx, tenant, wf, ver, max(executions/5, 1), executions, cfg.StepsPerExecution, func(n int) {
		say("seeded %d/%d executions (%s)", n, executions, time.Since(began).Round(time.Second))
	})
	return tenant, wf, err
}
