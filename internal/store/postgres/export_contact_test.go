package postgres

import (
	"context"
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// TxContactScans returns how many sequential and index scans of contacts
// the backend of stx's transaction has started and not reported yet (the
// transaction's, and earlier ones' until the backend reports them, at most
// once a second between transactions).
func TxContactScans(ctx context.Context, stx store.Tx) (seq, idx int64, err error) {
	t, ok := stx.(*tx)
	if !ok {
		return 0, 0, fmt.Errorf("a %T, not a PostgreSQL transaction", stx)
	}
	err = t.tx.QueryRow(ctx, `SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables
WHERE relid = to_regclass('contacts')`).Scan(&seq, &idx)
	return seq, idx, err
}
