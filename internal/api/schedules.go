package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/cron"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/schedule"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Schedule permissions.
const (
	PermSchedulesRead  = "schedules:read"
	PermSchedulesWrite = "schedules:write"
	PermExecutionsRun  = "executions:run"
)

// ScheduleDTO is a schedule as the API shows it.
type ScheduleDTO struct {
	ID         uuid.UUID   `json:"id"`
	WorkflowID uuid.UUID   `json:"workflowId"`
	NodeID     string      `json:"nodeId" doc:"The trigger.schedule node it came from, or schedule:… for one created through the API"`
	Cron       string      `json:"cron" example:"0 9 * * 1-5"`
	Timezone   string      `json:"timezone" example:"Europe/Berlin"`
	MissedRuns string      `json:"missedRuns" enum:"skip,catch_up"`
	IsActive   bool        `json:"isActive"`
	LastRunAt  *time.Time  `json:"lastRunAt,omitempty"`
	NextRunAt  *time.Time  `json:"nextRunAt,omitempty"`
	NextRuns   []time.Time `json:"nextRuns" doc:"The next five run times"`
	CreatedAt  time.Time   `json:"createdAt"`
	UpdatedAt  time.Time   `json:"updatedAt"`
}

func scheduleDTO(cj *domain.CronJob) ScheduleDTO {
	d := ScheduleDTO{ID: cj.ID, WorkflowID: cj.WorkflowID, NodeID: cj.NodeID, Cron: cj.Schedule, Timezone: cj.Timezone,
		MissedRuns: cj.MissedRuns, IsActive: cj.IsActive, LastRunAt: cj.LastRunAt, NextRunAt: cj.NextRunAt,
		NextRuns: []time.Time{}, CreatedAt: cj.CreatedAt, UpdatedAt: cj.UpdatedAt}
	if sch, err := schedule.Parse(cj.Schedule, cj.Timezone); err == nil {
		from := time.Now()
		if cj.NextRunAt != nil {
			from = cj.NextRunAt.Add(-time.Second)
		}
		d.NextRuns = sch.NextN(from, 5)
	}
	return d
}

// ScheduleWriteDTO is a schedule's new expression, time zone and
// missed-run policy.
type ScheduleWriteDTO struct {
	Cron       string `json:"cron" minLength:"1" maxLength:"200" doc:"5-field cron, 6 fields with seconds, or a descriptor like @daily or @every 15m"`
	Timezone   string `json:"timezone,omitempty" maxLength:"64" doc:"IANA time zone, default UTC"`
	MissedRuns string `json:"missedRuns,omitempty" enum:"skip,catch_up," doc:"After downtime: skip (fire once for the most recent missed run) or catch_up (fire each, bounded)"`
}

// ScheduleCreateDTO is a new schedule of a workflow.
type ScheduleCreateDTO struct {
	WorkflowID uuid.UUID `json:"workflowId"`
	Cron       string    `json:"cron" minLength:"1" maxLength:"200" doc:"5-field cron, 6 fields with seconds, or a descriptor like @daily or @every 15m"`
	Timezone   string    `json:"timezone,omitempty" maxLength:"64" doc:"IANA time zone, default UTC"`
	MissedRuns string    `json:"missedRuns,omitempty" enum:"skip,catch_up," doc:"After downtime: skip or catch_up"`
	Active     *bool     `json:"active,omitempty" doc:"Default true"`
}

// ScheduleCreateInput carries a new schedule.
type ScheduleCreateInput struct {
	Body ScheduleCreateDTO
}

// ScheduleUpdateInput names a schedule and carries its new settings.
type ScheduleUpdateInput struct {
	ID   uuid.UUID `path:"id"`
	Body ScheduleWriteDTO
}

// ScheduleListInput filters the schedule list.
type ScheduleListInput struct {
	WorkflowID string `query:"workflowId" format:"uuid" doc:"Only this workflow's schedules"`
}

// ScheduleListOutput is the schedules with their next run times.
type ScheduleListOutput struct {
	Body []ScheduleDTO
}

// ScheduleIDInput names a schedule by its ID in the path.
type ScheduleIDInput struct {
	ID uuid.UUID `path:"id"`
}

// ScheduleOutput is one schedule.
type ScheduleOutput struct{ Body ScheduleDTO }

