package domain

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Subscription states of a contact on one channel.
const (
	SubscriptionSubscribed   = "subscribed"
	SubscriptionUnsubscribed = "unsubscribed"
	// SubscriptionNever is the state of a channel the contact never
	// subscribed to; a channel missing from Contact.Subscriptions is in it.
	SubscriptionNever = "never"
)

// Subscription is a contact's consent on one channel: its state, what set
// it ("api", "import", "segment", "journey"…) and when.
type Subscription struct {
	State  string    `json:"state"`
	Source string    `json:"source,omitempty"`
	At     time.Time `json:"at"`
}

// Contact is a person journeys run for, one per tenant and external ID
// (the customer's own user ID) or email.
type Contact struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	// ExternalID is the customer's own user ID, unique per tenant.
	ExternalID *string
	// Email is lowercase and trimmed, unique per tenant.
	Email *string
	// Phone is in E.164 form (+4915112345678).
	Phone         *string
	MessengerPSID *string
	Name          string
	// Timezone is an IANA zone name ("Europe/Berlin"), "" when unknown.
	Timezone string
	// Locale is a BCP 47 tag ("de-DE"), "" when unknown.
	Locale string
	// Attributes is the contact's free-form data: a JSON object as stored
	// (never nil once read from the store; "{}" when empty). It stays raw
	// so numbers keep their exact text; contact.View decodes it.
	Attributes json.RawMessage
	// Subscriptions is the consent per channel ("email", "whatsapp",
	// "messenger", …).
	Subscriptions map[string]Subscription
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// LastSeenAt is the time of the contact's latest event or identify.
	LastSeenAt *time.Time
}
