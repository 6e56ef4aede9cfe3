package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// WorkflowStatsInput names a workflow and the period whose executions are
// counted.
type WorkflowStatsInput struct {
	ID   uuid.UUID `path:"id"`
	From time.Time `query:"from" doc:"Count executions created at or after this time (RFC 3339); all time when left out"`
	To   time.Time `query:"to" doc:"Count executions created before this time (RFC 3339); now when left out"`
}

// WorkflowStatsDTO is the funnel of a workflow's executions created in a
// period: the builder's overlay. Test runs are left out.
type WorkflowStatsDTO struct {
	From       *time.Time                `json:"from,omitempty" doc:"Start of the period; absent for all time"`
	To         time.Time                 `json:"to" doc:"End of the period (exclusive)"`
	Entries    int                       `json:"entries" doc:"Executions created in the period: the base of every share"`
	Executions map[string]int            `json:"executions" doc:"Executions created in the period per status"`
	Nodes      map[string]map[string]int `json:"nodes" doc:"Per node and step status, the executions of the period with a step there in that status (an execution counts once per node and status)"`
	Entered    map[string]int            `json:"entered" doc:"Per node, the executions of the period that reached it"`
	Edges      []EdgeStatDTO             `json:"edges" doc:"Per transition (node, handle taken, next node), the executions of the period that made it"`
}

// EdgeStatDTO counts the executions that went from Source by Handle
// straight to Target.
type EdgeStatDTO struct {
	Source string `json:"source"`
	Handle string `json:"handle" doc:"The output handle taken; out for a node's single output"`
	Target string `json:"target"`
	Count  int    `json:"count"`
}

// WorkflowStatsOutput is a workflow's funnel for a period.
type WorkflowStatsOutput struct {
	Body WorkflowStatsDTO
}

// registerWorkflowStats registers the funnel of a workflow's executions.
func (s *Server) registerWorkflowStats() {
	huma.Register(s.api, huma.Operation{
		OperationID: "get-workflow-stats", Method: http.MethodGet, Path: Prefix + "/workflows/{id}/stats",
		Summary:     "A workflow's funnel for a period: executions per status, per node and step status, per transition",
		Description: "Counts executions created in [from, to), test runs left out. Each count is a number of executions, so a node's count divided by entries is the share of entries that reached it. List the executions behind a count with GET /executions?workflowId=…&nodeId=…&nodeStatus=…&from=…&to=…",
		Tags:        []string{"executions"}, Metadata: map[string]any{MetaPermission: PermExecutionsRead},
		Errors: []int{http.StatusBadRequest, http.StatusNotFound},
	}, func(ctx context.Context, in *WorkflowStatsInput) (*WorkflowStatsOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		p := &store.WorkflowPeriodParams{TenantID: c.TenantID, WorkflowID: in.ID, From: time.Unix(0, 0).UTC(), To: in.To}
		if !in.From.IsZero() {
			p.From = in.From
		}
		if p.To.IsZero() {
			// A little ahead of now, so an execution created this instant counts.
			p.To = time.Now().Add(time.Second)
		}
		if !p.To.After(p.From) {
			return nil, huma.Error400BadRequest("the period is empty: to must be after from",
				&huma.ErrorDetail{Location: "query.to", Value: in.To})
		}
		var (
			byStatus map[domain.ExecutionStatus]int
			nodes    []store.NodeFunnel
			edges    []store.EdgeFunnel
		)
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			if _, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			if byStatus, err = tx.ExecutionCountByStatusInPeriod(ctx, p); err != nil {
				return err
			}
			if nodes, err = tx.StepFunnelByNode(ctx, p); err != nil {
				return err
			}
			edges, err = tx.StepFunnelByEdge(ctx, p)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		out := &WorkflowStatsOutput{Body: WorkflowStatsDTO{
			To: p.To.UTC(), Executions: map[string]int{}, Nodes: map[string]map[string]int{},
			Entered: map[string]int{}, Edges: make([]EdgeStatDTO, 0, len(edges)),
		}}
		if !in.From.IsZero() {
			from := in.From.UTC()
			out.Body.From = &from
		}
		for st, n := range byStatus {
			out.Body.Executions[string(st)] = n
			out.Body.Entries += n
		}
		for _, nf := range nodes {
			out.Body.Entered[nf.NodeID] = nf.Entered
			m := make(map[string]int, len(nf.ByStatus))
			for st, n := range nf.ByStatus {
				m[string(st)] = n
			}
			out.Body.Nodes[nf.NodeID] = m
		}
		for _, e := range edges {
			h := e.Handle
			if h == "" {
				h = workflow.DefaultHandle
			}
			out.Body.Edges = append(out.Body.Edges, EdgeStatDTO{Source: e.Source, Handle: h, Target: e.Target, Count: e.Executions})
		}
		return out, nil
	})
}
