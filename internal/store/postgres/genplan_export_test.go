package postgres

import (
	"context"
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// TxTableReads returns how many rows the transaction of stx has read from
// table so far, by sequential scans and through indexes.
func TxTableReads(ctx context.Context, stx store.Tx, table string) (seq, idx int64, err error) {
	t, ok := stx.(*tx)
	if !ok {
		return 0, 0, fmt.Errorf("a %T, not a PostgreSQL transaction", stx)
	}
	err = t.tx.QueryRow(ctx, `SELECT seq_tup_read, coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables
WHERE relid = to_regclass($1)`, table).Scan(&seq, &idx)
	return seq, idx, err
}

// TxExec runs sql in the store's transaction stx (a SET LOCAL, say).
func TxExec(ctx context.Context, stx store.Tx, sql string) error {
	t, ok := stx.(*tx)
	if !ok {
		return fmt.Errorf("a %T, not a PostgreSQL transaction", stx)
	}
	_, err := t.tx.Exec(ctx, sql)
	return err
}

// SendPathBatchSQL lists the send path's statements that take a batch as
// arrays, for the test that they are planned at each call.
var SendPathBatchSQL = []string{executionStatesSQL, executionUpdateManySQL, stepUpdateManySQL, outboxUpdateManySQL,
	outboxAttemptManySQL, messageInsertManySQL, messageMarkSentManySQL}
