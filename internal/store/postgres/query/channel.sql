-- name: ChannelInsert :one
INSERT INTO channel_connections (tenant_id, id, kind, name, config, secret_names, ciphertext, key_id, created_by)
VALUES (@tenant_id, @id, @kind, @name, @config, @secret_names, @ciphertext, @key_id, sqlc.narg('created_by'))
ON CONFLICT DO NOTHING
RETURNING *;

-- name: ChannelGetByID :one
SELECT * FROM channel_connections WHERE tenant_id = @tenant_id AND id = @id;

-- name: ChannelList :many
SELECT * FROM channel_connections
WHERE tenant_id = @tenant_id AND (@kind::text = '' OR kind = @kind::text)
ORDER BY name;

-- name: ChannelUpdate :one
UPDATE channel_connections
SET name = @name, config = @config, secret_names = @secret_names, ciphertext = @ciphertext, key_id = @key_id,
    status = 'untested', status_message = '', updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: ChannelNameTaken :one
SELECT EXISTS (SELECT 1 FROM channel_connections WHERE tenant_id = @tenant_id AND name = @name AND id <> @id);

-- name: ChannelSetStatus :one
UPDATE channel_connections
SET status = @status, status_message = @status_message, last_tested_at = @tested_at
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: ChannelDelete :execrows
DELETE FROM channel_connections WHERE tenant_id = @tenant_id AND id = @id;

-- name: ChannelListAfter :many
SELECT * FROM channel_connections WHERE id > @after ORDER BY id LIMIT @lim;

-- name: ChannelReseal :execrows
UPDATE channel_connections SET ciphertext = @ciphertext, key_id = @key_id
WHERE tenant_id = @tenant_id AND id = @id AND key_id = @expected_key_id;