func (s *Server) registerSchedules() {
	if s.deps.Scheduler == nil {
		return
	}
	api := s.api
	read := map[string]any{MetaPermission: PermSchedulesRead}
	write := map[string]any{MetaPermission: PermSchedulesWrite}

	huma.Register(api, huma.Operation{
		OperationID: "list-schedules", Method: http.MethodGet, Path: Prefix + "/schedules",
		Summary: "List schedules with their next five run times", Tags: []string{"schedules"}, Metadata: read,
	}, func(ctx context.Context, in *ScheduleListInput) (*ScheduleListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var jobs []domain.CronJob
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			if in.WorkflowID != "" {
				wid, perr := uuid.Parse(in.WorkflowID)
				if perr != nil {
					return huma.Error400BadRequest("workflowId is not a UUID")
				}
				jobs, err = tx.CronJobListByWorkflow(ctx, c.TenantID, wid)
				return err
			}
			jobs, err = tx.CronJobList(ctx, c.TenantID)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "schedules", err)
		}
		out := &ScheduleListOutput{Body: []ScheduleDTO{}}
		for i := range jobs {
			out.Body = append(out.Body, scheduleDTO(&jobs[i]))
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-schedule", Method: http.MethodPost, Path: Prefix + "/schedules",
		Summary: "Create a schedule that starts a workflow", Tags: []string{"schedules"}, Metadata: write,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusUnprocessableEntity, http.StatusNotFound},
	}, func(ctx context.Context, in *ScheduleCreateInput) (*ScheduleOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		active := in.Body.Active == nil || *in.Body.Active
		var cj *domain.CronJob
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			if _, err := tx.WorkflowGetByID(ctx, c.TenantID, in.Body.WorkflowID); err != nil {
				return err
			}
			cj, err = s.deps.Scheduler.UpsertTx(ctx, tx, c.TenantID, in.Body.WorkflowID, cron.StandaloneNodeID(),
				cron.Config{Cron: in.Body.Cron, Timezone: in.Body.Timezone, MissedRuns: in.Body.MissedRuns}, active)
			return err
		})
		if err != nil {
			return nil, s.scheduleProblem(ctx, err)
		}
		return &ScheduleOutput{Body: scheduleDTO(cj)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-schedule", Method: http.MethodGet, Path: Prefix + "/schedules/{id}",
		Summary: "Get a schedule", Tags: []string{"schedules"}, Metadata: read,
	}, func(ctx context.Context, in *ScheduleIDInput) (*ScheduleOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var cj *domain.CronJob
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			cj, err = tx.CronJobGetByID(ctx, c.TenantID, in.ID)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "schedule", err)
		}
		return &ScheduleOutput{Body: scheduleDTO(cj)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-schedule", Method: http.MethodPut, Path: Prefix + "/schedules/{id}",
		Summary: "Change a schedule's expression, time zone or missed-run policy", Tags: []string{"schedules"}, Metadata: write,
		Errors: []int{http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *ScheduleUpdateInput) (*ScheduleOutput, error) {
		return s.scheduleTx(ctx, func(ctx context.Context, tx store.Tx, tenantID uuid.UUID) (*domain.CronJob, error) {
			return s.deps.Scheduler.UpdateTx(ctx, tx, tenantID, in.ID,
				cron.Config{Cron: in.Body.Cron, Timezone: in.Body.Timezone, MissedRuns: in.Body.MissedRuns})
		})
	})

	huma.Register(api, huma.Operation{
		OperationID: "pause-schedule", Method: http.MethodPost, Path: Prefix + "/schedules/{id}/pause",
		Summary: "Pause a schedule", Tags: []string{"schedules"}, Metadata: write,
	}, func(ctx context.Context, in *ScheduleIDInput) (*ScheduleOutput, error) {
		return s.scheduleTx(ctx, func(ctx context.Context, tx store.Tx, tenantID uuid.UUID) (*domain.CronJob, error) {
			return s.deps.Scheduler.PauseTx(ctx, tx, tenantID, in.ID)
		})
	})

	huma.Register(api, huma.Operation{
		OperationID: "resume-schedule", Method: http.MethodPost, Path: Prefix + "/schedules/{id}/resume",
		Summary: "Resume a paused schedule from now", Tags: []string{"schedules"}, Metadata: write,
	}, func(ctx context.Context, in *ScheduleIDInput) (*ScheduleOutput, error) {
		return s.scheduleTx(ctx, func(ctx context.Context, tx store.Tx, tenantID uuid.UUID) (*domain.CronJob, error) {
			return s.deps.Scheduler.ResumeTx(ctx, tx, tenantID, in.ID)
		})
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-schedule", Method: http.MethodDelete, Path: Prefix + "/schedules/{id}",
		Summary: "Delete a schedule", Tags: []string{"schedules"}, Metadata: write, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *ScheduleIDInput) (*NoContentOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			return tx.CronJobDelete(ctx, c.TenantID, in.ID)
		})
		if err != nil {
			return nil, s.problem(ctx, "schedule", err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "run-schedule-now", Method: http.MethodPost, Path: Prefix + "/schedules/{id}/run-now",
		Summary: "Start the schedule's workflow now, leaving the schedule unchanged", Tags: []string{"schedules"},
		Metadata: map[string]any{MetaPermission: PermExecutionsRun}, DefaultStatus: http.StatusAccepted,
	}, func(ctx context.Context, in *ScheduleIDInput) (*NoContentOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			return s.deps.Scheduler.RunNowTx(ctx, tx, c.TenantID, in.ID)
		})
		if err != nil {
			return nil, s.scheduleProblem(ctx, err)
		}
		return nil, nil
	})
}

func (s *Server) scheduleTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx, tenantID uuid.UUID) (*domain.CronJob, error)) (*ScheduleOutput, error) {
	c, err := mustCaller(ctx)
	if err != nil {
		return nil, err
	}
	var cj *domain.CronJob
	err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
		cj, err = fn(ctx, tx, c.TenantID)
		return err
	})
	if err != nil {
		return nil, s.scheduleProblem(ctx, err)
	}
	return &ScheduleOutput{Body: scheduleDTO(cj)}, nil
}

func (s *Server) scheduleProblem(ctx context.Context, err error) error {
	var ve *cron.ValidationError
	if errors.As(err, &ve) {
		return huma.Error422UnprocessableEntity(ve.Error(), &huma.ErrorDetail{Location: "body." + ve.Field, Message: ve.Msg})
	}
	if errors.Is(err, store.ErrNotFound) {
		return s.problem(ctx, "schedule", err)
	}
	return s.executionProblem(ctx, err)
}
