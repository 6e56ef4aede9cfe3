package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/nextflow-dev/nextflow/internal/benchmeter"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/cron"
	"github.com/nextflow-dev/nextflow/internal/cron/cronbench"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/engine/enginebench"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite"
	"github.com/nextflow-dev/nextflow/internal/tracing"
)

const benchUsage = `usage:
  nextflow bench engine --db sqlite|postgres [--executions N] [--steps K] [--advance-batch B] [--advance-batchers T]
                        [--effect-results group|alone|both] [--effects-only] [--max-uncommitted-calls N] [--call-queue N]
                        [--calls-by-jobs]
  nextflow bench cron   --db sqlite|postgres [--schedules N]
  nextflow bench waiting --db sqlite|postgres [--executions N]   memory and bytes per execution on a 30-day delay
  --cpuprofile FILE writes a CPU profile of the run (go tool pprof).
  --profile-dir DIR (bench engine) writes a CPU profile of each saturated side-effect and send phase,
  DIR/<phase>.cpu.prof, and the heap profile before and after it (DIR/<phase>.allocs-before.prof,
  -after.prof: go tool pprof -sample_index=alloc_space -base before after).
The side-effect and send phases print their cost per execution: this process's CPU, the
database server's CPU (PostgreSQL on this machine, read from /proc), and with pg_stat_statements
loaded (shared_preload_libraries) the commits and other statements in the bench's database.
bench engine phases: the pure journey started eagerly (the default start) and queued (every node
in advance jobs), queued again at half its rate (latency below saturation), delay 0 + http.request,
a journey with one side effect (http.request to an in-process server on 127.0.0.1) saturated and
at half its rate, the same run by 8 tenants at once (a workflow each, start batches in turn),
the same journey with one email send (email.send to an in-process SMTP server)
and with one WhatsApp send (a whatsapp.send template to a local fake Cloud API; rate limits off),
each saturated and at half its rate (one send per execution: exec/s is sends/s), 1,000 delays falling due across a second (pickup and end lateness), raw River
no-op jobs; starts and River inserts run four transactions at once. --effect-results says where
side effects' results are recorded: in the advance group commit (group), each in a
transaction of its own (alone), or both (the default): the side-effect phases run again with alone on a second
fresh database and the group/alone ratio is printed. --effects-only runs only those phases (side effect and sends).
--max-uncommitted-calls bounds the calls whose outcome is not committed yet (the engine's
MaxUncommittedCalls, default 64; -1: no bound but the 200 workers). The starting process makes
the call a start reaches, without a job (engine.Options.CallAfterStart), while fewer than
--call-queue calls wait for it (default 16,384; a start past it leaves its call to an advance job:
with --executions above it, some calls take that dearer path); --calls-by-jobs leaves every call
to an advance job, as before.
PostgreSQL runs use DATABASE_URL (default the local test server) in a fresh schema that is dropped after.
With OTEL_EXPORTER_OTLP_ENDPOINT set, the run's jobs, queries, steps and calls are traced (tracing's cost).
River settings: MaxWorkers 200 (PostgreSQL) / 50 (SQLite), FetchCooldown 2ms, FetchPollInterval 20ms.`

