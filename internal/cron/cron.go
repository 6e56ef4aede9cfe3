// Package cron runs scheduled workflows. Each schedule (a cron_jobs row)
// has exactly one pending River job: the one for its next occurrence,
// unique by (schedule, time). Working it starts the execution and inserts
// the following occurrence in the same transaction, so any number of nodes
// fire each occurrence exactly once, and a schedule survives restarts.
package cron

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/cron/schedule"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Occurrence is one firing of a schedule.
type Occurrence struct {
	TenantID    uuid.UUID
	WorkflowID  uuid.UUID
	CronJobID   uuid.UUID
	NodeID      string
	ScheduledAt time.Time
	// IdempotencyKey is unique per schedule and occurrence.
	IdempotencyKey string
	// Manual is set for run-now.
	Manual bool
}

// StartFunc starts the execution of an occurrence inside tx (the engine's
// start path). A repeated IdempotencyKey must not start a second one.
type StartFunc func(ctx context.Context, tx store.Tx, o Occurrence) error

// MinIntervalFunc returns the smallest interval a tenant's plan allows
// between runs of a schedule (0 = no limit). It is the plan-limit hook.
type MinIntervalFunc func(ctx context.Context, tx store.Tx, tenantID uuid.UUID) (time.Duration, error)

// Options tune the scheduler.
type Options struct {
	Logger *slog.Logger
	// Clock returns the current time (tests pin it).
	Clock func() time.Time
	// MaxCatchUp bounds the missed occurrences fired by the catch_up policy
	// (default 100).
	MaxCatchUp int
	// MinInterval is the plan-limit hook (optional).
	MinInterval MinIntervalFunc
}

// Scheduler creates, pauses and fires schedules.
type Scheduler struct {
	st    store.Store
	start StartFunc
	opts  Options
	log   *slog.Logger
}

// New returns a scheduler that starts executions with start.
func New(st store.Store, start StartFunc, opts Options) *Scheduler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxCatchUp <= 0 {
		opts.MaxCatchUp = 100
	}
	return &Scheduler{st: st, start: start, opts: opts, log: opts.Logger}
}

// FireArgs is the River job of one occurrence.
type FireArgs struct {
	TenantID  uuid.UUID `json:"tenantId"`
	CronJobID uuid.UUID `json:"cronJobId"`
	// At is the occurrence's time, UTC, whole seconds.
	At time.Time `json:"at"`
}

// Kind names the job.
func (FireArgs) Kind() string { return "nextflow.cron_fire" }

