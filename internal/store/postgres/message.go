package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toMessage(r dbsqlc.Message) *domain.Message {
	return &domain.Message{
		ID:                r.ID,
		TenantID:          r.TenantID,
		Channel:           domain.ChannelKind(r.Channel),
		ConnectionID:      r.ConnectionID,
		ContactID:         r.ContactID,
		WorkflowID:        r.WorkflowID,
		WorkflowVersion:   int(r.WorkflowVersion),
		ExecutionID:       r.ExecutionID,
		StepID:            r.StepID,
		NodeID:            r.NodeID,
		TemplateID:        r.TemplateID,
		Recipient:         r.Recipient,
		ProviderMessageID: r.ProviderMessageID,
		Status:            domain.MessageStatus(r.Status),
		ErrorCode:         r.ErrorCode,
		ErrorText:         r.ErrorText,
		QueuedAt:          utc(r.QueuedAt),
		SentAt:            utcPtr(r.SentAt),
		DeliveredAt:       utcPtr(r.DeliveredAt),
		ReadAt:            utcPtr(r.ReadAt),
		FailedAt:          utcPtr(r.FailedAt),
		BouncedAt:         utcPtr(r.BouncedAt),
		SkippedAt:         utcPtr(r.SkippedAt),
		CreatedAt:         utc(r.CreatedAt),
		UpdatedAt:         utc(r.UpdatedAt),
	}
}

// atOrNow is a caller's time at the store's precision, now when zero.
func atOrNow(at time.Time) time.Time {
	if at.IsZero() {
		at = time.Now()
	}
	return at.UTC().Truncate(time.Microsecond)
}

// MessageInsert records a send; an ID stored already returns the existing
// message with created=false (ON CONFLICT DO NOTHING keeps the
// transaction usable).
func (t *tx) MessageInsert(ctx context.Context, p *store.MessageInsertParams) (*domain.Message, bool, error) {
	status := p.Status
	if status == "" {
		status = domain.MessageQueued
	}
	at := atOrNow(p.At)
	var skippedAt *time.Time
	if status == domain.MessageSkipped {
		skippedAt = &at
	}
	id := newID(p.ID)
	r, err := t.q.MessageInsert(ctx, dbsqlc.MessageInsertParams{
		TenantID: p.TenantID, ID: id, Channel: string(p.Channel), ConnectionID: p.ConnectionID,
		ContactID: p.ContactID, WorkflowID: p.WorkflowID, WorkflowVersion: int32(p.WorkflowVersion),
		ExecutionID: p.ExecutionID, StepID: p.StepID, NodeID: p.NodeID, TemplateID: p.TemplateID,
		Recipient: p.Recipient, ProviderMessageID: p.ProviderMessageID,
		Status: string(status), ErrorCode: p.ErrorCode, ErrorText: p.ErrorText, QueuedAt: at, SkippedAt: skippedAt,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		// The ID is taken, or the contact (the tenant, for a message
		// without one) is missing and nothing was stored.
		m, err := t.MessageGetByID(ctx, p.TenantID, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, fmt.Errorf("insert message %s: its contact or tenant is missing: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return nil, false, err
		}
		return m, false, nil
	}
	if err != nil {
		return nil, false, translate(err, "insert message %s", id)
	}
	if p.ProviderMessageID != nil {
		if err := t.messageProviderIDAdd(ctx, r.TenantID, r.Channel, *p.ProviderMessageID, r.ID); err != nil {
			return nil, false, err
		}
	}
	return toMessage(r), true, nil
}

// messageProviderIDAdd records the provider ID a message is inserted with
// in message_provider_ids, where status callbacks look it up; another
// message's ID is ErrConflict.
func (t *tx) messageProviderIDAdd(ctx context.Context, tenantID uuid.UUID, channel, providerMessageID string, id uuid.UUID) error {
	err := t.q.MessageProviderIDAdd(ctx, dbsqlc.MessageProviderIDAddParams{
		TenantID: tenantID, Channel: channel, ProviderMessageID: providerMessageID, MessageID: id})
	if err != nil {
		return translate(err, "record %s message ID %q", channel, providerMessageID)
	}
	return nil
}

// MessageGetByID returns a tenant's message.
func (t *tx) MessageGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Message, error) {
	r, err := t.q.MessageGetByID(ctx, dbsqlc.MessageGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get message %s", id)
	}
	return toMessage(r), nil
}

// MessageGetByProviderID returns the message a provider knows by an ID.
func (t *tx) MessageGetByProviderID(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, providerMessageID string) (*domain.Message, error) {
	r, err := t.q.MessageGetByProviderID(ctx, dbsqlc.MessageGetByProviderIDParams{
		TenantID: tenantID, Channel: string(channel), ProviderMessageID: providerMessageID})
	if err != nil {
		return nil, translate(err, "get %s message %q", channel, providerMessageID)
	}
	return toMessage(r), nil
}

// MessageList filters and pages a tenant's messages, newest first.
func (t *tx) MessageList(ctx context.Context, p *store.MessageListParams) ([]domain.Message, error) {
	rows, err := t.q.MessageList(ctx, dbsqlc.MessageListParams{
		TenantID: p.TenantID, Before: before(p.Before), ContactID: p.ContactID, WorkflowID: p.WorkflowID,
		ExecutionID: p.ExecutionID, NodeID: p.NodeID, Channel: string(p.Channel), Status: string(p.Status),
		Lim: limit(p.Limit, pageDefault, pageMax),
	})
	if err != nil {
		return nil, translate(err, "list messages of tenant %s", p.TenantID)
	}
	out := make([]domain.Message, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toMessage(r))
	}
	return out, nil
}

