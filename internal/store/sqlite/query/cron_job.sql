-- name: CronJobUpsert :one
INSERT INTO cron_jobs (id, tenant_id, workflow_id, node_id, schedule, timezone, missed_runs, is_active, next_run_at, created_at, updated_at)
VALUES (@id, @tenant_id, @workflow_id, @node_id, @schedule, @timezone, @missed_runs, @is_active, @next_run_at, @now, @now)
ON CONFLICT (tenant_id, workflow_id, node_id) DO UPDATE
SET schedule = excluded.schedule, timezone = excluded.timezone, missed_runs = excluded.missed_runs,
    is_active = excluded.is_active, next_run_at = excluded.next_run_at, updated_at = excluded.updated_at
RETURNING *;

-- name: CronJobGetByID :one
SELECT * FROM cron_jobs WHERE tenant_id = @tenant_id AND id = @id;

-- name: CronJobList :many
SELECT * FROM cron_jobs WHERE tenant_id = @tenant_id ORDER BY id;

-- name: CronJobListByWorkflow :many
SELECT * FROM cron_jobs WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id ORDER BY node_id, id;

-- name: CronJobUpdate :one
UPDATE cron_jobs
SET schedule = @schedule, timezone = @timezone, missed_runs = @missed_runs, is_active = @is_active,
    last_run_at = @last_run_at, next_run_at = @next_run_at, updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: CronJobAdvance :execrows
UPDATE cron_jobs
SET is_active = 1, last_run_at = @last_run_at, next_run_at = @next_run_at, updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id;

-- name: CronJobDelete :execrows
DELETE FROM cron_jobs WHERE tenant_id = @tenant_id AND id = @id;

-- name: CronJobClaimDue :many
-- Every tenant's active schedules due at @now, earliest first. The caller's
-- write transaction holds SQLite's only writer lock, so no other claimer
-- sees them until it commits.
SELECT * FROM cron_jobs
WHERE is_active AND next_run_at IS NOT NULL AND next_run_at <= @now
ORDER BY next_run_at, id
LIMIT @max_rows;