// InsertOpts makes each occurrence unique, whichever node inserts it.
func (FireArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// RegisterWorkers adds the scheduler's job worker to the bundle.
func (s *Scheduler) RegisterWorkers(w *river.Workers) {
	river.AddWorker(w, &fireWorker{s: s})
}

type fireWorker struct {
	river.WorkerDefaults[FireArgs]
	s *Scheduler
}

func (w *fireWorker) Work(ctx context.Context, job *river.Job[FireArgs]) error {
	return w.s.fire(ctx, job.Args)
}

// Config is a schedule's definition as users write it.
type Config struct {
	Cron       string `json:"cron"`
	Timezone   string `json:"timezone"`
	MissedRuns string `json:"missedRuns"`
}

// ValidationError is bad schedule input, naming the field.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Msg }

// Normalize fills defaults and checks a schedule, returning its parsed form.
func (c *Config) Normalize() (*schedule.Schedule, error) {
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	if c.MissedRuns == "" {
		c.MissedRuns = domain.MissedRunsSkip
	}
	if c.MissedRuns != domain.MissedRunsSkip && c.MissedRuns != domain.MissedRunsCatchUp {
		return nil, &ValidationError{Field: "missedRuns", Msg: fmt.Sprintf("must be %q or %q, got %q", domain.MissedRunsSkip, domain.MissedRunsCatchUp, c.MissedRuns)}
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return nil, &ValidationError{Field: "timezone", Msg: fmt.Sprintf("unknown IANA time zone %q", c.Timezone)}
	}
	sch, err := schedule.Parse(c.Cron, c.Timezone)
	if err != nil {
		return nil, &ValidationError{Field: "cron", Msg: err.Error()}
	}
	return sch, nil
}

// truncate drops sub-second precision so times round-trip through every
// database and job args unchanged.
func truncate(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// scheduleNext computes the next occurrence strictly after `after`, stores
// it on the row and inserts its job, in tx.
func (s *Scheduler) scheduleNext(ctx context.Context, tx store.Tx, cj *domain.CronJob, sch *schedule.Schedule, after time.Time, lastRun *time.Time) (*domain.CronJob, error) {
	next := truncate(sch.Next(after))
	if !next.After(after) {
		next = truncate(sch.Next(after.Add(time.Second)))
	}
	updated, err := tx.CronJobUpdate(ctx, &store.CronJobUpdateParams{
		TenantID: cj.TenantID, ID: cj.ID, Schedule: cj.Schedule, Timezone: cj.Timezone,
		MissedRuns: cj.MissedRuns, IsActive: true, LastRunAt: lastRun, NextRunAt: &next,
	})
	if err != nil {
		return nil, fmt.Errorf("update schedule %s: %w", cj.ID, err)
	}
	if _, err := tx.JobInsert(ctx, FireArgs{TenantID: cj.TenantID, CronJobID: cj.ID, At: next},
		&river.InsertOpts{ScheduledAt: next, UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 25}); err != nil {
		return nil, fmt.Errorf("schedule occurrence of %s: %w", cj.ID, err)
	}
	return updated, nil
}

// fire works one occurrence: it checks the occurrence is still the
// schedule's next one (else a paused, edited or deleted schedule left a
// stale job: nothing to do), applies the missed-run policy, starts the
// execution(s) and schedules the following occurrence, all in one
// transaction.
func (s *Scheduler) fire(ctx context.Context, args FireArgs) error {
	return s.st.InTx(ctx, args.TenantID, func(tx store.Tx) error {
		cj, err := tx.CronJobGetByID(ctx, args.TenantID, args.CronJobID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load schedule %s: %w", args.CronJobID, err)
		}
		at := truncate(args.At)
		if !cj.IsActive || cj.NextRunAt == nil || !truncate(*cj.NextRunAt).Equal(at) {
			return nil
		}
		sch, err := schedule.Parse(cj.Schedule, cj.Timezone)
		if err != nil {
			s.log.ErrorContext(ctx, "schedule no longer parses; pausing it", "cron_job_id", cj.ID, "err", err)
			_, uerr := tx.CronJobUpdate(ctx, &store.CronJobUpdateParams{TenantID: cj.TenantID, ID: cj.ID,
				Schedule: cj.Schedule, Timezone: cj.Timezone, MissedRuns: cj.MissedRuns, IsActive: false, LastRunAt: cj.LastRunAt})
			return uerr
		}
		now := truncate(s.opts.Clock())
		due := []time.Time{at}
		for t := at; ; {
			n := truncate(sch.Next(t))
			if n.After(now) || !n.After(t) {
				break
			}
			due = append(due, n)
			if len(due) > s.opts.MaxCatchUp {
				due = due[1:]
			}
			t = n
		}
		if cj.MissedRuns != domain.MissedRunsCatchUp && len(due) > 1 {
			// skip: fire once, for the most recent missed occurrence.
			due = due[len(due)-1:]
		}
		for _, occ := range due {
			if err := s.start(ctx, tx, Occurrence{
				TenantID: cj.TenantID, WorkflowID: cj.WorkflowID, CronJobID: cj.ID, NodeID: cj.NodeID,
				ScheduledAt: occ, IdempotencyKey: fmt.Sprintf("cron:%s:%d", cj.ID, occ.Unix()),
			}); err != nil {
				return fmt.Errorf("start occurrence %s of schedule %s: %w", occ.Format(time.RFC3339), cj.ID, err)
			}
		}
		last := due[len(due)-1]
		after := last
		if now.After(after) {
			after = now
		}
		_, err = s.scheduleNext(ctx, tx, cj, sch, after, &last)
		return err
	})
}

// UpsertTx creates or replaces the schedule of a workflow node and, when
// active, schedules its next occurrence.
func (s *Scheduler) UpsertTx(ctx context.Context, tx store.Tx, tenantID, workflowID uuid.UUID, nodeID string, c Config, active bool) (*domain.CronJob, error) {
	sch, err := c.Normalize()
	if err != nil {
		return nil, err
	}
	if err := s.checkMinInterval(ctx, tx, tenantID, sch); err != nil {
		return nil, err
	}
	cj, err := tx.CronJobUpsert(ctx, &store.CronJobUpsertParams{
		TenantID: tenantID, ID: domain.NewID(), WorkflowID: workflowID, NodeID: nodeID,
		Schedule: c.Cron, Timezone: c.Timezone, MissedRuns: c.MissedRuns, IsActive: false,
	})
	if err != nil {
		return nil, fmt.Errorf("upsert schedule of %s/%s: %w", workflowID, nodeID, err)
	}
	if !active {
		return s.pauseTx(ctx, tx, cj)
	}
	return s.scheduleNext(ctx, tx, cj, sch, truncate(s.opts.Clock()), cj.LastRunAt)
}

func (s *Scheduler) checkMinInterval(ctx context.Context, tx store.Tx, tenantID uuid.UUID, sch *schedule.Schedule) error {
	if s.opts.MinInterval == nil {
		return nil
	}
	min, err := s.opts.MinInterval(ctx, tx, tenantID)
	if err != nil || min <= 0 {
		return err
	}
	if got := sch.MinInterval(s.opts.Clock()); got < min {
		return &ValidationError{Field: "cron", Msg: fmt.Sprintf("runs every %s; your plan allows at most one run every %s", got, min)}
	}
	return nil
}

// UpdateTx changes a schedule's expression, zone or policy.
func (s *Scheduler) UpdateTx(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID, c Config) (*domain.CronJob, error) {
	cj, err := tx.CronJobGetByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.UpsertTx(ctx, tx, tenantID, cj.WorkflowID, cj.NodeID, c, cj.IsActive)
}

// PauseTx stops a schedule; its pending job finds it inactive and does
// nothing.
func (s *Scheduler) PauseTx(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*domain.CronJob, error) {
	cj, err := tx.CronJobGetByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.pauseTx(ctx, tx, cj)
}

func (s *Scheduler) pauseTx(ctx context.Context, tx store.Tx, cj *domain.CronJob) (*domain.CronJob, error) {
	return tx.CronJobUpdate(ctx, &store.CronJobUpdateParams{
		TenantID: cj.TenantID, ID: cj.ID, Schedule: cj.Schedule, Timezone: cj.Timezone,
		MissedRuns: cj.MissedRuns, IsActive: false, LastRunAt: cj.LastRunAt, NextRunAt: nil,
	})
}

// ResumeTx restarts a paused schedule from now (missed occurrences while
// paused are not fired).
func (s *Scheduler) ResumeTx(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*domain.CronJob, error) {
	cj, err := tx.CronJobGetByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	sch, err := schedule.Parse(cj.Schedule, cj.Timezone)
	if err != nil {
		return nil, &ValidationError{Field: "cron", Msg: err.Error()}
	}
	return s.scheduleNext(ctx, tx, cj, sch, truncate(s.opts.Clock()), cj.LastRunAt)
}

// RunNowTx starts an execution of the schedule's workflow at once,
// leaving the schedule unchanged.
func (s *Scheduler) RunNowTx(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) error {
	cj, err := tx.CronJobGetByID(ctx, tenantID, id)
	if err != nil {
		return err
	}
	now := s.opts.Clock().UTC()
	return s.start(ctx, tx, Occurrence{
		TenantID: tenantID, WorkflowID: cj.WorkflowID, CronJobID: cj.ID, NodeID: cj.NodeID,
		ScheduledAt: now, IdempotencyKey: fmt.Sprintf("cron:%s:manual:%s", cj.ID, domain.NewID()), Manual: true,
	})
}

// WorkflowActivatedTx creates or resumes a schedule for every
// trigger.schedule node of the activated version and removes the
// schedules of nodes that are gone. It implements api.WorkflowLifecycle.
func (s *Scheduler) WorkflowActivatedTx(ctx context.Context, tx store.Tx, wf *domain.Workflow, version *domain.WorkflowVersion) error {
	def, err := workflow.Parse(version.Definition)
	if err != nil {
		return fmt.Errorf("workflow %s version %d: %w", wf.ID, version.Version, err)
	}
	keep := map[string]bool{}
	for _, n := range def.Nodes {
		if n.Type != "trigger.schedule" {
			continue
		}
		var c Config
		if len(n.Config) > 0 {
			if err := json.Unmarshal(n.Config, &c); err != nil {
				return &ValidationError{Field: "nodes." + n.ID + ".config", Msg: "is not a schedule config"}
			}
		}
		if _, err := s.UpsertTx(ctx, tx, wf.TenantID, wf.ID, n.ID, c, wf.IsActive); err != nil {
			return fmt.Errorf("schedule of node %s: %w", n.ID, err)
		}
		keep[n.ID] = true
	}
	existing, err := tx.CronJobListByWorkflow(ctx, wf.TenantID, wf.ID)
	if err != nil {
		return fmt.Errorf("list schedules of %s: %w", wf.ID, err)
	}
	for _, cj := range existing {
		if !keep[cj.NodeID] && !IsStandalone(cj.NodeID) {
			if err := tx.CronJobDelete(ctx, wf.TenantID, cj.ID); err != nil {
				return fmt.Errorf("delete schedule %s: %w", cj.ID, err)
			}
		}
	}
	return nil
}

// WorkflowDeactivatedTx pauses every schedule of the workflow. It
// implements api.WorkflowLifecycle.
func (s *Scheduler) WorkflowDeactivatedTx(ctx context.Context, tx store.Tx, wf *domain.Workflow, _ bool) error {
	existing, err := tx.CronJobListByWorkflow(ctx, wf.TenantID, wf.ID)
	if err != nil {
		return fmt.Errorf("list schedules of %s: %w", wf.ID, err)
	}
	for i := range existing {
		if existing[i].IsActive {
			if _, err := s.pauseTx(ctx, tx, &existing[i]); err != nil {
				return fmt.Errorf("pause schedule %s: %w", existing[i].ID, err)
			}
		}
	}
	return nil
}

// standalonePrefix marks schedules created through the API rather than
// from a trigger.schedule node.
const standalonePrefix = "schedule:"

// StandaloneNodeID returns the node ID of an API-created schedule.
func StandaloneNodeID() string { return standalonePrefix + domain.NewID().String() }

// IsStandalone reports whether nodeID names an API-created schedule.
func IsStandalone(nodeID string) bool {
	return len(nodeID) > len(standalonePrefix) && nodeID[:len(standalonePrefix)] == standalonePrefix
}
