package config

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// Retention defaults.
const (
	// DefaultPruneInterval is how often worker nodes prune expired history.
	DefaultPruneInterval = time.Hour
	// DefaultJobRetentionCompleted, …Cancelled and …Discarded are how long
	// River keeps finished jobs' rows. A completed job has nothing left to
	// tell (the execution's steps are its record); cancelled and discarded
	// ones are kept longer for operators to look at.
	DefaultJobRetentionCompleted = time.Hour
	DefaultJobRetentionCancelled = 24 * time.Hour
	DefaultJobRetentionDiscarded = 7 * 24 * time.Hour
	// minRetention is the shortest age an override may set.
	minRetention = time.Minute
)

// Retention is how long history is kept and how often it is pruned (see
// internal/retention). The ages are per plan (internal/plan) unless
// overridden here for every tenant.
type Retention struct {
	// PruneInterval is how often the leader worker prunes
	// (NEXTFLOW_PRUNE_INTERVAL, default 1h; 0 or off: never).
	PruneInterval time.Duration
	// Executions, Events and Audit, when set, replace every plan's age of
	// finished executions (with steps, outbox rows and messages), events
	// and audit entries; zero keeps them forever. NEXTFLOW_RETENTION sets
	// all three, NEXTFLOW_EVENT_RETENTION events alone (winning over it).
	Executions *time.Duration
	Events     *time.Duration
	Audit      *time.Duration
	// JobsCompleted, JobsCancelled and JobsDiscarded are how long River
	// keeps finished jobs (NEXTFLOW_JOB_RETENTION_COMPLETED, …_CANCELLED,
	// …_DISCARDED); River's leader deletes older ones in batches.
	JobsCompleted time.Duration
	JobsCancelled time.Duration
	JobsDiscarded time.Duration
}

type retentionSettings struct {
	interval, all, events, completed, cancelled, discarded *string
}

func retentionFlags(fs *flag.FlagSet, env func(name, def string) string) retentionSettings {
	return retentionSettings{
		interval:  fs.String("prune-interval", env("NEXTFLOW_PRUNE_INTERVAL", DefaultPruneInterval.String()), "how often expired history is pruned (0 or off: never)"),
		all:       fs.String("retention", env("NEXTFLOW_RETENTION", ""), "keep executions, events and audit entries this long for every plan (empty: each plan's ages; 0: forever)"),
		events:    fs.String("event-retention", env("NEXTFLOW_EVENT_RETENTION", ""), "keep events this long for every plan (empty: NEXTFLOW_RETENTION or each plan's age; 0: forever)"),
		completed: fs.String("job-retention-completed", env("NEXTFLOW_JOB_RETENTION_COMPLETED", DefaultJobRetentionCompleted.String()), "how long completed jobs are kept"),
		cancelled: fs.String("job-retention-cancelled", env("NEXTFLOW_JOB_RETENTION_CANCELLED", DefaultJobRetentionCancelled.String()), "how long cancelled jobs are kept"),
		discarded: fs.String("job-retention-discarded", env("NEXTFLOW_JOB_RETENTION_DISCARDED", DefaultJobRetentionDiscarded.String()), "how long discarded jobs are kept"),
	}
}

func (r retentionSettings) parse() (Retention, error) {
	var out Retention
	switch raw := strings.TrimSpace(*r.interval); raw {
	case "0", "off":
	default:
		d, err := time.ParseDuration(raw)
		if err != nil || d < time.Second {
			return Retention{}, &Error{Name: "NEXTFLOW_PRUNE_INTERVAL", Msg: fmt.Sprintf("must be 0 or off (never), or a duration of at least 1s like 1h, got %q", raw)}
		}
		out.PruneInterval = d
	}
	age := func(name, raw string) (*time.Duration, error) {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return nil, nil
		}
		d, err := time.ParseDuration(raw)
		if err != nil || d < 0 || (d > 0 && d < minRetention) {
			return nil, &Error{Name: name, Msg: fmt.Sprintf("must be empty (each plan's age), 0 (keep forever) or a duration of at least 1m like 720h, got %q", raw)}
		}
		return &d, nil
	}
	all, err := age("NEXTFLOW_RETENTION", *r.all)
	if err != nil {
		return Retention{}, err
	}
	out.Executions, out.Events, out.Audit = all, all, all
	events, err := age("NEXTFLOW_EVENT_RETENTION", *r.events)
	if err != nil {
		return Retention{}, err
	}
	if events != nil {
		out.Events = events
	}
	for _, j := range []struct {
		name string
		raw  string
		dst  *time.Duration
	}{
		{"NEXTFLOW_JOB_RETENTION_COMPLETED", *r.completed, &out.JobsCompleted},
		{"NEXTFLOW_JOB_RETENTION_CANCELLED", *r.cancelled, &out.JobsCancelled},
		{"NEXTFLOW_JOB_RETENTION_DISCARDED", *r.discarded, &out.JobsDiscarded},
	} {
		d, err := time.ParseDuration(strings.TrimSpace(j.raw))
		if err != nil || d < time.Second {
			return Retention{}, &Error{Name: j.name, Msg: fmt.Sprintf("must be a duration of at least 1s like 24h, got %q", j.raw)}
		}
		*j.dst = d
	}
	return out, nil
}

// LoadRetention reads only the retention settings from the environment
// (for `nextflow admin prune`, which needs no secret key or address).
func LoadRetention(getenv func(string) string) (Retention, error) {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	return retentionFlags(fs, func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}).parse()
}
