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
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/schedule"
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

// StartManyFunc starts the executions of several occurrences inside tx,
// as StartFunc does for one (the engine's bulk start path).
type StartManyFunc func(ctx context.Context, tx store.Tx, os []Occurrence) error

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
	// StartMany, when set, starts the occurrences of a claimed batch in one
	// call; otherwise each is started with the scheduler's StartFunc.
	StartMany StartManyFunc
	// ClaimBatch bounds how many due schedules one transaction claims and
	// fires (default 100).
	ClaimBatch int
	// Sweepers is the number of batches a process fires at once when many
	// schedules fall due together (default 3 on PostgreSQL, where claimers
	// skip each other's rows; 1 on SQLite, which has one writer).
	Sweepers int
}

// Scheduler creates, pauses and fires schedules.
type Scheduler struct {
	st    store.Store
	start StartFunc
	opts  Options
	log   *slog.Logger

	// mu guards sweep, the fireDue run in flight in this process (nil when
	// none): the jobs of schedules due together join it instead of each
	// claiming (and on PostgreSQL scanning past the rows it holds).
	mu    sync.Mutex
	sweep *sweep
}

// sweep is one fireDue run that jobs may wait for.
type sweep struct {
	done chan struct{}
	err  error
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
	if opts.ClaimBatch <= 0 {
		opts.ClaimBatch = 100
	}
	if opts.Sweepers <= 0 {
		opts.Sweepers = 1
		if st != nil && st.Dialect() == store.DialectPostgres {
			opts.Sweepers = 3
		}
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
	updated, job, err := s.advance(ctx, tx, cj, sch, after, lastRun)
	if err != nil {
		return nil, err
	}
	if _, err := tx.JobInsert(ctx, job.Args, job.InsertOpts); err != nil {
		return nil, fmt.Errorf("schedule occurrence of %s: %w", cj.ID, err)
	}
	return updated, nil
}

// advance computes the next occurrence strictly after `after` and stores it
// on the row, returning the job of that occurrence for the caller to insert.
func (s *Scheduler) advance(ctx context.Context, tx store.Tx, cj *domain.CronJob, sch *schedule.Schedule, after time.Time, lastRun *time.Time) (*domain.CronJob, river.InsertManyParams, error) {
	next, job := nextOccurrence(cj, sch, after)
	updated, err := tx.CronJobUpdate(ctx, &store.CronJobUpdateParams{
		TenantID: cj.TenantID, ID: cj.ID, Schedule: cj.Schedule, Timezone: cj.Timezone,
		MissedRuns: cj.MissedRuns, IsActive: true, LastRunAt: lastRun, NextRunAt: &next,
	})
	if err != nil {
		return nil, river.InsertManyParams{}, fmt.Errorf("update schedule %s: %w", cj.ID, err)
	}
	return updated, job, nil
}

// nextOccurrence is cj's next occurrence strictly after `after` and the
// unique job that fires it.
func nextOccurrence(cj *domain.CronJob, sch *schedule.Schedule, after time.Time) (time.Time, river.InsertManyParams) {
	next := truncate(sch.Next(after))
	if !next.After(after) {
		next = truncate(sch.Next(after.Add(time.Second)))
	}
	return next, river.InsertManyParams{
		Args:       FireArgs{TenantID: cj.TenantID, CronJobID: cj.ID, At: next},
		InsertOpts: &river.InsertOpts{ScheduledAt: next.Add(-fireLead), UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 25},
	}
}

// fireLead is how much earlier than its occurrence a fire job is made
// available. River picks a due job up within a fetch poll (20 ms) or so;
// the job then waits in memory until the exact instant (fire), so that
// schedules start on time rather than a poll late.
const fireLead = 250 * time.Millisecond

// fire works one occurrence's job. A job whose occurrence is already past
// (another job's batch fired it, or the schedule was paused, edited or
// deleted) ends at once. Otherwise it fires every schedule due now, in
// batches (fireDue), so that the jobs of schedules due in the same second
// need not each start their execution in a transaction of their own; and
// then its own occurrence, should no batch have fired it (fireOne). The
// row lock and the next-run check make each occurrence fire once, whichever
// job or node gets to it.
func (s *Scheduler) fire(ctx context.Context, args FireArgs) error {
	// The job was made available fireLead early: wait for the instant
	// (bounded, should the clock disagree).
	if wait := args.At.Sub(s.opts.Clock()); wait > 0 && wait <= fireLead+time.Second {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	// While this process fires due schedules, the jobs of the schedules it
	// fires wait for it without touching the database, then find their
	// occurrence past.
	if err := s.waitSweep(ctx); err != nil {
		return err
	}
	pending, err := s.pending(ctx, args)
	if err != nil || !pending {
		return err
	}
	if err := s.fireDueShared(ctx); err != nil {
		// The occurrence's own job is the guarantee: a batch that cannot
		// commit (one bad schedule in it) leaves each schedule to its job.
		s.log.WarnContext(ctx, "firing due schedules in batch failed; firing this one alone",
			"cron_job_id", args.CronJobID, "at", args.At, "err", err)
	}
	return s.fireOne(ctx, args)
}

// pending reports, without taking the writer, whether args is still its
// schedule's next occurrence.
func (s *Scheduler) pending(ctx context.Context, args FireArgs) (bool, error) {
	var cj *domain.CronJob
	err := s.st.Read(ctx, args.TenantID, func(tx store.Tx) error {
		var err error
		cj, err = tx.CronJobGetByID(ctx, args.TenantID, args.CronJobID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load schedule %s: %w", args.CronJobID, err)
	}
	return isNext(cj, args.At), nil
}

// isNext reports whether at is the active schedule cj's next occurrence.
func isNext(cj *domain.CronJob, at time.Time) bool {
	return cj.IsActive && cj.NextRunAt != nil && truncate(*cj.NextRunAt).Equal(truncate(at))
}

// waitSweep waits for the fireDue run in flight in this process, if any.
func (s *Scheduler) waitSweep(ctx context.Context) error {
	s.mu.Lock()
	w := s.sweep
	s.mu.Unlock()
	if w == nil {
		return nil
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fireDueShared runs fireDue, or, when a run is already in flight in this
// process, waits for that one instead.
func (s *Scheduler) fireDueShared(ctx context.Context) error {
	s.mu.Lock()
	if w := s.sweep; w != nil {
		s.mu.Unlock()
		select {
		case <-w.done:
			return w.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	w := &sweep{done: make(chan struct{})}
	s.sweep = w
	s.mu.Unlock()
	w.err = s.fireDue(ctx)
	s.mu.Lock()
	s.sweep = nil
	s.mu.Unlock()
	close(w.done)
	return w.err
}

// maxBatchesPerJob bounds the batches one job fires, so that a job ends
// even while schedules keep falling due.
const maxBatchesPerJob = 50

// fireDue fires every schedule due now, of every tenant, a batch per
// transaction, with Sweepers transactions at a time, until the batches come
// back short.
func (s *Scheduler) fireDue(ctx context.Context) error {
	if s.opts.Sweepers <= 1 {
		return s.fireDueSerial(ctx)
	}
	errs := make(chan error, s.opts.Sweepers)
	for range s.opts.Sweepers {
		go func() { errs <- s.fireDueSerial(ctx) }()
	}
	var err error
	for range s.opts.Sweepers {
		err = errors.Join(err, <-errs)
	}
	return err
}

// fireDueSerial fires due schedules a batch at a time until a batch comes
// back short.
func (s *Scheduler) fireDueSerial(ctx context.Context) error {
	for range maxBatchesPerJob {
		n, err := s.fireBatch(ctx)
		if err != nil {
			return err
		}
		if n < s.opts.ClaimBatch {
			return nil
		}
	}
	return nil
}

// fireBatch claims up to ClaimBatch due schedules in one system
// transaction (rows other claimers hold are skipped on PostgreSQL), starts
// their occurrences and schedules the following ones. It returns how many
// it claimed.
func (s *Scheduler) fireBatch(ctx context.Context) (int, error) {
	var claimed int
	err := s.st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		clock := s.opts.Clock()
		due, err := tx.CronJobClaimDue(ctx, clock, s.opts.ClaimBatch)
		if err != nil {
			return err
		}
		claimed = len(due)
		now := truncate(clock)
		firings := make([]*firing, 0, len(due))
		for i := range due {
			f, err := s.plan(ctx, tx, &due[i], truncate(*due[i].NextRunAt), now)
			if err != nil {
				return err
			}
			if f != nil {
				firings = append(firings, f)
			}
		}
		if err := s.startAll(ctx, tx, firings); err != nil {
			return err
		}
		jobs := make([]river.InsertManyParams, 0, len(firings))
		moves := make([]store.CronJobAdvanceParams, 0, len(firings))
		for _, f := range firings {
			next, job := nextOccurrence(f.cj, f.sch, f.after(now))
			moves = append(moves, store.CronJobAdvanceParams{TenantID: f.cj.TenantID, ID: f.cj.ID, LastRunAt: f.last, NextRunAt: next})
			jobs = append(jobs, job)
		}
		if err := tx.CronJobAdvanceMany(ctx, moves); err != nil {
			return fmt.Errorf("move %d schedules on: %w", len(moves), err)
		}
		if err := tx.JobInsertMany(ctx, jobs); err != nil {
			return fmt.Errorf("schedule the next occurrences of %d schedules: %w", len(jobs), err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("fire due schedules: %w", err)
	}
	return claimed, nil
}

// lockedRetry is how long a job waits before looking again at a schedule
// another transaction holds (most likely a batch firing it).
const lockedRetry = time.Second

// fireOne works one occurrence alone: it locks the schedule, checks the
// occurrence is still its next one (else a batch fired it, or a paused,
// edited or deleted schedule left a stale job: nothing to do), applies the
// missed-run policy, starts the execution(s) and schedules the following
// occurrence, all in one transaction. A schedule another transaction holds
// is not waited for (that would hold a connection for the length of a
// batch): the job is snoozed and looks again, by which time the holder
// has moved the schedule on or rolled back.
func (s *Scheduler) fireOne(ctx context.Context, args FireArgs) error {
	err := s.st.InTx(ctx, args.TenantID, func(tx store.Tx) error {
		cj, err := tx.CronJobGetByIDSkipLocked(ctx, args.TenantID, args.CronJobID)
		if err != nil {
			return fmt.Errorf("lock schedule %s: %w", args.CronJobID, err)
		}
		if !isNext(cj, args.At) {
			return nil
		}
		now := truncate(s.opts.Clock())
		f, err := s.plan(ctx, tx, cj, truncate(args.At), now)
		if err != nil || f == nil {
			return err
		}
		if err := s.startAll(ctx, tx, []*firing{f}); err != nil {
			return err
		}
		_, err = s.scheduleNext(ctx, tx, cj, f.sch, f.after(now), &f.last)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		// Held by another transaction, or deleted since pending looked:
		// look again later (a deleted schedule's job then ends).
		return river.JobSnooze(lockedRetry)
	}
	return err
}

// firing is the work of one schedule's due occurrence: the occurrences
// to start under its missed-run policy.
type firing struct {
	cj  *domain.CronJob
	sch *schedule.Schedule
	// due are the occurrences to start, oldest first; last is the latest.
	due  []time.Time
	last time.Time
}

// after is the time the following occurrence must come after: the last
// fired one, or now when that is later (missed ones are not fired twice).
func (f *firing) after(now time.Time) time.Time {
	if now.After(f.last) {
		return now
	}
	return f.last
}

// plan applies cj's missed-run policy to its occurrence at `at`: skip
// fires only the most recent occurrence due by now, catch_up every one (at
// most MaxCatchUp). A schedule that no longer parses is paused and
// returns nil.
func (s *Scheduler) plan(ctx context.Context, tx store.Tx, cj *domain.CronJob, at, now time.Time) (*firing, error) {
	sch, err := schedule.Parse(cj.Schedule, cj.Timezone)
	if err != nil {
		s.log.ErrorContext(ctx, "schedule no longer parses; pausing it", "cron_job_id", cj.ID, "err", err)
		if _, err := s.pauseTx(ctx, tx, cj); err != nil {
			return nil, fmt.Errorf("pause schedule %s: %w", cj.ID, err)
		}
		return nil, nil
	}
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
	return &firing{cj: cj, sch: sch, due: due, last: due[len(due)-1]}, nil
}

// startAll starts the occurrences of firings: in one StartMany call when
// the scheduler has one, else one StartFunc call each.
func (s *Scheduler) startAll(ctx context.Context, tx store.Tx, firings []*firing) error {
	var occs []Occurrence
	for _, f := range firings {
		for _, at := range f.due {
			occs = append(occs, Occurrence{
				TenantID: f.cj.TenantID, WorkflowID: f.cj.WorkflowID, CronJobID: f.cj.ID, NodeID: f.cj.NodeID,
				ScheduledAt: at, IdempotencyKey: fmt.Sprintf("cron:%s:%d", f.cj.ID, at.Unix()),
			})
		}
	}
	if len(occs) == 0 {
		return nil
	}
	if s.opts.StartMany != nil {
		if err := s.opts.StartMany(ctx, tx, occs); err != nil {
			return fmt.Errorf("start %d occurrences: %w", len(occs), err)
		}
		return nil
	}
	for _, o := range occs {
		if err := s.start(ctx, tx, o); err != nil {
			return fmt.Errorf("start occurrence %s of schedule %s: %w", o.ScheduledAt.Format(time.RFC3339), o.CronJobID, err)
		}
	}
	return nil
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
	if err := s.start(ctx, tx, Occurrence{
		TenantID: tenantID, WorkflowID: cj.WorkflowID, CronJobID: cj.ID, NodeID: cj.NodeID,
		ScheduledAt: now, IdempotencyKey: fmt.Sprintf("cron:%s:manual:%s", cj.ID, domain.NewID()), Manual: true,
	}); err != nil {
		return err
	}
	// A manual run is a run: "last run" shows it. The next occurrence
	// stays where it was.
	if _, err := tx.CronJobUpdate(ctx, &store.CronJobUpdateParams{
		TenantID: cj.TenantID, ID: cj.ID, Schedule: cj.Schedule, Timezone: cj.Timezone,
		MissedRuns: cj.MissedRuns, IsActive: cj.IsActive, LastRunAt: &now, NextRunAt: cj.NextRunAt,
	}); err != nil {
		return fmt.Errorf("record manual run of schedule %s: %w", cj.ID, err)
	}
	return nil
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
		if n.Type != workflow.TypeTriggerSchedule {
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
