package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// MessageStore holds messages, one row per send, and the messaging
// windows inbound messages open.
type MessageStore interface {
	// MessageInsert records a send before it is made (status queued, or
	// skipped when p.Status says so). A message is keyed by its ID: when
	// the tenant has a message with p.ID already it returns that message
	// and created=false.
	MessageInsert(ctx context.Context, p *MessageInsertParams) (m *domain.Message, created bool, err error)
	// MessageInsertMany does what MessageInsert does for several messages
	// of one tenant, in one statement on PostgreSQL (the senders' batched
	// Prepare); a message whose ID is stored already is left as it is.
	MessageInsertMany(ctx context.Context, ps []*MessageInsertParams) error
	MessageGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Message, error)
	MessageGetByProviderID(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, providerMessageID string) (*domain.Message, error)
	// MessageList filters and pages a tenant's messages, newest first (by
	// ID, UUIDv7).
	MessageList(ctx context.Context, p *MessageListParams) ([]domain.Message, error)
	// MessageMarkSent records the provider's acceptance: the provider
	// message ID is set and a queued message moves to sent (one further
	// on keeps its status: a callback may have come first). ErrNotFound
	// when the tenant has no such message; ErrConflict when the provider
	// ID belongs to another message of the channel.
	MessageMarkSent(ctx context.Context, p *MessageMarkSentParams) (*domain.Message, error)
	// MessageMarkSentMany does what MessageMarkSent does for several
	// messages of one tenant, in one statement on PostgreSQL (the engine's
	// group commit); a message that no longer exists is left out.
	MessageMarkSentMany(ctx context.Context, ps []*MessageMarkSentParams) error
	// MessageAdvance moves a message found by ID forward (see
	// domain.MessageCanMove) and stamps the status's time and, for failed,
	// bounced and skipped, the error. moved is false when the move would
	// go backwards or nowhere (a duplicate): the message is returned as it
	// is. ErrNotFound when the tenant has no such message.
	MessageAdvance(ctx context.Context, p *MessageAdvanceParams) (m *domain.Message, moved bool, err error)
	// MessageAdvanceByProviderID is MessageAdvance for a status callback,
	// the message found by channel and provider message ID (p.ID is
	// ignored). ErrNotFound when no message of the tenant has that
	// provider ID (yet: the send may not have recorded it; the caller
	// retries later).
	MessageAdvanceByProviderID(ctx context.Context, p *MessageAdvanceParams) (m *domain.Message, moved bool, err error)

	// MessagingWindowTouch records an inbound message from an address on a
	// connection: the window's last inbound time moves forward (never
	// back) and the contact, when given, is kept.
	MessagingWindowTouch(ctx context.Context, p *MessagingWindowTouchParams) (*domain.MessagingWindow, error)
	// MessagingWindowGet returns the window of an address on a connection;
	// ErrNotFound when the address never wrote.
	MessagingWindowGet(ctx context.Context, tenantID, connectionID uuid.UUID, address string) (*domain.MessagingWindow, error)
}

// MessageInsertParams records a send.
type MessageInsertParams struct {
	TenantID        uuid.UUID
	ID              uuid.UUID // zero: generated
	Channel         domain.ChannelKind
	ConnectionID    *uuid.UUID
	ContactID       *uuid.UUID
	WorkflowID      *uuid.UUID
	WorkflowVersion int
	ExecutionID     *uuid.UUID
	StepID          *uuid.UUID
	NodeID          string
	TemplateID      *uuid.UUID
	Recipient       string
	// ProviderMessageID is set when the ID is ours to choose before the
	// call (an email's Message-ID).
	ProviderMessageID *string
	// Status is queued (the zero value means queued) or skipped, with
	// ErrorCode and ErrorText saying why.
	Status    domain.MessageStatus
	ErrorCode string
	ErrorText string
	// At is the queued (or skipped) time; zero: now.
	At time.Time
}

// MessageListParams filters and pages a tenant's messages.
type MessageListParams struct {
	TenantID    uuid.UUID
	ContactID   *uuid.UUID
	WorkflowID  *uuid.UUID
	NodeID      string
	ExecutionID *uuid.UUID
	Channel     domain.ChannelKind
	Status      domain.MessageStatus
	// Before is the ID of the last message of the previous page; uuid.Nil
	// starts at the newest.
	Before uuid.UUID
	Limit  int
}

// MessageMarkSentParams records a provider's acceptance of a send.
type MessageMarkSentParams struct {
	TenantID          uuid.UUID
	ID                uuid.UUID
	ProviderMessageID string
	At                time.Time
}

// MessageAdvanceParams moves a message forward.
type MessageAdvanceParams struct {
	TenantID uuid.UUID
	// ID finds the message for MessageAdvance.
	ID uuid.UUID
	// Channel and ProviderMessageID find it for MessageAdvanceByProviderID.
	Channel           domain.ChannelKind
	ProviderMessageID string
	Status            domain.MessageStatus
	At                time.Time
	// ErrorCode and ErrorText are recorded with failed, bounced and
	// skipped.
	ErrorCode string
	ErrorText string
}

// MessagingWindowTouchParams records an inbound message.
type MessagingWindowTouchParams struct {
	TenantID     uuid.UUID
	ConnectionID uuid.UUID
	Channel      domain.ChannelKind
	Address      string
	ContactID    *uuid.UUID
	At           time.Time
}
