// Package segment keeps a tenant's audiences: segments defined by a
// condition tree (store.SegmentCondition) and their memberships, brought up
// to date by durable jobs — for the contacts whose events just arrived
// (within about a second), and for every segment on a period (relative
// windows move with time alone). A change of membership after a segment's
// first computation is recorded as a segment.entered or segment.exited
// event of the contact, in the computation's transaction, so journeys
// start from it like from any event.
package segment

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

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Events a membership change records on the contact.
const (
	EventEntered = workflow.EventSegmentEntered
	EventExited  = workflow.EventSegmentExited
)

// Bounds of what a tenant writes.
const (
	MaxNameLength        = 100
	MaxDescriptionLength = 1000
	// MaxDefinitionBytes bounds a definition's JSON.
	MaxDefinitionBytes = 32 << 10
)

// ErrInvalid wraps every reason a segment is refused (a 422).
var ErrInvalid = errors.New("invalid segment")

// EventHandler starts and resumes journeys for stored events in their
// transaction (the engine).
type EventHandler interface {
	EventTx(ctx context.Context, tx store.Tx, evs []engine.IncomingEvent) (engine.EventResult, error)
}

// Options configure a Service.
type Options struct {
	// Engine starts journeys for membership events (nil: events are
	// stored only).
	Engine EventHandler
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Chunk is how many contacts one transaction of a whole computation
	// evaluates (default DefaultChunk, at most store.SegmentMaxChunk).
	Chunk int
}

// DefaultChunk is the contacts per transaction of a whole computation: a
// second or less of work on PostgreSQL, so no transaction stays open long
// enough to hold back vacuum.
const DefaultChunk = 20_000

// Service manages segments.
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
	if opts.Chunk <= 0 {
		opts.Chunk = DefaultChunk
	}
	opts.Chunk = min(opts.Chunk, store.SegmentMaxChunk)
	return &Service{st: st, opts: opts}
}

// Input is what a tenant writes to create or replace a segment.
type Input struct {
	Name        string
	Description string
	Definition  json.RawMessage
}

// Check validates an Input and returns its parsed condition.
func (in *Input) Check() (*store.SegmentCondition, error) {
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		return nil, fmt.Errorf("%w: name is required", ErrInvalid)
	case utf8.RuneCountInString(in.Name) > MaxNameLength:
		return nil, fmt.Errorf("%w: name is longer than %d characters", ErrInvalid, MaxNameLength)
	case utf8.RuneCountInString(in.Description) > MaxDescriptionLength:
		return nil, fmt.Errorf("%w: description is longer than %d characters", ErrInvalid, MaxDescriptionLength)
	}
	return ParseDefinition(in.Definition)
}

// ParseDefinition decodes and validates a definition; every error wraps
// ErrInvalid and names what is wrong.
func ParseDefinition(def json.RawMessage) (*store.SegmentCondition, error) {
	if len(def) > MaxDefinitionBytes {
		return nil, fmt.Errorf("%w: definition is larger than %d bytes", ErrInvalid, MaxDefinitionBytes)
	}
	cond, err := store.ParseSegmentDefinition(def)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, strings.TrimPrefix(err.Error(), store.ErrSegmentDefinition.Error()+": "))
	}
	return cond, nil
}

// Also runs in a write's transaction after the segment is written (the
// API's audit entry).
type Also func(tx store.Tx, s *domain.Segment) error

// Create stores a segment and queues its first computation in the same
// transaction, with also (optional) in it.
func (s *Service) Create(ctx context.Context, tenantID uuid.UUID, in Input, also Also) (*domain.Segment, error) {
	if _, err := in.Check(); err != nil {
		return nil, err
	}
	var seg *domain.Segment
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		seg, err = tx.SegmentInsert(ctx, &store.SegmentInsertParams{TenantID: tenantID, Name: in.Name, Description: in.Description, Definition: in.Definition})
		if err != nil {
			return err
		}
		if also != nil {
			if err := also(tx, seg); err != nil {
				return err
			}
		}
		_, err = tx.JobInsert(ctx, RecomputeArgs{TenantID: tenantID, SegmentID: seg.ID}, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create segment %q: %w", in.Name, err)
	}
	return seg, nil
}

