-- name: MessageTemplateInsert :one
INSERT INTO message_templates (id, tenant_id, channel, name, description, content, created_by, created_at, updated_at)
VALUES (@id, @tenant_id, @channel, @name, @description, @content, @created_by, @now, @now)
RETURNING *;

-- name: MessageTemplateGetByID :one
SELECT * FROM message_templates WHERE tenant_id = @tenant_id AND id = @id;

-- name: MessageTemplateGetByName :one
SELECT * FROM message_templates WHERE tenant_id = @tenant_id AND channel = @channel AND name = @name;

-- name: MessageTemplateList :many
SELECT * FROM message_templates
WHERE tenant_id = @tenant_id AND (CAST(@channel AS TEXT) = '' OR channel = CAST(@channel AS TEXT))
ORDER BY channel, name;

-- name: MessageTemplateUpdate :one
UPDATE message_templates
SET name = @name, description = @description, content = @content, updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: MessageTemplateDelete :execrows
DELETE FROM message_templates WHERE tenant_id = @tenant_id AND id = @id;
