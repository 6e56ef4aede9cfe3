package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/nextflow-dev/nextflow/internal/workflow"
	"github.com/nextflow-dev/nextflow/internal/workflow/starter"
)

// WorkflowStarterDTO is a starter journey a new workflow can begin from.
type WorkflowStarterDTO struct {
	ID          string               `json:"id" example:"welcome-series"`
	Name        string               `json:"name"`
	Description string               `json:"description"`
	Channels    []string             `json:"channels" doc:"Channel kinds its send steps use; connect them before publishing"`
	Definition  *workflow.Definition `json:"definition"`
	NodeTypes   []string             `json:"nodeTypes" doc:"The step types it uses, in order of first use"`
}

// WorkflowStarterListDTO is the starter gallery.
type WorkflowStarterListDTO struct {
	Items []WorkflowStarterDTO `json:"items"`
}

// WorkflowStarterListOutput is the starter gallery's response.
type WorkflowStarterListOutput struct {
	Body WorkflowStarterListDTO
}

// registerWorkflowStarters registers the starter gallery. A starter becomes
// a workflow through create-workflow (or import-workflow) with its name and
// definition, so it is checked like any other draft.
func (s *Server) registerWorkflowStarters() {
	huma.Register(s.api, huma.Operation{
		OperationID: "list-workflow-starters", Method: http.MethodGet, Path: Prefix + "/workflow-starters",
		Summary:     "Starter journeys to create a workflow from",
		Description: "Welcome series, abandoned cart, weekly digest and reply triage: each publishes as it is once its channels are connected. Create one with POST /workflows and its name and definition.",
		Tags:        []string{"workflows"}, Metadata: map[string]any{MetaPermission: PermWorkflowsRead},
	}, func(ctx context.Context, _ *struct{}) (*WorkflowStarterListOutput, error) {
		if _, err := mustCaller(ctx); err != nil {
			return nil, err
		}
		out := &WorkflowStarterListOutput{}
		out.Body.Items = make([]WorkflowStarterDTO, 0, len(starter.List()))
		for _, st := range starter.List() {
			d := WorkflowStarterDTO{ID: st.ID, Name: st.Name, Description: st.Description, Channels: st.Channels, Definition: st.Definition}
			seen := map[string]bool{}
			for _, n := range st.Definition.Nodes {
				if !seen[n.Type] {
					seen[n.Type] = true
					d.NodeTypes = append(d.NodeTypes, n.Type)
				}
			}
			out.Body.Items = append(out.Body.Items, d)
		}
		return out, nil
	})
}