// Update replaces a segment and queues its recomputation, with also
// (optional) in the same transaction.
func (s *Service) Update(ctx context.Context, tenantID, id uuid.UUID, in Input, also Also) (*domain.Segment, error) {
	if _, err := in.Check(); err != nil {
		return nil, err
	}
	var seg *domain.Segment
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		seg, err = tx.SegmentUpdate(ctx, &store.SegmentUpdateParams{TenantID: tenantID, ID: id, Name: in.Name, Description: in.Description, Definition: in.Definition})
		if err != nil {
			return err
		}
		if also != nil {
			if err := also(tx, seg); err != nil {
				return err
			}
		}
		_, err = tx.JobInsert(ctx, RecomputeArgs{TenantID: tenantID, SegmentID: id}, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update segment %s: %w", id, err)
	}
	return seg, nil
}

// Queue queues a computation of a segment's whole membership.
func (s *Service) Queue(ctx context.Context, tenantID, id uuid.UUID) error {
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		if _, err := tx.SegmentGet(ctx, tenantID, id); err != nil {
			return err
		}
		_, err := tx.JobInsert(ctx, RecomputeArgs{TenantID: tenantID, SegmentID: id}, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue segment %s: %w", id, err)
	}
	return nil
}

// Preview counts the contacts a definition matches now and lists a sample
// of them (the editor's live count), touching no membership.
func (s *Service) Preview(ctx context.Context, tenantID uuid.UUID, def json.RawMessage, sample int) (int, []domain.Contact, error) {
	cond, err := ParseDefinition(def)
	if err != nil {
		return 0, nil, err
	}
	now := s.opts.Now()
	var n int
	var cs []domain.Contact
	err = s.st.Read(ctx, tenantID, func(tx store.Tx) error {
		if n, err = tx.SegmentCount(ctx, tenantID, cond, now); err != nil {
			return err
		}
		if sample > 0 {
			cs, err = tx.SegmentSample(ctx, tenantID, cond, now, sample)
		}
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("preview segment: %w", err)
	}
	return n, cs, nil
}

// Recompute brings one segment's membership up to date and records the
// changes as events that start journeys. For contactIDs it is one
// transaction. Without, it evaluates every contact in chunks of
// Options.Chunk by contact ID, one transaction each (see computeChunk),
// resuming a computation in progress where its last chunk ended. The
// first computation of a segment records no events: its members were
// there before anyone listened.
func (s *Service) Recompute(ctx context.Context, tenantID, segmentID uuid.UUID, contactIDs []uuid.UUID) (*store.SegmentChange, error) {
	if len(contactIDs) == 0 {
		return s.recomputeAll(ctx, tenantID, segmentID)
	}
	var ch *store.SegmentChange
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		ch, err = s.recomputeTx(ctx, tx, tenantID, segmentID, contactIDs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("compute segment %s: %w", segmentID, err)
	}
	return ch, nil
}

// recomputeAll runs chunks until a whole computation that this call took
// part in has finished. A computation in progress (left by a crash or run
// by another job) is joined, not restarted; an edit of the definition
// restarts it (store.SegmentUpdate clears the cursor), and this call then
// goes on until a computation that began after the edit has finished.
func (s *Service) recomputeAll(ctx context.Context, tenantID, segmentID uuid.UUID) (*store.SegmentChange, error) {
	total := &store.SegmentChange{}
	joined := false
	for {
		var done bool
		err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
			var err error
			done, err = s.computeChunk(ctx, tx, tenantID, segmentID, &joined, total)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("compute segment %s: %w", segmentID, err)
		}
		if done {
			return total, nil
		}
	}
}

// computeChunk runs one chunk of a whole computation in tx, holding the
// segment's row: it begins a computation when none is in progress, then
// evaluates the next Options.Chunk contacts after the cursor, records
// their entries and exits (after the first computation), and moves the
// cursor — or, at the last contact, finishes the computation. It adds the
// changes to total and reports whether the caller is done.
func (s *Service) computeChunk(ctx context.Context, tx store.Tx, tenantID, segmentID uuid.UUID, joined *bool, total *store.SegmentChange) (bool, error) {
	seg, err := tx.SegmentLock(ctx, tenantID, segmentID)
	if err != nil {
		return false, err
	}
	if seg.ComputeStartedAt == nil {
		if *joined && seg.ComputedAt != nil && !seg.ComputedAt.Before(seg.UpdatedAt) {
			// Another job finished the computation this call took part in.
			total.Members = seg.MemberCount
			return true, nil
		}
		began := s.opts.Now().UTC()
		seg.ComputeStartedAt, seg.ComputeCursor = &began, uuid.Nil
	}
	*joined = true
	cond, err := ParseDefinition(seg.Definition)
	if err != nil {
		// Stored definitions were validated; one that no longer passes
		// (a bound tightened since) keeps its last membership.
		s.opts.Logger.WarnContext(ctx, "segment definition no longer valid; membership kept", "tenant", tenantID, "segment", segmentID, "error", err)
		total.Members, err = tx.SegmentComputeFinish(ctx, tenantID, segmentID, *seg.ComputeStartedAt)
		return true, err
	}
	now := s.opts.Now().UTC()
	ch, err := tx.SegmentRecompute(ctx, &store.SegmentRecomputeParams{TenantID: tenantID, SegmentID: segmentID, Condition: cond, Now: now,
		Chunk: &store.SegmentChunk{After: seg.ComputeCursor, Limit: s.opts.Chunk}})
	if err != nil {
		return false, err
	}
	total.Entered, total.Exited, total.Members = append(total.Entered, ch.Entered...), append(total.Exited, ch.Exited...), ch.Members
	if seg.ComputedAt != nil && len(ch.Entered)+len(ch.Exited) > 0 {
		if err := s.record(ctx, tx, seg, ch, now); err != nil {
			return false, err
		}
	}
	if ch.End {
		total.Members, err = tx.SegmentComputeFinish(ctx, tenantID, segmentID, *seg.ComputeStartedAt)
		return true, err
	}
	return false, tx.SegmentComputeProgress(ctx, tenantID, segmentID, *seg.ComputeStartedAt, ch.Last)
}

