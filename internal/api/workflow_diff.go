package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/catalog"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// The sides a diff compares, besides a version number.
const (
	diffSideDraft = "draft"
	diffSideLive  = "live"
)

// WorkflowDiffInput names a workflow and the two sides to compare.
type WorkflowDiffInput struct {
	ID   uuid.UUID `path:"id"`
	From string    `query:"from" default:"live" maxLength:"20" doc:"Base side: \"live\" (the current published version; empty when never published), \"draft\", or a version number"`
	To   string    `query:"to" default:"draft" maxLength:"20" doc:"Compared side: \"draft\", \"live\", or a version number"`
}

// DiffSideDTO is one side of a diff.
type DiffSideDTO struct {
	Kind     string `json:"kind" enum:"draft,version,none" doc:"\"none\" when \"live\" was asked and nothing is published"`
	Version  int    `json:"version,omitempty" doc:"The version number when kind is version"`
	Revision int64  `json:"revision,omitempty" doc:"The draft's revision when kind is draft"`
}

// DiffNodeDTO is a node added or removed, with where it stands on its
// side's canvas.
type DiffNodeDTO struct {
	ID       string            `json:"id"`
	Type     string            `json:"type"`
	Label    string            `json:"label,omitempty"`
	Position workflow.Position `json:"position"`
}

// DiffFieldDTO is one differing value of a node.
type DiffFieldDTO struct {
	Path   string `json:"path" doc:"JSON pointer into the node: /type, /label, /config/..." example:"/config/subject"`
	Before string `json:"before,omitempty" doc:"The base value as JSON, cut to 160 characters; absent when the base has none"`
	After  string `json:"after,omitempty" doc:"The compared value as JSON, cut to 160 characters; absent when it was removed"`
}

// DiffNodeChangeDTO is a node on both sides whose type, label or config
// differs.
type DiffNodeChangeDTO struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Label     string         `json:"label,omitempty"`
	Fields    []DiffFieldDTO `json:"fields"`
	Truncated bool           `json:"truncated,omitempty" doc:"More than 50 values differ; the first 50 are listed"`
}

// DiffEdgeDTO is an edge added or removed.
type DiffEdgeDTO struct {
	ID           string `json:"id"`
	Source       string `json:"source"`
	SourceHandle string `json:"sourceHandle,omitempty"`
	Target       string `json:"target"`
}

// WorkflowDiffDTO is what differs between two sides of a workflow,
// compared by meaning: positions do not count (a node that only moved is
// listed in movedNodes), configs are compared as JSON values, edges by
// source, handle and target whatever their IDs.
type WorkflowDiffDTO struct {
	From         DiffSideDTO         `json:"from"`
	To           DiffSideDTO         `json:"to"`
	Changed      bool                `json:"changed" doc:"Whether the two sides behave differently; a draft with changed false has nothing to publish"`
	AddedNodes   []DiffNodeDTO       `json:"addedNodes"`
	RemovedNodes []DiffNodeDTO       `json:"removedNodes"`
	ChangedNodes []DiffNodeChangeDTO `json:"changedNodes"`
	AddedEdges   []DiffEdgeDTO       `json:"addedEdges"`
	RemovedEdges []DiffEdgeDTO       `json:"removedEdges"`
	MovedNodes   []string            `json:"movedNodes"`
}

// WorkflowDiffOutput is the diff between two sides of a workflow.
type WorkflowDiffOutput struct {
	Body WorkflowDiffDTO
}

func (s *Server) registerWorkflowDiff() {
	huma.Register(s.api, huma.Operation{
		OperationID: "diff-workflow", Method: http.MethodGet, Path: Prefix + "/workflows/{id}/diff",
		Summary: "Compare two versions of a workflow, or a version and the draft",
		Description: "By default compares the live (current published) version with the draft: `changed` false means the draft " +
			"has nothing to publish. Positions are layout and do not count as a change.",
		Tags: []string{"workflows"}, Metadata: map[string]any{MetaPermission: PermWorkflowsRead},
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *WorkflowDiffInput) (*WorkflowDiffOutput, error) {
		from, err := parseDiffSide("query.from", in.From, diffSideLive)
		if err != nil {
			return nil, err
		}
		to, err := parseDiffSide("query.to", in.To, diffSideDraft)
		if err != nil {
			return nil, err
		}
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var fromDef, toDef *workflow.Definition
		var fromSide, toSide DiffSideDTO
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			w, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID)
			if err != nil {
				return err
			}
			if fromDef, fromSide, err = loadDiffSide(ctx, tx, w, from); err != nil {
				return err
			}
			toDef, toSide, err = loadDiffSide(ctx, tx, w, to)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		d, err := catalog.DiffDefinitions(fromDef, toDef)
		if err != nil {
			return nil, s.problem(ctx, "workflow diff", err)
		}
		return &WorkflowDiffOutput{Body: workflowDiffDTO(d, fromSide, toSide)}, nil
	})
}

