package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/segment"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// SegmentRoutes serves the segments API: audiences defined by a condition
// tree, their live count and a sample, kept up to date in the background.
type SegmentRoutes struct {
	Store    store.Store
	Segments *segment.Service
	Logger   *slog.Logger
}

// SegmentDTO is a segment and the state of its membership.
type SegmentDTO struct {
	ID          uuid.UUID              `json:"id"`
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	Definition  store.SegmentCondition `json:"definition"`
	// MemberCount is the membership's size after the last computation.
	MemberCount int        `json:"memberCount" doc:"Members after the last computation"`
	ComputedAt  *time.Time `json:"computedAt,omitempty" doc:"When the membership was last computed; absent until the first computation"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
}

func segmentDTO(s *domain.Segment) SegmentDTO {
	out := SegmentDTO{ID: s.ID, Name: s.Name, Description: s.Description, MemberCount: s.MemberCount,
		ComputedAt: s.ComputedAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	_ = json.Unmarshal(s.Definition, &out.Definition) // validated when stored
	return out
}

// SegmentWriteDTO creates or replaces a segment.
type SegmentWriteDTO struct {
	Name        string                 `json:"name" minLength:"1" maxLength:"100"`
	Description string                 `json:"description,omitempty" maxLength:"1000"`
	Definition  store.SegmentCondition `json:"definition" doc:"The condition tree: exactly one of all, any, not, attribute, field, subscription, performed, time per node; at most 5 levels and 50 conditions"`
}

func (d *SegmentWriteDTO) input() (segment.Input, error) {
	def, err := json.Marshal(d.Definition)
	if err != nil {
		return segment.Input{}, err
	}
	return segment.Input{Name: d.Name, Description: d.Description, Definition: def}, nil
}

// SegmentWriteInput carries a new segment.
type SegmentWriteInput struct {
	Body SegmentWriteDTO
}

// SegmentReplaceInput replaces a segment.
type SegmentReplaceInput struct {
	ID   uuid.UUID `path:"id"`
	Body SegmentWriteDTO
}

// SegmentIDInput names a segment.
type SegmentIDInput struct {
	ID uuid.UUID `path:"id"`
}

// SegmentItemOutput is one segment.
type SegmentItemOutput struct {
	Body SegmentDTO
}

// SegmentListDTO is the workspace's segments by name.
type SegmentListDTO struct {
	Items []SegmentDTO `json:"items"`
}

// SegmentListOutput lists segments.
type SegmentListOutput struct {
	Body SegmentListDTO
}

// SegmentPreviewDTO asks what a definition matches now.
type SegmentPreviewDTO struct {
	Definition store.SegmentCondition `json:"definition"`
	Sample     int                    `json:"sample,omitempty" minimum:"0" maximum:"100" default:"10" doc:"How many matching contacts to return, newest first"`
}

// SegmentPreviewInput carries a preview request.
type SegmentPreviewInput struct {
	Body SegmentPreviewDTO
}

// SegmentPreviewResultDTO is what a definition matches now.
type SegmentPreviewResultDTO struct {
	Count  int          `json:"count"`
	Sample []ContactDTO `json:"sample"`
}

// SegmentPreviewOutput is a preview.
type SegmentPreviewOutput struct {
	Body SegmentPreviewResultDTO
}

// SegmentRecomputeOutput acknowledges a queued computation.
type SegmentRecomputeOutput struct {
	Body SegmentRecomputeDTO
}

// SegmentRecomputeDTO says the computation is queued.
type SegmentRecomputeDTO struct {
	Queued bool `json:"queued"`
}

func segmentProblem(ctx context.Context, log *slog.Logger, err error) error {
	switch {
	case errors.Is(err, segment.ErrInvalid):
		return huma.Error422UnprocessableEntity(err.Error(), &huma.ErrorDetail{Location: "body.definition", Message: err.Error()})
	case errors.Is(err, store.ErrConflict):
		return huma.Error409Conflict("a segment with this name exists", &huma.ErrorDetail{Location: "body.name", Message: "taken"})
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound("segment not found")
	}
	return Problem(ctx, log, "segment", err)
}

// auditSegment records a segment created, changed or deleted.
func auditSegment(ctx context.Context, tx store.Tx, c *Caller, action string, s *domain.Segment) error {
	actorType, actorID := "user", c.UserID
	if c.APIKeyID != nil {
		actorType, actorID = "api_key", c.APIKeyID
	}
	data, err := json.Marshal(map[string]string{"name": s.Name})
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if err := tx.AuditInsert(ctx, &store.AuditInsertParams{TenantID: c.TenantID, ActorType: actorType, ActorID: actorID,
		Action: action, TargetType: "segment", TargetID: s.ID.String(), Data: data, IP: c.IP}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Register adds the segment operations: readers of contacts see segments
// and previews; writers of contacts define them.
func (r *SegmentRoutes) Register(api huma.API) {
	tags := []string{"segments"}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}
	read := map[string]any{MetaPermission: auth.PermContactsRead}
	write := map[string]any{MetaPermission: auth.PermContactsWrite}

	huma.Register(api, huma.Operation{
		OperationID: "list-segments", Method: http.MethodGet, Path: Prefix + "/segments",
		Summary: "List segments by name with their member counts", Tags: tags, Metadata: read, Errors: errs,
	}, func(ctx context.Context, _ *struct{}) (*SegmentListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var list []domain.Segment
		if err := r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			list, err = tx.SegmentList(ctx, c.TenantID)
			return err
		}); err != nil {
			return nil, segmentProblem(ctx, r.Logger, err)
		}
		out := &SegmentListOutput{Body: SegmentListDTO{Items: make([]SegmentDTO, 0, len(list))}}
		for i := range list {
			out.Body.Items = append(out.Body.Items, segmentDTO(&list[i]))
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-segment", Method: http.MethodPost, Path: Prefix + "/segments",
		Summary:     "Define a segment",
		Description: "Stores the segment and queues its first computation; members found then record no events. Later changes of membership record segment.entered and segment.exited events on the contact, which start journeys like any event. Recorded in the audit log.",
		Tags:        tags, DefaultStatus: http.StatusCreated, Metadata: write,
		Errors: append(errs, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *SegmentWriteInput) (*SegmentItemOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		si, err := in.Body.input()
		if err != nil {
			return nil, segmentProblem(ctx, r.Logger, err)
		}
		s, err := r.Segments.Create(ctx, c.TenantID, si, func(tx store.Tx, s *domain.Segment) error {
			return auditSegment(ctx, tx, c, "segment.created", s)
		})
		if err != nil {
			return nil, segmentProblem(ctx, r.Logger, err)
		}
		return &SegmentItemOutput{Body: segmentDTO(s)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "preview-segment", Method: http.MethodPost, Path: Prefix + "/segments/preview",
		Summary:     "Count and sample the contacts a definition matches now",
		Description: "Nothing is stored: the editor's live count.",
		Tags:        tags, Metadata: read, Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *SegmentPreviewInput) (*SegmentPreviewOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		def, err := json.Marshal(in.Body.Definition)
		if err != nil {
			return nil, segmentProblem(ctx, r.Logger, err)
		}
		n, sample, err := r.Segments.Preview(ctx, c.TenantID, def, in.Body.Sample)
		if err != nil {
			return nil, segmentProblem(ctx, r.Logger, err)
		}
		out := &SegmentPreviewOutput{Body: SegmentPreviewResultDTO{Count: n, Sample: make([]ContactDTO, 0, len(sample))}}
		for i := range sample {
			out.Body.Sample = append(out.Body.Sample, contactDTO(&sample[i]))
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-segment", Method: http.MethodGet, Path: Prefix + "/segments/{id}",
		Summary: "Get a segment", Tags: tags, Metadata: read, Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *SegmentIDInput) (*SegmentItemOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var s *domain.Segment
		if err := r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			s, err = tx.SegmentGet(ctx, c.TenantID, in.ID)
			return err
		}); err != nil {
			return nil, segmentProblem(ctx, r.Logger, err)
		}
		return &SegmentItemOutput{Body: segmentDTO(s)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "replace-segment", Method: http.MethodPut, Path: Prefix + "/segments/{id}",
		Summary:     "Replace a segment's name, description and definition",
		Description: "The membership is recomputed in the background; contacts it gains or loses record segment.entered and segment.exited events. Recorded in the audit log.",
		Tags:        tags, Metadata: write,
		Errors: append(errs, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *SegmentReplaceInput) (*SegmentItemOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		si, err := in.Body.input()
		if err != nil {
			return nil, segmentProblem(ctx, r.Logger, err)
		}
		s, err := r.Segments.Update(ctx, c.TenantID, in.ID, si, func(tx store.Tx, s *domain.Segment) error {
			return auditSegment(ctx, tx, c, "segment.updated", s)
		})
		if err != nil {
			return nil, segmentProblem(ctx, r.Logger, err)
		}
		return &SegmentItemOutput{Body: segmentDTO(s)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "recompute-segment", Method: http.MethodPost, Path: Prefix + "/segments/{id}/recompute",
		Summary: "Queue a computation of the segment's membership now", Tags: tags, DefaultStatus: http.StatusAccepted,
		Metadata: write, Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *SegmentIDInput) (*SegmentRecomputeOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		if err := r.Segments.Queue(ctx, c.TenantID, in.ID); err != nil {
			return nil, segmentProblem(ctx, r.Logger, err)
		}
		return &SegmentRecomputeOutput{Body: SegmentRecomputeDTO{Queued: true}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-segment", Method: http.MethodDelete, Path: Prefix + "/segments/{id}",
		Summary: "Delete a segment and its membership", Description: "Recorded in the audit log.",
		Tags: tags, DefaultStatus: http.StatusNoContent, Metadata: write, Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *SegmentIDInput) (*NoContentOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		err = r.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			s, err := tx.SegmentGet(ctx, c.TenantID, in.ID)
			if err != nil {
				return err
			}
			if err := tx.SegmentDelete(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			return auditSegment(ctx, tx, c, "segment.deleted", s)
		})
		if err != nil {
			return nil, segmentProblem(ctx, r.Logger, err)
		}
		return nil, nil
	})
}
