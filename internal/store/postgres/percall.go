package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Statements that take a batch's rows as arrays and find them in tables
// that grow with the tenant (executions, steps, outbox, messages, events,
// contacts, waits, journey entries) are planned at each call, against
// the table's size of that moment and the tenant's own share of it. A
// generic plan, which PostgreSQL keeps for a prepared statement once it
// looks no dearer than the plans made for its calls' values, is made
// from the table's size when it is made and from an average tenant's
// share: a plan made while contacts was nearly empty (a fresh database,
// whose contacts are created by its first events) scanned every contact
// of the tenant per statement until autovacuum analyzed the table (bench
// events: 41 ms an event insert of 100 events at 10,000 contacts, a third
// of the throughput for a minute or more); one made where most tenants
// are small would read all of a large tenant's rows to find a few (an
// index scan on tenant_id filtering the IDs, cheaper for a small tenant
// than one index descent per ID).
//
// A plan made at each call still trusts the table's statistics, which can
// be wrong the other way too: told a tenant had 61 messages when it had
// 9,000, the planner hash-joined a batch of 36 against all of them (78 ms
// for one statement in bench engine). So a statement that joins the
// batch's arrays to a table by ID also says "id = ANY(the IDs)": whatever
// join it picks, its index scan reads the batch's rows and no others.
//
// Two ways to plan at each call:
//
//   - customPlanOnly, in the statement's text: the statement is prepared
//     once per connection, as sqlc's are (no parse at each call, and its
//     text, a kilobyte or two, is not sent again), and planned at each
//     call. The hand-written batch statements use it.
//   - planEachCall, the query mode of sqlc's statements run through
//     perCall: sent unnamed, parsed and planned at each call.

// customPlanOnly is a condition, true for every row, that keeps
// PostgreSQL planning the prepared statement it is in for each call's
// values, never with a generic plan; $1 is the statement's tenant ID (a
// uuid). PostgreSQL plans a prepared statement's first five calls for
// their values, then makes a generic plan and keeps it whenever it does
// not cost more than the average of those. In a plan for the call's
// values $1 is a constant, so the first arm folds to true and the whole
// condition is gone from the plan. In the generic plan $1 is unknown, the
// condition stays, and its second arm is priced as counting a billion
// rows, so that plan never looks cheaper: pg_prepared_statements shows
// such a statement with custom plans only (TestSendPathStatementsArePlannedAtEachCall).
// The second arm is never run: the first is true for any $1, NULL too,
// and OR stops there. Planning costs some 0.1 ms a statement, little for
// batches of tens of rows. The parse it saves: PostgreSQL's CPU per
// WhatsApp send 231 -> 194 µs in bench engine --effects-only with
// pg_stat_statements loaded (which normalizes each statement parsed),
// within the noise without it; bench events 17,377 -> 21,505 events/s.
const customPlanOnly = `(($1::uuid IS NULL OR $1::uuid IS NOT NULL) OR (SELECT count(*) FROM generate_series(1, 1000000000)) > 0)`

// planEachCall is the query mode of sqlc's batch statements (perCall):
// the statement is sent unnamed and planned on each call, in one round
// trip (pgx keeps only its parameter and result types).
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