// parseDiffSide checks a side named in the query: "draft", "live" or a
// version number.
func parseDiffSide(loc, v, def string) (string, error) {
	if v == "" {
		return def, nil
	}
	if v == diffSideDraft || v == diffSideLive {
		return v, nil
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 1 {
		return v, nil
	}
	return "", huma.Error422UnprocessableEntity(loc[len("query."):]+` must be "draft", "live" or a version number (1 or more)`,
		&huma.ErrorDetail{Location: loc, Message: "not a side of the workflow", Value: v})
}

// loadDiffSide reads one side's definition in tx, secrets redacted as
// everywhere the API shows a definition.
func loadDiffSide(ctx context.Context, tx store.Tx, w *domain.Workflow, side string) (*workflow.Definition, DiffSideDTO, error) {
	var raw json.RawMessage
	var dto DiffSideDTO
	switch side {
	case diffSideDraft:
		raw, dto = w.Definition, DiffSideDTO{Kind: "draft", Revision: w.Revision}
	case diffSideLive:
		if w.CurrentVersionID == nil {
			return &workflow.Definition{}, DiffSideDTO{Kind: "none"}, nil
		}
		v, err := tx.WorkflowVersionGetByID(ctx, w.TenantID, *w.CurrentVersionID)
		if err != nil {
			return nil, dto, err
		}
		raw, dto = v.Definition, DiffSideDTO{Kind: "version", Version: v.Version}
	default:
		n, _ := strconv.Atoi(side) // checked by parseDiffSide
		v, err := tx.WorkflowVersionGetByNumber(ctx, w.TenantID, w.ID, n)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, dto, huma.Error404NotFound("version " + side + " of this workflow not found")
			}
			return nil, dto, err
		}
		raw, dto = v.Definition, DiffSideDTO{Kind: "version", Version: v.Version}
	}
	def, err := decodeStored(raw)
	if err != nil {
		return nil, dto, err
	}
	return def, dto, nil
}

func workflowDiffDTO(d *catalog.DefinitionDiff, from, to DiffSideDTO) WorkflowDiffDTO {
	out := WorkflowDiffDTO{
		From: from, To: to, Changed: d.Changed(),
		AddedNodes: []DiffNodeDTO{}, RemovedNodes: []DiffNodeDTO{}, ChangedNodes: []DiffNodeChangeDTO{},
		AddedEdges: []DiffEdgeDTO{}, RemovedEdges: []DiffEdgeDTO{}, MovedNodes: []string{},
	}
	node := func(n workflow.Node) DiffNodeDTO {
		return DiffNodeDTO{ID: n.ID, Type: n.Type, Label: n.Label, Position: n.Position}
	}
	edge := func(e workflow.Edge) DiffEdgeDTO {
		return DiffEdgeDTO{ID: e.ID, Source: e.Source, SourceHandle: e.SourceHandle, Target: e.Target}
	}
	for _, n := range d.AddedNodes {
		out.AddedNodes = append(out.AddedNodes, node(n))
	}
	for _, n := range d.RemovedNodes {
		out.RemovedNodes = append(out.RemovedNodes, node(n))
	}
	for _, ch := range d.ChangedNodes {
		dto := DiffNodeChangeDTO{ID: ch.Node.ID, Type: ch.Node.Type, Label: ch.Node.Label, Fields: make([]DiffFieldDTO, 0, len(ch.Fields)), Truncated: ch.Truncated}
		for _, f := range ch.Fields {
			dto.Fields = append(dto.Fields, DiffFieldDTO{Path: f.Path, Before: f.Before, After: f.After})
		}
		out.ChangedNodes = append(out.ChangedNodes, dto)
	}
	for _, e := range d.AddedEdges {
		out.AddedEdges = append(out.AddedEdges, edge(e))
	}
	for _, e := range d.RemovedEdges {
		out.RemovedEdges = append(out.RemovedEdges, edge(e))
	}
	out.MovedNodes = append(out.MovedNodes, d.Moved...)
	return out
}
