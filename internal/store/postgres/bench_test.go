package postgres_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// BenchmarkAdvanceTx measures one engine step on PostgreSQL: lock the
// execution, record a step, update the execution and enqueue the next
// advance, in one transaction.
func BenchmarkAdvanceTx(b *testing.B) {
	ctx := context.Background()
	s := storetest.PostgresStore(b, storetest.WithQueue(store.QueueConfig{WorkNone: true}))
	tenant, execs := benchSeed(b, s, 1)
	b.ResetTimer()
	for i := range b.N {
		if err := advance(ctx, s, tenant, execs[0], i+1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAdvanceTxParallel is BenchmarkAdvanceTx with concurrent
// transactions, each on its own execution, as River's workers run them.
func BenchmarkAdvanceTxParallel(b *testing.B) {
	ctx := context.Background()
	s := storetest.PostgresStore(b, storetest.WithQueue(store.QueueConfig{WorkNone: true}))
	const executions = 64
	tenant, execs := benchSeed(b, s, executions)
	var next atomic.Int64
	seqs := make([]atomic.Int64, executions)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := int(next.Add(1)-1) % executions
		for pb.Next() {
			if err := advance(ctx, s, tenant, execs[k], int(seqs[k].Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func advance(ctx context.Context, s store.Store, tenant uuid.UUID, e *domain.Execution, seq int) error {
	return s.InTx(ctx, tenant, func(tx store.Tx) error {
		cur, err := tx.ExecutionLock(ctx, tenant, e.ID)
		if err != nil {
			return err
		}
		if _, err := tx.StepInsert(ctx, &store.StepInsertParams{
			TenantID: tenant, ExecutionID: e.ID, Seq: seq, NodeID: "n", NodeType: "condition",
			Status: domain.StepCompleted, Attempt: 1, Output: json.RawMessage(`{"result": true}`), Handle: "true",
		}); err != nil {
			return err
		}
		if err := tx.ExecutionUpdate(ctx, &store.ExecutionUpdateParams{
			TenantID: tenant, ID: e.ID, Status: domain.ExecutionRunning, Context: cur.Context,
			CurrentNodeID: "n", Token: cur.Token + 1, StepCount: cur.StepCount + 1,
		}); err != nil {
			return err
		}
		_, err = tx.JobInsert(ctx, benchArgs{ExecutionID: e.ID, Token: cur.Token + 1}, nil)
		return err
	})
}

func benchSeed(b *testing.B, s store.Store, n int) (uuid.UUID, []*domain.Execution) {
	b.Helper()
	ctx := context.Background()
	tenant := domain.NewID()
	var execs []*domain.Execution
	if err := s.InTx(ctx, tenant, func(tx store.Tx) error {
		if _, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenant, Name: "B", Slug: "b", Plan: domain.PlanFree}); err != nil {
			return err
		}
		wf, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, Name: "W", Definition: json.RawMessage(`{}`)})
		if err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenant, WorkflowID: wf.ID, Version: 1, Definition: json.RawMessage(`{}`)})
		if err != nil {
			return err
		}
		for range n {
			e, err := tx.ExecutionInsert(ctx, &store.ExecutionInsertParams{
				TenantID: tenant, WorkflowID: wf.ID, VersionID: v.ID, Version: 1, Status: domain.ExecutionRunning, Context: json.RawMessage(`{"vars": {}}`),
			})
			if err != nil {
				return err
			}
			execs = append(execs, e)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return tenant, execs
}

type benchArgs struct {
	ExecutionID uuid.UUID `json:"executionId"`
	Token       int64     `json:"token"`
}

func (benchArgs) Kind() string { return "postgres_bench_advance" }

var _ river.JobArgs = benchArgs{}
