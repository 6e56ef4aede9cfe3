package domain

import (
	"time"

	"github.com/google/uuid"
)

// BroadcastStatus is where a broadcast is in its life.
type BroadcastStatus string

// Broadcast statuses. A broadcast is scheduled until its start, running
// while it starts executions, paused and resumed at will, and ends
// completed (every recipient handled), cancelled, or failed (it could not
// go on: its workflow was deleted or unpublished, or its turns kept
// failing; LastError says why).
const (
	BroadcastScheduled BroadcastStatus = "scheduled"
	BroadcastRunning   BroadcastStatus = "running"
	BroadcastPaused    BroadcastStatus = "paused"
	BroadcastCompleted BroadcastStatus = "completed"
	BroadcastCancelled BroadcastStatus = "cancelled"
	BroadcastFailed    BroadcastStatus = "failed"
)

// Final reports whether the broadcast has ended.
func (s BroadcastStatus) Final() bool {
	return s == BroadcastCompleted || s == BroadcastCancelled || s == BroadcastFailed
}

// How a broadcast is timed.
const (
	// BroadcastNow starts at once.
	BroadcastNow = "now"
	// BroadcastAt starts at SendAt in Timezone.
	BroadcastAt = "at"
	// BroadcastContactLocal starts each contact's execution at SendAt's
	// wall-clock time in the contact's own timezone (Timezone for contacts
	// without a valid one).
	BroadcastContactLocal = "contact_local"
)

// Broadcast runs one published workflow version once for every contact of
// a segment, at a rate.
type Broadcast struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Name     string
	// WorkflowID and VersionID: the version current when the broadcast was
	// created, which every recipient runs; TriggerNodeID the trigger the
	// executions start at.
	WorkflowID    uuid.UUID
	VersionID     uuid.UUID
	Version       int
	TriggerNodeID string
	SegmentID     uuid.UUID
	Status        BroadcastStatus
	// ScheduleMode is BroadcastNow, BroadcastAt or BroadcastContactLocal;
	// SendAt the wall-clock time asked for ("2006-01-02T15:04:05", empty
	// for now), read in Timezone.
	ScheduleMode string
	SendAt       string
	Timezone     string
	// StartsAt is when the recipients are taken from the segment: the
	// start, or for contact_local the earliest local time on Earth.
	StartsAt      time.Time
	RatePerSecond int
	// Generation tells the broadcast's current job from one a pause and
	// resume left behind.
	Generation int
	// Total is the recipients taken from the segment (0 until then);
	// Started and Skipped those handled (skipped: their start failed, e.g.
	// the contact was deleted). LastError is the last skip's or failure's
	// reason.
	Total     int
	Started   int
	Skipped   int
	LastError string
	// SnapshotAt is when the recipients were taken (nil: not yet).
	SnapshotAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

// Done is how many recipients were handled.
func (b *Broadcast) Done() int { return b.Started + b.Skipped }
