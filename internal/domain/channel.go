package domain

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// ChannelKind is a messaging channel a connection, a template and a
// message belong to.
type ChannelKind string

// Channel kinds.
const (
	ChannelEmail     ChannelKind = "email"
	ChannelWhatsApp  ChannelKind = "whatsapp"
	ChannelMessenger ChannelKind = "messenger"
)

// ChannelKinds lists every channel kind, in the order the dashboard shows
// them.
func ChannelKinds() []ChannelKind {
	return []ChannelKind{ChannelEmail, ChannelWhatsApp, ChannelMessenger}
}

// Valid reports whether k is a known channel kind.
func (k ChannelKind) Valid() bool {
	return k == ChannelEmail || k == ChannelWhatsApp || k == ChannelMessenger
}

// ChannelStatus is what the last "test connection" of a connection found.
type ChannelStatus string

// Channel connection statuses.
const (
	// ChannelUntested: never tested, or changed since the last test.
	ChannelUntested ChannelStatus = "untested"
	ChannelOK       ChannelStatus = "ok"
	ChannelFailing  ChannelStatus = "failing"
)

// Valid reports whether s is a known connection status.
func (s ChannelStatus) Valid() bool {
	return s == ChannelUntested || s == ChannelOK || s == ChannelFailing
}

// ChannelConnection is a tenant's account with a messaging provider: an
// SMTP server, a WhatsApp Cloud API phone number or a Facebook Page.
// Config holds the non-secret settings (a JSON object whose shape depends
// on Kind; package channel defines it); the secrets are one JSON object
// sealed into Ciphertext with the key KeyID, bound to the tenant and the
// connection's ID, and never leave the process except to the provider.
type ChannelConnection struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Kind     ChannelKind
	// Name is unique per tenant.
	Name   string
	Config json.RawMessage
	// SecretNames lists the secrets that are set (sorted), so a connection
	// can say which are without opening them.
	SecretNames   []string
	Ciphertext    []byte
	KeyID         string
	Status        ChannelStatus
	StatusMessage string
	LastTestedAt  *time.Time
	CreatedBy     *uuid.UUID
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// MessageTemplate is a tenant's reusable message for one channel kind, in
// Liquid. Content is a JSON object whose fields depend on Channel (package
// channel defines them: subject, preheader, html and text for email; text,
// or an approved template name, language and parameters for WhatsApp; text
// for Messenger).
type MessageTemplate struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Channel  ChannelKind
	// Name is unique per tenant and channel.
	Name        string
	Description string
	Content     json.RawMessage
	CreatedBy   *uuid.UUID
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// MessageStatus is where a sent message is. Statuses move forward only,
// in the order of MessageStatusRank: queued → sent → delivered → read,
// and queued, sent or delivered → failed or bounced; queued → skipped.
// failed, bounced and skipped are final, and so is read except that it
// never moves back; a status callback that would move a message backwards
// (a late "delivered" after "read", a duplicate) changes nothing.
type MessageStatus string

// Message statuses.
const (
	// MessageQueued: recorded before the provider call.
	MessageQueued MessageStatus = "queued"
	// MessageSent: the provider accepted it.
	MessageSent      MessageStatus = "sent"
	MessageDelivered MessageStatus = "delivered"
	MessageRead      MessageStatus = "read"
	// MessageFailed: the provider refused it, or reported it failed later.
	MessageFailed MessageStatus = "failed"
	// MessageBounced: the recipient's server refused it permanently (the
	// address is suppressed).
	MessageBounced MessageStatus = "bounced"
	// MessageSkipped: not sent (suppressed, unsubscribed, outside the
	// messaging window); ErrorText says why.
	MessageSkipped MessageStatus = "skipped"
)

// MessageStatuses lists every message status in lifecycle order.
func MessageStatuses() []MessageStatus {
	return []MessageStatus{MessageQueued, MessageSent, MessageDelivered, MessageRead, MessageFailed, MessageBounced, MessageSkipped}
}