func (s *Service) recomputeTx(ctx context.Context, tx store.Tx, tenantID, segmentID uuid.UUID, contactIDs []uuid.UUID) (*store.SegmentChange, error) {
	seg, err := tx.SegmentGet(ctx, tenantID, segmentID)
	if err != nil {
		return nil, err
	}
	cond, err := ParseDefinition(seg.Definition)
	if err != nil {
		// Stored definitions were validated; one that no longer passes
		// (a bound tightened since) keeps its last membership.
		s.opts.Logger.WarnContext(ctx, "segment definition no longer valid; membership kept", "tenant", tenantID, "segment", segmentID, "error", err)
		return &store.SegmentChange{Members: seg.MemberCount}, nil
	}
	now := s.opts.Now().UTC()
	ch, err := tx.SegmentRecompute(ctx, &store.SegmentRecomputeParams{TenantID: tenantID, SegmentID: segmentID, Condition: cond, Now: now, ContactIDs: contactIDs})
	if err != nil {
		return nil, err
	}
	if seg.ComputedAt == nil || len(ch.Entered)+len(ch.Exited) == 0 {
		return ch, nil
	}
	return ch, s.record(ctx, tx, seg, ch, now)
}

// record stores the membership changes as events and hands them to the
// engine.
func (s *Service) record(ctx context.Context, tx store.Tx, seg *domain.Segment, ch *store.SegmentChange, now time.Time) error {
	props, err := json.Marshal(map[string]string{"segmentId": seg.ID.String(), "segmentName": seg.Name})
	if err != nil {
		return err
	}
	evs := make([]store.EventInsert, 0, len(ch.Entered)+len(ch.Exited))
	add := func(name string, ids []uuid.UUID) {
		for _, id := range ids {
			evs = append(evs, store.EventInsert{ContactID: id, Name: name, Properties: props, OccurredAt: now, ReceivedAt: now,
				MessageID: fmt.Sprintf("%s:%s:%s:%d", name, seg.ID, id, now.UnixNano())})
		}
	}
	add(EventEntered, ch.Entered)
	add(EventExited, ch.Exited)
	stored, err := tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: seg.TenantID, Events: evs})
	if err != nil {
		return fmt.Errorf("record membership events: %w", err)
	}
	if s.opts.Engine == nil || len(stored) == 0 {
		return nil
	}
	in := make([]engine.IncomingEvent, len(stored))
	for i := range stored {
		in[i] = engine.IncomingEvent{Event: stored[i]}
	}
	if _, err := s.opts.Engine.EventTx(ctx, tx, in); err != nil {
		return fmt.Errorf("start journeys for membership events: %w", err)
	}
	return nil
}

// RecomputeContacts re-evaluates every segment of a tenant for the given
// contacts (events arrived for them), in one transaction.
func (s *Service) RecomputeContacts(ctx context.Context, tenantID uuid.UUID, contactIDs []uuid.UUID) error {
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		segs, err := tx.SegmentList(ctx, tenantID)
		if err != nil {
			return err
		}
		for _, seg := range segs {
			if seg.ComputedAt == nil {
				continue // its first full computation is queued
			}
			if _, err := s.recomputeTx(ctx, tx, tenantID, seg.ID, contactIDs); err != nil {
				return fmt.Errorf("segment %s: %w", seg.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("compute segments of tenant %s for %d contacts: %w", tenantID, len(contactIDs), err)
	}
	return nil
}