// MessageMarkSent records the provider's acceptance of a send.
func (t *tx) MessageMarkSent(ctx context.Context, p *store.MessageMarkSentParams) (*domain.Message, error) {
	if err := t.MessageMarkSentMany(ctx, []*store.MessageMarkSentParams{p}); err != nil {
		return nil, err
	}
	return t.MessageGetByID(ctx, p.TenantID, p.ID)
}

// MessageAdvance moves a message found by ID forward.
func (t *tx) MessageAdvance(ctx context.Context, p *store.MessageAdvanceParams) (*domain.Message, bool, error) {
	id := p.ID
	return t.messageAdvance(ctx, p, &id)
}

// MessageAdvanceByProviderID moves a message found by its provider ID
// forward.
func (t *tx) MessageAdvanceByProviderID(ctx context.Context, p *store.MessageAdvanceParams) (*domain.Message, bool, error) {
	return t.messageAdvance(ctx, p, nil)
}

func (t *tx) messageAdvance(ctx context.Context, p *store.MessageAdvanceParams, id *uuid.UUID) (*domain.Message, bool, error) {
	at := atOrNow(p.At)
	r, err := t.q.MessageAdvance(ctx, dbsqlc.MessageAdvanceParams{
		TenantID: p.TenantID, ID: id, Channel: string(p.Channel), ProviderMessageID: p.ProviderMessageID,
		Status: string(p.Status), At: &at, ErrorCode: p.ErrorCode, ErrorText: p.ErrorText,
	})
	if err == nil {
		return toMessage(r), true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, translate(err, "move message to %s", p.Status)
	}
	// Nothing moved: a message that is already there or further on, or
	// none at all.
	var m *domain.Message
	if id != nil {
		m, err = t.MessageGetByID(ctx, p.TenantID, *id)
	} else {
		m, err = t.MessageGetByProviderID(ctx, p.TenantID, p.Channel, p.ProviderMessageID)
	}
	if err != nil {
		return nil, false, err
	}
	return m, false, nil
}

func toMessagingWindow(r dbsqlc.MessagingWindow) *domain.MessagingWindow {
	return &domain.MessagingWindow{
		TenantID:      r.TenantID,
		ConnectionID:  r.ConnectionID,
		Channel:       domain.ChannelKind(r.Channel),
		Address:       r.Address,
		ContactID:     r.ContactID,
		LastInboundAt: utc(r.LastInboundAt),
	}
}

// MessagingWindowTouch records an inbound message from an address.
func (t *tx) MessagingWindowTouch(ctx context.Context, p *store.MessagingWindowTouchParams) (*domain.MessagingWindow, error) {
	r, err := t.q.MessagingWindowTouch(ctx, dbsqlc.MessagingWindowTouchParams{
		TenantID: p.TenantID, ConnectionID: p.ConnectionID, Channel: string(p.Channel), Address: p.Address,
		ContactID: p.ContactID, At: atOrNow(p.At),
	})
	if err != nil {
		return nil, translate(err, "touch messaging window of channel %s", p.ConnectionID)
	}
	return toMessagingWindow(r), nil
}

// MessagingWindowGet returns the window of an address on a connection.
func (t *tx) MessagingWindowGet(ctx context.Context, tenantID, connectionID uuid.UUID, address string) (*domain.MessagingWindow, error) {
	r, err := t.q.MessagingWindowGet(ctx, dbsqlc.MessagingWindowGetParams{TenantID: tenantID, ConnectionID: connectionID, Address: address})
	if err != nil {
		return nil, translate(err, "get messaging window of channel %s", connectionID)
	}
	return toMessagingWindow(r), nil
}

