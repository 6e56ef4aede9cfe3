package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// pgx prepares each statement once per connection, and after a few runs
// PostgreSQL may keep one generic plan for it, made from the table sizes
// of that moment. A plan made while the executions table was empty must
// still find an execution by its primary key, not scan the tenant's
// executions through another index that starts with tenant_id (the
// status index did, before migration 00006 reordered the indexes).
func TestGenericPlansProbeThePrimaryKey(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	conn, err := s.Pool().Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan")
	require.NoError(t, err)
	const tenant = "'00000000-0000-0000-0000-000000000001'"
	for name, c := range map[string]struct{ sql, args string }{
		"lock one": {"SELECT * FROM workflow_executions WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenant + ", " + tenant},
		// The text of dbsqlc's ExecutionLockMany.
		"lock many": {`SELECT e.* FROM (SELECT DISTINCT x FROM unnest($1::uuid[]) AS x ORDER BY x) AS want
CROSS JOIN LATERAL (SELECT * FROM workflow_executions WHERE tenant_id = $2 AND id = want.x FOR UPDATE) AS e
ORDER BY e.id`, "'{}', " + tenant},
		"insert steps": {postgres.StepInsertManySQL, tenant + strings.Repeat(", '{}'", 13)},
	} {
		stmt := "p_" + strings.ReplaceAll(name, " ", "_")
		_, err := conn.Exec(ctx, "PREPARE "+stmt+" AS "+c.sql)
		require.NoError(t, err, name)
		rows, err := conn.Query(ctx, "EXPLAIN EXECUTE "+stmt+"("+c.args+")")
		require.NoError(t, err, name)
		var plan strings.Builder
		for rows.Next() {
			var line string
			require.NoError(t, rows.Scan(&line))
			plan.WriteString(line + "\n")
		}
		require.NoError(t, rows.Err())
		require.Contains(t, plan.String(), "using workflow_executions_pkey", "%s:\n%s", name, plan.String())
		require.NotContains(t, plan.String(), "Filter:", "%s:\n%s", name, plan.String())
	}
}
