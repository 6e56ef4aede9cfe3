package storetest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// testRunCases cover what the builder's test runs store (#16 item 3):
// pinned sample data, the draft's test snapshots (versions below zero)
// and the test mark on executions.
func testRunCases() []exerciseCase {
	return []exerciseCase{
		{"TestRun/PinnedSampleData", func(t *testing.T, f *fixture) {
			wf := f.newWorkflow(t, f.tenantA.ID, "Pinned")
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				data, err := tx.WorkflowTestDataGet(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Nil(t, data)
				require.NoError(t, tx.WorkflowTestDataSet(f.ctx, f.tenantA.ID, wf.ID, json.RawMessage(`{"input":{"amount":150}}`)))
				data, err = tx.WorkflowTestDataGet(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				requireJSON(t, `{"input":{"amount":150}}`, data)
				after, err := tx.WorkflowGetByID(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Equal(t, wf.Revision, after.Revision, "pinning is no edit of the draft")
				require.ErrorIs(t, tx.WorkflowTestDataSet(f.ctx, f.tenantA.ID, domain.NewID(), json.RawMessage(`{}`)), store.ErrNotFound)
				_, err = tx.WorkflowTestDataGet(f.ctx, f.tenantA.ID, domain.NewID())
				require.ErrorIs(t, err, store.ErrNotFound)
				require.NoError(t, tx.WorkflowTestDataSet(f.ctx, f.tenantA.ID, wf.ID, nil))
				data, err = tx.WorkflowTestDataGet(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Nil(t, data, "nil clears")
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.WorkflowTestDataGet(f.ctx, f.tenantB.ID, wf.ID)
				require.ErrorIs(t, err, store.ErrNotFound, "another tenant's workflow")
				require.ErrorIs(t, tx.WorkflowTestDataSet(f.ctx, f.tenantB.ID, wf.ID, json.RawMessage(`{}`)), store.ErrNotFound)
			})
		}},
		{"TestRun/SnapshotsAreNoVersions", func(t *testing.T, f *fixture) {
			wf := f.newWorkflow(t, f.tenantA.ID, "Snapshots")
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.WorkflowVersionLatestTest(f.ctx, f.tenantA.ID, wf.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				for _, n := range []int{-1, -2} {
					_, err := tx.WorkflowVersionInsert(f.ctx, &store.WorkflowVersionInsertParams{TenantID: f.tenantA.ID, ID: domain.NewID(),
						WorkflowID: wf.ID, Version: n, Definition: json.RawMessage(testDefinition)})
					require.NoError(t, err)
				}
				latest, err := tx.WorkflowVersionLatestTest(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Equal(t, -2, latest.Version)
				max, err := tx.WorkflowVersionMax(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Zero(t, max, "the next published version is still 1")
				vs, err := tx.WorkflowVersionList(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Empty(t, vs)
			})
			v := f.newVersion(t, wf)
			require.Equal(t, 1, v.Version)
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.WorkflowVersionLatestTest(f.ctx, f.tenantB.ID, wf.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
			})
		}},
		{"TestRun/MarkedExecutionsStayOutOfCounts", func(t *testing.T, f *fixture) {
			wf := f.newWorkflow(t, f.tenantA.ID, "Marked")
			v := f.newVersion(t, wf)
			real := f.newExecution(t, v, func(p *store.ExecutionInsertParams) { p.Status = domain.ExecutionCompleted })
			test := f.newExecution(t, v, func(p *store.ExecutionInsertParams) { p.Status = domain.ExecutionCompleted })
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				require.NoError(t, tx.ExecutionMarkTest(f.ctx, f.tenantA.ID, test.ID))
				require.ErrorIs(t, tx.ExecutionMarkTest(f.ctx, f.tenantA.ID, domain.NewID()), store.ErrNotFound)
				for _, e := range []*domain.Execution{real, test} {
					_, err := tx.StepInsert(f.ctx, &store.StepInsertParams{TenantID: f.tenantA.ID, ExecutionID: e.ID, Seq: 1, NodeID: "start",
						NodeType: "trigger.manual", Status: domain.StepCompleted, Attempt: 1, StartedAt: ts()})
					require.NoError(t, err)
				}
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				require.ErrorIs(t, tx.ExecutionMarkTest(f.ctx, f.tenantB.ID, real.ID), store.ErrNotFound, "another tenant's execution")
			})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, test.ID)
				require.NoError(t, err)
				require.True(t, got.Test)
				byStatus, err := tx.ExecutionCountByStatus(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Equal(t, map[domain.ExecutionStatus]int{domain.ExecutionCompleted: 1}, byStatus)
				byNode, err := tx.StepCountByNode(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Equal(t, []store.NodeCount{{NodeID: "start", Status: domain.StepCompleted, Count: 1}}, byNode)
				yes, no := true, false
				tests, err := tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, WorkflowID: &wf.ID, Test: &yes})
				require.NoError(t, err)
				require.Len(t, tests, 1)
				require.Equal(t, test.ID, tests[0].ID)
				require.True(t, tests[0].Test)
				reals, err := tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, WorkflowID: &wf.ID, Test: &no})
				require.NoError(t, err)
				require.Len(t, reals, 1)
				require.Equal(t, real.ID, reals[0].ID)
				require.False(t, reals[0].Test)
				all, err := tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, WorkflowID: &wf.ID})
				require.NoError(t, err)
				require.Len(t, all, 2)
			})
		}},
	}
}
