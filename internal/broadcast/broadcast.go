// Package broadcast runs a published workflow once for every contact of a
// segment: now, at a time in a timezone, or at the same wall-clock time in
// each contact's own timezone, at a rate, with pause, resume and cancel.
//
// Exactly once per contact: when a broadcast starts, the segment's stored
// members become its recipients (store.BroadcastStore), one row each. One
// job per broadcast then takes, in a transaction that holds the
// broadcast's row, the next batch of due recipients in order, starts their
// executions through the engine and marks them handled — all in that
// transaction, so a crash before its commit leaves the batch for the next
// attempt and a crash after it never repeats it, on any node. The job
// snoozes between batches: batch size × snooze is the rate.
package broadcast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Bounds of what a tenant asks for.
const (
	MaxNameLength = 100
	// MaxRate is the highest send rate, in contacts per second.
	MaxRate = 100_000
	// earliestOffset is the largest UTC offset on Earth (Kiribati,
	// UTC+14): a contact_local broadcast takes its recipients this long
	// before its wall-clock time in UTC, when the first contacts are due.
	earliestOffset = 14 * time.Hour
)

// sendAtLayouts are the wall-clock forms SendAt is read in.
var sendAtLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"}

// Errors a caller tells apart.
var (
	// ErrInvalid wraps every reason a broadcast is refused (a 422).
	ErrInvalid = errors.New("invalid broadcast")
	// ErrState is a pause, resume or cancel the broadcast's status does
	// not allow (a 409).
	ErrState = errors.New("broadcast cannot do that in its status")
)

// Starter starts executions in the caller's transaction (the engine).
type Starter interface {
	StartEachTx(ctx context.Context, tx store.Tx, ps []engine.StartParams) ([]*domain.Execution, []error, error)
}

