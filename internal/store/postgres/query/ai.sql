-- name: AISettingsUpsert :one
INSERT INTO ai_settings (tenant_id, provider, model, base_url, api_key_ciphertext, api_key_key_id,
    monthly_token_budget, redact_fields, redact_pii, updated_by)
VALUES (@tenant_id, @provider, @model, @base_url, sqlc.narg('api_key_ciphertext'), @api_key_key_id,
    @monthly_token_budget, @redact_fields, @redact_pii, sqlc.narg('updated_by'))
ON CONFLICT (tenant_id) DO UPDATE
SET provider = excluded.provider, model = excluded.model, base_url = excluded.base_url,
    api_key_ciphertext = excluded.api_key_ciphertext, api_key_key_id = excluded.api_key_key_id,
    monthly_token_budget = excluded.monthly_token_budget, redact_fields = excluded.redact_fields, redact_pii = excluded.redact_pii,
    updated_by = excluded.updated_by, updated_at = clock_timestamp()
RETURNING *;

-- name: AISettingsGet :one
SELECT * FROM ai_settings WHERE tenant_id = @tenant_id;

-- name: AIUsageInsert :execrows
INSERT INTO ai_usage (tenant_id, id, execution_id, step_id, node_id, kind, provider, model, calls,
    tokens_in, tokens_out, latency_ms, cost_micro_usd, created_at)
VALUES (@tenant_id, @id, sqlc.narg('execution_id'), sqlc.narg('step_id'), @node_id, @kind, @provider, @model, @calls,
    @tokens_in, @tokens_out, @latency_ms, @cost_micro_usd, @created_at)
ON CONFLICT DO NOTHING;

-- name: AIUsageTotals :many
SELECT provider, model, count(*)::bigint AS steps, coalesce(sum(calls), 0)::bigint AS calls,
    coalesce(sum(tokens_in), 0)::bigint AS tokens_in, coalesce(sum(tokens_out), 0)::bigint AS tokens_out,
    coalesce(sum(cost_micro_usd), 0)::bigint AS cost_micro_usd
FROM ai_usage
WHERE tenant_id = @tenant_id AND created_at >= @from_time AND created_at < @to_time
GROUP BY provider, model
ORDER BY coalesce(sum(tokens_in), 0) + coalesce(sum(tokens_out), 0) DESC, provider, model;

-- name: AISettingsListSealedAfter :many
SELECT * FROM ai_settings WHERE tenant_id > @after AND api_key_ciphertext IS NOT NULL
ORDER BY tenant_id LIMIT @lim;

-- name: AISettingsReseal :execrows
UPDATE ai_settings SET api_key_ciphertext = @ciphertext, api_key_key_id = @key_id
WHERE tenant_id = @tenant_id AND api_key_key_id = @expected_key_id;
