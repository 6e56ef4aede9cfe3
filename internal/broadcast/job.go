package broadcast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// RunArgs is the job that runs one broadcast, a batch per turn.
type RunArgs struct {
	TenantID    uuid.UUID `json:"tenantId"`
	BroadcastID uuid.UUID `json:"broadcastId"`
	// Generation is the broadcast's generation the job was queued for; a
	// job of an older one (left by a pause and resume) ends.
	Generation int `json:"generation"`
}

// Kind names the job.
func (RunArgs) Kind() string { return "nextflow.broadcast_run" }

// InsertOpts: a failed batch (a database error) is retried with River's
// backoff, maxFailures times in all before the broadcast ends failed
// (about five hours); snoozes between batches do not count as attempts.
func (RunArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: maxFailures} }

// maxFailures is how many failed turns in a row end a broadcast failed.
const maxFailures = 10

// A run of the job takes turns back to back, sleeping between them, while
// the wait is at most inlineWait, for up to runBudget; a longer wait is a
// snooze. Each turn is its own transaction, so a crash mid-run loses no
// more than the turn in flight (rolled back, taken again).
const (
	inlineWait = time.Second
	runBudget  = 15 * time.Second
)

// RegisterWorkers adds the broadcast job's worker.
func (s *Service) RegisterWorkers(w *river.Workers) {
	river.AddWorker(w, &runWorker{s: s})
}

type runWorker struct {
	river.WorkerDefaults[RunArgs]
	s *Service
}

func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	began := time.Now()
	lanes := 1
	if b, err := w.s.Get(ctx, job.Args.TenantID, job.Args.BroadcastID); err == nil {
		lanes = w.s.lanes(b.RatePerSecond)
	}
	type result struct {
		snooze time.Duration // < 0: done
		err    error
	}
	laneCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan result, lanes)
	for range lanes {
		go func() {
			snooze, err := w.lane(laneCtx, job.Args, began)
			if err != nil {
				cancel() // the other lanes stop; their turns in flight roll back
			}
			out <- result{snooze, err}
		}()
	}
	var err error
	snooze := time.Duration(-1)
	for range lanes {
		r := <-out
		if r.err != nil && (err == nil || errors.Is(err, context.Canceled)) {
			err = r.err
		}
		if r.snooze >= 0 && (snooze < 0 || r.snooze < snooze) {
			snooze = r.snooze
		}
	}
	if err != nil {
		if job.Attempt >= job.MaxAttempts {
			// The last attempt: the broadcast ends failed with the
			// reason rather than stay running with no job.
			return w.s.fail(ctx, job.Args, fmt.Sprintf("gave up after %d failed attempts: %v", maxFailures, err), err)
		}
		// Retried with River's backoff; the broadcast shows why it
		// stalls (a plan's execution limit, say).
		w.s.noteError(ctx, job.Args, err)
		return err
	}
	if snooze >= 0 {
		return river.JobSnooze(snooze)
	}
	return nil
}

// lane takes turns back to back until the broadcast is done (snooze < 0),
// a turn fails, or the next wait is one to snooze: longer than
// inlineWait, past the run's budget, or the job is stopping.
func (w *runWorker) lane(ctx context.Context, args RunArgs, began time.Time) (snooze time.Duration, err error) {
	for {
		wait, done, err := w.s.Step(ctx, args)
		if err != nil {
			return 0, err
		}
		if done {
			return -1, nil
		}
		if wait > inlineWait || time.Since(began)+wait > runBudget {
			return wait, nil
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return wait, nil
			}
		}
	}
}

// lanes is how many turns of a broadcast at rate run at once: one per
// batch a second's worth holds, at most Options.Lanes. Each paces itself
// at its share of the rate (see pace).
func (s *Service) lanes(rate int) int {
	return min(max((rate+s.opts.Batch-1)/s.opts.Batch, 1), s.opts.Lanes)
}

// pace returns the batch size of a turn of a broadcast at rate and the
// time one batch stands for at its lane's share of the rate: up to a
// second's worth of contacts, at most Options.Batch.
func (s *Service) pace(rate int) (int, time.Duration) {
	share := max(rate/s.lanes(rate), 1)
	batch := min(share, s.opts.Batch)
	return batch, time.Duration(float64(batch) / float64(share) * float64(time.Second))
}

