package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

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
		if _, err := tx.Exec(ctx, "INSERT INTO tenants (id, name, slug, plan) VALUES ($1, 'Active', 'active-idx', 'PRO')", tenantID); err != nil {
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
