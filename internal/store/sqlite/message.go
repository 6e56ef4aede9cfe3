package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func messageFromRow(r dbsqlc.Message) *domain.Message {
	return &domain.Message{
		ID:                r.ID,
		TenantID:          r.TenantID,
		Channel:           domain.ChannelKind(r.Channel),
		ConnectionID:      uuidPtr(r.ConnectionID),
		ContactID:         uuidPtr(r.ContactID),
		WorkflowID:        uuidPtr(r.WorkflowID),
		WorkflowVersion:   int(r.WorkflowVersion),
		ExecutionID:       uuidPtr(r.ExecutionID),
		StepID:            uuidPtr(r.StepID),
		NodeID:            r.NodeID,
		TemplateID:        uuidPtr(r.TemplateID),
		Recipient:         r.Recipient,
		ProviderMessageID: strPtr(r.ProviderMessageID),
		Status:            domain.MessageStatus(r.Status),
		ErrorCode:         r.ErrorCode,
		ErrorText:         r.ErrorText,
		QueuedAt:          r.QueuedAt.UTC(),
		SentAt:            timePtr(r.SentAt),
		DeliveredAt:       timePtr(r.DeliveredAt),
		ReadAt:            timePtr(r.ReadAt),
		FailedAt:          timePtr(r.FailedAt),
		BouncedAt:         timePtr(r.BouncedAt),
		SkippedAt:         timePtr(r.SkippedAt),
		CreatedAt:         r.CreatedAt.UTC(),
		UpdatedAt:         r.UpdatedAt.UTC(),
	}
}

// atOrNow is a caller's time at the store's precision, now when zero.
func atOrNow(at time.Time) time.Time {
	if at.IsZero() {
		return now()
	}
	return utc(at)
}

// boolInt is a flag parameter of a query.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// MessageInsert records a send; an ID stored already returns the existing
// message with created=false.
func (t *tx) MessageInsert(ctx context.Context, p *store.MessageInsertParams) (*domain.Message, bool, error) {
	status := p.Status
	if status == "" {
		status = domain.MessageQueued
	}
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	at := atOrNow(p.At)
	var skippedAt sql.NullTime
	if status == domain.MessageSkipped {
		skippedAt = sql.NullTime{Time: at, Valid: true}
	}
	r, err := t.q.MessageInsert(ctx, t.tx, &dbsqlc.MessageInsertParams{
		ID: id, TenantID: p.TenantID, Channel: string(p.Channel), ConnectionID: nullUUID(p.ConnectionID),
		ContactID: nullUUID(p.ContactID), WorkflowID: nullUUID(p.WorkflowID), WorkflowVersion: int64(p.WorkflowVersion),
		ExecutionID: nullUUID(p.ExecutionID), StepID: nullUUID(p.StepID), NodeID: p.NodeID, TemplateID: nullUUID(p.TemplateID),
		Recipient: p.Recipient, ProviderMessageID: nullStr(p.ProviderMessageID),
		Status: string(status), ErrorCode: p.ErrorCode, ErrorText: p.ErrorText, QueuedAt: at, SkippedAt: skippedAt, Now: now(),
	})
	if errors.Is(err, sql.ErrNoRows) {
		m, err := t.MessageGetByID(ctx, p.TenantID, id)
		if err != nil {
			return nil, false, err
		}
		return m, false, nil
	}
	if err != nil {
		return nil, false, wrap(err, "insert message %s", id)
	}
	return messageFromRow(r), true, nil
}

// MessageGetByID returns a tenant's message.
func (t *tx) MessageGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Message, error) {
	r, err := t.q.MessageGetByID(ctx, t.tx, &dbsqlc.MessageGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "get message %s", id)
	}
	return messageFromRow(r), nil
}

// MessageGetByProviderID returns the message a provider knows by an ID.
func (t *tx) MessageGetByProviderID(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, providerMessageID string) (*domain.Message, error) {
	r, err := t.q.MessageGetByProviderID(ctx, t.tx, &dbsqlc.MessageGetByProviderIDParams{
		TenantID: tenantID, Channel: string(channel), ProviderMessageID: sql.NullString{String: providerMessageID, Valid: true}})
	if err != nil {
		return nil, wrap(err, "get %s message %q", channel, providerMessageID)
	}
	return messageFromRow(r), nil
}

// MessageList filters and pages a tenant's messages, newest first.
func (t *tx) MessageList(ctx context.Context, p *store.MessageListParams) ([]domain.Message, error) {
	rows, err := t.q.MessageList(ctx, t.tx, &dbsqlc.MessageListParams{
		TenantID: p.TenantID, Before: before(p.Before),
		FilterContact: boolInt(p.ContactID != nil), ContactID: nullUUID(p.ContactID),
		FilterWorkflow: boolInt(p.WorkflowID != nil), WorkflowID: nullUUID(p.WorkflowID),
		FilterExecution: boolInt(p.ExecutionID != nil), ExecutionID: nullUUID(p.ExecutionID),
		NodeID: p.NodeID, Channel: string(p.Channel), Status: string(p.Status), Lim: limit(p.Limit, 50, 500),
	})
	if err != nil {
		return nil, wrap(err, "list messages of tenant %s", p.TenantID)
	}
	out := make([]domain.Message, 0, len(rows))
	for _, r := range rows {
		out = append(out, *messageFromRow(r))
	}
	return out, nil
}

