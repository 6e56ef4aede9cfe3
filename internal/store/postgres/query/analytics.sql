-- Analytics: daily rollups of finished history (folded by the periodic
-- rollup job up to each tenant's watermarks) and the reports that read
-- them with the live rows after the watermark in one statement, so that
-- they share one snapshot. Test runs are left out. Days are UTC.

-- name: AnalyticsWatermarkGet :one
SELECT executions_through, messages_through, split_steps_through FROM analytics_watermarks WHERE tenant_id = @tenant_id;

-- name: AnalyticsWatermarkLock :one
-- The watermarks of the tenant, the row created at the epoch when missing and
-- locked until the transaction of the fold ends, so two folds of one tenant
-- run one after the other.
INSERT INTO analytics_watermarks (tenant_id, executions_through, messages_through, split_steps_through)
VALUES (@tenant_id, '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z')
ON CONFLICT (tenant_id) DO UPDATE SET updated_at = clock_timestamp()
RETURNING executions_through, messages_through, split_steps_through;

-- name: AnalyticsWatermarkSet :exec
UPDATE analytics_watermarks
SET executions_through = @executions_through, messages_through = @messages_through,
    split_steps_through = @split_steps_through, updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id;

-- name: AnalyticsWatermarkShare :one
-- The tenant's execution watermarks, the row locked FOR SHARE until the
-- transaction ends: a fold running meanwhile commits first (and this
-- returns its watermarks), one starting later waits for this transaction.
SELECT executions_through, split_steps_through FROM analytics_watermarks WHERE tenant_id = @tenant_id FOR SHARE;

-- name: AnalyticsRollupSplitPendingOut :exec
-- The executions that finished in [since, through) leave
-- analytics_split_pending (AnalyticsRollupSplits counts them in
-- analytics_split_days): each one's first step per split node and variant
-- written before split_since, the ones folded there. A split step's time
-- is its started_at: it is written complete (finished_at = started_at) and
-- never updated, and the split indexes name no column a step's completion
-- changes (migration 00044), so node_type = 'split' is repeated for them
-- and status and handle are checked on the row.
WITH x AS MATERIALIZED (
    SELECT e.id, e.workflow_id, (e.created_at AT TIME ZONE 'UTC')::date AS day FROM workflow_executions e
    WHERE e.tenant_id = @tenant_id AND e.finished_at >= @since::timestamptz AND e.finished_at < @through::timestamptz
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND NOT e.test
), k AS (
    SELECT x.workflow_id, x.day, s.node_id, s.handle AS variant, count(*) AS n
    FROM x JOIN workflow_execution_steps s ON s.tenant_id = @tenant_id AND s.execution_id = x.id
    WHERE s.node_type = 'split' AND s.status = 'COMPLETED' AND s.handle <> ''
      AND s.started_at < @split_since::timestamptz
      AND NOT EXISTS (
        SELECT 1 FROM workflow_execution_steps p
        WHERE p.tenant_id = @tenant_id AND p.execution_id = s.execution_id AND p.node_type = 'split' AND p.status = 'COMPLETED'
          AND p.handle = s.handle AND p.node_id = s.node_id AND p.seq < s.seq)
    GROUP BY 1, 2, 3, 4
)
UPDATE analytics_split_pending a SET executions = a.executions - k.n
FROM k
WHERE a.tenant_id = @tenant_id AND a.workflow_id = k.workflow_id AND a.day = k.day AND a.node_id = k.node_id AND a.variant = k.variant;

-- name: AnalyticsRollupSplitPendingIn :exec
-- Folds into analytics_split_pending the split steps written in
-- [split_since, through) (through workflow_execution_steps_split_started_idx),
-- each execution's first per split node and variant, of the executions
-- not folded as of through (not finished before it).
WITH k AS (
    SELECT e.workflow_id, (e.created_at AT TIME ZONE 'UTC')::date AS day, s.node_id, s.handle AS variant, count(*) AS n
    FROM workflow_execution_steps s JOIN workflow_executions e ON e.tenant_id = @tenant_id AND e.id = s.execution_id
    WHERE s.tenant_id = @tenant_id AND s.node_type = 'split' AND s.status = 'COMPLETED' AND s.handle <> ''
      AND s.started_at >= @split_since::timestamptz
      AND s.started_at < @through::timestamptz
      AND NOT e.test AND NOT (e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.finished_at < @through::timestamptz)
      AND NOT EXISTS (
        SELECT 1 FROM workflow_execution_steps p
        WHERE p.tenant_id = @tenant_id AND p.execution_id = s.execution_id AND p.node_type = 'split' AND p.status = 'COMPLETED'
          AND p.handle = s.handle AND p.node_id = s.node_id AND p.seq < s.seq)
    GROUP BY 1, 2, 3, 4
)
INSERT INTO analytics_split_pending AS a (tenant_id, workflow_id, day, node_id, variant, executions)
SELECT @tenant_id, k.workflow_id, k.day, k.node_id, k.variant, k.n FROM k
ON CONFLICT (tenant_id, workflow_id, day, node_id, variant) DO UPDATE SET executions = a.executions + excluded.executions;

-- name: AnalyticsUnfoldExecution :one
-- Takes a folded execution (finished before through, the watermark the
-- caller read FOR SHARE) back out of the rollups, before a retry makes it
-- run again: its day counts, its split variants' counts (its entries go
-- back to analytics_split_pending when their step was written before
-- split_through) and its first goal events. Returns 1 when it was folded,
-- 0 when not (nothing changes).
WITH x AS MATERIALIZED (
    SELECT e.id, e.workflow_id, (e.created_at AT TIME ZONE 'UTC')::date AS day,
        (e.finished_at AT TIME ZONE 'UTC')::date AS finished_day, e.status
    FROM workflow_executions e
    WHERE e.tenant_id = @tenant_id AND e.id = @execution_id AND NOT e.test
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.finished_at < @through::timestamptz
), d AS (
    SELECT x.workflow_id, x.day, 1 AS started, 0 AS completed, 0 AS failed, 0 AS cancelled FROM x
    UNION ALL
    SELECT x.workflow_id, x.finished_day, 0, (x.status = 'COMPLETED')::int, (x.status = 'FAILED')::int, (x.status = 'CANCELLED')::int FROM x
), days AS (
    UPDATE analytics_execution_days a SET started = a.started - g.started, completed = a.completed - g.completed,
        failed = a.failed - g.failed, cancelled = a.cancelled - g.cancelled
    FROM (SELECT d.workflow_id, d.day, sum(d.started) AS started, sum(d.completed) AS completed, sum(d.failed) AS failed,
            sum(d.cancelled) AS cancelled FROM d GROUP BY 1, 2) g
    WHERE a.tenant_id = @tenant_id AND a.workflow_id = g.workflow_id AND a.day = g.day
), v AS MATERIALIZED (
    SELECT DISTINCT ON (s.node_id, s.handle) x.workflow_id, x.day, x.status, s.node_id, s.handle AS variant,
        s.started_at AS at
    FROM x JOIN workflow_execution_steps s ON s.tenant_id = @tenant_id AND s.execution_id = x.id
    WHERE s.node_type = 'split' AND s.status = 'COMPLETED' AND s.handle <> ''
    ORDER BY s.node_id, s.handle, s.seq
), ends AS (
    SELECT DISTINCT t.node_id FROM x JOIN workflow_execution_steps t ON t.tenant_id = @tenant_id AND t.execution_id = x.id
    WHERE t.node_type = @end_type::text
), sv AS (
    UPDATE analytics_split_days a SET executions = a.executions - 1,
        completed = a.completed - (v.status = 'COMPLETED')::int, failed = a.failed - (v.status = 'FAILED')::int
    FROM v
    WHERE a.tenant_id = @tenant_id AND a.workflow_id = v.workflow_id AND a.day = v.day AND a.node_id = v.node_id
      AND a.variant = v.variant AND a.end_node = ''
), se AS (
    UPDATE analytics_split_days a SET executions = a.executions - 1
    FROM v, ends
    WHERE a.tenant_id = @tenant_id AND a.workflow_id = v.workflow_id AND a.day = v.day AND a.node_id = v.node_id
      AND a.variant = v.variant AND a.end_node = ends.node_id AND ends.node_id <> ''
), back AS (
    INSERT INTO analytics_split_pending AS a (tenant_id, workflow_id, day, node_id, variant, executions)
    SELECT @tenant_id, v.workflow_id, v.day, v.node_id, v.variant, 1 FROM v WHERE v.at < @split_through::timestamptz
    ON CONFLICT (tenant_id, workflow_id, day, node_id, variant) DO UPDATE SET executions = a.executions + 1
), goals AS (
    DELETE FROM analytics_goal_firsts g USING x WHERE g.tenant_id = @tenant_id AND g.execution_id = x.id
)
SELECT count(*)::bigint FROM x;

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