// errStale ends a turn whose broadcast stopped running in its generation
// (paused, cancelled, ended, resumed) while the turn ran: the turn rolls
// back, starting no one.
var errStale = errors.New("broadcast no longer running in this generation")

// Step runs one turn of a broadcast in one transaction: on its first turn
// at or after its start it takes the segment's members as recipients
// (under the broadcast's row lock); then it takes the next batch of due
// recipients (held: turns that run at once take different ones), starts
// their executions, marks them handled and adds to the broadcast's
// counters — only if the broadcast is still running in args' generation
// when the turn ends, else the turn rolls back. It returns how long to
// wait before the next turn, or done when the broadcast has ended, was
// paused or cancelled, or args is of an older generation.
func (s *Service) Step(ctx context.Context, args RunArgs) (wait time.Duration, done bool, err error) {
	began := time.Now()
	err = s.st.InTx(ctx, args.TenantID, func(tx store.Tx) error {
		b, err := tx.BroadcastGet(ctx, args.TenantID, args.BroadcastID)
		if errors.Is(err, store.ErrNotFound) {
			done = true // its tenant was deleted
			return nil
		}
		if err != nil {
			return err
		}
		if b.Generation != args.Generation || b.Status == domain.BroadcastPaused || b.Status.Final() {
			done = true
			return nil
		}
		now := s.opts.Now().UTC()
		if b.SnapshotAt == nil {
			var ok bool
			if b, ok, err = s.begin(ctx, tx, args, now); err != nil {
				return err
			}
			if !ok {
				if b.Generation != args.Generation || b.Status == domain.BroadcastPaused || b.Status.Final() {
					done = true
				} else {
					wait = b.StartsAt.Sub(now) // not due yet
				}
				return nil
			}
		}
		adv := &store.BroadcastAdvanceParams{TenantID: b.TenantID, ID: b.ID, Generation: args.Generation}
		if reason, err := workflowGone(ctx, tx, b); err != nil || reason != "" {
			if err != nil {
				return err
			}
			adv.End, adv.EndedAt, adv.LastError, done = domain.BroadcastFailed, now, reason, true
			return s.advance(ctx, tx, adv)
		}
		batch, tick := s.pace(b.RatePerSecond)
		due, err := tx.BroadcastRecipientDue(ctx, b.TenantID, b.ID, now, batch)
		if err != nil {
			return err
		}
		if err := s.start(ctx, tx, b, due, adv); err != nil {
			return err
		}
		if len(due) == batch {
			// More may be due: no need to look for the next one.
			wait = max(tick-time.Since(began), 0)
			return s.advance(ctx, tx, adv)
		}
		next, err := tx.BroadcastRecipientNextDue(ctx, b.TenantID, b.ID)
		if err != nil {
			return err
		}
		switch {
		case next == nil:
			adv.End, adv.EndedAt, done = domain.BroadcastCompleted, now, true
		case len(due) == 0 && !next.After(now):
			// Every due recipient is held by a turn running at once.
			wait = max(tick, heldWait)
		default:
			wait = max(tick-time.Since(began), 0)
			if next.After(now) {
				wait = max(wait, next.Sub(now))
			}
		}
		return s.advance(ctx, tx, adv)
	})
	if errors.Is(err, errStale) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("run broadcast %s: %w", args.BroadcastID, err)
	}
	return wait, done, nil
}

// heldWait is how long a turn that found every due recipient held by
// another turn waits before it looks again.
const heldWait = 50 * time.Millisecond

// advance records a turn (store.BroadcastAdvance); a broadcast no longer
// running in the turn's generation is errStale.
func (s *Service) advance(ctx context.Context, tx store.Tx, p *store.BroadcastAdvanceParams) error {
	if p.Started == 0 && p.Skipped == 0 && p.End == "" && p.LastError == "" {
		return nil
	}
	_, err := tx.BroadcastAdvance(ctx, p)
	if errors.Is(err, store.ErrConflict) {
		return errStale
	}
	return err
}

