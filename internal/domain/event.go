package domain

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Event is something a contact did, as a client reported it: a name, free
// properties (a JSON object) and when it happened. MessageID makes delivery
// idempotent: a tenant stores each message ID once (the server generates
// one when the client sent none).
type Event struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	ContactID  uuid.UUID
	Name       string
	Properties json.RawMessage
	// OccurredAt is the client's timestamp (ReceivedAt when it sent none).
	OccurredAt time.Time
	ReceivedAt time.Time
	MessageID  string
}