// Options configure a Service.
type Options struct {
	Engine Starter
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Batch is the most recipients one turn starts (default and at most
	// store.BroadcastMaxBatch).
	Batch int
	// Lanes is the most turns of one broadcast that run at once, each on
	// a batch of its own (default DefaultLanes).
	Lanes int
}

// DefaultLanes is how many turns of a fast broadcast run at once: while
// one waits on the database another prepares its executions.
const DefaultLanes = 2

// Service creates and runs broadcasts.
type Service struct {
	st   store.Store
	opts Options
}

// New returns a Service over st.
func New(st store.Store, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Batch <= 0 || opts.Batch > store.BroadcastMaxBatch {
		opts.Batch = store.BroadcastMaxBatch
	}
	if opts.Lanes <= 0 {
		opts.Lanes = DefaultLanes
	}
	return &Service{st: st, opts: opts}
}

// Input is what a tenant asks for.
type Input struct {
	Name       string
	WorkflowID uuid.UUID
	SegmentID  uuid.UUID
	// ScheduleMode is domain.BroadcastNow (default), BroadcastAt or
	// BroadcastContactLocal.
	ScheduleMode string
	// SendAt is a wall-clock time ("2006-01-02T15:04[:05]"), required
	// unless now.
	SendAt string
	// Timezone is the IANA zone SendAt is read in (default UTC); for
	// contact_local, the zone of contacts without a valid one.
	Timezone      string
	RatePerSecond int
}

// plan is a checked Input.
type plan struct {
	wall time.Time // SendAt as a wall clock (in UTC's fields)
	loc  *time.Location
}

// check validates an Input without the database.
func (in *Input) check() (*plan, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.ScheduleMode == "" {
		in.ScheduleMode = domain.BroadcastNow
	}
	if in.Timezone == "" {
		in.Timezone = "UTC"
	}
	switch {
	case in.Name == "":
		return nil, fmt.Errorf("%w: name is required", ErrInvalid)
	case utf8.RuneCountInString(in.Name) > MaxNameLength:
		return nil, fmt.Errorf("%w: name is longer than %d characters", ErrInvalid, MaxNameLength)
	case in.RatePerSecond <= 0 || in.RatePerSecond > MaxRate:
		return nil, fmt.Errorf("%w: ratePerSecond must be between 1 and %d contacts per second", ErrInvalid, MaxRate)
	case in.WorkflowID == uuid.Nil:
		return nil, fmt.Errorf("%w: workflowId is required", ErrInvalid)
	case in.SegmentID == uuid.Nil:
		return nil, fmt.Errorf("%w: segmentId is required", ErrInvalid)
	}
	loc, err := time.LoadLocation(in.Timezone)
	if err != nil || in.Timezone == "Local" {
		return nil, fmt.Errorf("%w: timezone %q is not an IANA timezone (e.g. Europe/Berlin)", ErrInvalid, in.Timezone)
	}
	p := &plan{loc: loc}
	switch in.ScheduleMode {
	case domain.BroadcastNow:
		in.SendAt = ""
		return p, nil
	case domain.BroadcastAt, domain.BroadcastContactLocal:
	default:
		return nil, fmt.Errorf("%w: scheduleMode must be now, at or contact_local", ErrInvalid)
	}
	in.SendAt = strings.TrimSpace(in.SendAt)
	for _, layout := range sendAtLayouts {
		if t, err := time.ParseInLocation(layout, in.SendAt, time.UTC); err == nil {
			p.wall = t
			in.SendAt = t.Format(sendAtLayouts[0])
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w: sendAt %q must be a wall-clock time like 2026-12-24T09:00 (no offset; the timezone says where)", ErrInvalid, in.SendAt)
}

// in places a wall-clock time in loc.
func in(wall time.Time, loc *time.Location) time.Time {
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc).UTC()
}

// Also runs in a write's transaction after the broadcast is written (the
// API's audit entry).
type Also func(tx store.Tx, b *domain.Broadcast) error

// Create checks and stores a broadcast and queues its job, in one
// transaction: an unknown segment or workflow, or a workflow never
// published, is ErrInvalid and writes nothing. The broadcast runs the
// workflow's current version from its manual trigger (else its first
// trigger) with trigger.input {broadcastId, broadcastName}.
func (s *Service) Create(ctx context.Context, tenantID uuid.UUID, input Input, also Also) (*domain.Broadcast, error) {
	p, err := input.check()
	if err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	var b *domain.Broadcast
	err = s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		if _, err := tx.SegmentGet(ctx, tenantID, input.SegmentID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: segmentId: no such segment in this workspace", ErrInvalid)
			}
			return err
		}
		wf, err := tx.WorkflowGetByID(ctx, tenantID, input.WorkflowID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: workflowId: no such workflow in this workspace", ErrInvalid)
			}
			return err
		}
		if wf.CurrentVersionID == nil {
			return fmt.Errorf("%w: workflow %q is not published: publish it first", ErrInvalid, wf.Name)
		}
		v, err := tx.WorkflowVersionGetByID(ctx, tenantID, *wf.CurrentVersionID)
		if err != nil {
			return err
		}
		node, err := triggerNode(v.Definition)
		if err != nil {
			return fmt.Errorf("%w: workflow %q: %v", ErrInvalid, wf.Name, err)
		}
		nb := &domain.Broadcast{TenantID: tenantID, ID: domain.NewID(), Name: input.Name, WorkflowID: wf.ID, VersionID: v.ID,
			Version: v.Version, TriggerNodeID: node, SegmentID: input.SegmentID, Status: domain.BroadcastScheduled,
			ScheduleMode: input.ScheduleMode, SendAt: input.SendAt, Timezone: input.Timezone, RatePerSecond: input.RatePerSecond,
			Generation: 1}
		switch input.ScheduleMode {
		case domain.BroadcastNow:
			nb.StartsAt = now
		case domain.BroadcastAt:
			nb.StartsAt = in(p.wall, p.loc)
		case domain.BroadcastContactLocal:
			nb.StartsAt = p.wall.Add(-earliestOffset)
		}
		if b, err = tx.BroadcastInsert(ctx, nb); err != nil {
			return err
		}
		if also != nil {
			if err := also(tx, b); err != nil {
				return err
			}
		}
		return s.queue(ctx, tx, b, now)
	})
	if err != nil {
		return nil, fmt.Errorf("create broadcast %q: %w", input.Name, err)
	}
	return b, nil
}

// triggerNode picks the node a broadcast's executions start at: the first
// trigger.manual, else the first trigger.
func triggerNode(def json.RawMessage) (string, error) {
	d, err := workflow.Parse(def)
	if err != nil {
		return "", err
	}
	first := ""
	for _, n := range d.Nodes {
		if n.Type == workflow.TypeTriggerManual {
			return n.ID, nil
		}
		if first == "" && strings.HasPrefix(n.Type, "trigger.") {
			first = n.ID
		}
	}
	if first == "" {
		return "", errors.New("it has no trigger")
	}
	return first, nil
}

