-- name: CronJobUpsert :one
INSERT INTO cron_jobs (id, tenant_id, workflow_id, node_id, schedule, timezone, missed_runs,
    is_active, next_run_at)
VALUES (@id, @tenant_id, @workflow_id, @node_id, @schedule, @timezone, @missed_runs,
    @is_active, sqlc.narg('next_run_at'))
ON CONFLICT (tenant_id, workflow_id, node_id) DO UPDATE
SET schedule = excluded.schedule, timezone = excluded.timezone, missed_runs = excluded.missed_runs,
    is_active = excluded.is_active, next_run_at = excluded.next_run_at, updated_at = clock_timestamp()
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
    last_run_at = sqlc.narg('last_run_at'), next_run_at = sqlc.narg('next_run_at'), updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: CronJobDelete :execrows
DELETE FROM cron_jobs WHERE tenant_id = @tenant_id AND id = @id;

-- name: CronJobClaimDue :many
-- Active schedules due at @now, earliest first, locked for the
-- transaction; rows another transaction holds are skipped, so concurrent
-- claimers split the due schedules between them. Across tenants only in a
-- system transaction (row-level security).
SELECT * FROM cron_jobs
WHERE is_active AND next_run_at <= @now
ORDER BY next_run_at, id
LIMIT @max_rows
FOR UPDATE SKIP LOCKED;

-- name: CronJobGetByIDSkipLocked :one
SELECT * FROM cron_jobs WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE SKIP LOCKED;
