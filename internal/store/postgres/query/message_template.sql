-- name: MessageTemplateInsert :one
INSERT INTO message_templates (tenant_id, id, channel, name, description, content, created_by)
VALUES (@tenant_id, @id, @channel, @name, @description, @content, sqlc.narg('created_by'))
ON CONFLICT DO NOTHING
RETURNING *;

-- name: MessageTemplateGetByID :one
SELECT * FROM message_templates WHERE tenant_id = @tenant_id AND id = @id;

-- name: MessageTemplateGetByName :one
SELECT * FROM message_templates WHERE tenant_id = @tenant_id AND channel = @channel AND name = @name;

-- name: MessageTemplateList :many
SELECT * FROM message_templates
WHERE tenant_id = @tenant_id AND (@channel::text = '' OR channel = @channel::text)
ORDER BY channel, name;

-- name: MessageTemplateNameTaken :one
SELECT EXISTS (
    SELECT 1 FROM message_templates t
    WHERE t.tenant_id = @tenant_id AND t.name = @name AND t.id <> @id
      AND t.channel = (SELECT o.channel FROM message_templates o WHERE o.tenant_id = @tenant_id AND o.id = @id));

-- name: MessageTemplateUpdate :one
UPDATE message_templates
SET name = @name, description = @description, content = @content, updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: MessageTemplateDelete :execrows
DELETE FROM message_templates WHERE tenant_id = @tenant_id AND id = @id;