-- name: AnalyticsRollupSplits :exec
-- Folds the executions that finished in [since, through) that took an A/B
-- split: per workflow, day of entry, split node and variant, how many
-- took it, completed and failed (end_node empty), and per end node
-- reached how many of them reached it.
WITH x AS MATERIALIZED (
    SELECT e.id, e.workflow_id, (e.created_at AT TIME ZONE 'UTC')::date AS day, e.status FROM workflow_executions e
    WHERE e.tenant_id = @tenant_id AND e.finished_at >= @since::timestamptz AND e.finished_at < @through::timestamptz
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND NOT e.test
), v AS MATERIALIZED (
    SELECT DISTINCT x.id, x.workflow_id, x.day, x.status, s.node_id, s.handle AS variant
    FROM x JOIN workflow_execution_steps s ON s.tenant_id = @tenant_id AND s.execution_id = x.id
    WHERE s.node_type = 'split' AND s.status = 'COMPLETED' AND s.handle <> ''
), r AS (
    SELECT v.workflow_id, v.day, v.node_id, v.variant, ''::text AS end_node, count(*) AS executions,
        count(*) FILTER (WHERE v.status = 'COMPLETED') AS completed, count(*) FILTER (WHERE v.status = 'FAILED') AS failed
    FROM v GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT v.workflow_id, v.day, v.node_id, v.variant, t.node_id, count(DISTINCT v.id), 0, 0
    FROM v JOIN workflow_execution_steps t ON t.tenant_id = @tenant_id AND t.execution_id = v.id AND t.node_type = @end_type::text
    GROUP BY 1, 2, 3, 4, 5
)
INSERT INTO analytics_split_days AS a (tenant_id, workflow_id, day, node_id, variant, end_node, executions, completed, failed)
SELECT @tenant_id, r.workflow_id, r.day, r.node_id, r.variant, r.end_node, r.executions, r.completed, r.failed FROM r
ON CONFLICT (tenant_id, workflow_id, day, node_id, variant, end_node) DO UPDATE SET
    executions = a.executions + excluded.executions, completed = a.completed + excluded.completed,
    failed = a.failed + excluded.failed;

