package segment

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// RecomputeArgs is the job that computes one segment's whole membership.
type RecomputeArgs struct {
	TenantID  uuid.UUID `json:"tenantId"`
	SegmentID uuid.UUID `json:"segmentId"`
}

// Kind names the job.
func (RecomputeArgs) Kind() string { return "nextflow.segment_recompute" }

// InsertOpts: not unique — an edit made while a computation runs must
// compute again (River's uniqueness would also match the running job);
// a repeated computation changes nothing.
func (RecomputeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// ContactsArgs is the job that re-evaluates a tenant's segments for the
// contacts whose events just arrived.
type ContactsArgs struct {
	TenantID   uuid.UUID   `json:"tenantId"`
	ContactIDs []uuid.UUID `json:"contactIds"`
}

// Kind names the job.
func (ContactsArgs) Kind() string { return "nextflow.segment_contacts" }

// InsertOpts: retried like any job; a contact evaluated twice changes
// nothing the second time.
func (ContactsArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// RefreshArgs is the periodic job that queues the computation of every
// segment not computed for a refresh interval.
type RefreshArgs struct {
	// Interval is how old a computation may be (the period).
	Interval time.Duration `json:"interval"`
}

// Kind names the job.
func (RefreshArgs) Kind() string { return "nextflow.segment_refresh" }

// InsertOpts keep one refresh at a time.
func (RefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 3,
		UniqueOpts:  store.OneAtATime(),
	}
}

// PeriodicJob returns the River periodic job that refreshes segments every
// interval (River runs periodic jobs on its elected leader only).
func PeriodicJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return RefreshArgs{Interval: interval}, nil },
		&river.PeriodicJobOpts{ID: RefreshArgs{}.Kind(), RunOnStart: true})
}

// refreshBatch bounds how many segments one refresh queues.
const refreshBatch = 1000

// RegisterWorkers adds the segment jobs' workers.
func (s *Service) RegisterWorkers(w *river.Workers) {
	river.AddWorker(w, &recomputeWorker{s: s})
	river.AddWorker(w, &contactsWorker{s: s})
	river.AddWorker(w, &refreshWorker{s: s})
}

type recomputeWorker struct {
	river.WorkerDefaults[RecomputeArgs]
	s *Service
}

// Timeout: a whole-membership computation of a large tenant may take a
// while. It runs in chunks of one transaction each; a job that times out
// or crashes is retried and resumes after the last chunk committed.
func (w *recomputeWorker) Timeout(*river.Job[RecomputeArgs]) time.Duration { return 10 * time.Minute }

func (w *recomputeWorker) Work(ctx context.Context, job *river.Job[RecomputeArgs]) error {
	began := time.Now()
	ch, err := w.s.Recompute(ctx, job.Args.TenantID, job.Args.SegmentID, nil)
	if err != nil {
		if isGone(err) {
			return nil // deleted since it was queued
		}
		return err
	}
	w.s.opts.Logger.DebugContext(ctx, "segment computed", "tenant", job.Args.TenantID, "segment", job.Args.SegmentID,
		"members", ch.Members, "entered", len(ch.Entered), "exited", len(ch.Exited), "took", time.Since(began).Round(time.Millisecond))
	return nil
}

type contactsWorker struct {
	river.WorkerDefaults[ContactsArgs]
	s *Service
}

func (w *contactsWorker) Work(ctx context.Context, job *river.Job[ContactsArgs]) error {
	return w.s.RecomputeContacts(ctx, job.Args.TenantID, job.Args.ContactIDs)
}

type refreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	s *Service
}

func (w *refreshWorker) Work(ctx context.Context, job *river.Job[RefreshArgs]) error {
	return w.s.Refresh(ctx, job.Args.Interval)
}

// Refresh queues the computation of every segment last computed more than
// interval ago (or never), across tenants.
func (s *Service) Refresh(ctx context.Context, interval time.Duration) error {
	before := s.opts.Now().Add(-interval)
	err := s.st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		segs, err := tx.SegmentListStale(ctx, before, refreshBatch)
		if err != nil {
			return err
		}
		if len(segs) == 0 {
			return nil
		}
		params := make([]river.InsertManyParams, len(segs))
		for i, seg := range segs {
			params[i] = river.InsertManyParams{Args: RecomputeArgs{TenantID: seg.TenantID, SegmentID: seg.ID}}
		}
		return tx.JobInsertMany(ctx, params)
	})
	if err != nil {
		return fmt.Errorf("refresh segments: %w", err)
	}
	return nil
}
