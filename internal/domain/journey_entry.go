package domain

import (
	"time"

	"github.com/google/uuid"
)

// JourneyEntry records that a contact entered a workflow through an event
// (trigger.event): the latest execution it started, the re-entry policy it
// entered under, and how often and when the contact entered. One per
// tenant, workflow and contact.
type JourneyEntry struct {
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	ContactID  uuid.UUID
	// ExecutionID is the latest entry's execution; nil once that execution
	// was deleted.
	ExecutionID    *uuid.UUID
	Reentry        string
	Entries        int
	FirstEnteredAt time.Time
	EnteredAt      time.Time
}