// cmdBench measures the engine or the cron scheduler on a fresh database.
func cmdBench(ctx context.Context, args []string, stdout io.Writer) error {
	tuneGC(os.Getenv, cgroupMemoryMax()) // as serve does, so the figures are the server's
	if len(args) > 0 && isBenchHTTP(args[0]) {
		return benchHTTP(ctx, args[0], args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "soak" {
		return benchSoak(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "segments" {
		return benchSegments(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "analytics" {
		return benchAnalytics(ctx, args[1:], stdout)
	}
	if len(args) == 0 || (args[0] != "engine" && args[0] != "cron" && args[0] != "waiting") {
		return fmt.Errorf("%s\n%s\n%s\n%s", benchUsage, benchHTTPUsage, benchSoakUsage, benchSegmentsUsage)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	db := fs.String("db", "sqlite", "sqlite or postgres")
	executions := fs.Int("executions", 2000, "executions of the pure journey")
	steps := fs.Int("steps", 5, "pure nodes per journey")
	schedules := fs.Int("schedules", 1000, "schedules due in the same second")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	profileDir := fs.String("profile-dir", "", "write CPU and heap profiles of each saturated side-effect and send phase into this directory")
	advanceBatch := fs.Int("advance-batch", engine.DefaultAdvanceBatch, "executions per group-commit transaction (1: one transaction each)")
	advanceBatchers := fs.Int("advance-batchers", engine.DefaultAdvanceBatchers, "group-commit transactions that may run at once")
	effectResults := fs.String("effect-results", "both", "where side effects' results are recorded: group, alone or both")
	effectsOnly := fs.Bool("effects-only", false, "run only the side-effect phases")
	callsByJobs := fs.Bool("calls-by-jobs", false, "leave every call to an advance job (no call made by the starting process)")
	maxUncommitted := fs.Int("max-uncommitted-calls", engine.DefaultMaxUncommittedCalls, "calls whose outcome is not committed yet (-1: no bound)")
	callQueue := fs.Int("call-queue", engine.DefaultCallQueue, "calls waiting to be made by the starting process")
	if err := fs.Parse(args[1:]); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + benchUsage}
	}
	if *cpuProfile != "" && *profileDir != "" {
		return &config.Error{Name: "--profile-dir", Msg: "not with --cpuprofile (one CPU profile at a time)"}
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	profile, err := phaseProfiles(*profileDir)
	if err != nil {
		return err
	}
	if *effectResults != "group" && *effectResults != "alone" && *effectResults != "both" {
		return &config.Error{Name: "--effect-results", Msg: fmt.Sprintf("must be group, alone or both, got %q", *effectResults)}
	}
	if args[0] == "waiting" {
		return benchWaiting(ctx, *db, *executions, stdout)
	}
	// OTEL_EXPORTER_OTLP_ENDPOINT traces the run's jobs, queries, steps
	// and calls as a server would (tracing overhead: run with and without).
	traceCfg, err := config.TracingFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	traces, err := tracing.New(traceCfg, tracing.Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = traces.Shutdown(flushCtx)
	}()
	workers := river.NewWorkers()
	st, cleanup, err := benchStore(ctx, *db, store.QueueConfig{Workers: workers, Middleware: traces.JobMiddleware()})
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(stdout, "database: %s\n", st.Dialect())
	if traceCfg.Enabled() {
		fmt.Fprintf(stdout, "tracing: on, spans to %s (sampler %s)\n", traceCfg.Endpoint, traceCfg.Sampler)
	}

	switch args[0] {
	case "engine":
		cfg := enginebench.Config{Workers: workers, Executions: *executions, Nodes: *steps,
			Engine: engine.Options{AdvanceBatch: *advanceBatch, AdvanceBatchers: *advanceBatchers, EffectResultsAlone: *effectResults == "alone",
				MaxUncommittedCalls: *maxUncommitted, CallQueue: *callQueue, CallAfterStart: !*callsByJobs,
				// As serve runs it: a heartbeat under a node ID (engine node.go).
				NodeID: store.NewNodeID(), NodeAlone: st.Dialect() == store.DialectSQLite}}
		meter := benchmeter.Open(ctx, benchMeterURL(*db))
		defer meter.Close()
		cfg.Meter = meter.Read
		cfg.Profile = profile
		var effect [3]enginebench.Phase // the side effect, the email send, the WhatsApp send
		if *effectsOnly {
			res, err := enginebench.RunEffect(ctx, st, cfg)
			if err != nil {
				return fmt.Errorf("bench engine: %w", err)
			}
			fmt.Fprintln(stdout, res.String())
			effect = [3]enginebench.Phase{res.Effect, res.Email, res.WhatsApp}
		} else {
			res, err := enginebench.Run(ctx, st, cfg)
			if err != nil {
				return fmt.Errorf("bench engine: %w", err)
			}
			fmt.Fprintln(stdout, res.String())
			effect = [3]enginebench.Phase{res.Effect, res.Email, res.WhatsApp}
		}
		if *effectResults == "both" {
			return benchEffectsAlone(ctx, *db, cfg, traces.JobMiddleware(), effect, stdout)
		}
	case "cron":
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		eng := engine.New(st, engine.Options{Logger: log})
		eng.RegisterWorkers(workers)
		rec := cronbench.NewLatencyRecorder(cron.EngineStart(eng, log))
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
		warm, err := cronbench.Run(ctx, st, sched, rec, min(100, *schedules))
		if err != nil {
			return fmt.Errorf("bench cron: warm-up: %w", err)
		}
		fmt.Fprintln(stdout, "warm-up "+warm.String())
		res, err := cronbench.Run(ctx, st, sched, rec, *schedules)
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
		url := benchMeterURL(db)
		st, drop, err := postgres.OpenScratch(ctx, url, "nf_bench_", postgres.Options{Queue: qc})
		if err != nil {
			return nil, nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		return st, drop, nil
	}
	return nil, nil, &config.Error{Name: "--db", Msg: fmt.Sprintf("must be sqlite or postgres, got %q", db)}
}

// benchMeterURL is the database whose server benchmeter reads: the
// bench's PostgreSQL, none on SQLite.
func benchMeterURL(db string) string {
	if db != "postgres" {
		return ""
	}
	return cmp.Or(os.Getenv("DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}

// benchEffectsAlone runs the side-effect phases again on a second fresh
// database with each result recorded in a transaction of its own, and
// prints the group commit's throughput against it.
func benchEffectsAlone(ctx context.Context, db string, cfg enginebench.Config, mw []rivertype.Middleware, group [3]enginebench.Phase, stdout io.Writer) error {
	workers := river.NewWorkers()
	st, cleanup, err := benchStore(ctx, db, store.QueueConfig{Workers: workers, Middleware: mw})
	if err != nil {
		return err
	}
	defer cleanup()
	cfg.Workers = workers
	cfg.Engine.EffectResultsAlone = true
	if profile := cfg.Profile; profile != nil {
		cfg.Profile = func(phase string) func() { return profile(phase + " alone") }
	}
	res, err := enginebench.RunEffect(ctx, st, cfg)
	if err != nil {
		return fmt.Errorf("bench engine, results alone: %w", err)
	}
	fmt.Fprintln(stdout, res.String())
	for i, alone := range []enginebench.Phase{res.Effect, res.Email, res.WhatsApp} {
		if alone.PerSecond > 0 {
			fmt.Fprintf(stdout, "%s, group commit / alone: %.2f (%.0f vs %.0f exec/s)\n",
				alone.Name, group[i].PerSecond/alone.PerSecond, group[i].PerSecond, alone.PerSecond)
		}
	}
	return nil
}
