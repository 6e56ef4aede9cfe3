-- name: MessageInsert :one
INSERT INTO messages (id, tenant_id, channel, connection_id, contact_id, workflow_id, workflow_version, execution_id,
    step_id, node_id, template_id, recipient, provider_message_id, status, error_code, error_text,
    queued_at, skipped_at, created_at, updated_at)
VALUES (@id, @tenant_id, @channel, @connection_id, @contact_id, @workflow_id, @workflow_version, @execution_id,
    @step_id, @node_id, @template_id, @recipient, @provider_message_id, @status, @error_code, @error_text,
    @queued_at, @skipped_at, @now, @now)
ON CONFLICT (id) DO NOTHING
RETURNING *;

-- name: MessageGetByID :one
SELECT * FROM messages WHERE tenant_id = @tenant_id AND id = @id;

-- name: MessageGetByProviderID :one
SELECT * FROM messages WHERE tenant_id = @tenant_id AND channel = @channel AND provider_message_id = @provider_message_id;

-- name: MessageList :many
SELECT * FROM messages
WHERE tenant_id = @tenant_id AND id < @before
  AND (CAST(@filter_contact AS INTEGER) = 0 OR contact_id = @contact_id)
  AND (CAST(@filter_workflow AS INTEGER) = 0 OR workflow_id = @workflow_id)
  AND (CAST(@filter_execution AS INTEGER) = 0 OR execution_id = @execution_id)
  AND (CAST(@node_id AS TEXT) = '' OR node_id = CAST(@node_id AS TEXT))
  AND (CAST(@channel AS TEXT) = '' OR channel = CAST(@channel AS TEXT))
  AND (CAST(@status AS TEXT) = '' OR status = CAST(@status AS TEXT))
ORDER BY id DESC
LIMIT @lim;

-- name: MessageMarkSent :one
UPDATE messages
SET provider_message_id = @provider_message_id,
    status = CASE WHEN status = 'queued' THEN 'sent' ELSE status END,
    sent_at = coalesce(sent_at, @at),
    updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: MessageAdvance :one
-- The forward-only move of domain.MessageCanMove (see the PostgreSQL
-- query of the same name).
UPDATE messages
SET status = CAST(@status AS TEXT),
    sent_at = CASE WHEN (CAST(@status AS TEXT) = 'delivered' OR CAST(@status AS TEXT) = 'read') THEN coalesce(sent_at, @at) ELSE sent_at END,
    delivered_at = CASE WHEN (CAST(@status AS TEXT) = 'delivered' OR CAST(@status AS TEXT) = 'read') THEN coalesce(delivered_at, @at) ELSE delivered_at END,
    read_at = CASE WHEN CAST(@status AS TEXT) = 'read' THEN @at ELSE read_at END,
    failed_at = CASE WHEN CAST(@status AS TEXT) = 'failed' THEN @at ELSE failed_at END,
    bounced_at = CASE WHEN CAST(@status AS TEXT) = 'bounced' THEN @at ELSE bounced_at END,
    skipped_at = CASE WHEN CAST(@status AS TEXT) = 'skipped' THEN @at ELSE skipped_at END,
    error_code = CASE WHEN (CAST(@status AS TEXT) = 'failed' OR CAST(@status AS TEXT) = 'bounced' OR CAST(@status AS TEXT) = 'skipped') THEN CAST(@error_code AS TEXT) ELSE error_code END,
    error_text = CASE WHEN (CAST(@status AS TEXT) = 'failed' OR CAST(@status AS TEXT) = 'bounced' OR CAST(@status AS TEXT) = 'skipped') THEN CAST(@error_text AS TEXT) ELSE error_text END,
    updated_at = @now
WHERE tenant_id = @tenant_id
  AND ((CAST(@by_id AS INTEGER) = 1 AND id = @id)
    OR (CAST(@by_id AS INTEGER) = 0 AND channel = @channel AND provider_message_id = @provider_message_id))
  AND (CASE status WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 4 END)
    < (CASE CAST(@status AS TEXT) WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 4 END)
  AND NOT (status = 'read' AND (CAST(@status AS TEXT) = 'failed' OR CAST(@status AS TEXT) = 'bounced'))
  AND (CAST(@status AS TEXT) <> 'skipped' OR status = 'queued')
RETURNING *;

-- name: MessagingWindowTouch :one
INSERT INTO messaging_windows AS w (tenant_id, connection_id, channel, address, contact_id, last_inbound_at)
VALUES (@tenant_id, @connection_id, @channel, @address, @contact_id, @at)
ON CONFLICT (tenant_id, connection_id, address) DO UPDATE
SET last_inbound_at = max(w.last_inbound_at, excluded.last_inbound_at),
    contact_id = coalesce(excluded.contact_id, w.contact_id)
RETURNING *;

-- name: MessagingWindowGet :one
SELECT * FROM messaging_windows WHERE tenant_id = @tenant_id AND connection_id = @connection_id AND address = @address;