// begin takes a broadcast's recipients under its row lock, once: it
// returns the broadcast running (ok), or as it is when it is not to run
// now — not yet due, or paused, ended or of another generation since it
// was read.
func (s *Service) begin(ctx context.Context, tx store.Tx, args RunArgs, now time.Time) (*domain.Broadcast, bool, error) {
	b, err := tx.BroadcastLock(ctx, args.TenantID, args.BroadcastID)
	if err != nil {
		return nil, false, err
	}
	if b.Generation != args.Generation || b.Status == domain.BroadcastPaused || b.Status.Final() {
		return b, false, nil
	}
	if b.SnapshotAt != nil {
		return b, true, nil // another turn took them
	}
	if b.StartsAt.After(now) {
		return b, false, nil
	}
	ok, err := s.snapshot(ctx, tx, b, now)
	if err != nil || !ok {
		return b, false, err
	}
	b, err = tx.BroadcastSave(ctx, b)
	return b, err == nil, err
}

// snapshot takes the segment's stored members as b's recipients, due at
// the start — or, for contact_local, at SendAt in each contact's
// timezone (b's for contacts without a valid one; where that time has
// already passed now, the next day's, as Braze does) — and marks b
// running. It holds the segment's row (SegmentLock), so the membership
// it copies is not being rewritten and a contact erased meanwhile takes
// its recipient with it. A segment deleted since the broadcast was
// created cancels it (ok false).
func (s *Service) snapshot(ctx context.Context, tx store.Tx, b *domain.Broadcast, now time.Time) (ok bool, err error) {
	if _, err := tx.SegmentLock(ctx, b.TenantID, b.SegmentID); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		b.Status, b.FinishedAt, b.LastError = domain.BroadcastCancelled, &now, "the segment was deleted before the broadcast started"
		_, err := tx.BroadcastSave(ctx, b)
		return false, err
	}
	due := b.StartsAt
	var wall time.Time
	if b.ScheduleMode == domain.BroadcastContactLocal {
		cfg := Input{ScheduleMode: b.ScheduleMode, SendAt: b.SendAt, Timezone: b.Timezone, Name: b.Name, RatePerSecond: 1,
			WorkflowID: b.WorkflowID, SegmentID: b.SegmentID}
		p, err := cfg.check()
		if err != nil {
			return false, fmt.Errorf("stored broadcast %s: %w", b.ID, err)
		}
		wall, due = p.wall, localDue(p.wall, p.loc, now)
	}
	n, err := tx.BroadcastRecipientSnapshot(ctx, b.TenantID, b.ID, b.SegmentID, due)
	if err != nil {
		return false, err
	}
	if b.ScheduleMode == domain.BroadcastContactLocal {
		tzs, err := tx.BroadcastRecipientTimezones(ctx, b.TenantID, b.ID)
		if err != nil {
			return false, err
		}
		for _, tz := range tzs {
			if tz == "" || tz == b.Timezone || tz == "Local" {
				continue
			}
			loc, err := time.LoadLocation(tz)
			if err != nil {
				continue // not a zone this server knows: b's timezone
			}
			if _, err := tx.BroadcastRecipientSetDue(ctx, b.TenantID, b.ID, tz, localDue(wall, loc, now)); err != nil {
				return false, err
			}
		}
	}
	b.Total, b.SnapshotAt, b.Status = n, &now, domain.BroadcastRunning
	return true, nil
}

