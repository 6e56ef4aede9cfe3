-- Analytics: daily rollups of finished history (folded by the periodic
-- rollup job up to the watermarks of each tenant) and the reports that
-- read them with the live rows after the watermark in one statement.
-- Test runs are left out. Days are UTC, as YYYY-MM-DD text (the store
-- writes times as UTC text, so a day is the first ten characters).

-- name: AnalyticsWatermarkGet :one
SELECT executions_through, messages_through FROM analytics_watermarks WHERE tenant_id = @tenant_id;

-- name: AnalyticsWatermarkLock :one
-- The watermarks of the tenant, the row created at the epoch when missing
-- (the single writer already runs folds one after the other).
INSERT INTO analytics_watermarks (tenant_id, executions_through, messages_through, updated_at)
VALUES (@tenant_id, @epoch, @epoch, @now)
ON CONFLICT (tenant_id) DO UPDATE SET updated_at = excluded.updated_at
RETURNING executions_through, messages_through;

-- name: AnalyticsWatermarkSet :exec
UPDATE analytics_watermarks
SET executions_through = @executions_through, messages_through = @messages_through, updated_at = @now
WHERE tenant_id = @tenant_id;

-- name: AnalyticsRollupExecutionsCount :one
SELECT count(*) FROM workflow_executions
WHERE tenant_id = @tenant_id AND finished_at >= @since AND finished_at < @through
  AND status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND NOT test;

-- name: AnalyticsRollupExecutionsStarted :exec
-- Folds the executions that finished in [since, through) as started on
-- the day each was created (through workflow_executions_finished_at_idx).
INSERT INTO analytics_execution_days (tenant_id, workflow_id, day, started, completed, failed, cancelled)
SELECT e.tenant_id, e.workflow_id, substr(e.created_at, 1, 10), count(*), 0, 0, 0 FROM workflow_executions e
WHERE e.tenant_id = @tenant_id AND e.finished_at >= @since AND e.finished_at < @through
  AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND NOT e.test
GROUP BY e.tenant_id, e.workflow_id, substr(e.created_at, 1, 10)
ON CONFLICT (tenant_id, workflow_id, day) DO UPDATE SET started = analytics_execution_days.started + excluded.started;

-- name: AnalyticsRollupExecutionsFinished :exec
-- Folds the same executions by final status on the day each finished.
INSERT INTO analytics_execution_days (tenant_id, workflow_id, day, started, completed, failed, cancelled)
SELECT e.tenant_id, e.workflow_id, substr(e.finished_at, 1, 10), 0,
    sum(e.status = 'COMPLETED'), sum(e.status = 'FAILED'), sum(e.status = 'CANCELLED')
FROM workflow_executions e
WHERE e.tenant_id = @tenant_id AND e.finished_at >= @since AND e.finished_at < @through
  AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND NOT e.test
GROUP BY e.tenant_id, e.workflow_id, substr(e.finished_at, 1, 10)
ON CONFLICT (tenant_id, workflow_id, day) DO UPDATE SET
    completed = analytics_execution_days.completed + excluded.completed, failed = analytics_execution_days.failed + excluded.failed,
    cancelled = analytics_execution_days.cancelled + excluded.cancelled;

-- name: AnalyticsRollupMessagesCount :one
SELECT count(*) FROM messages
WHERE tenant_id = @tenant_id AND queued_at >= @since AND queued_at < @through AND status <> 'skipped';

-- name: AnalyticsRollupMessages :exec
-- Folds the messages queued in [since, through) (whole UTC days) by the
-- day they were queued, counting the statuses each reached; skipped
-- messages were never sent and are left out.
INSERT INTO analytics_message_days (tenant_id, workflow_id, channel, day, total, sent, delivered, read, failed, bounced)
SELECT m.tenant_id, coalesce(m.workflow_id, '00000000-0000-0000-0000-000000000000'), m.channel, substr(m.queued_at, 1, 10), count(*),
    sum(m.sent_at IS NOT NULL OR m.delivered_at IS NOT NULL OR m.read_at IS NOT NULL OR m.bounced_at IS NOT NULL),
    sum(m.delivered_at IS NOT NULL OR m.read_at IS NOT NULL), sum(m.read_at IS NOT NULL),
    sum(m.status = 'failed'), sum(m.status = 'bounced')
FROM messages m
WHERE m.tenant_id = @tenant_id AND m.queued_at >= @since AND m.queued_at < @through AND m.status <> 'skipped'
GROUP BY m.tenant_id, coalesce(m.workflow_id, '00000000-0000-0000-0000-000000000000'), m.channel, substr(m.queued_at, 1, 10)
ON CONFLICT (tenant_id, workflow_id, channel, day) DO UPDATE SET
    total = analytics_message_days.total + excluded.total, sent = analytics_message_days.sent + excluded.sent, delivered = analytics_message_days.delivered + excluded.delivered,
    read = analytics_message_days.read + excluded.read, failed = analytics_message_days.failed + excluded.failed, bounced = analytics_message_days.bounced + excluded.bounced;

-- name: AnalyticsExecutionsNow :one
SELECT CAST(coalesce(sum(status IN ('PENDING', 'RUNNING')), 0) AS INTEGER) AS running,
    CAST(coalesce(sum(status = 'WAITING'), 0) AS INTEGER) AS waiting
FROM workflow_executions
WHERE tenant_id = @tenant_id AND (CAST(@any_workflow AS INTEGER) = 1 OR workflow_id = @workflow_id) AND NOT test
  AND status IN ('PENDING', 'RUNNING', 'WAITING');
