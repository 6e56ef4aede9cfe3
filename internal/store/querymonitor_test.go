package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

func TestQueryName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ sql, want string }{
		{"-- name: TenantGetByID :one\nSELECT * FROM tenants WHERE id = $1", "TenantGetByID"},
		{"\n  -- name: JobGetAvailable :many\nWITH locked AS (SELECT 1)", "JobGetAvailable"},
		{"-- a comment\n-- name: Foo :exec\nUPDATE x SET y = 1", "Foo"},
		{`SELECT id, name FROM contacts WHERE tenant_id = ?`, "sql:select contacts"},
		{`select count(*) from public."workflow_executions" where x`, "sql:select workflow_executions"},
		{"INSERT INTO events (id) SELECT * FROM unnest($1)", "sql:insert events"},
		{"UPDATE workflow_execution_steps AS s SET status = u.status FROM unnest($1) u", "sql:update workflow_execution_steps"},
		{"DELETE FROM contacts WHERE id = $1", "sql:delete contacts"},
		{"WITH x AS (SELECT 1) SELECT * FROM x", "sql:with x"},
		{"BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SELECT set_config('a', 'b', true)", "sql:begin"},
		{"commit", "sql:commit"},
		{"PRAGMA journal_mode", "sql:pragma"},
		{"   ", "sql:empty"},
		{"SELECT 1", "sql:select"},
	} {
		require.Equal(t, tc.want, store.QueryName(tc.sql), tc.sql)
	}
}

func TestQueryScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	require.Nil(t, store.QueryScopeFrom(ctx))
	scope := store.NewQueryScope(store.ScopeRequest, "GET /api/v1/things")
	ctx = store.WithQueryScope(ctx, scope)
	require.Same(t, scope, store.QueryScopeFrom(ctx))

	var m *store.QueryMonitor // nil still counts
	for range 11 {
		m.QueryDone(ctx, "-- name: ThingGet :one\nSELECT 1", time.Now(), nil)
	}
	for range 10 {
		m.QueryDone(ctx, "-- name: ThingList :many\nSELECT 1", time.Now(), nil)
	}
	for range 30 {
		m.QueryDone(ctx, "BEGIN", time.Now(), nil) // transaction control is not counted
	}
	require.Equal(t, 11, scope.Count("ThingGet"))
	require.Equal(t, 0, scope.Count("sql:begin"))
	n, _ := scope.Total()
	require.Equal(t, 21, n)
	require.Equal(t, []store.QueryRepeat{{Name: "ThingGet", Count: 11}}, m.CheckScope(ctx, scope))

	var got []store.QueryRepeat
	limit5 := &store.QueryMonitor{RepeatLimit: 5, OnRepeat: func(_ context.Context, s *store.QueryScope, r store.QueryRepeat) {
		require.Same(t, scope, s)
		got = append(got, r)
	}}
	limit5.CheckScope(ctx, scope)
	require.Equal(t, []store.QueryRepeat{{Name: "ThingGet", Count: 11}, {Name: "ThingList", Count: 10}}, got)

	scope.Pause()
	m.QueryDone(ctx, "-- name: ThingGet :one\nSELECT 1", time.Now(), nil)
	require.Equal(t, 11, scope.Count("ThingGet"))
}

// TestQueryDoneAllocatesNothing: naming and observing a query, a sqlc one
// or a hand-written one seen before, allocates nothing (it runs for every
// statement), and names it as QueryName does.
func TestQueryDoneAllocatesNothing(t *testing.T) {
	var got []string
	m := &store.QueryMonitor{Slow: -1, Observe: func(name string, _ time.Duration, _ bool) { got = append(got, name) }}
	long := "INSERT INTO messages (id, tenant_id, body) SELECT * FROM unnest(" + strings.Repeat("$1::uuid[], ", 400) + "$2)"
	stmts := []string{
		"-- name: MessageMarkSentMany :many\nUPDATE messages SET status = 'SENT' FROM unnest($1) WHERE id = x",
		"-- a comment\n-- name:   Foo\t:exec\nUPDATE x SET y = 1",
		"begin",
		"BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SELECT set_config('a', 'b', true)",
		"commit",
		long,
	}
	ctx := context.Background()
	scope := store.NewQueryScope(store.ScopeJob, "advance")
	sctx := store.WithQueryScope(ctx, scope)
	for _, sql := range stmts {
		m.QueryDone(sctx, sql, time.Now(), nil) // each hand-written statement named once
	}
	for i, sql := range stmts {
		require.Equal(t, store.QueryName(sql), got[i], sql)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, sql := range stmts {
			m.QueryDone(sctx, sql, time.Now(), nil)
		}
		got = got[:0]
	})
	require.Zero(t, allocs, "allocations per round of %d statements", len(stmts))
}
