-- name: ChannelInsert :one
INSERT INTO channel_connections (id, tenant_id, kind, name, config, secret_names, ciphertext, key_id, created_by, created_at, updated_at)
VALUES (@id, @tenant_id, @kind, @name, @config, @secret_names, @ciphertext, @key_id, @created_by, @now, @now)
RETURNING *;

-- name: ChannelGetByID :one
SELECT * FROM channel_connections WHERE tenant_id = @tenant_id AND id = @id;

-- name: ChannelList :many
SELECT * FROM channel_connections
WHERE tenant_id = @tenant_id AND (CAST(@kind AS TEXT) = '' OR kind = CAST(@kind AS TEXT))
ORDER BY name;

-- name: ChannelUpdate :one
UPDATE channel_connections
SET name = @name, config = @config, secret_names = @secret_names, ciphertext = @ciphertext, key_id = @key_id,
    status = 'untested', status_message = '', updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

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
