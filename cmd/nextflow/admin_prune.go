package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/retention"
	"github.com/nextflow-dev/nextflow/internal/store"
)

const adminPruneUsage = `usage: nextflow admin prune [--dry-run] [--tenant ID|SLUG] [--batch N] [--execution-batch M]
                            [--database-url URL] [--data-dir DIR]
Deletes the history older than each workspace's plan allows (NEXTFLOW_RETENTION and
NEXTFLOW_EVENT_RETENTION override the plans' ages) in batches, one short transaction each: M
finished executions (default 100) with their steps, outbox rows and messages, or N events or audit
entries (default 1000). --dry-run counts what would go and writes nothing. Prints per workspace and
kind the rows that went (or would go).`

// cmdAdminPrune runs the history prune by hand.
func cmdAdminPrune(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin prune", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", "", "data folder")
	dbURL := fs.String("database-url", "", "database URL")
	dryRun := fs.Bool("dry-run", false, "count what would be deleted; write nothing")
	tenant := fs.String("tenant", "", "only this workspace (ID or slug)")
	batch := fs.Int("batch", retention.DefaultBatchSize, "events or audit entries per delete transaction")
	execBatch := fs.Int("execution-batch", retention.DefaultExecutionBatchSize, "executions (with their steps, outbox rows and messages) per delete transaction")
	if err := fs.Parse(args); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + adminPruneUsage}
	}
	if fs.NArg() > 0 {
		return &config.Error{Name: "flags", Msg: fmt.Sprintf("unexpected argument %q\n%s", fs.Arg(0), adminPruneUsage)}
	}
	for _, b := range []struct {
		name string
		n    int
	}{{"--batch", *batch}, {"--execution-batch", *execBatch}} {
		if b.n < 1 || b.n > store.PruneBatchMax {
			return &config.Error{Name: b.name, Msg: fmt.Sprintf("must be between 1 and %d, got %d", store.PruneBatchMax, b.n)}
		}
	}
	ret, err := config.LoadRetention(os.Getenv)
	if err != nil {
		return err
	}
	var dbArgs []string
	if *dataDir != "" {
		dbArgs = append(dbArgs, "--data-dir", *dataDir)
	}
	if *dbURL != "" {
		dbArgs = append(dbArgs, "--database-url", *dbURL)
	}
	st, err := openStore(ctx, dbArgs)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var tenantID uuid.UUID
	if *tenant != "" {
		if tenantID, err = findTenant(ctx, st, *tenant); err != nil {
			return err
		}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p := retention.New(st, retention.Options{BatchSize: *batch, ExecutionBatchSize: *execBatch, Logger: log, Overrides: retention.Overrides{
		Executions: ret.Executions, Events: ret.Events, Audit: ret.Audit,
	}})
	began := time.Now()
	rep, err := p.Prune(ctx, retention.RunOptions{DryRun: *dryRun, TenantID: tenantID})
	printPruneReport(stdout, rep, tenantID != uuid.Nil, time.Since(began))
	if err != nil {
		return fmt.Errorf("prune (what is listed above is done): %w", err)
	}
	return nil
}

// findTenant resolves a workspace ID or slug.
func findTenant(ctx context.Context, st store.Store, ref string) (uuid.UUID, error) {
	if id, err := uuid.Parse(ref); err == nil {
		return id, nil
	}
	var id uuid.UUID
	err := st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
		t, err := tx.TenantGetBySlug(ctx, ref)
		if err != nil {
			return err
		}
		id = t.ID
		return nil
	})
	if err != nil {
		return uuid.Nil, &config.Error{Name: "--tenant", Msg: fmt.Sprintf("no workspace with ID or slug %q: %v", ref, err)}
	}
	return id, nil
}

// printPruneReport writes one line per workspace and kind (every kind for
// one workspace; only those with rows for all), then the totals.
func printPruneReport(w io.Writer, rep *retention.Report, all bool, took time.Duration) {
	verb := "deleted"
	if rep.DryRun {
		verb = "would delete"
		fmt.Fprintln(w, "dry run: nothing is written")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	tenants := map[uuid.UUID]bool{}
	lines := 0
	for _, c := range rep.Counts {
		tenants[c.TenantID] = true
		if c.Rows == 0 && !all {
			continue
		}
		if lines == 0 {
			fmt.Fprintf(tw, "workspace\tplan\tkind\tolder than\trows\tbatches\t\n")
		}
		lines++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t\n", c.TenantID, c.Plan, c.Kind, c.Before.UTC().Format(time.RFC3339), c.Rows, c.Batches)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d workspaces, %s", len(tenants), verb)
	for i, k := range retention.Kinds {
		sep := ","
		if i == 0 {
			sep = ":"
		}
		fmt.Fprintf(w, "%s %s %d", sep, k, rep.Total(k))
	}
	fmt.Fprintf(w, " (%d batches, %s)\n", rep.Batches(), took.Round(time.Millisecond))
}