-- name: AnalyticsRollupGoalFirsts :one
-- Folds, per execution and event name, the first event of the contact in
-- the horizon after the execution was created: for the executions that
-- finished in [since, through), among the events received before through;
-- for those folded before, among the events received in [since, through)
-- (the earlier of it and the stored one is kept). Each new row carries the
-- execution's split variants. Returns the rows written.
WITH x AS MATERIALIZED (
    SELECT e.id, e.workflow_id, e.contact_id, e.created_at FROM workflow_executions e
    WHERE e.tenant_id = @tenant_id AND e.finished_at >= @since::timestamptz AND e.finished_at < @through::timestamptz
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND NOT e.test AND e.contact_id IS NOT NULL
), fresh AS MATERIALIZED (
    SELECT ev.contact_id, ev.name, ev.occurred_at FROM events ev
    WHERE ev.tenant_id = @tenant_id AND ev.received_at >= @since::timestamptz AND ev.received_at < @through::timestamptz
), g AS MATERIALIZED (
    SELECT x.id, x.workflow_id, x.created_at, ev.name, min(ev.occurred_at) AS first_at
    FROM x JOIN events ev ON ev.tenant_id = @tenant_id AND ev.contact_id = x.contact_id
    WHERE ev.received_at < @through::timestamptz AND ev.occurred_at >= x.created_at
      AND ev.occurred_at < x.created_at + make_interval(secs => @horizon_seconds::float8)
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT e.id, e.workflow_id, e.created_at, fresh.name, min(fresh.occurred_at)
    FROM fresh JOIN workflow_executions e ON e.tenant_id = @tenant_id AND e.contact_id = fresh.contact_id
    WHERE e.finished_at < @since::timestamptz AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND NOT e.test
      AND fresh.occurred_at >= e.created_at AND fresh.occurred_at < e.created_at + make_interval(secs => @horizon_seconds::float8)
    GROUP BY 1, 2, 3, 4
), sv AS (
    SELECT d.execution_id, array_agg(d.node_id ORDER BY d.node_id, d.handle) AS nodes,
        array_agg(d.handle ORDER BY d.node_id, d.handle) AS variants
    FROM (
        SELECT DISTINCT s.execution_id, s.node_id, s.handle FROM workflow_execution_steps s
        WHERE s.tenant_id = @tenant_id AND s.execution_id IN (SELECT g.id FROM g)
          AND s.node_type = 'split' AND s.status = 'COMPLETED' AND s.handle <> ''
    ) d GROUP BY d.execution_id
), ins AS (
    INSERT INTO analytics_goal_firsts AS a (tenant_id, execution_id, goal, workflow_id, entered_at, first_at, split_nodes, split_variants)
    SELECT @tenant_id, g.id, g.name, g.workflow_id, g.created_at, g.first_at,
        coalesce(sv.nodes, '{}'::text[]), coalesce(sv.variants, '{}'::text[])
    FROM g LEFT JOIN sv ON sv.execution_id = g.id
    ON CONFLICT (tenant_id, execution_id, goal) DO UPDATE SET first_at = least(a.first_at, excluded.first_at)
)
SELECT count(*)::bigint FROM g;