// messageMarkSentManySQL is MessageMarkSent for several messages of one
// tenant in one round trip; the arrays are zipped row by row. Raw SQL:
// sqlc cannot type the unnest of parallel arrays, and the statement is
// planned on each call, as stepUpdateManySQL. The update changes no
// indexed column, so on messages' half-empty pages it is a HOT update;
// message_provider_ids, the index of the provider IDs kept by hand, gets
// each ID a message did not show already: "was", read by a subquery of
// RETURNING, which sees the row as it was before the statement (a
// self-join in the update gave the same and cost more to plan, at each
// call). The statement returns the IDs replaced by another one, for
// MessageMarkSentMany to delete.
const messageMarkSentManySQL = `WITH sent AS (
    UPDATE messages AS m
    SET provider_message_id = u.provider_message_id,
        status = CASE WHEN m.status = 'queued' THEN 'sent' ELSE m.status END,
        sent_at = coalesce(m.sent_at, u.at),
        updated_at = clock_timestamp()
    FROM unnest($2::uuid[], $3::text[], $4::timestamptz[]) AS u(id, provider_message_id, at)
    WHERE m.tenant_id = $1 AND m.id = ANY($2::uuid[]) AND m.id = u.id AND ` + customPlanOnly + `
    RETURNING m.id, m.channel, m.provider_message_id AS now_id,
        (SELECT was.provider_message_id FROM messages AS was WHERE was.tenant_id = $1 AND was.id = m.id) AS was_id
), added AS (
    INSERT INTO message_provider_ids (tenant_id, channel, provider_message_id, message_id)
    SELECT $1, s.channel, s.now_id, s.id FROM sent s WHERE s.was_id IS DISTINCT FROM s.now_id
)
SELECT s.id, s.channel, s.was_id FROM sent s WHERE s.was_id <> s.now_id`

// MessageMarkSentMany marks several messages of one tenant sent in one
// round trip; a message that no longer exists is left out. A provider ID
// given to another message is ErrConflict.
func (t *tx) MessageMarkSentMany(ctx context.Context, ps []*store.MessageMarkSentParams) error {
	n := len(ps)
	if n == 0 {
		return nil
	}
	if err := store.OneTenant(ps, func(p *store.MessageMarkSentParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("mark messages sent: %w", err)
	}
	tenantID := ps[0].TenantID
	ids, providerIDs, ats := make([]uuid.UUID, n), make([]string, n), make([]time.Time, n)
	for i, p := range ps {
		ids[i], providerIDs[i], ats[i] = p.ID, p.ProviderMessageID, atOrNow(p.At)
	}
	rows, err := t.tx.Query(ctx, messageMarkSentManySQL, tenantID, ids, providerIDs, ats)
	if err != nil {
		return translate(err, "mark %d messages sent", n)
	}
	replaced, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (dbsqlc.MessageProviderIDDeleteParams, error) {
		r := dbsqlc.MessageProviderIDDeleteParams{TenantID: tenantID}
		err := row.Scan(&r.MessageID, &r.Channel, &r.ProviderMessageID)
		return r, err
	})
	if err != nil {
		return translate(err, "mark %d messages sent", n)
	}
	// Rare: a call answered under a new ID after a repeat.
	for _, r := range replaced {
		if err := t.q.MessageProviderIDDelete(ctx, r); err != nil {
			return translate(err, "forget %s message ID %q", r.Channel, r.ProviderMessageID)
		}
	}
	return nil
}

