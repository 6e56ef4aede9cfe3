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
	for {
		wait, done, err := w.s.Step(ctx, job.Args)
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
		if done {
			return nil
		}
		if wait > inlineWait || time.Since(began)+wait > runBudget {
			return river.JobSnooze(wait)
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return river.JobSnooze(wait)
			}
		}
	}
}

// pace returns a broadcast's batch size and the time one batch stands
// for at its rate: up to a second's worth of contacts, at most
// store.BroadcastMaxBatch.
func pace(rate int) (int, time.Duration) {
	batch := min(rate, store.BroadcastMaxBatch)
	return batch, time.Duration(float64(batch) / float64(rate) * float64(time.Second))
}

// Step runs one turn of a broadcast in one transaction: on its first turn
// at or after its start it takes the segment's members as recipients;
// then it starts the next batch of due recipients and marks them handled.
// It returns how long to wait before the next turn, or done when the
// broadcast has ended, was paused or cancelled, or args is of an older
// generation.
func (s *Service) Step(ctx context.Context, args RunArgs) (wait time.Duration, done bool, err error) {
	began := time.Now()
	err = s.st.InTx(ctx, args.TenantID, func(tx store.Tx) error {
		b, err := tx.BroadcastLock(ctx, args.TenantID, args.BroadcastID)
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
			if b.StartsAt.After(now) {
				wait = b.StartsAt.Sub(now)
				return nil
			}
			ok, err := s.snapshot(ctx, tx, b, now)
			if err != nil || !ok {
				done = true
				return err
			}
		}
		if reason, err := workflowGone(ctx, tx, b); err != nil || reason != "" {
			if err == nil {
				b.Status, b.FinishedAt, b.LastError, done = domain.BroadcastFailed, &now, reason, true
				_, err = tx.BroadcastSave(ctx, b)
			}
			return err
		}
		batch, tick := pace(b.RatePerSecond)
		ids, err := tx.BroadcastRecipientDue(ctx, b.TenantID, b.ID, now, batch)
		if err != nil {
			return err
		}
		if err := s.start(ctx, tx, b, ids); err != nil {
			return err
		}
		next, err := tx.BroadcastRecipientNextDue(ctx, b.TenantID, b.ID)
		if err != nil {
			return err
		}
		if next == nil {
			b.Status, b.FinishedAt, done = domain.BroadcastCompleted, &now, true
		} else {
			wait = max(tick-time.Since(began), 0)
			if next.After(now) {
				wait = max(wait, next.Sub(now))
			}
		}
		_, err = tx.BroadcastSave(ctx, b)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("run broadcast %s: %w", args.BroadcastID, err)
	}
	return wait, done, nil
}

// snapshot takes the segment's stored members as b's recipients, due at
// the start — or, for contact_local, at SendAt in each contact's
// timezone (b's for contacts without a valid one; where that time has
// already passed now, the next day's, as Braze does) — and marks b
// running. A segment deleted since the
// broadcast was created cancels it (ok false).
func (s *Service) snapshot(ctx context.Context, tx store.Tx, b *domain.Broadcast, now time.Time) (ok bool, err error) {
	if _, err := tx.SegmentGet(ctx, b.TenantID, b.SegmentID); err != nil {
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

// start starts the executions of recipients ids and marks them: started,
// or skipped with the reason kept as b's last error.
func (s *Service) start(ctx context.Context, tx store.Tx, b *domain.Broadcast, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	input, err := json.Marshal(map[string]string{"broadcastId": b.ID.String(), "broadcastName": b.Name})
	if err != nil {
		return err
	}
	ps := make([]engine.StartParams, len(ids))
	for i := range ids {
		ps[i] = engine.StartParams{TenantID: b.TenantID, ID: domain.NewID(), WorkflowID: b.WorkflowID, VersionID: b.VersionID,
			TriggerNodeID: b.TriggerNodeID, ContactID: &ids[i], Input: input}
	}
	execs, errs, err := s.opts.Engine.StartEachTx(ctx, tx, ps)
	if err != nil {
		return fmt.Errorf("start %d executions: %w", len(ps), err)
	}
	marks := make([]store.BroadcastMark, len(ids))
	for i, id := range ids {
		marks[i].ContactID = id
		if errs[i] != nil || execs[i] == nil {
			b.Skipped++
			if errs[i] != nil {
				b.LastError = errs[i].Error()
			}
			continue
		}
		marks[i].ExecutionID = &execs[i].ID
		b.Started++
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