// queue inserts the broadcast's job for its current generation, due at
// its start (or now).
func (s *Service) queue(ctx context.Context, tx store.Tx, b *domain.Broadcast, now time.Time) error {
	opts := &river.InsertOpts{}
	if b.SnapshotAt == nil && b.StartsAt.After(now) {
		opts.ScheduledAt = b.StartsAt
	}
	_, err := tx.JobInsert(ctx, RunArgs{TenantID: b.TenantID, BroadcastID: b.ID, Generation: b.Generation}, opts)
	if err != nil {
		return fmt.Errorf("queue broadcast %s: %w", b.ID, err)
	}
	return nil
}

// Get reads a broadcast.
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (*domain.Broadcast, error) {
	var b *domain.Broadcast
	err := s.st.Read(ctx, tenantID, func(tx store.Tx) error {
		var err error
		b, err = tx.BroadcastGet(ctx, tenantID, id)
		return err
	})
	return b, err
}

// Pause stops a scheduled or running broadcast from starting more
// executions until Resume; pausing a paused one changes nothing.
func (s *Service) Pause(ctx context.Context, tenantID, id uuid.UUID, also Also) (*domain.Broadcast, error) {
	return s.transition(ctx, tenantID, id, "pause", also, func(tx store.Tx, b *domain.Broadcast, now time.Time) (bool, error) {
		switch b.Status {
		case domain.BroadcastPaused:
			return false, nil
		case domain.BroadcastScheduled, domain.BroadcastRunning:
			b.Status = domain.BroadcastPaused
			return true, nil
		}
		return false, fmt.Errorf("%w: it is %s", ErrState, b.Status)
	})
}

// Resume continues a paused broadcast where it stopped (a new job
// generation: a job the pause left behind stops at its next turn);
// resuming a scheduled or running one changes nothing.
func (s *Service) Resume(ctx context.Context, tenantID, id uuid.UUID, also Also) (*domain.Broadcast, error) {
	return s.transition(ctx, tenantID, id, "resume", also, func(tx store.Tx, b *domain.Broadcast, now time.Time) (bool, error) {
		switch b.Status {
		case domain.BroadcastScheduled, domain.BroadcastRunning:
			return false, nil
		case domain.BroadcastPaused:
			b.Status = domain.BroadcastRunning
			if b.SnapshotAt == nil {
				b.Status = domain.BroadcastScheduled
			}
			b.Generation++
			return true, s.queue(ctx, tx, b, now)
		}
		return false, fmt.Errorf("%w: it is %s", ErrState, b.Status)
	})
}

// Cancel ends a broadcast for good: recipients not started yet never
// are. Cancelling a cancelled one changes nothing; a completed one is
// ErrState.
func (s *Service) Cancel(ctx context.Context, tenantID, id uuid.UUID, also Also) (*domain.Broadcast, error) {
	return s.transition(ctx, tenantID, id, "cancel", also, func(tx store.Tx, b *domain.Broadcast, now time.Time) (bool, error) {
		switch b.Status {
		case domain.BroadcastCancelled:
			return false, nil
		case domain.BroadcastCompleted, domain.BroadcastFailed:
			return false, fmt.Errorf("%w: it is %s", ErrState, b.Status)
		}
		b.Status, b.FinishedAt = domain.BroadcastCancelled, &now
		return true, nil
	})
}

// transition changes a broadcast under its row lock; change reports
// whether it changed anything (also runs only then).
func (s *Service) transition(ctx context.Context, tenantID, id uuid.UUID, what string, also Also,
	change func(tx store.Tx, b *domain.Broadcast, now time.Time) (bool, error)) (*domain.Broadcast, error) {
	var out *domain.Broadcast
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		b, err := tx.BroadcastLock(ctx, tenantID, id)
		if err != nil {
			return err
		}
		changed, err := change(tx, b, s.opts.Now().UTC())
		if err != nil || !changed {
			out = b
			return err
		}
		if out, err = tx.BroadcastSave(ctx, b); err != nil {
			return err
		}
		if also != nil {
			return also(tx, out)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s broadcast %s: %w", what, id, err)
	}
	return out, nil
}
