package sqlite

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// BenchmarkAdvanceTx measures one engine step on SQLite: lock the
// execution, record a step, update the execution and enqueue the next
// advance, in one transaction.
func BenchmarkAdvanceTx(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/bench.db", Options{Queue: store.QueueConfig{WorkNone: true}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	tenant := domain.NewID()
	var e *domain.Execution
	if err := s.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
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
		e, err = tx.ExecutionInsert(ctx, &store.ExecutionInsertParams{
			TenantID: tenant, WorkflowID: wf.ID, VersionID: v.ID, Version: 1, Status: domain.ExecutionRunning, Context: json.RawMessage(`{"vars": {}}`),
		})
		return err
	}); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for i := range b.N {
		if err := s.InTx(ctx, tenant, func(tx store.Tx) error {
			cur, err := tx.ExecutionLock(ctx, tenant, e.ID)
			if err != nil {
				return err
			}
			if _, err := tx.StepInsert(ctx, &store.StepInsertParams{
				TenantID: tenant, ExecutionID: e.ID, Seq: i + 1, NodeID: "n", NodeType: "condition",
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
		}); err != nil {
			b.Fatal(err)
		}
	}
}

type benchArgs struct {
	ExecutionID uuid.UUID `json:"executionId"`
	Token       int64     `json:"token"`
}

func (benchArgs) Kind() string { return "sqlite_bench_advance" }

var _ river.JobArgs = benchArgs{}