// MessageMarkSent records the provider's acceptance of a send.
func (t *tx) MessageMarkSent(ctx context.Context, p *store.MessageMarkSentParams) (*domain.Message, error) {
	r, err := t.q.MessageMarkSent(ctx, t.tx, &dbsqlc.MessageMarkSentParams{
		TenantID: p.TenantID, ID: p.ID, ProviderMessageID: sql.NullString{String: p.ProviderMessageID, Valid: true},
		At: sql.NullTime{Time: atOrNow(p.At), Valid: true}, Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "mark message %s sent", p.ID)
	}
	return messageFromRow(r), nil
}

// MessageAdvance moves a message found by ID forward.
func (t *tx) MessageAdvance(ctx context.Context, p *store.MessageAdvanceParams) (*domain.Message, bool, error) {
	return t.messageAdvance(ctx, p, true)
}

// MessageAdvanceByProviderID moves a message found by its provider ID
// forward.
func (t *tx) MessageAdvanceByProviderID(ctx context.Context, p *store.MessageAdvanceParams) (*domain.Message, bool, error) {
	return t.messageAdvance(ctx, p, false)
}

func (t *tx) messageAdvance(ctx context.Context, p *store.MessageAdvanceParams, byID bool) (*domain.Message, bool, error) {
	r, err := t.q.MessageAdvance(ctx, t.tx, &dbsqlc.MessageAdvanceParams{
		TenantID: p.TenantID, ByID: boolInt(byID), ID: p.ID, Channel: string(p.Channel),
		ProviderMessageID: sql.NullString{String: p.ProviderMessageID, Valid: true}, Status: string(p.Status),
		At: sql.NullTime{Time: atOrNow(p.At), Valid: true}, ErrorCode: p.ErrorCode, ErrorText: p.ErrorText, Now: now(),
	})
	if err == nil {
		return messageFromRow(r), true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, wrap(err, "move message to %s", p.Status)
	}
	// Nothing moved: a message that is already there or further on, or
	// none at all.
	var m *domain.Message
	if byID {
		m, err = t.MessageGetByID(ctx, p.TenantID, p.ID)
	} else {
		m, err = t.MessageGetByProviderID(ctx, p.TenantID, p.Channel, p.ProviderMessageID)
	}
	if err != nil {
		return nil, false, err
	}
	return m, false, nil
}

func messagingWindowFromRow(r dbsqlc.MessagingWindow) *domain.MessagingWindow {
	return &domain.MessagingWindow{
		TenantID:      r.TenantID,
		ConnectionID:  r.ConnectionID,
		Channel:       domain.ChannelKind(r.Channel),
		Address:       r.Address,
		ContactID:     uuidPtr(r.ContactID),
		LastInboundAt: r.LastInboundAt.UTC(),
	}
}

// MessagingWindowTouch records an inbound message from an address. Times
// are stored as UTC text of one layout, so max() compares them.
func (t *tx) MessagingWindowTouch(ctx context.Context, p *store.MessagingWindowTouchParams) (*domain.MessagingWindow, error) {
	r, err := t.q.MessagingWindowTouch(ctx, t.tx, &dbsqlc.MessagingWindowTouchParams{
		TenantID: p.TenantID, ConnectionID: p.ConnectionID, Channel: string(p.Channel), Address: p.Address,
		ContactID: nullUUID(p.ContactID), At: atOrNow(p.At),
	})
	if err != nil {
		return nil, wrap(err, "touch messaging window of channel %s", p.ConnectionID)
	}
	return messagingWindowFromRow(r), nil
}

// MessagingWindowGet returns the window of an address on a connection.
func (t *tx) MessagingWindowGet(ctx context.Context, tenantID, connectionID uuid.UUID, address string) (*domain.MessagingWindow, error) {
	r, err := t.q.MessagingWindowGet(ctx, t.tx, &dbsqlc.MessagingWindowGetParams{TenantID: tenantID, ConnectionID: connectionID, Address: address})
	if err != nil {
		return nil, wrap(err, "get messaging window of channel %s", connectionID)
	}
	return messagingWindowFromRow(r), nil
}

// MessageMarkSentMany marks several messages of one tenant sent; a message
// that no longer exists is left out. SQLite runs in process: one statement
// per message costs no round trip.
func (t *tx) MessageMarkSentMany(ctx context.Context, ps []*store.MessageMarkSentParams) error {
	if err := store.OneTenant(ps, func(p *store.MessageMarkSentParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("mark messages sent: %w", err)
	}
	for _, p := range ps {
		if _, err := t.MessageMarkSent(ctx, p); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// MessageInsertMany records several sends of one tenant, as MessageInsert
// each; a message whose ID is stored already is left as it is.
func (t *tx) MessageInsertMany(ctx context.Context, ps []*store.MessageInsertParams) error {
	if err := store.OneTenant(ps, func(p *store.MessageInsertParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("insert messages: %w", err)
	}
	for _, p := range ps {
		if _, _, err := t.MessageInsert(ctx, p); err != nil {
			return err
		}
	}
	return nil
}