// Valid reports whether s is a known message status.
func (s MessageStatus) Valid() bool {
	switch s {
	case MessageQueued, MessageSent, MessageDelivered, MessageRead, MessageFailed, MessageBounced, MessageSkipped:
		return true
	}
	return false
}

// Final reports whether nothing moves a message in status s any more.
func (s MessageStatus) Final() bool {
	return s == MessageFailed || s == MessageBounced || s == MessageSkipped
}

// MessageStatusRank orders statuses for forward-only moves: queued 0,
// sent 1, delivered 2, read 3, failed/bounced/skipped 4.
func MessageStatusRank(s MessageStatus) int {
	switch s {
	case MessageQueued:
		return 0
	case MessageSent:
		return 1
	case MessageDelivered:
		return 2
	case MessageRead:
		return 3
	}
	return 4
}

// MessageCanMove reports whether a message in status from may move to
// status to: forward in rank, except that a read message never fails or
// bounces and only a queued one is skipped.
func MessageCanMove(from, to MessageStatus) bool {
	if MessageStatusRank(to) <= MessageStatusRank(from) {
		return false
	}
	switch to {
	case MessageFailed, MessageBounced:
		return from != MessageRead
	case MessageSkipped:
		return from == MessageQueued
	}
	return true
}

// Message is one send of a journey step (or a test send) to one recipient
// over one channel. The contact may be gone (erased: ContactID nil and
// Recipient blank), the counts stay.
type Message struct {
	ID           uuid.UUID
	TenantID     uuid.UUID
	Channel      ChannelKind
	ConnectionID *uuid.UUID
	ContactID    *uuid.UUID
	WorkflowID   *uuid.UUID
	// WorkflowVersion is the published version number, 0 outside a
	// journey.
	WorkflowVersion int
	ExecutionID     *uuid.UUID
	StepID          *uuid.UUID
	NodeID          string
	TemplateID      *uuid.UUID
	// Recipient is the address: an email address, a WhatsApp ID (phone
	// number) or a Messenger page-scoped ID.
	Recipient string
	// ProviderMessageID is the provider's ID (SMTP Message-ID, wamid.…,
	// m_…), unique per tenant and channel; nil until known.
	ProviderMessageID *string
	Status            MessageStatus
	ErrorCode         string
	ErrorText         string
	QueuedAt          time.Time
	SentAt            *time.Time
	DeliveredAt       *time.Time
	ReadAt            *time.Time
	FailedAt          *time.Time
	BouncedAt         *time.Time
	SkippedAt         *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// SuppressionReason is why an address gets no more messages.
type SuppressionReason string

// Suppression reasons.
const (
	SuppressionHardBounce   SuppressionReason = "hard_bounce"
	SuppressionComplaint    SuppressionReason = "complaint"
	SuppressionUnsubscribed SuppressionReason = "unsubscribed"
	SuppressionManual       SuppressionReason = "manual"
)

// Valid reports whether r is a known suppression reason.
func (r SuppressionReason) Valid() bool {
	return r == SuppressionHardBounce || r == SuppressionComplaint || r == SuppressionUnsubscribed || r == SuppressionManual
}

// Suppression is an address of a tenant that no message of a channel is
// sent to.
type Suppression struct {
	TenantID uuid.UUID
	Channel  ChannelKind
	// Address is normalised by the caller (lowercase email, WhatsApp ID,
	// PSID).
	Address         string
	Reason          SuppressionReason
	SourceMessageID *uuid.UUID
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// MessagingWindow is the last inbound message of an address on a
// connection: WhatsApp and Messenger allow free-form messages only within
// 24 hours of it (the customer-service window).
type MessagingWindow struct {
	TenantID      uuid.UUID
	ConnectionID  uuid.UUID
	Channel       ChannelKind
	Address       string
	ContactID     *uuid.UUID
	LastInboundAt time.Time
}

// Open reports whether the window is open at now for a window length d.
func (w *MessagingWindow) Open(now time.Time, d time.Duration) bool {
	return w != nil && now.Before(w.LastInboundAt.Add(d))
}
