package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// stepColumns are the columns StepInsertMany writes, in order.
const stepColumns = "id, tenant_id, execution_id, seq, node_id, node_type, status, attempt, input, output, error, handle, started_at, finished_at"

// rowChunks are the row counts of the multi-row INSERT statements the
// batch inserts use, largest first: a handful of statement texts, which
// the connection's statement cache keeps prepared.
var rowChunks = []int{16, 8, 4, 2, 1}

// chunkSize is the largest of rowChunks that fits in remaining rows.
func chunkSize(remaining int) int {
	for _, c := range rowChunks {
		if c <= remaining {
			return c
		}
	}
	return rowChunks[len(rowChunks)-1]
}

// multiRowInserts builds, for each of rowChunks n, the statement head +
// " VALUES " + n rows of cols placeholders + tail.
func multiRowInserts(head string, cols int, tail string) map[int]string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	out := make(map[int]string, len(rowChunks))
	for _, n := range rowChunks {
		out[n] = head + " VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") + tail
	}
	return out
}

// stepInsertSQL[n] inserts n steps.
var stepInsertSQL = multiRowInserts("INSERT INTO workflow_execution_steps ("+stepColumns+")", 14, "")

// StepInsertMany records several node visits with a few multi-row
// statements rather than one statement each (the engine's batch of pure
// nodes and its group commit). A step that exists already is
// store.ErrConflict.
func (t *tx) StepInsertMany(ctx context.Context, ps []*store.StepInsertParams) error {
	if err := store.OneTenant(ps, func(p *store.StepInsertParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("insert steps: %w", err)
	}
	for len(ps) > 0 {
		n := chunkSize(len(ps))
		args := make([]any, 0, 14*n)
		for _, p := range ps[:n] {
			id := p.ID
			if id == uuid.Nil {
				id = domain.NewID()
			}
			started := p.StartedAt
			if started.IsZero() {
				started = now()
			}
			args = append(args, id, p.TenantID, p.ExecutionID, int64(p.Seq), p.NodeID, p.NodeType, string(p.Status),
				int64(p.Attempt), jsonText(p.Input), jsonText(p.Output), p.Error, p.Handle, utc(started), nullTime(p.FinishedAt))
		}
		if _, err := t.tx.ExecContext(ctx, stepInsertSQL[n], args...); err != nil {
			return wrap(err, "insert %d steps of execution %s", n, ps[0].ExecutionID)
		}
		ps = ps[n:]
	}
	return nil
}
