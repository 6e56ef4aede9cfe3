-- name: SuppressionUpsert :one
INSERT INTO suppressions AS s (tenant_id, channel, address, reason, source_message_id)
VALUES (@tenant_id, @channel, @address, @reason, sqlc.narg('source_message_id'))
ON CONFLICT (tenant_id, channel, address) DO UPDATE
SET reason = excluded.reason, source_message_id = excluded.source_message_id, updated_at = clock_timestamp()
RETURNING *;

-- name: SuppressionGet :one
SELECT * FROM suppressions WHERE tenant_id = @tenant_id AND channel = @channel AND address = @address;

-- name: SuppressionList :many
SELECT * FROM suppressions
WHERE tenant_id = @tenant_id AND (@channel::text = '' OR channel = @channel::text)
  AND (channel, address) > (@after_channel::text, @after_address::text)
  AND (@search::text = '' OR strpos(address, @search::text) > 0)
ORDER BY channel, address
LIMIT @lim;

-- name: SuppressionDelete :execrows
DELETE FROM suppressions WHERE tenant_id = @tenant_id AND channel = @channel AND address = @address;
