package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// funnelStep is one node visit of a funnel case: node, status, handle taken.
type funnelStep struct {
	node   string
	status domain.StepStatus
	handle string
}

func funnelCases() []exerciseCase {
	return []exerciseCase{
		{"Funnel/CountsMatchByHand", func(t *testing.T, f *fixture) {
			wf := f.newWorkflow(t, f.tenantA.ID, "Funnel")
			v := f.newVersion(t, wf)
			run := func(status domain.ExecutionStatus, steps ...funnelStep) *domain.Execution {
				t.Helper()
				e := f.newExecution(t, v, func(p *store.ExecutionInsertParams) { p.Status = status })
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					for i, s := range steps {
						_, err := tx.StepInsert(f.ctx, &store.StepInsertParams{
							TenantID: f.tenantA.ID, ExecutionID: e.ID, Seq: i + 1, NodeID: s.node, NodeType: "condition",
							Status: s.status, Attempt: 1, Input: json.RawMessage(`{}`), Handle: s.handle, StartedAt: ts(),
						})
						require.NoError(t, err)
					}
				})
				return e
			}
			ok := func(node, handle string) funnelStep { return funnelStep{node, domain.StepCompleted, handle} }

			from := ts()
			// start → check (true) → send → done
			run(domain.ExecutionCompleted, ok("start", ""), ok("check", "true"), ok("send", ""), ok("done", ""))
			// start → check (false) → skip
			run(domain.ExecutionCompleted, ok("start", ""), ok("check", "false"), ok("skip", ""))
			// start → check (true) → send fails, is retried (no transition) → done
			run(domain.ExecutionCompleted, ok("start", ""), ok("check", "true"),
				funnelStep{"send", domain.StepFailed, ""}, ok("send", ""), ok("done", ""))
			// start → check, waiting there now
			run(domain.ExecutionWaiting, ok("start", ""), funnelStep{"check", domain.StepWaiting, ""})
			// A test run of the draft is not counted.
			testRun := run(domain.ExecutionCompleted, ok("start", ""), ok("check", "true"), ok("send", ""), ok("done", ""))
			f.in(t, f.tenantA.ID, func(tx store.Tx) { require.NoError(t, tx.ExecutionMarkTest(f.ctx, f.tenantA.ID, testRun.ID)) })
			// Another workflow's execution in the same period is not counted.
			other := f.newChain(t, f.tenantA.ID)
			f.newStep(t, other.e, 1, "start", domain.StepCompleted)
			// Neither is tenant B's.
			b := f.newChain(t, f.tenantB.ID)
			f.newStep(t, b.e, 1, "start", domain.StepCompleted)
			time.Sleep(2 * time.Millisecond) // the next execution is created after the period ends
			to := ts()
			time.Sleep(2 * time.Millisecond)
			late := run(domain.ExecutionCompleted, ok("start", ""), ok("check", "false"), ok("skip", ""))

			period := &store.WorkflowPeriodParams{TenantID: f.tenantA.ID, WorkflowID: wf.ID, From: from, To: to}
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				byStatus, err := tx.ExecutionCountByStatusInPeriod(f.ctx, period)
				require.NoError(t, err)
				require.Equal(t, map[domain.ExecutionStatus]int{domain.ExecutionCompleted: 3, domain.ExecutionWaiting: 1}, byStatus)

				nodes, err := tx.StepFunnelByNode(f.ctx, period)
				require.NoError(t, err)
				require.ElementsMatch(t, []store.NodeFunnel{
					{NodeID: "start", Entered: 4, ByStatus: map[domain.StepStatus]int{domain.StepCompleted: 4}},
					{NodeID: "check", Entered: 4, ByStatus: map[domain.StepStatus]int{domain.StepCompleted: 3, domain.StepWaiting: 1}},
					{NodeID: "send", Entered: 2, ByStatus: map[domain.StepStatus]int{domain.StepCompleted: 2, domain.StepFailed: 1}},
					{NodeID: "done", Entered: 2, ByStatus: map[domain.StepStatus]int{domain.StepCompleted: 2}},
					{NodeID: "skip", Entered: 1, ByStatus: map[domain.StepStatus]int{domain.StepCompleted: 1}},
				}, nodes)

				edges, err := tx.StepFunnelByEdge(f.ctx, period)
				require.NoError(t, err)
				require.ElementsMatch(t, []store.EdgeFunnel{
					{Source: "start", Handle: "", Target: "check", Executions: 4},
					{Source: "check", Handle: "true", Target: "send", Executions: 2},
					{Source: "check", Handle: "false", Target: "skip", Executions: 1},
					{Source: "send", Handle: "", Target: "done", Executions: 2},
				}, edges)

				// A period from the end of the first one holds only the late execution.
				after := &store.WorkflowPeriodParams{TenantID: f.tenantA.ID, WorkflowID: wf.ID, From: to, To: late.CreatedAt.Add(time.Second)}
				byStatus, err = tx.ExecutionCountByStatusInPeriod(f.ctx, after)
				require.NoError(t, err)
				require.Equal(t, map[domain.ExecutionStatus]int{domain.ExecutionCompleted: 1}, byStatus)
				edges, err = tx.StepFunnelByEdge(f.ctx, after)
				require.NoError(t, err)
				require.ElementsMatch(t, []store.EdgeFunnel{
					{Source: "start", Handle: "", Target: "check", Executions: 1},
					{Source: "check", Handle: "false", Target: "skip", Executions: 1},
				}, edges)
			})

			// The executions behind the counts: by node, step status and handle.
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				count := func(p store.ExecutionListParams) int {
					t.Helper()
					p.TenantID, p.WorkflowID, p.CreatedAfter, p.CreatedBefore = f.tenantA.ID, &wf.ID, &from, &to
					p.Test = new(bool)
					list, err := tx.ExecutionList(f.ctx, &p)
					require.NoError(t, err)
					return len(list)
				}
				handle := func(h string) *string { return &h }
				require.Equal(t, 4, count(store.ExecutionListParams{NodeID: "check"}))
				require.Equal(t, 1, count(store.ExecutionListParams{NodeID: "check", NodeStatus: []domain.StepStatus{domain.StepWaiting}}))
				require.Equal(t, 1, count(store.ExecutionListParams{NodeID: "send", NodeStatus: []domain.StepStatus{domain.StepFailed}}))
				require.Equal(t, 2, count(store.ExecutionListParams{NodeID: "send", NodeStatus: []domain.StepStatus{domain.StepFailed, domain.StepCompleted}}))
				require.Equal(t, 2, count(store.ExecutionListParams{NodeID: "check", NodeHandle: handle("true")}))
				require.Equal(t, 1, count(store.ExecutionListParams{NodeID: "check", NodeHandle: handle("false")}))
				require.Equal(t, 4, count(store.ExecutionListParams{NodeID: "start", NodeHandle: handle("out")}), `"out" is the stored ""`)
				require.Zero(t, count(store.ExecutionListParams{NodeID: "nowhere"}))
			})

			// Tenant B asking for tenant A's workflow sees nothing.
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				cross := &store.WorkflowPeriodParams{TenantID: f.tenantB.ID, WorkflowID: wf.ID, From: from, To: to}
				byStatus, err := tx.ExecutionCountByStatusInPeriod(f.ctx, cross)
				require.NoError(t, err)
				require.Empty(t, byStatus)
				nodes, err := tx.StepFunnelByNode(f.ctx, cross)
				require.NoError(t, err)
				require.Empty(t, nodes)
				edges, err := tx.StepFunnelByEdge(f.ctx, cross)
				require.NoError(t, err)
				require.Empty(t, edges)
			})
		}},
	}
}