// messageInsertManySQL is MessageInsert for several messages of one tenant
// in one round trip; the arrays are zipped row by row. The provider IDs
// given (an email's Message-ID) go to message_provider_ids with the rows
// inserted. The messages' contacts are checked and locked first, once
// each (KEY SHARE, what the foreign key took per message before
// migration 00046: a contact delete waits for this transaction, and its
// contacts_gone_messages trigger then clears the contact of these
// messages), and the tenant's row when a message has no contact (as a
// tenant delete and tenants_gone_messages); when one is missing nothing
// is stored and the statement returns false. A message whose ID is stored
// is skipped by a probe of the key (a scalar subquery per row, never
// flattened into a join over the tenant's messages); the insert is a
// plain one, not INSERT ... ON CONFLICT, whose speculative insertion wrote
// one more WAL record per message: a message ID is new at each send, so
// only a concurrent insert of the same ID, which no sender makes, would
// fail it (ErrConflict). Raw SQL: the arrays' length
// varies per call. Planned at each call (customPlanOnly): a generic plan,
// made while contacts was small, read every contact of the tenant to lock
// a few (an index scan on tenant_id filtered by = ANY).
const messageInsertManySQL = `WITH c AS MATERIALIZED (
    SELECT id FROM contacts WHERE tenant_id = $1 AND id = ANY($5::uuid[]) ORDER BY id FOR KEY SHARE
), t AS MATERIALIZED (
    SELECT id FROM tenants WHERE id = $1 AND array_position($5::uuid[], NULL) IS NOT NULL FOR KEY SHARE
), ok AS MATERIALIZED (
    SELECT (SELECT count(*) FROM c) = (SELECT count(DISTINCT x.id) FROM unnest($5::uuid[]) AS x(id))
        AND (array_position($5::uuid[], NULL) IS NULL OR EXISTS (SELECT 1 FROM t)) AS found
), added AS (
    INSERT INTO messages (tenant_id, id, channel, connection_id, contact_id, workflow_id, workflow_version,
        execution_id, step_id, node_id, template_id, recipient, provider_message_id, status, error_code,
        error_text, queued_at, skipped_at)
    SELECT $1, u.id, u.channel, u.connection_id, u.contact_id, u.workflow_id, u.workflow_version, u.execution_id, u.step_id,
        u.node_id, u.template_id, u.recipient, u.provider_message_id, u.status, u.error_code, u.error_text,
        u.at, CASE WHEN u.status = 'skipped' THEN u.at END
    FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::uuid[], $7::int[], $8::uuid[], $9::uuid[], $10::text[],
        $11::uuid[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::timestamptz[])
        AS u(id, channel, connection_id, contact_id, workflow_id, workflow_version, execution_id, step_id, node_id,
        template_id, recipient, provider_message_id, status, error_code, error_text, at)
    WHERE (SELECT ok.found FROM ok) AND ` + customPlanOnly + `
      AND (SELECT 1 FROM messages x WHERE x.tenant_id = $1 AND x.id = u.id LIMIT 1) IS NULL
    RETURNING id, channel, provider_message_id
), ids AS (
    INSERT INTO message_provider_ids (tenant_id, channel, provider_message_id, message_id)
    SELECT $1, a.channel, a.provider_message_id, a.id FROM added a WHERE a.provider_message_id IS NOT NULL
)
SELECT ok.found FROM ok`

// MessageInsertMany records several sends of one tenant in one round
// trip; a message whose ID is stored already (or comes earlier in ps) is
// left as it is; one a concurrent transaction inserts is ErrConflict.
func (t *tx) MessageInsertMany(ctx context.Context, ps []*store.MessageInsertParams) error {
	n := len(ps)
	if n == 0 {
		return nil
	}
	if err := store.OneTenant(ps, func(p *store.MessageInsertParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("insert messages: %w", err)
	}
	// Each ID once (the insert is a plain one): the first of a repeat.
	seen := make(map[uuid.UUID]bool, n)
	once := make([]*store.MessageInsertParams, 0, n)
	for _, p := range ps {
		if p.ID != uuid.Nil && seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		once = append(once, p)
	}
	ps, n = once, len(once)
	ids, channels, versions := make([]uuid.UUID, n), make([]string, n), make([]int32, n)
	conns, contacts, workflows, execs, steps, templates := make([]*uuid.UUID, n), make([]*uuid.UUID, n), make([]*uuid.UUID, n),
		make([]*uuid.UUID, n), make([]*uuid.UUID, n), make([]*uuid.UUID, n)
	nodes, recipients, providerIDs := make([]string, n), make([]string, n), make([]*string, n)
	statuses, codes, texts, ats := make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	for i, p := range ps {
		status := p.Status
		if status == "" {
			status = domain.MessageQueued
		}
		ids[i], channels[i], versions[i] = newID(p.ID), string(p.Channel), int32(p.WorkflowVersion)
		conns[i], contacts[i], workflows[i], execs[i], steps[i], templates[i] = p.ConnectionID, p.ContactID, p.WorkflowID,
			p.ExecutionID, p.StepID, p.TemplateID
		nodes[i], recipients[i], providerIDs[i] = p.NodeID, p.Recipient, p.ProviderMessageID
		statuses[i], codes[i], texts[i], ats[i] = string(status), p.ErrorCode, p.ErrorText, atOrNow(p.At)
	}
	var found bool
	if err := t.tx.QueryRow(ctx, messageInsertManySQL, ps[0].TenantID, ids, channels, conns, contacts, workflows, versions,
		execs, steps, nodes, templates, recipients, providerIDs, statuses, codes, texts, ats).Scan(&found); err != nil {
		return translate(err, "insert %d messages", n)
	}
	if !found {
		return fmt.Errorf("insert %d messages: a contact or the tenant is missing: %w", n, store.ErrNotFound)
	}
	return nil
}
