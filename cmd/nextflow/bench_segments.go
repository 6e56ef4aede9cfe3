package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/segment/segmentbench"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
)

const benchSegmentsUsage = `  nextflow bench segments --db sqlite|postgres [--contacts N] [--events M] [--probes P] [--keep]
                        [--reuse SCHEMA] [--cpuprofile F]
                        N contacts (half on plan PRO) and M events written in bulk; the time to
                        compute "PRO with at least 2 order.completed in 30 days" from scratch, the
                        time from an event's commit to the membership change it causes (P probes,
                        p50/p99), and the starts per second of a broadcast to the segment.
                        --keep leaves the scratch database in place (EXPLAIN the queries);
                        --reuse SCHEMA runs again on the contacts and events of a schema a
                        run left with --keep (PostgreSQL; --contacts and --events are then
                        what it holds), without seeding again.`

// benchSegments measures segments and broadcasts on a fresh database.
func benchSegments(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench segments", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	db := fs.String("db", "sqlite", "sqlite or postgres")
	contacts := fs.Int("contacts", 100_000, "contacts")
	events := fs.Int("events", 1_000_000, "events")
	probes := fs.Int("probes", 200, "event → membership changes timed")
	keep := fs.Bool("keep", false, "keep the scratch database (PostgreSQL: its schema nf_bench_…) for inspection")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	reuse := fs.String("reuse", "", "PostgreSQL: run on the seed of this scratch schema (nf_bench_…) left by --keep")
	if err := fs.Parse(args); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + benchSegmentsUsage}
	}
	if *contacts < 2 || *events < 0 || *probes < 0 {
		return &config.Error{Name: "flags", Msg: "--contacts must be at least 2, --events and --probes not negative"}
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	workers := river.NewWorkers()
	var st store.Store
	var cleanup func()
	if *reuse != "" {
		if *db != "postgres" {
			return &config.Error{Name: "--reuse", Msg: "needs --db postgres"}
		}
		st, err = benchReuseStore(ctx, *reuse, store.QueueConfig{Workers: workers})
		cleanup = func() { st.Close() }
	} else {
		st, cleanup, err = benchStore(ctx, *db, store.QueueConfig{Workers: workers})
	}
	if err != nil {
		return err
	}
	if *keep || *reuse != "" {
		defer st.Close()
	} else {
		defer cleanup()
	}
	fmt.Fprintf(stdout, "database: %s\n", st.Dialect())
	if s, ok := st.(interface{ SeedSchema() string }); ok && (*keep || *reuse != "") {
		fmt.Fprintf(stdout, "schema: %s (again without seeding: --reuse %[1]s)\n", s.SeedSchema())
	}
	res, err := segmentbench.Run(ctx, st, segmentbench.Config{Workers: workers, Contacts: *contacts, Events: *events, Probes: *probes, Reuse: *reuse != "",
		Out: func(format string, args ...any) { fmt.Fprintf(stdout, "  "+format+"\n", args...) }})
	if err != nil {
		return fmt.Errorf("bench segments: %w", err)
	}
	fmt.Fprintln(stdout, res.String())
	return nil
}

// benchReuseStore opens the scratch schema a run left with --keep (its
// name as printed), migrated to this binary's schema.
func benchReuseStore(ctx context.Context, schema string, qc store.QueueConfig) (store.Store, error) {
	if !strings.HasPrefix(schema, "nf_bench_") {
		return nil, &config.Error{Name: "--reuse", Msg: fmt.Sprintf("%q is not a bench schema (nf_bench_…)", schema)}
	}
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	st, err := postgres.Open(ctx, url, postgres.Options{Queue: qc, Schema: schema})
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
