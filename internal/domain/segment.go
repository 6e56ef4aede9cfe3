package domain

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Segment is a tenant's audience: the contacts its condition tree matches,
// kept as a membership that a background process brings up to date as
// contacts and events change and as time passes.
type Segment struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	Name        string
	Description string
	// Definition is the condition tree as stored (store.SegmentCondition's
	// JSON).
	Definition json.RawMessage
	// MemberCount is the membership's size after the last computation;
	// ComputedAt when that was (nil: never computed).
	MemberCount int
	ComputedAt  *time.Time
	// A whole computation in progress runs in chunks of contacts by ID,
	// one transaction each: ComputeStartedAt is when it began (nil: none
	// in progress) and ComputeCursor the last contact ID it has evaluated
	// (uuid.Nil: none yet), where it resumes after a crash.
	ComputeStartedAt *time.Time
	ComputeCursor    uuid.UUID
	CreatedAt        time.Time
	UpdatedAt        time.Time
}
