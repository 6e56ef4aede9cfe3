package sqlite

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

func TestCacheable(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]bool{
		"SELECT 1": true,
		"-- name: TenantGetByID :one\nSELECT * FROM t": true,
		"  \n\tinsert into t (a) values (1)":           true,
		"UPDATE t SET a = 1":                           true,
		"delete from t":                                true,
		"WITH x AS (SELECT 1) SELECT * FROM x":         true,
		"CREATE TABLE t (a)":                           false,
		"PRAGMA foreign_keys":                          false,
		"BEGIN IMMEDIATE":                              false,
		"-- only a comment":                            false,
		"":                                             false,
		"SELECT":                                       false,
		"-- +goose Up\nCREATE TABLE t (a);\nDROP TABLE t": false,
	} {
		require.Equal(t, want, cacheable(q), q)
	}
}

// A cached statement whose rows are still open is not reused: running the
// same query again meanwhile gets a statement of its own.
func TestStmtCacheBusyStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, store.QueueConfig{}, false)
	const q = `SELECT value FROM json_each(?)`
	tx, err := s.writer.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()

	outer, err := tx.QueryContext(ctx, q, `[1, 2, 3]`)
	require.NoError(t, err)
	var got []int
	for outer.Next() {
		var v int
		require.NoError(t, outer.Scan(&v))
		inner, err := tx.QueryContext(ctx, q, `[10, 20]`)
		require.NoError(t, err)
		sum := 0
		for inner.Next() {
			var w int
			require.NoError(t, inner.Scan(&w))
			sum += w
		}
		require.NoError(t, inner.Close())
		got = append(got, v*100+sum)
	}
	require.NoError(t, outer.Err())
	require.NoError(t, outer.Close())
	require.Equal(t, []int{130, 230, 330}, got)

	// The statement is free again and reused.
	var n int
	require.NoError(t, tx.QueryRowContext(ctx, q, `[7]`).Scan(&n))
	require.Equal(t, 7, n)
}
