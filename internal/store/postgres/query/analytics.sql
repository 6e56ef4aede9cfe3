-- Analytics: daily rollups of finished history (folded by the periodic
-- rollup job up to each tenant's watermarks) and the reports that read
-- them with the live rows after the watermark in one statement, so that
-- they share one snapshot. Test runs are left out. Days are UTC.

-- name: AnalyticsWatermarkGet :one
SELECT executions_through, messages_through FROM analytics_watermarks WHERE tenant_id = @tenant_id;

-- name: AnalyticsWatermarkLock :one
-- The watermarks of the tenant, the row created at the epoch when missing and
-- locked until the transaction of the fold ends, so two folds of one tenant
-- run one after the other.
INSERT INTO analytics_watermarks (tenant_id, executions_through, messages_through)
VALUES (@tenant_id, '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z')
ON CONFLICT (tenant_id) DO UPDATE SET updated_at = clock_timestamp()
RETURNING executions_through, messages_through;

-- name: AnalyticsWatermarkSet :exec
UPDATE analytics_watermarks
SET executions_through = @executions_through, messages_through = @messages_through, updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id;

-- name: AnalyticsRollupExecutions :one
-- Folds the executions that finished in [since, through): started on the
-- day each was created, its final status on the day it finished (through
-- workflow_executions_finished_at_idx).
WITH x AS MATERIALIZED (
    SELECT e.workflow_id, e.created_at, e.finished_at, e.status FROM workflow_executions e
    WHERE e.tenant_id = @tenant_id AND e.finished_at >= @since::timestamptz AND e.finished_at < @through::timestamptz
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND NOT e.test
), d AS (
    SELECT workflow_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS started,
        0::bigint AS completed, 0::bigint AS failed, 0::bigint AS cancelled
    FROM x GROUP BY 1, 2
    UNION ALL
    SELECT workflow_id, (finished_at AT TIME ZONE 'UTC')::date, 0,
        count(*) FILTER (WHERE status = 'COMPLETED'), count(*) FILTER (WHERE status = 'FAILED'),
        count(*) FILTER (WHERE status = 'CANCELLED')
    FROM x GROUP BY 1, 2
), ins AS (
    INSERT INTO analytics_execution_days AS a (tenant_id, workflow_id, day, started, completed, failed, cancelled)
    SELECT @tenant_id, workflow_id, day, sum(started), sum(completed), sum(failed), sum(cancelled)
    FROM d GROUP BY workflow_id, day
    ON CONFLICT (tenant_id, workflow_id, day) DO UPDATE SET
        started = a.started + excluded.started, completed = a.completed + excluded.completed,
        failed = a.failed + excluded.failed, cancelled = a.cancelled + excluded.cancelled
)
SELECT count(*)::bigint FROM x;

-- name: AnalyticsRollupMessages :one
-- Folds the messages queued in [since, through) (whole UTC days) by the
-- day they were queued, counting the statuses each reached; skipped
-- messages were never sent and are left out.
WITH x AS MATERIALIZED (
    SELECT coalesce(m.workflow_id, '00000000-0000-0000-0000-000000000000'::uuid) AS workflow_id, m.channel,
        (m.queued_at AT TIME ZONE 'UTC')::date AS day,
        (m.sent_at IS NOT NULL OR m.delivered_at IS NOT NULL OR m.read_at IS NOT NULL OR m.bounced_at IS NOT NULL) AS sent,
        (m.delivered_at IS NOT NULL OR m.read_at IS NOT NULL) AS delivered,
        m.read_at IS NOT NULL AS read, m.status = 'failed' AS failed, m.status = 'bounced' AS bounced
    FROM messages m
    WHERE m.tenant_id = @tenant_id AND m.queued_at >= @since::timestamptz AND m.queued_at < @through::timestamptz
      AND m.status <> 'skipped'
), ins AS (
    INSERT INTO analytics_message_days AS a (tenant_id, workflow_id, channel, day, total, sent, delivered, read, failed, bounced)
    SELECT @tenant_id, workflow_id, channel, day, count(*), count(*) FILTER (WHERE sent),
        count(*) FILTER (WHERE delivered), count(*) FILTER (WHERE read), count(*) FILTER (WHERE failed),
        count(*) FILTER (WHERE bounced)
    FROM x GROUP BY workflow_id, channel, day
    ON CONFLICT (tenant_id, workflow_id, channel, day) DO UPDATE SET
        total = a.total + excluded.total, sent = a.sent + excluded.sent, delivered = a.delivered + excluded.delivered,
        read = a.read + excluded.read, failed = a.failed + excluded.failed, bounced = a.bounced + excluded.bounced
)
SELECT count(*)::bigint FROM x;

-- name: AnalyticsExecutionDays :many
-- Per day of [from, to): the rollup days plus the executions not folded
-- yet (not finished: started only; finished at or after the watermark).
WITH w AS (
    SELECT coalesce((SELECT aw.executions_through FROM analytics_watermarks aw WHERE aw.tenant_id = @tenant_id),
        '1970-01-01T00:00:00Z'::timestamptz) AS through
), d AS (
    SELECT a.day, a.started, a.completed, a.failed, a.cancelled FROM analytics_execution_days a
    WHERE a.tenant_id = @tenant_id AND (@any_workflow::boolean OR a.workflow_id = @workflow_id)
      AND a.day >= @from_day::date AND a.day < @to_day::date
    UNION ALL
    SELECT (e.created_at AT TIME ZONE 'UTC')::date, count(*), 0, 0, 0 FROM workflow_executions e
    WHERE e.tenant_id = @tenant_id AND (@any_workflow::boolean OR e.workflow_id = @workflow_id) AND NOT e.test
      AND e.status IN ('PENDING', 'RUNNING', 'WAITING')
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
    GROUP BY 1
    UNION ALL
    SELECT (e.created_at AT TIME ZONE 'UTC')::date, count(*), 0, 0, 0 FROM workflow_executions e, w
    WHERE e.tenant_id = @tenant_id AND (@any_workflow::boolean OR e.workflow_id = @workflow_id) AND NOT e.test
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.finished_at >= w.through
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
    GROUP BY 1
    UNION ALL
    SELECT (e.finished_at AT TIME ZONE 'UTC')::date, 0, count(*) FILTER (WHERE e.status = 'COMPLETED'),
        count(*) FILTER (WHERE e.status = 'FAILED'), count(*) FILTER (WHERE e.status = 'CANCELLED')
    FROM workflow_executions e, w
    WHERE e.tenant_id = @tenant_id AND (@any_workflow::boolean OR e.workflow_id = @workflow_id) AND NOT e.test
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
      AND e.finished_at >= greatest(w.through, @from_time::timestamptz) AND e.finished_at < @to_time::timestamptz
    GROUP BY 1
)
SELECT (d.day::timestamp AT TIME ZONE 'UTC')::timestamptz AS day, sum(d.started)::bigint AS started,
    sum(d.completed)::bigint AS completed, sum(d.failed)::bigint AS failed, sum(d.cancelled)::bigint AS cancelled
FROM d GROUP BY d.day ORDER BY d.day;

-- name: AnalyticsExecutionsNow :one
SELECT count(*) FILTER (WHERE status IN ('PENDING', 'RUNNING'))::bigint AS running,
    count(*) FILTER (WHERE status = 'WAITING')::bigint AS waiting
FROM workflow_executions
WHERE tenant_id = @tenant_id AND (@any_workflow::boolean OR workflow_id = @workflow_id) AND NOT test
  AND status IN ('PENDING', 'RUNNING', 'WAITING');

-- name: AnalyticsMessageDays :many
-- Per day of [from, to) and channel: the rollup days plus the messages
-- queued at or after the watermark.
WITH w AS (
    SELECT coalesce((SELECT aw.messages_through FROM analytics_watermarks aw WHERE aw.tenant_id = @tenant_id),
        '1970-01-01T00:00:00Z'::timestamptz) AS through
), d AS (
    SELECT a.day, a.channel, a.total, a.sent, a.delivered, a.read, a.failed, a.bounced FROM analytics_message_days a
    WHERE a.tenant_id = @tenant_id AND (@any_workflow::boolean OR a.workflow_id = @workflow_id)
      AND (@channel::text = '' OR a.channel = @channel::text)
      AND a.day >= @from_day::date AND a.day < @to_day::date
    UNION ALL
    SELECT (m.queued_at AT TIME ZONE 'UTC')::date, m.channel, count(*),
        count(*) FILTER (WHERE m.sent_at IS NOT NULL OR m.delivered_at IS NOT NULL OR m.read_at IS NOT NULL OR m.bounced_at IS NOT NULL),
        count(*) FILTER (WHERE m.delivered_at IS NOT NULL OR m.read_at IS NOT NULL),
        count(*) FILTER (WHERE m.read_at IS NOT NULL),
        count(*) FILTER (WHERE m.status = 'failed'), count(*) FILTER (WHERE m.status = 'bounced')
    FROM messages m, w
    WHERE m.tenant_id = @tenant_id AND (@any_workflow::boolean OR m.workflow_id = @workflow_id)
      AND (@channel::text = '' OR m.channel = @channel::text) AND m.status <> 'skipped'
      AND m.queued_at >= greatest(w.through, @from_time::timestamptz) AND m.queued_at < @to_time::timestamptz
    GROUP BY 1, 2
)
SELECT (d.day::timestamp AT TIME ZONE 'UTC')::timestamptz AS day, d.channel, sum(d.total)::bigint AS total,
    sum(d.sent)::bigint AS sent, sum(d.delivered)::bigint AS delivered, sum(d.read)::bigint AS read,
    sum(d.failed)::bigint AS failed, sum(d.bounced)::bigint AS bounced
FROM d GROUP BY d.day, d.channel ORDER BY d.day, d.channel;

-- name: AnalyticsSplitVariants :many
-- Per split node and variant taken, the executions of the workflow created
-- in [from, to): entered, completed, failed, and converted (the contact had
-- an event named goal within the window after the execution was created).
WITH x AS MATERIALIZED (
    SELECT DISTINCT e.id, e.status, s.node_id, s.handle AS variant,
        (@goal::text <> '' AND EXISTS (
            SELECT 1 FROM events ev
            WHERE ev.tenant_id = e.tenant_id AND ev.contact_id = e.contact_id AND ev.name = @goal::text
              AND ev.occurred_at >= e.created_at
              AND ev.occurred_at < e.created_at + make_interval(secs => @within_seconds::float8))) AS converted
    FROM workflow_executions e
    JOIN workflow_execution_steps s ON s.tenant_id = e.tenant_id AND s.execution_id = e.id
    WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
      AND s.node_type = @split_type::text AND s.status = 'COMPLETED' AND s.handle <> ''
)
SELECT x.node_id, x.variant, count(*)::bigint AS entered,
    count(*) FILTER (WHERE x.status = 'COMPLETED')::bigint AS completed,
    count(*) FILTER (WHERE x.status = 'FAILED')::bigint AS failed,
    count(*) FILTER (WHERE x.converted)::bigint AS converted
FROM x GROUP BY x.node_id, x.variant ORDER BY x.node_id, x.variant;

-- name: AnalyticsSplitEnds :many
-- Per split node, variant taken and end node, the executions of the workflow
-- created in [from, to) that took the variant and reached the end.
WITH x AS (
    SELECT DISTINCT e.id, s.node_id, s.handle AS variant
    FROM workflow_executions e
    JOIN workflow_execution_steps s ON s.tenant_id = e.tenant_id AND s.execution_id = e.id
    WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
      AND s.node_type = @split_type::text AND s.status = 'COMPLETED' AND s.handle <> ''
)
SELECT x.node_id, x.variant, t.node_id AS end_node, count(DISTINCT x.id)::bigint AS executions
FROM x JOIN workflow_execution_steps t ON t.tenant_id = @tenant_id AND t.execution_id = x.id AND t.node_type = @end_type::text
GROUP BY x.node_id, x.variant, t.node_id ORDER BY x.node_id, x.variant, t.node_id;

-- name: AnalyticsConversion :many
-- Per day of entry in [from, to), the executions of the workflow and those
-- whose contact had an event named goal within the window after the
-- execution was created (through events_contact_id_idx), with the median
-- seconds to the first such event over the whole period.
WITH x AS MATERIALIZED (
    SELECT e.created_at, (
        SELECT min(ev.occurred_at) FROM events ev
        WHERE ev.tenant_id = e.tenant_id AND ev.contact_id = e.contact_id AND ev.name = @goal::text
          AND ev.occurred_at >= e.created_at
          AND ev.occurred_at < e.created_at + make_interval(secs => @within_seconds::float8)) AS goal_at
    FROM workflow_executions e
    WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
), m AS (
    SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM goal_at - created_at)), 0)::float8 AS median
    FROM x WHERE goal_at IS NOT NULL
)
SELECT ((x.created_at AT TIME ZONE 'UTC')::date::timestamp AT TIME ZONE 'UTC')::timestamptz AS day,
    count(*)::bigint AS entries, count(x.goal_at)::bigint AS converted, (SELECT m.median FROM m)::float8 AS median_seconds
FROM x GROUP BY 1 ORDER BY 1;
