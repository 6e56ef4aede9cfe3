package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/retention/soakbench"
)

const benchSoakUsage = `usage: nextflow bench soak --db sqlite|postgres [--duration 30m] [--rate 20] [--event-rate 20] [--audit-rate 1]
                          [--age 1m] [--prune-every 30s] [--sample 1m] [--reindex-every 5m] [--vacuum auto|on|off]
A steady journey load (executions of a five-step journey with a delay and an http.request, events and
audit entries, in a FREE and a PRO workspace) for --duration, with every retention age and River's
finished-job retention set to --age and the prune job every --prune-every; every --sample it prints the
database's size (SQLite: the file; PostgreSQL: the bench schema's tables and indexes), the rows of the
pruned tables and river_job, and the start-to-end p50/p99 of the executions that ended. The last lines
say whether the size stayed flat over the second half of the run (after the warm-up), which tables and
indexes grew, and whether a table's rows piled up (pruning not keeping pace) or only free space was
not reused (bloat). River's reindexer rebuilds its job indexes every --reindex-every (production: daily;
its GIN index on job args keeps deleted jobs' keys until then). PostgreSQL reuses deleted rows' space only once
they are vacuumed: when the server's autovacuum is off (as on development servers), the soak runs a
plain VACUUM of its tables every --prune-every in its place (--vacuum). PostgreSQL runs use DATABASE_URL (default the
local test server) in a fresh schema that is dropped after.`

// benchSoak runs the soak benchmark on a fresh database.
func benchSoak(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench soak", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	db := fs.String("db", "postgres", "sqlite or postgres")
	duration := fs.Duration("duration", 30*time.Minute, "how long the load runs")
	rate := fs.Float64("rate", 20, "executions started per second")
	eventRate := fs.Float64("event-rate", 20, "events stored per second")
	auditRate := fs.Float64("audit-rate", 1, "audit entries per second")
	age := fs.Duration("age", time.Minute, "retention of every kind of history and of River's finished jobs")
	pruneEvery := fs.Duration("prune-every", 30*time.Second, "interval of the prune job")
	sample := fs.Duration("sample", time.Minute, "interval between samples")
	reindex := fs.Duration("reindex-every", 5*time.Minute, "PostgreSQL: how often River's reindexer rebuilds the job table's indexes (0: River's own schedule, daily)")
	vacuum := fs.String("vacuum", "auto", "auto (PostgreSQL: VACUUM every --prune-every when the server's autovacuum is off), on or off")
	if err := fs.Parse(args); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + benchSoakUsage}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--duration", *duration}, {"--age", *age}, {"--prune-every", *pruneEvery}, {"--sample", *sample}} {
		if d.v < time.Second {
			return &config.Error{Name: d.name, Msg: fmt.Sprintf("must be at least 1s, got %s", d.v)}
		}
	}
	if *rate <= 0 || *eventRate < 0 || *auditRate <= 0 {
		return &config.Error{Name: "--rate", Msg: "--rate and --audit-rate must be positive, --event-rate at least 0"}
	}
	cfg := soakbench.Config{Workers: river.NewWorkers(), Duration: *duration, Rate: *rate, EventRate: *eventRate, AuditRate: *auditRate,
		Age: *age, PruneEvery: *pruneEvery, Sample: *sample, ReindexEvery: *reindex, Progress: stdout,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	switch *vacuum {
	case "auto":
	case "on":
		cfg.Vacuum = soakbench.VacuumAlways
	case "off":
		cfg.Vacuum = soakbench.VacuumNever
	default:
		return &config.Error{Name: "--vacuum", Msg: fmt.Sprintf("must be auto, on or off, got %q", *vacuum)}
	}
	if *reindex <= 0 {
		cfg.ReindexEvery = -1 // River's schedule (0 takes the default)
	}
	if *eventRate == 0 {
		cfg.EventRate = -1 // none (0 takes the default)
	}
	st, cleanup, err := benchStore(ctx, *db, soakbench.QueueConfig(cfg))
	if err != nil {
		return err
	}
	defer cleanup()
	res, err := soakbench.Run(ctx, st, cfg)
	if err != nil {
		return fmt.Errorf("bench soak: %w", err)
	}
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, res.String())
	return nil
}
