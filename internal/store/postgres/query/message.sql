-- name: MessageInsert :one
-- The message's contact is checked and locked here (KEY SHARE, what its
-- foreign key took before migration 00046), or its tenant's row when it
-- has none; when that row is missing nothing is stored and no row comes
-- back, as on a conflict (the store tells them apart). A message is
-- keyed by its ID (migration 00054): a repeat of an ID stored already is
-- the conflict.
WITH c AS MATERIALIZED (
    SELECT k.id FROM contacts k WHERE k.tenant_id = @tenant_id AND k.id = sqlc.narg('contact_id')::uuid FOR KEY SHARE
), t AS MATERIALIZED (
    SELECT tn.id FROM tenants tn WHERE tn.id = @tenant_id AND sqlc.narg('contact_id')::uuid IS NULL FOR KEY SHARE
)
INSERT INTO messages (tenant_id, id, channel, connection_id, contact_id, workflow_id, workflow_version, execution_id,
    step_id, node_id, template_id, recipient, provider_message_id, status, error_code, error_text,
    queued_at, skipped_at)
SELECT @tenant_id, @id, @channel, sqlc.narg('connection_id'), sqlc.narg('contact_id'), sqlc.narg('workflow_id'),
    @workflow_version, sqlc.narg('execution_id'), sqlc.narg('step_id'), @node_id, sqlc.narg('template_id'),
    @recipient, sqlc.narg('provider_message_id'), @status, @error_code, @error_text,
    @queued_at, sqlc.narg('skipped_at')
WHERE EXISTS (SELECT 1 FROM c) OR EXISTS (SELECT 1 FROM t)
ON CONFLICT (tenant_id, id) DO NOTHING
RETURNING *;

-- name: MessageGetByID :one
SELECT * FROM messages WHERE tenant_id = @tenant_id AND id = @id;

-- name: MessageGetByProviderID :one
-- Through message_provider_ids (migration 00040), which the store keeps
-- in step with messages.provider_message_id: the column has no index of
-- its own, so that marking a message sent stays a HOT update.
SELECT m.* FROM messages m
WHERE m.tenant_id = @tenant_id
  AND m.id = (SELECT p.message_id FROM message_provider_ids p
      WHERE p.tenant_id = @tenant_id AND p.channel = @channel AND p.provider_message_id = @provider_message_id);

-- name: MessageProviderIDAdd :exec
-- The provider ID a message is inserted with.
INSERT INTO message_provider_ids (tenant_id, channel, provider_message_id, message_id)
VALUES (@tenant_id, @channel, @provider_message_id, @message_id);

-- name: MessageProviderIDDelete :exec
-- The provider ID a message no longer shows (marked sent again under
-- another one).
DELETE FROM message_provider_ids
WHERE tenant_id = @tenant_id AND channel = @channel AND provider_message_id = @provider_message_id AND message_id = @message_id;

-- name: MessageList :many
SELECT * FROM messages
WHERE tenant_id = @tenant_id AND id < @before
  AND (sqlc.narg('contact_id')::uuid IS NULL OR contact_id = sqlc.narg('contact_id')::uuid)
  AND (sqlc.narg('workflow_id')::uuid IS NULL OR workflow_id = sqlc.narg('workflow_id')::uuid)
  AND (sqlc.narg('execution_id')::uuid IS NULL OR execution_id = sqlc.narg('execution_id')::uuid)
  AND (@node_id::text = '' OR node_id = @node_id::text)
  AND (@channel::text = '' OR channel = @channel::text)
  AND (@status::text = '' OR status = @status::text)
ORDER BY id DESC
LIMIT @lim;

-- name: MessageAdvance :one
-- Finds the message by ID, or when none is given by its provider ID
-- (message_provider_ids). The forward-only move of domain.MessageCanMove:
-- rank of the new status above the stored one's (queued 0, sent 1,
-- delivered 2, read 3, the final ones 4), a read message never fails or
-- bounces, only a queued one is skipped. Reaching delivered or read
-- stamps the times skipped on the way (a "read" that overtook
-- "delivered").
UPDATE messages m
SET status = @status::text,
    sent_at = CASE WHEN @status::text IN ('delivered', 'read') THEN coalesce(m.sent_at, @at) ELSE m.sent_at END,
    delivered_at = CASE WHEN @status::text IN ('delivered', 'read') THEN coalesce(m.delivered_at, @at) ELSE m.delivered_at END,
    read_at = CASE WHEN @status::text = 'read' THEN @at ELSE m.read_at END,
    failed_at = CASE WHEN @status::text = 'failed' THEN @at ELSE m.failed_at END,
    bounced_at = CASE WHEN @status::text = 'bounced' THEN @at ELSE m.bounced_at END,
    skipped_at = CASE WHEN @status::text = 'skipped' THEN @at ELSE m.skipped_at END,
    error_code = CASE WHEN @status::text IN ('failed', 'bounced', 'skipped') THEN @error_code ELSE m.error_code END,
    error_text = CASE WHEN @status::text IN ('failed', 'bounced', 'skipped') THEN @error_text ELSE m.error_text END,
    updated_at = clock_timestamp()
WHERE m.tenant_id = @tenant_id
  AND m.id = coalesce(sqlc.narg('id')::uuid, (SELECT p.message_id FROM message_provider_ids p
      WHERE p.tenant_id = @tenant_id AND p.channel = @channel AND p.provider_message_id = @provider_message_id))
  AND (CASE m.status WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 4 END)
    < (CASE @status::text WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 4 END)
  AND NOT (m.status = 'read' AND @status::text IN ('failed', 'bounced'))
  AND (@status::text <> 'skipped' OR m.status = 'queued')
RETURNING *;

-- name: MessagingWindowTouch :one
INSERT INTO messaging_windows AS w (tenant_id, connection_id, channel, address, contact_id, last_inbound_at)
VALUES (@tenant_id, @connection_id, @channel, @address, sqlc.narg('contact_id'), @at)
ON CONFLICT (tenant_id, connection_id, address) DO UPDATE
SET last_inbound_at = greatest(w.last_inbound_at, excluded.last_inbound_at),
    contact_id = coalesce(excluded.contact_id, w.contact_id)
RETURNING *;

-- name: MessagingWindowGet :one
SELECT * FROM messaging_windows WHERE tenant_id = @tenant_id AND connection_id = @connection_id AND address = @address;
