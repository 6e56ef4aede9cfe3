package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/nextflow-dev/nextflow/internal/analytics/analyticsbench"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/store"
)

const benchAnalyticsUsage = `  nextflow bench analytics --db postgres [--steps 10000000] [--steps-per-execution 5] [--warm 5]
                        generates the history in the database (generate_series), times each analytics
                        report cold and warm before and after the rollup, and the rollup itself.`

// benchAnalytics measures the analytics reports on a fresh database.
func benchAnalytics(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench analytics", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	db := fs.String("db", "postgres", "postgres")
	steps := fs.Int("steps", 10_000_000, "step rows to generate")
	per := fs.Int("steps-per-execution", 5, "steps per execution (at least 3)")
	warm := fs.Int("warm", 5, "warm runs per query")
	if err := fs.Parse(args); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + benchAnalyticsUsage}
	}
	if *steps < *per || *per < 3 {
		return &config.Error{Name: "flags", Msg: "--steps-per-execution must be at least 3 and --steps at least that"}
	}
	st, cleanup, err := benchStore(ctx, *db, store.QueueConfig{})
	if err != nil {
		return err
	}
	defer cleanup()
	out, err := analyticsbench.Run(ctx, st, analyticsbench.Config{Steps: *steps, StepsPerExecution: *per, Warm: *warm,
		Out: func(format string, args ...any) { fmt.Fprintf(stdout, "  "+format+"\n", args...) }})
	if err != nil {
		return fmt.Errorf("bench analytics: %w", err)
	}
	fmt.Fprint(stdout, out)
	return nil
}
