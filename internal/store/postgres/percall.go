package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// planEachCall is the query mode of the statements that take a batch's
// rows as arrays and find them in tables that grow with the tenant
// (contacts, waits, journey entries). The statement is sent unnamed and
// planned on each call, against the table's current size, in one round
// trip (pgx keeps only its parameter and result types). Cached as a named
// statement, PostgreSQL may keep one generic plan for it, made from the
// table's size at that moment: a plan made while contacts was nearly empty
// (a fresh database, whose contacts are created by its first events)
// scanned every contact of the tenant per statement until autovacuum
// analyzed the table (bench events: 41 ms an event insert of 100 events
// at 10,000 contacts, a third of the throughput for a minute or more).
// Planning costs some 0.1 ms a statement, little for batches of 100 rows.
//
// A plan made at each call still trusts the table's statistics, which can
// be wrong the other way too: told a tenant had 61 messages when it had
// 9,000, the planner hash-joined a batch of 36 against all of them (78 ms
// for one statement in bench engine). So a statement that joins the
// batch's arrays to a table by ID also says "id = ANY(the IDs)": whatever
// join it picks, its index scan reads the batch's rows and no others.
const planEachCall = pgx.QueryExecModeCacheDescribe

// perCall runs sqlc's statements of a transaction as planEachCall.
type perCall struct{ tx pgx.Tx }

// Exec runs sql planned for this call.
func (d perCall) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return d.tx.Exec(ctx, sql, append([]any{planEachCall}, args...)...)
}

// Query runs sql planned for this call.
func (d perCall) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return d.tx.Query(ctx, sql, append([]any{planEachCall}, args...)...)
}

// QueryRow runs sql planned for this call.
func (d perCall) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return d.tx.QueryRow(ctx, sql, append([]any{planEachCall}, args...)...)
}
