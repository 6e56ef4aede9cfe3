package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/cron"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite"
)

const benchUsage = `usage:
  nextflow bench engine --db sqlite|postgres [--executions N] [--steps K] [--advance-batch B]
  nextflow bench cron   --db sqlite|postgres [--schedules N]
  nextflow bench waiting --db sqlite|postgres [--executions N]   memory and bytes per execution on a 30-day delay
  --cpuprofile FILE writes a CPU profile of the run (go tool pprof).
bench engine phases: the pure journey started eagerly (the default start) and queued (every node
in advance jobs), queued again at half its rate (latency below saturation), delay 0 + http.request,
1,000 delays falling due across a second (pickup and end lateness), raw River no-op jobs; starts
and River inserts run four transactions at once.
PostgreSQL runs use DATABASE_URL (default the local test server) in a fresh schema that is dropped after.
River settings: MaxWorkers 200 (PostgreSQL) / 50 (SQLite), FetchCooldown 2ms, FetchPollInterval 20ms.`

// cmdBench measures the engine or the cron scheduler on a fresh database.
func cmdBench(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "engine" && args[0] != "cron" && args[0] != "waiting") {
		return fmt.Errorf("%s", benchUsage)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	db := fs.String("db", "sqlite", "sqlite or postgres")
	executions := fs.Int("executions", 2000, "executions of the pure journey")
	steps := fs.Int("steps", 5, "pure nodes per journey")
	schedules := fs.Int("schedules", 1000, "schedules due in the same second")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	advanceBatch := fs.Int("advance-batch", engine.DefaultAdvanceBatch, "executions per group-commit transaction (1: one transaction each)")
	if err := fs.Parse(args[1:]); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + benchUsage}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return &config.Error{Name: "--cpuprofile", Msg: err.Error()}
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("start CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if args[0] == "waiting" {
		return benchWaiting(ctx, *db, *executions, stdout)
	}
	workers := river.NewWorkers()
	st, cleanup, err := benchStore(ctx, *db, store.QueueConfig{Workers: workers})
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(stdout, "database: %s\n", st.Dialect())

	switch args[0] {
	case "engine":
		res, err := engine.Bench(ctx, st, engine.BenchConfig{Workers: workers, Executions: *executions, Nodes: *steps,
			Engine: engine.Options{AdvanceBatch: *advanceBatch}})
		if err != nil {
			return fmt.Errorf("bench engine: %w", err)
		}
		fmt.Fprintln(stdout, res.String())
	case "cron":
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		eng := engine.New(st, engine.Options{Logger: log})
		eng.RegisterWorkers(workers)
		rec := cron.NewLatencyRecorder(cron.EngineStart(eng, log))
		sched := cron.New(st, rec.Start, cron.Options{Logger: log, StartMany: rec.StartMany(cron.EngineStartMany(eng, log))})
		sched.RegisterWorkers(workers)
		if err := st.Queue().Start(ctx); err != nil {
			return fmt.Errorf("start queue: %w", err)
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = st.Queue().Stop(stopCtx)
		}()
		// A first, small round warms what a running server has warm
		// (connections, prepared statements, parsed workflows); then the
		// measured one.
		warm, err := cron.Bench(ctx, st, sched, rec, min(100, *schedules))
		if err != nil {
			return fmt.Errorf("bench cron: warm-up: %w", err)
		}
		fmt.Fprintln(stdout, "warm-up "+warm.String())
		res, err := cron.Bench(ctx, st, sched, rec, *schedules)
		if err != nil {
			return fmt.Errorf("bench cron: %w", err)
		}
		fmt.Fprintln(stdout, res.String())
	}
	return nil
}

// benchStore opens a fresh, migrated database for a benchmark.
func benchStore(ctx context.Context, db string, qc store.QueueConfig) (store.Store, func(), error) {
	switch db {
	case "sqlite":
		dir, err := os.MkdirTemp("", "nextflow-bench-")
		if err != nil {
			return nil, nil, err
		}
		st, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"), sqlite.Options{Queue: qc})
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		if err := st.Migrate(ctx); err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close(); os.RemoveAll(dir) }, nil
	case "postgres":
		url := os.Getenv("DATABASE_URL")
		if url == "" {
			url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		st, drop, err := postgres.OpenScratch(ctx, url, "nf_bench_", postgres.Options{Queue: qc})
		if err != nil {
			return nil, nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		return st, drop, nil
	}
	return nil, nil, &config.Error{Name: "--db", Msg: fmt.Sprintf("must be sqlite or postgres, got %q", db)}
}