-- name: AnalyticsCustomPlans :exec
-- Plans the rest of the transaction's statements for their values: a
-- report's prepared statement switched to a generic plan after five runs
-- would scan every execution for the rows after the watermark (a generic
-- plan cannot see how recent the watermark is). JIT is off: the split and
-- conversion statements' estimates (set-returning functions, arrays) are
-- high enough to compile them, which took 3–4 s of a 6 s report at 10M
-- step rows, more than it saved.
SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true);

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

-- name: AnalyticsSplitCounts :many
-- Per split node, variant and end node (empty for the variant itself) of the
-- workflow's executions created in [from, to). Entries: the folded
-- executions' (analytics_split_days), the others' split steps written
-- before split_steps_through (analytics_split_pending) and after it (read
-- live through workflow_execution_steps_split_started_idx), so an execution
-- still waiting costs nothing here. Completed, failed and ends: the
-- folded executions' plus those of the executions finished at or after the
-- watermark (live). A variant or end reached by none is left out.
-- finished_since and split_since are the watermarks read before (at most
-- the ones this statement reads): bounds the planner can see, so it reads
-- the few rows after them through their indexes.
WITH w AS (
    SELECT coalesce((SELECT aw.executions_through FROM analytics_watermarks aw WHERE aw.tenant_id = @tenant_id),
            '1970-01-01T00:00:00Z'::timestamptz) AS through,
        coalesce((SELECT aw.split_steps_through FROM analytics_watermarks aw WHERE aw.tenant_id = @tenant_id),
            '1970-01-01T00:00:00Z'::timestamptz) AS split_through
), done AS MATERIALIZED (
    SELECT e.id, e.status FROM workflow_executions e, w
    WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.finished_at >= w.through
      AND e.finished_at >= @finished_since::timestamptz
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
), v AS MATERIALIZED (
    SELECT DISTINCT done.id, done.status, s.node_id, s.handle AS variant
    FROM done JOIN workflow_execution_steps s ON s.tenant_id = @tenant_id AND s.execution_id = done.id
    WHERE s.node_type = 'split' AND s.status = 'COMPLETED' AND s.handle <> ''
), fresh AS (
    SELECT s.node_id, s.handle AS variant, count(*) AS n
    FROM w, workflow_execution_steps s JOIN workflow_executions e ON e.tenant_id = @tenant_id AND e.id = s.execution_id
    WHERE s.tenant_id = @tenant_id AND s.node_type = 'split' AND s.status = 'COMPLETED' AND s.handle <> ''
      AND s.started_at >= w.split_through
      AND s.started_at >= @split_since::timestamptz
      AND e.workflow_id = @workflow_id AND NOT e.test
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
      AND NOT (e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.finished_at < w.through)
      AND NOT EXISTS (
        SELECT 1 FROM workflow_execution_steps p
        WHERE p.tenant_id = @tenant_id AND p.execution_id = s.execution_id AND p.node_type = 'split' AND p.status = 'COMPLETED'
          AND p.handle = s.handle AND p.node_id = s.node_id AND p.seq < s.seq)
    GROUP BY 1, 2
), r AS (
    SELECT a.node_id, a.variant, a.end_node, a.executions, a.completed, a.failed FROM analytics_split_days a
    WHERE a.tenant_id = @tenant_id AND a.workflow_id = @workflow_id AND a.day >= @from_day::date AND a.day < @to_day::date
    UNION ALL
    SELECT a.node_id, a.variant, ''::text, a.executions, 0, 0 FROM analytics_split_pending a
    WHERE a.tenant_id = @tenant_id AND a.workflow_id = @workflow_id AND a.day >= @from_day::date AND a.day < @to_day::date
    UNION ALL
    SELECT fresh.node_id, fresh.variant, ''::text, fresh.n, 0, 0 FROM fresh
    UNION ALL
    SELECT v.node_id, v.variant, ''::text, 0, count(*) FILTER (WHERE v.status = 'COMPLETED'),
        count(*) FILTER (WHERE v.status = 'FAILED')
    FROM v GROUP BY 1, 2
    UNION ALL
    SELECT v.node_id, v.variant, t.node_id, count(DISTINCT v.id), 0, 0
    FROM v JOIN workflow_execution_steps t ON t.tenant_id = @tenant_id AND t.execution_id = v.id AND t.node_type = @end_type::text
    GROUP BY 1, 2, 3
)
SELECT r.node_id, r.variant, r.end_node, sum(r.executions)::bigint AS executions, sum(r.completed)::bigint AS completed,
    sum(r.failed)::bigint AS failed
