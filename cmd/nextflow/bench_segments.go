package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/segment/segmentbench"
	"github.com/nextflow-dev/nextflow/internal/store"
)

const benchSegmentsUsage = `  nextflow bench segments --db sqlite|postgres [--contacts N] [--events M] [--probes P] [--keep]
                        N contacts (half on plan PRO) and M events written in bulk; the time to
                        compute "PRO with at least 2 order.completed in 30 days" from scratch, the
                        time from an event's commit to the membership change it causes (P probes,
                        p50/p99), and the starts per second of a broadcast to the segment.
                        --keep leaves the scratch database in place (EXPLAIN the queries).`

// benchSegments measures segments and broadcasts on a fresh database.
func benchSegments(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench segments", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	db := fs.String("db", "sqlite", "sqlite or postgres")
	contacts := fs.Int("contacts", 100_000, "contacts")
	events := fs.Int("events", 1_000_000, "events")
	probes := fs.Int("probes", 200, "event → membership changes timed")
	keep := fs.Bool("keep", false, "keep the scratch database (PostgreSQL: its schema nf_bench_…) for inspection")
	if err := fs.Parse(args); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + benchSegmentsUsage}
	}
	if *contacts < 2 || *events < 0 || *probes < 0 {
		return &config.Error{Name: "flags", Msg: "--contacts must be at least 2, --events and --probes not negative"}
	}
	workers := river.NewWorkers()
	st, cleanup, err := benchStore(ctx, *db, store.QueueConfig{Workers: workers})
	if err != nil {
		return err
	}
	if *keep {
		defer st.Close()
	} else {
		defer cleanup()
	}
	fmt.Fprintf(stdout, "database: %s\n", st.Dialect())
	res, err := segmentbench.Run(ctx, st, segmentbench.Config{Workers: workers, Contacts: *contacts, Events: *events, Probes: *probes,
		Out: func(format string, args ...any) { fmt.Fprintf(stdout, "  "+format+"\n", args...) }})
	if err != nil {
		return fmt.Errorf("bench segments: %w", err)
	}
	fmt.Fprintln(stdout, res.String())
	return nil
}
