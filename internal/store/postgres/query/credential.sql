-- name: CredentialInsert :one
INSERT INTO credentials (id, tenant_id, name, kind, description, ciphertext, key_id, created_by)
VALUES (@id, @tenant_id, @name, @kind, @description, @ciphertext, @key_id, sqlc.narg('created_by'))
ON CONFLICT DO NOTHING
RETURNING *;

-- name: CredentialGetByName :one
SELECT * FROM credentials WHERE tenant_id = @tenant_id AND name = @name;

-- name: CredentialList :many
SELECT * FROM credentials WHERE tenant_id = @tenant_id ORDER BY name;

-- name: CredentialUpdate :one
UPDATE credentials
SET kind = @kind, description = @description, ciphertext = @ciphertext, key_id = @key_id, updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id AND name = @name
RETURNING *;

-- name: CredentialDelete :execrows
DELETE FROM credentials WHERE tenant_id = @tenant_id AND name = @name;

-- name: CredentialListAfter :many
SELECT * FROM credentials WHERE id > @after ORDER BY id LIMIT @lim;

-- name: CredentialReseal :execrows
UPDATE credentials SET ciphertext = @ciphertext, key_id = @key_id
WHERE tenant_id = @tenant_id AND id = @id AND key_id = @expected_key_id;

-- name: WorkflowListSecretCandidates :many
SELECT tenant_id, id, id AS workflow_id, definition FROM workflows
WHERE id > @after AND (definition::text LIKE '%"secret"%' OR definition::text LIKE '%"headers"%')
ORDER BY id LIMIT @lim;

-- name: WorkflowVersionListSecretCandidates :many
SELECT tenant_id, id, workflow_id, definition FROM workflow_versions
WHERE id > @after AND (definition::text LIKE '%"secret"%' OR definition::text LIKE '%"headers"%')
ORDER BY id LIMIT @lim;

-- name: WorkflowRewriteDefinition :execrows
UPDATE workflows SET definition = @definition, revision = revision + 1, updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: WorkflowVersionRewriteDefinition :execrows
UPDATE workflow_versions SET definition = @definition
WHERE tenant_id = @tenant_id AND id = @id;