FROM r GROUP BY r.node_id, r.variant, r.end_node HAVING sum(r.executions) > 0
ORDER BY r.node_id, r.variant, r.end_node;

-- name: AnalyticsSplitConverted :many
-- Per split node and variant, the workflow's executions created in
-- [from, to) whose contact had an event named goal within the window
-- after entry: folded executions through their first event of that name
-- (analytics_goal_firsts) or an event received since the watermark, the
-- others live. received_since is the watermark read before (at most the
-- one this statement reads): it lets the planner see how few events are
-- that recent (events_received_at_idx), and how few executions finished
-- since. The folded ones are counted per set of variants before the sets
-- are unnested; the variants of the others are read per execution
-- (LATERAL) through workflow_execution_steps_split_execution_idx.
WITH w AS (
    SELECT coalesce((SELECT aw.executions_through FROM analytics_watermarks aw WHERE aw.tenant_id = @tenant_id),
        '1970-01-01T00:00:00Z'::timestamptz) AS through
), f AS MATERIALIZED (
    SELECT g.split_nodes, g.split_variants, count(*) AS n FROM analytics_goal_firsts g
    WHERE g.tenant_id = @tenant_id AND g.workflow_id = @workflow_id AND g.goal = @goal::text
      AND g.entered_at >= @from_time::timestamptz AND g.entered_at < @to_time::timestamptz
      AND g.first_at < g.entered_at + make_interval(secs => @within_seconds::float8)
      AND cardinality(g.split_nodes) > 0
    GROUP BY g.split_nodes, g.split_variants
), other AS MATERIALIZED (
    SELECT DISTINCT e.id FROM events ev, workflow_executions e
    WHERE ev.tenant_id = @tenant_id AND ev.received_at >= @received_since::timestamptz
      AND ev.received_at >= (SELECT w.through FROM w) AND ev.name = @goal::text
      AND e.tenant_id = @tenant_id AND e.contact_id = ev.contact_id AND e.workflow_id = @workflow_id AND NOT e.test
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.finished_at < (SELECT w.through FROM w)
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
      AND ev.occurred_at >= e.created_at AND ev.occurred_at < e.created_at + make_interval(secs => @within_seconds::float8)
      AND NOT EXISTS (
        SELECT 1 FROM analytics_goal_firsts g
        WHERE g.tenant_id = @tenant_id AND g.execution_id = e.id AND g.goal = @goal::text
          AND g.first_at < g.entered_at + make_interval(secs => @within_seconds::float8) AND cardinality(g.split_nodes) > 0)
    UNION ALL
    SELECT live.id FROM (
        SELECT e.id, e.contact_id, e.created_at FROM workflow_executions e
        WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
          AND e.status IN ('PENDING', 'RUNNING', 'WAITING')
          AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
        UNION ALL
        SELECT e.id, e.contact_id, e.created_at FROM workflow_executions e, w
        WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
          AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.finished_at >= w.through
          AND e.finished_at >= @received_since::timestamptz
          AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
    ) live
    WHERE EXISTS (
        SELECT 1 FROM events ev
        WHERE ev.tenant_id = @tenant_id AND ev.contact_id = live.contact_id AND ev.name = @goal::text
          AND ev.occurred_at >= live.created_at AND ev.occurred_at < live.created_at + make_interval(secs => @within_seconds::float8))
), x AS (
    SELECT f.split_nodes[i] AS node_id, f.split_variants[i] AS variant, f.n FROM f, generate_subscripts(f.split_nodes, 1) AS i
    UNION ALL
    SELECT d.node_id, d.handle, 1 FROM other, LATERAL (
        SELECT DISTINCT s.node_id, s.handle FROM workflow_execution_steps s
        WHERE s.tenant_id = @tenant_id AND s.execution_id = other.id
          AND s.node_type = 'split' AND s.status = 'COMPLETED' AND s.handle <> ''
    ) d
)
SELECT x.node_id::text AS node_id, x.variant::text AS variant, sum(x.n)::bigint AS converted
FROM x GROUP BY x.node_id, x.variant ORDER BY x.node_id, x.variant;