// start starts the executions of the recipients due, each with its
// contact as the engine would load it, marks them (started, or skipped
// with the reason kept as the last error) and adds them to adv's
// counters. A recipient whose contact was erased since the recipients
// were taken is skipped.
func (s *Service) start(ctx context.Context, tx store.Tx, b *domain.Broadcast, due []store.BroadcastRecipient, adv *store.BroadcastAdvanceParams) error {
	if len(due) == 0 {
		return nil
	}
	input, err := json.Marshal(map[string]string{"broadcastId": b.ID.String(), "broadcastName": b.Name})
	if err != nil {
		return err
	}
	marks := make([]store.BroadcastMark, len(due))
	ps := make([]engine.StartParams, 0, len(due))
	at := make([]int, 0, len(due)) // ps[k] starts due[at[k]]
	for i, r := range due {
		marks[i].ContactID = r.ContactID
		if r.Contact == nil {
			adv.Skipped++
			adv.LastError = fmt.Sprintf("contact %s was erased", r.ContactID)
			continue
		}
		ps = append(ps, engine.StartParams{TenantID: b.TenantID, ID: domain.NewID(), WorkflowID: b.WorkflowID, VersionID: b.VersionID,
			TriggerNodeID: b.TriggerNodeID, ContactID: &due[i].ContactID, Contact: contact.View(r.Contact), Input: input})
		at = append(at, i)
	}
	if len(ps) > 0 {
		execs, errs, err := s.opts.Engine.StartEachTx(ctx, tx, ps)
		if err != nil {
			return fmt.Errorf("start %d executions: %w", len(ps), err)
		}
		for k, i := range at {
			if errs[k] != nil || execs[k] == nil {
				adv.Skipped++
				if errs[k] != nil {
					adv.LastError = truncate(errs[k].Error())
				}
				continue
			}
			marks[i].ExecutionID = &execs[k].ID
			adv.Started++
		}
	}
	return tx.BroadcastRecipientMark(ctx, b.TenantID, b.ID, marks)
}

// localDue is wall in loc, or the next day's wall in loc when that has
// passed by now (the snapshot): a contact_local broadcast reaches each
// contact at the chosen local time, never at once because their day is
// further along.
func localDue(wall time.Time, loc *time.Location, now time.Time) time.Time {
	due := in(wall, loc)
	if due.Before(now) {
		due = in(wall.AddDate(0, 0, 1), loc)
	}
	return due
}

// workflowGone returns why b cannot start more executions of its
// workflow ("" when it can): the workflow was deleted or is no longer
// published.
func workflowGone(ctx context.Context, tx store.Tx, b *domain.Broadcast) (string, error) {
	wf, err := tx.WorkflowGetByID(ctx, b.TenantID, b.WorkflowID)
	if errors.Is(err, store.ErrNotFound) {
		return "the workflow was deleted", nil
	}
	if err != nil {
		return "", err
	}
	if wf.CurrentVersionID == nil {
		return fmt.Sprintf("the workflow %q is no longer published", wf.Name), nil
	}
	return "", nil
}

// fail ends a broadcast failed with reason (a final turn's error, cause),
// unless it has ended already. It returns cause when the failure could
// not be recorded, so the job is kept.
func (s *Service) fail(ctx context.Context, args RunArgs, reason string, cause error) error {
	err := s.st.InTx(ctx, args.TenantID, func(tx store.Tx) error {
		b, err := tx.BroadcastLock(ctx, args.TenantID, args.BroadcastID)
		if err != nil {
			return err
		}
		if b.Status.Final() || b.Generation != args.Generation {
			return nil
		}
		now := s.opts.Now().UTC()
		b.Status, b.FinishedAt, b.LastError = domain.BroadcastFailed, &now, truncate(reason)
		_, err = tx.BroadcastSave(ctx, b)
		return err
	})
	if err != nil {
		s.opts.Logger.WarnContext(ctx, "record a broadcast's failure", "broadcast", args.BroadcastID, "error", err, "cause", cause)
		return cause
	}
	return nil
}

func truncate(msg string) string {
	if len(msg) > 500 {
		msg = strings.ToValidUTF8(msg[:500], "")
	}
	return msg
}

// noteError records a failed turn's error as the broadcast's last error,
// best effort.
func (s *Service) noteError(ctx context.Context, args RunArgs, cause error) {
	msg := truncate(cause.Error())
	err := s.st.InTx(ctx, args.TenantID, func(tx store.Tx) error {
		b, err := tx.BroadcastLock(ctx, args.TenantID, args.BroadcastID)
		if err != nil {
			return err
		}
		b.LastError = msg
		_, err = tx.BroadcastSave(ctx, b)
		return err
	})
	if err != nil {
		s.opts.Logger.WarnContext(ctx, "record a broadcast's error", "broadcast", args.BroadcastID, "error", err, "cause", cause)
	}
}
