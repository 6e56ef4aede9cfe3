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
	"github.com/nextflow-dev/nextflow/internal/broadcast"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// BroadcastRoutes serves the broadcasts API: a published workflow run once
// for every contact of a segment, at a rate, with pause, resume and
// cancel.
type BroadcastRoutes struct {
	Store      store.Store
	Broadcasts *broadcast.Service
	Logger     *slog.Logger
}

// BroadcastDTO is a broadcast and its progress.
type BroadcastDTO struct {
	ID              uuid.UUID `json:"id"`
	Name            string    `json:"name"`
	WorkflowID      uuid.UUID `json:"workflowId"`
	WorkflowVersion int       `json:"workflowVersion" doc:"The published version every recipient runs: the current one when the broadcast was created"`
	SegmentID       uuid.UUID `json:"segmentId"`
	Status          string    `json:"status" enum:"scheduled,running,paused,completed,cancelled,failed"`
	ScheduleMode    string    `json:"scheduleMode" enum:"now,at,contact_local"`
	SendAt          string    `json:"sendAt,omitempty" doc:"The wall-clock time asked for (at, contact_local), e.g. 2026-12-24T09:00:00"`
	Timezone        string    `json:"timezone" doc:"IANA timezone sendAt is read in; for contact_local, the one of contacts without a valid timezone"`
	StartsAt        time.Time `json:"startsAt" doc:"When the recipients are taken from the segment: the start, or for contact_local the earliest local time on Earth (UTC+14)"`
	RatePerSecond   int       `json:"ratePerSecond"`
	// Progress.
	Total     int        `json:"total" doc:"Recipients taken from the segment (0 until the broadcast starts)"`
	Done      int        `json:"done" doc:"Recipients handled: started + skipped"`
	Started   int        `json:"started" doc:"Executions started"`
	Skipped   int        `json:"skipped" doc:"Recipients whose start failed (lastError says why)"`
	LastError string     `json:"lastError,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	StartedAt *time.Time `json:"startedAt,omitempty" doc:"When the recipients were taken"`
	// FinishedAt is when it completed or was cancelled.
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
}

func broadcastDTO(b *domain.Broadcast) BroadcastDTO {
	return BroadcastDTO{ID: b.ID, Name: b.Name, WorkflowID: b.WorkflowID, WorkflowVersion: b.Version, SegmentID: b.SegmentID,
		Status: string(b.Status), ScheduleMode: b.ScheduleMode, SendAt: b.SendAt, Timezone: b.Timezone, StartsAt: b.StartsAt,
		RatePerSecond: b.RatePerSecond, Total: b.Total, Done: b.Done(), Started: b.Started, Skipped: b.Skipped, LastError: b.LastError,
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt, StartedAt: b.SnapshotAt, FinishedAt: b.FinishedAt}
}

// BroadcastCreateDTO asks for a broadcast.
type BroadcastCreateDTO struct {
	Name          string    `json:"name" minLength:"1" maxLength:"100"`
	WorkflowID    uuid.UUID `json:"workflowId" doc:"A published workflow; its current version runs, from its manual trigger (else its first trigger), with trigger.input {broadcastId, broadcastName}"`
	SegmentID     uuid.UUID `json:"segmentId" doc:"Every member of the segment's stored membership when the broadcast starts is a recipient, once"`
	ScheduleMode  string    `json:"scheduleMode,omitempty" enum:"now,at,contact_local" default:"now" doc:"now; at: sendAt in timezone; contact_local: sendAt in each contact's own timezone (timezone for those without one; a time already past there is due at once)"`
	SendAt        string    `json:"sendAt,omitempty" doc:"Wall-clock time without offset, e.g. 2026-12-24T09:00; required for at and contact_local" example:"2026-12-24T09:00"`
	Timezone      string    `json:"timezone,omitempty" default:"UTC" example:"Europe/Berlin"`
	RatePerSecond int       `json:"ratePerSecond" minimum:"1" maximum:"100000" doc:"Contacts started per second at most"`
}

// BroadcastCreateInput carries a new broadcast.
type BroadcastCreateInput struct {
	Body BroadcastCreateDTO
}

// BroadcastIDInput names a broadcast.
type BroadcastIDInput struct {
	ID uuid.UUID `path:"id"`
}

// BroadcastItemOutput is one broadcast.
type BroadcastItemOutput struct {
	Body BroadcastDTO
}

// BroadcastListDTO is the workspace's broadcasts, newest first.
type BroadcastListDTO struct {
	Items []BroadcastDTO `json:"items"`
}

// BroadcastListInput pages the list.
type BroadcastListInput struct {
	Limit int `query:"limit" minimum:"0" maximum:"500" default:"50"`
}

// BroadcastListOutput lists broadcasts.
type BroadcastListOutput struct {
	Body BroadcastListDTO
}

func broadcastProblem(ctx context.Context, log *slog.Logger, err error) error {
	switch {
	case errors.Is(err, broadcast.ErrInvalid):
		return huma.Error422UnprocessableEntity(err.Error(), &huma.ErrorDetail{Location: "body", Message: err.Error()})
	case errors.Is(err, broadcast.ErrState):
		return huma.Error409Conflict(err.Error())
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound("broadcast not found")
	}
	return Problem(ctx, log, "broadcast", err)
}

// auditBroadcast records a broadcast created, paused, resumed or
// cancelled.
func auditBroadcast(ctx context.Context, tx store.Tx, c *Caller, action string, b *domain.Broadcast) error {
	actorType, actorID := "user", c.UserID
	if c.APIKeyID != nil {
		actorType, actorID = "api_key", c.APIKeyID
	}
	data, err := json.Marshal(map[string]any{"name": b.Name, "workflowId": b.WorkflowID, "segmentId": b.SegmentID, "status": b.Status})
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if err := tx.AuditInsert(ctx, &store.AuditInsertParams{TenantID: c.TenantID, ActorType: actorType, ActorID: actorID,
		Action: action, TargetType: "broadcast", TargetID: b.ID.String(), Data: data, IP: c.IP}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Register adds the broadcast operations: readers of executions see
// broadcasts; those who may run executions create and steer them.
func (r *BroadcastRoutes) Register(api huma.API) {
	tags := []string{"broadcasts"}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}
	read := map[string]any{MetaPermission: auth.PermExecutionsRead}
	write := map[string]any{MetaPermission: auth.PermExecutionsRun}

	huma.Register(api, huma.Operation{
		OperationID: "list-broadcasts", Method: http.MethodGet, Path: Prefix + "/broadcasts",
		Summary: "List broadcasts, newest first, with their progress", Tags: tags, Metadata: read, Errors: errs,
	}, func(ctx context.Context, in *BroadcastListInput) (*BroadcastListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var list []domain.Broadcast
		if err := r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			list, err = tx.BroadcastList(ctx, c.TenantID, in.Limit)
			return err
		}); err != nil {
			return nil, broadcastProblem(ctx, r.Logger, err)
		}
		out := &BroadcastListOutput{Body: BroadcastListDTO{Items: make([]BroadcastDTO, 0, len(list))}}
		for i := range list {
			out.Body.Items = append(out.Body.Items, broadcastDTO(&list[i]))
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-broadcast", Method: http.MethodPost, Path: Prefix + "/broadcasts",
		Summary:     "Run a published workflow once for every contact of a segment",
		Description: "Now, at sendAt in timezone, or at sendAt in each contact's own timezone, starting at most ratePerSecond contacts per second. Each member of the segment when the broadcast starts gets exactly one execution, across crashes and nodes. An unknown segment or workflow, a workflow never published, a bad timezone or sendAt is a 422 and writes nothing. Recorded in the audit log.",
		Tags:        tags, DefaultStatus: http.StatusCreated, Metadata: write,
		Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *BroadcastCreateInput) (*BroadcastItemOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		d := in.Body
		b, err := r.Broadcasts.Create(ctx, c.TenantID, broadcast.Input{Name: d.Name, WorkflowID: d.WorkflowID, SegmentID: d.SegmentID,
			ScheduleMode: d.ScheduleMode, SendAt: d.SendAt, Timezone: d.Timezone, RatePerSecond: d.RatePerSecond},
			func(tx store.Tx, b *domain.Broadcast) error {
				return auditBroadcast(ctx, tx, c, "broadcast.created", b)
			})
		if err != nil {
			return nil, broadcastProblem(ctx, r.Logger, err)
		}
		return &BroadcastItemOutput{Body: broadcastDTO(b)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-broadcast", Method: http.MethodGet, Path: Prefix + "/broadcasts/{id}",
		Summary: "Get a broadcast and its progress", Tags: tags, Metadata: read, Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *BroadcastIDInput) (*BroadcastItemOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		b, err := r.Broadcasts.Get(ctx, c.TenantID, in.ID)
		if err != nil {
			return nil, broadcastProblem(ctx, r.Logger, err)
		}
		return &BroadcastItemOutput{Body: broadcastDTO(b)}, nil
	})

	steer := []struct {
		op, verb, summary, action string
		fn                        func(context.Context, uuid.UUID, uuid.UUID, broadcast.Also) (*domain.Broadcast, error)
	}{
		{"pause-broadcast", "pause", "Pause a scheduled or running broadcast (pausing a paused one changes nothing)", "broadcast.paused", r.Broadcasts.Pause},
		{"resume-broadcast", "resume", "Resume a paused broadcast where it stopped (resuming a scheduled or running one changes nothing)", "broadcast.resumed", r.Broadcasts.Resume},
		{"cancel-broadcast", "cancel", "Cancel a broadcast: recipients not started yet never are (a completed one is a 409)", "broadcast.cancelled", r.Broadcasts.Cancel},
	}
	for _, s := range steer {
		huma.Register(api, huma.Operation{
			OperationID: s.op, Method: http.MethodPost, Path: Prefix + "/broadcasts/{id}/" + s.verb,
			Summary: s.summary, Description: "Recorded in the audit log when it changes the broadcast.",
			Tags: tags, Metadata: write, Errors: append(errs, http.StatusNotFound, http.StatusConflict),
		}, func(ctx context.Context, in *BroadcastIDInput) (*BroadcastItemOutput, error) {
			c, err := mustCaller(ctx)
			if err != nil {
				return nil, err
			}
			b, err := s.fn(ctx, c.TenantID, in.ID, func(tx store.Tx, b *domain.Broadcast) error {
				return auditBroadcast(ctx, tx, c, s.action, b)
			})
			if err != nil {
				return nil, broadcastProblem(ctx, r.Logger, err)
			}
			return &BroadcastItemOutput{Body: broadcastDTO(b)}, nil
		})
	}
}