-- name: AnalyticsConversion :many
-- Per day of entry in [from, to), the workflow's executions created then
-- (the day rollup plus the executions not folded) and those whose contact
-- had an event named goal within the window after entry, with the median
-- seconds to the first such event over the whole period. A folded
-- execution's first event is the earlier of its analytics_goal_firsts row
-- and the events received since the watermark; the others are live
-- (through events_contact_idx). received_since as in
-- AnalyticsSplitConverted.
WITH w AS (
    SELECT coalesce((SELECT aw.executions_through FROM analytics_watermarks aw WHERE aw.tenant_id = @tenant_id),
        '1970-01-01T00:00:00Z'::timestamptz) AS through
), live AS MATERIALIZED (
    SELECT e.contact_id, e.created_at FROM workflow_executions e
    WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
      AND e.status IN ('PENDING', 'RUNNING', 'WAITING')
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
    UNION ALL
    SELECT e.contact_id, e.created_at FROM workflow_executions e, w
    WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.finished_at >= w.through
      AND e.finished_at >= @received_since::timestamptz
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
), f AS (
    SELECT g.execution_id, g.entered_at, g.first_at FROM analytics_goal_firsts g
    WHERE g.tenant_id = @tenant_id AND g.workflow_id = @workflow_id AND g.goal = @goal::text
      AND g.entered_at >= @from_time::timestamptz AND g.entered_at < @to_time::timestamptz
      AND g.first_at < g.entered_at + make_interval(secs => @within_seconds::float8)
), l AS (
    SELECT e.id, e.created_at, min(ev.occurred_at) AS first_at FROM events ev, workflow_executions e
    WHERE ev.tenant_id = @tenant_id AND ev.received_at >= @received_since::timestamptz
      AND ev.received_at >= (SELECT w.through FROM w) AND ev.name = @goal::text
      AND e.tenant_id = @tenant_id AND e.contact_id = ev.contact_id AND e.workflow_id = @workflow_id AND NOT e.test
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.finished_at < (SELECT w.through FROM w)
      AND e.created_at >= @from_time::timestamptz AND e.created_at < @to_time::timestamptz
      AND ev.occurred_at >= e.created_at AND ev.occurred_at < e.created_at + make_interval(secs => @within_seconds::float8)
    GROUP BY e.id, e.created_at
), c AS MATERIALIZED (
    SELECT coalesce(f.entered_at, l.created_at) AS entered_at, least(f.first_at, l.first_at) AS first_at
    FROM f FULL JOIN l ON l.id = f.execution_id
    UNION ALL
    SELECT live.created_at, (
        SELECT min(ev.occurred_at) FROM events ev
        WHERE ev.tenant_id = @tenant_id AND ev.contact_id = live.contact_id AND ev.name = @goal::text
          AND ev.occurred_at >= live.created_at
          AND ev.occurred_at < live.created_at + make_interval(secs => @within_seconds::float8))
    FROM live
), d AS (
    SELECT a.day, a.started AS entries, 0::bigint AS converted FROM analytics_execution_days a
    WHERE a.tenant_id = @tenant_id AND a.workflow_id = @workflow_id AND a.day >= @from_day::date AND a.day < @to_day::date
    UNION ALL
    SELECT (live.created_at AT TIME ZONE 'UTC')::date, count(*), 0 FROM live GROUP BY 1
    UNION ALL
    SELECT (c.entered_at AT TIME ZONE 'UTC')::date, 0, count(*) FROM c WHERE c.first_at IS NOT NULL GROUP BY 1
), m AS (
    SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.first_at - c.entered_at)), 0)::float8 AS median
    FROM c WHERE c.first_at IS NOT NULL
)
SELECT (d.day::timestamp AT TIME ZONE 'UTC')::timestamptz AS day, sum(d.entries)::bigint AS entries,
    sum(d.converted)::bigint AS converted, (SELECT m.median FROM m)::float8 AS median_seconds
FROM d GROUP BY d.day HAVING sum(d.entries) > 0 ORDER BY d.day;
