package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/analytics/analyticsbench"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
)

const benchAnalyticsUsage = `  nextflow bench analytics --db postgres [--steps 10000000] [--steps-per-execution 5] [--warm 5] [--schema NAME] [--rollup-only]
                        generates the history in the database (generate_series), times each analytics
                        report cold and warm before and after the rollup, and the rollup itself.
                        With --schema the history is kept in that schema and reused by the next run
                        with the same name (the rollups are emptied first); drop it when done.
                        --rollup-only skips the reports before the rollup (and keeps a kept history's rollups).`

// benchAnalytics measures the analytics reports on a fresh database.
func benchAnalytics(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench analytics", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	db := fs.String("db", "postgres", "postgres")
	steps := fs.Int("steps", 10_000_000, "step rows to generate")
	per := fs.Int("steps-per-execution", 5, "steps per execution (at least 3)")
	warm := fs.Int("warm", 5, "warm runs per query")
	schema := fs.String("schema", "", "keep the history in this schema and reuse it on the next run")
	rollupOnly := fs.Bool("rollup-only", false, "time the reports after the rollup only")
	if err := fs.Parse(args); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + benchAnalyticsUsage}
	}
	if *steps < *per || *per < 3 {
		return &config.Error{Name: "flags", Msg: "--steps-per-execution must be at least 3 and --steps at least that"}
	}
	var st store.Store
	if *schema != "" {
		if *db != "postgres" {
			return &config.Error{Name: "--schema", Msg: "needs --db postgres"}
		}
		kept, err := benchKeptSchema(ctx, *schema)
		if err != nil {
			return err
		}
		defer kept.Close()
		st = kept
	} else {
		scratch, cleanup, err := benchStore(ctx, *db, store.QueueConfig{})
		if err != nil {
			return err
		}
		defer cleanup()
		st = scratch
	}
	out, err := analyticsbench.Run(ctx, st, analyticsbench.Config{Steps: *steps, StepsPerExecution: *per, Warm: *warm, Keep: *schema != "", RollupOnly: *rollupOnly,
		Out: func(format string, args ...any) { fmt.Fprintf(stdout, "  "+format+"\n", args...) }})
	if err != nil {
		return fmt.Errorf("bench analytics: %w", err)
	}
	fmt.Fprint(stdout, out)
	return nil
}

// benchKeptSchema opens (creating it when missing) and migrates the schema
// a bench keeps between runs, on DATABASE_URL.
func benchKeptSchema(ctx context.Context, schema string) (*postgres.Store, error) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return nil, &config.Error{Name: "DATABASE_URL", Msg: "--schema needs a database of its own (DATABASE_URL)"}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	st, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
