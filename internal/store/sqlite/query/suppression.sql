-- name: SuppressionUpsert :one
INSERT INTO suppressions AS s (tenant_id, channel, address, reason, source_message_id, created_at, updated_at)
VALUES (@tenant_id, @channel, @address, @reason, @source_message_id, @now, @now)
ON CONFLICT (tenant_id, channel, address) DO UPDATE
SET reason = excluded.reason, source_message_id = excluded.source_message_id, updated_at = excluded.updated_at
RETURNING *;

-- name: SuppressionGet :one
SELECT * FROM suppressions WHERE tenant_id = @tenant_id AND channel = @channel AND address = @address;

-- name: SuppressionList :many
SELECT * FROM suppressions
WHERE tenant_id = @tenant_id AND (CAST(@channel AS TEXT) = '' OR channel = CAST(@channel AS TEXT))
  AND (channel > CAST(@after_channel AS TEXT) OR (channel = CAST(@after_channel AS TEXT) AND address > CAST(@after_address AS TEXT)))
  AND (CAST(@search AS TEXT) = '' OR instr(address, CAST(@search AS TEXT)) > 0)
ORDER BY channel, address
LIMIT @lim;

-- name: SuppressionDelete :execrows
DELETE FROM suppressions WHERE tenant_id = @tenant_id AND channel = @channel AND address = @address;
