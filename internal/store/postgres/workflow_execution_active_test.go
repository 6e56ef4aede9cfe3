package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// A workflow's active executions (cancelled page by page when it is
// archived or deleted) are read through workflow_executions_active_idx,
// not by walking every execution of the workflow: with thousands finished
// and a few active, the statement scans the active index and never
// workflow_id_idx (migration 00048). Test runs are among them.
func TestExecutionListActiveIDsByWorkflowReadsTheActiveIndex(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, busy, other := uuid.New(), uuid.New(), uuid.New()
	var active []uuid.UUID
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if err := insertTenant(ctx, tx, tenantID, "active-idx"); err != nil {
			return err
		}
		for _, wf := range []uuid.UUID{busy, other} {
			if _, err := tx.Exec(ctx, "INSERT INTO workflows (id, tenant_id, name, definition) VALUES ($1, $2, $3, '{}')", wf, tenantID, wf.String()); err != nil {
				return err
			}
		}
		insert := `INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status, context, test, created_at)
SELECT gen_random_uuid(), $1, $2, gen_random_uuid(), 1, $3, '{}', $4, clock_timestamp() - make_interval(secs => g) FROM generate_series(1, $5::int) g`
		for _, batch := range []struct {
			wf     uuid.UUID
			status string
			test   bool
			n      int
		}{{busy, "COMPLETED", false, 40000}, {other, "WAITING", false, 8000}} {
			if _, err := tx.Exec(ctx, insert, tenantID, batch.wf, batch.status, batch.test, batch.n); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status, context, test)
SELECT gen_random_uuid(), $1, $2, gen_random_uuid(), 1, s, '{}', s = 'PENDING' FROM unnest(ARRAY['WAITING', 'RUNNING', 'PENDING']) s RETURNING id`, tenantID, busy)
		if err != nil {
			return err
		}
		active, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	require.NoError(t, err)
	_, err = s.Pool().Exec(ctx, "ANALYZE workflow_executions")
	require.NoError(t, err)

	scans := func() (activeIdx, workflowIdx int64) {
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT
    coalesce(sum(idx_scan) FILTER (WHERE indexrelname = 'workflow_executions_active_idx'), 0)::bigint,
    coalesce(sum(idx_scan) FILTER (WHERE indexrelname = 'workflow_executions_workflow_id_idx'), 0)::bigint
FROM pg_stat_user_indexes WHERE relid = to_regclass('workflow_executions')`).Scan(&activeIdx, &workflowIdx))
		return
	}
	beforeActive, beforeWorkflow := scans()
	var got []uuid.UUID
	require.NoError(t, s.Read(ctx, tenantID, func(tx store.Tx) error {
		got, err = tx.ExecutionListActiveIDsByWorkflow(ctx, tenantID, busy, 500)
		return err
	}))
	require.ElementsMatch(t, active, got, "the workflow's running, waiting and pending executions, the test run included")
	require.Eventually(t, func() bool {
		a, _ := scans()
		return a > beforeActive
	}, 10*time.Second, 50*time.Millisecond, "read through workflow_executions_active_idx")
	_, afterWorkflow := scans()
	require.Equal(t, beforeWorkflow, afterWorkflow, "workflow_id_idx not walked")
}

// A tenant's executions listed by status (migration 00052): completed
// executions have no entry in workflow_executions_unfinished_status_idx,
// and a list of failed or waiting ones reads it (ExecutionList is planned
// at each call, so the constant statuses prove the index's predicate)
// instead of walking the completed ones; a list of completed ones walks
// the key, newest first.
func TestExecutionListByStatusReadsTheUnfinishedIndex(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, wf := uuid.New(), uuid.New()
	var defs []string
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if err := insertTenantWorkflow(ctx, tx, tenantID, wf, "status-idx"); err != nil {
			return err
		}
		// IDs in creation order, as the engine's (UUIDv7) are.
		insert := `INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status, context)
SELECT (lpad(to_hex($4::int * 100000 + g), 12, '0') || '70008000000000000000')::uuid, $1, $2, $2, 1, $3, '{}'
FROM generate_series(1, $5::int) g`
		for i, batch := range []struct {
			status string
			n      int
		}{{"FAILED", 2}, {"COMPLETED", 30000}, {"WAITING", 2}, {"FAILED", 1}} {
			if _, err := tx.Exec(ctx, insert, tenantID, wf, batch.status, i, batch.n); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT regexp_replace(pg_get_indexdef(indexrelid), '^.* USING ', '') FROM pg_index
WHERE indrelid = 'workflow_executions'::regclass AND pg_get_indexdef(indexrelid) LIKE '%(status, tenant_id, id)%'`)
		if err != nil {
			return err
		}
		defs, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	require.NoError(t, err)
	require.Equal(t, []string{"btree (status, tenant_id, id) WHERE (status <> 'COMPLETED'::text)"}, defs)
	_, err = s.Pool().Exec(ctx, "ANALYZE workflow_executions")
	require.NoError(t, err)

	scans := func() (n int64) {
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT coalesce(sum(idx_scan), 0)::bigint FROM pg_stat_user_indexes
WHERE indexrelname = 'workflow_executions_unfinished_status_idx' AND relid = to_regclass('workflow_executions')`).Scan(&n))
		return n
	}
	list := func(limit int, statuses ...domain.ExecutionStatus) []domain.Execution {
		var got []domain.Execution
		require.NoError(t, s.Read(ctx, tenantID, func(tx store.Tx) error {
			var err error
			got, err = tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: tenantID, Status: statuses, Limit: limit})
			return err
		}))
		return got
	}
	// More lists than a connection plans custom before it may keep a
	// generic plan (five), each through the index.
	const lists = 8
	before := scans()
	for range lists {
		failed := list(50, domain.ExecutionFailed)
		require.Len(t, failed, 3)
		require.Greater(t, failed[0].ID.String(), failed[1].ID.String(), "newest first")
	}
	require.Len(t, list(50, domain.ExecutionFailed, domain.ExecutionWaiting), 5)
	require.Eventually(t, func() bool { return scans() >= before+lists }, 10*time.Second, 50*time.Millisecond,
		"each list read through workflow_executions_unfinished_status_idx")
	completed := list(10, domain.ExecutionCompleted)
	require.Len(t, completed, 10)
	for _, e := range completed {
		require.Equal(t, domain.ExecutionCompleted, e.Status)
	}
	require.Greater(t, completed[0].ID.String(), completed[9].ID.String(), "newest first")
}
