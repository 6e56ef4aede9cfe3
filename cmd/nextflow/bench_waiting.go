package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// benchWaiting starts n executions that reach a 30-day delay and reports
// the worker's resident memory and the database bytes per waiting
// execution: waiting costs rows, not memory.
func benchWaiting(ctx context.Context, db string, n int, stdout io.Writer) error {
	workers := river.NewWorkers()
	st, cleanup, err := benchStore(ctx, db, store.QueueConfig{Workers: workers})
	if err != nil {
		return err
	}
	defer cleanup()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng := engine.New(st, engine.Options{Logger: log})
	eng.RegisterWorkers(workers)

	tenantID, workflowID, versionID := domain.NewID(), domain.NewID(), domain.NewID()
	def := json.RawMessage(`{"nodes":[{"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},{"id":"wait","type":"delay","config":{"duration":"30d"},"position":{"x":0,"y":100}},{"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],"edges":[{"id":"e1","source":"start","target":"wait"},{"id":"e2","source":"wait","target":"done"}]}`)
	if err := st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		_, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenantID, Name: "bench", Slug: "bench-" + tenantID.String()[:8], Plan: domain.PlanBiz})
		return err
	}); err != nil {
		return err
	}
	if err := st.InTx(ctx, tenantID, func(tx store.Tx) error {
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenantID, ID: workflowID, Name: "waiting", Definition: def}); err != nil {
			return err
		}
		if _, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenantID, ID: versionID, WorkflowID: workflowID, Version: 1, Definition: def}); err != nil {
			return err
		}
		_, err := tx.WorkflowSetCurrentVersion(ctx, tenantID, workflowID, versionID, 1)
		return err
	}); err != nil {
		return err
	}
	before, beforeTables := sizes(ctx, st)
	rssBefore := rssBytes()
	if err := st.Queue().Start(ctx); err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.Queue().Stop(stopCtx)
	}()
	began := time.Now()
	for i := 0; i < n; i += 1000 {
		batch := make([]engine.StartParams, 0, 1000)
		for j := i; j < min(n, i+1000); j++ {
			batch = append(batch, engine.StartParams{TenantID: tenantID, WorkflowID: workflowID, VersionID: versionID, TriggerType: workflow.TypeTriggerManual})
		}
		if err := st.InTx(ctx, tenantID, func(tx store.Tx) error {
			_, err := eng.StartManyTx(ctx, tx, batch)
			return err
		}); err != nil {
			return fmt.Errorf("start: %w", err)
		}
	}
	for {
		var counts map[domain.ExecutionStatus]int
		if err := st.Read(ctx, tenantID, func(tx store.Tx) error {
			var err error
			counts, err = tx.ExecutionCountByStatus(ctx, tenantID, workflowID)
			return err
		}); err != nil {
			return err
		}
		if counts[domain.ExecutionWaiting] >= n {
			break
		}
		if time.Since(began) > 30*time.Minute {
			return fmt.Errorf("only %d of %d waiting after 30 minutes", counts[domain.ExecutionWaiting], n)
		}
		time.Sleep(500 * time.Millisecond)
	}
	elapsed := time.Since(began)
	debug.FreeOSMemory() // a GC that also returns freed pages, so RSS counts what is held
	after, afterTables := sizes(ctx, st)
	rssAfter := rssBytes()
	fmt.Fprintf(stdout, "waiting: %d executions on a 30-day delay in %s (%.0f/s)\n", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	fmt.Fprintf(stdout, "worker resident memory: %.1f MB before, %.1f MB after\n", float64(rssBefore)/1e6, float64(rssAfter)/1e6)
	if before >= 0 && after >= 0 {
		printSizes(stdout, "database", n, before, after, beforeTables, afterTables)
		// Space left free in pages (index pages split as they filled, dead
		// row versions) stays until VACUUM FULL; compacted, the figures are
		// what the rows need.
		if pg, ok := st.(*postgres.Store); ok {
			if err := pg.Compact(ctx); err != nil {
				return err
			}
			compacted, compactedTables := sizes(ctx, st)
			printSizes(stdout, "database after VACUUM FULL", n, before, compacted, beforeTables, compactedTables)
		}
	}
	return nil
}

// printSizes reports the bytes per waiting execution, in total and by
// table and index.
func printSizes(w io.Writer, label string, n int, before, after int64, beforeTables, afterTables map[string]int64) {
	fmt.Fprintf(w, "%s: %.1f MB before, %.1f MB after, %.0f bytes per waiting execution (rows, indexes, River jobs)\n",
		label, float64(before)/1e6, float64(after)/1e6, float64(after-before)/float64(n))
	names := make([]string, 0, len(afterTables))
	for name := range afterTables {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		return afterTables[names[i]]-beforeTables[names[i]] > afterTables[names[j]]-beforeTables[names[j]]
	})
	for _, name := range names {
		if d := afterTables[name] - beforeTables[name]; d > 0 && float64(d)/float64(n) >= 1 {
			fmt.Fprintf(w, "  %-46s %6.0f bytes per waiting execution\n", name, float64(d)/float64(n))
		}
	}
}

// sizes is the database size in bytes (-1 when unknown) and its bytes by
// table and index.
func sizes(ctx context.Context, st store.Store) (int64, map[string]int64) {
	if pg, ok := st.(*postgres.Store); ok {
		m, err := pg.RelationBytes(ctx)
		if err != nil {
			return -1, nil
		}
		var total int64
		for _, v := range m {
			total += v
		}
		return total, m
	}
	return -1, nil
}

// rssBytes reads the process's resident set size from /proc.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%d", &kb)
			return kb * 1024
		}
	}
	return 0
}
