package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/catalog"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Test runs of a workflow's draft (#16 item 3): pinned sample data saved
// with the workflow, "Test run" of the draft as a marked execution, and
// "Run this step" on one node.

// maxTestDataBytes bounds a workflow's pinned sample data.
const maxTestDataBytes = 64 << 10

// TestOptionsDTO are a test run's safety options.
type TestOptionsDTO struct {
	SkipDelays bool      `json:"skipDelays,omitempty" doc:"Delays complete at once and wait_for_event takes its timeout branch at once"`
	Recipients *[]string `json:"recipients,omitempty" maxItems:"20" doc:"Send recipients allowed (emails, E.164 phones, Messenger PSIDs). Absent: the tester's own email; empty: no send goes out"`
	AllowHTTP  bool      `json:"allowHttp,omitempty" doc:"Let http.request steps make their calls"`
	AllowAI    bool      `json:"allowAi,omitempty" doc:"Let AI steps make their calls"`
}

// TestDataDTO is a workflow's pinned sample data: what a test run and
// "run this step" start from.
type TestDataDTO struct {
	TriggerNodeID string          `json:"triggerNodeId,omitempty" maxLength:"200" doc:"The trigger to start at; empty: the first trigger"`
	Input         map[string]any  `json:"input,omitempty" doc:"Sample trigger.input (manual and webhook triggers)"`
	Event         map[string]any  `json:"event,omitempty" doc:"Sample trigger.event (event triggers): name, properties…"`
	ContactID     *uuid.UUID      `json:"contactId,omitempty" doc:"A stored contact to run for (read, never written)"`
	Contact       map[string]any  `json:"contact,omitempty" doc:"A typed sample contact (email, phone, attributes…) when no contactId is given"`
	Options       *TestOptionsDTO `json:"options,omitempty"`
}

// TestDataOutput is a workflow's pinned sample data.
type TestDataOutput struct {
	Body TestDataDTO
}

// TestDataInput replaces a workflow's pinned sample data.
type TestDataInput struct {
	ID   uuid.UUID `path:"id"`
	Body TestDataDTO
}

// TestRunInput starts a test run; a body overrides the pinned data.
type TestRunInput struct {
	ID   uuid.UUID `path:"id"`
	Body *TestDataDTO
}

// StepPreviewDTO asks for one node's rendered input and output.
type StepPreviewDTO struct {
	NodeID      string       `json:"nodeId" minLength:"1" maxLength:"200"`
	ExecutionID *uuid.UUID   `json:"executionId,omitempty" doc:"Take the context (trigger, contact, step outputs, vars) from this execution of the workflow, e.g. the last test run"`
	Sample      *TestDataDTO `json:"sample,omitempty" doc:"Sample data to use instead of the pinned data"`
}

// StepPreviewInput asks for a step preview of a workflow's draft.
type StepPreviewInput struct {
	ID   uuid.UUID `path:"id"`
	Body StepPreviewDTO
}

// StepPreviewOutput is one node's rendered input and output.
type StepPreviewOutput struct {
	Body engine.StepPreview
}

// decodeTestData reads stored sample data (empty when none).
func decodeTestData(raw json.RawMessage) TestDataDTO {
	var d TestDataDTO
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &d) // written by this API only
	}
	return d
}

// checkTestData refuses sample data that could not start a run: a 422
// naming the field, nothing written.
func (s *Server) checkTestData(ctx context.Context, tx store.Tx, tenantID uuid.UUID, d *TestDataDTO) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return huma.Error422UnprocessableEntity("sample data: " + err.Error())
	}
	if len(raw) > maxTestDataBytes {
		return huma.NewError(http.StatusRequestEntityTooLarge, fmt.Sprintf("sample data is larger than %d KiB", maxTestDataBytes>>10))
	}
	if d.ContactID != nil {
		if _, err := tx.ContactGetByID(ctx, tenantID, *d.ContactID); errors.Is(err, store.ErrNotFound) {
			return huma.Error422UnprocessableEntity("the sample contact does not exist",
				&huma.ErrorDetail{Location: "body.contactId", Value: d.ContactID.String()})
		} else if err != nil {
			return err
		}
	}
	if d.Options != nil && d.Options.Recipients != nil {
		if _, err := (engine.TestOptions{Recipients: *d.Options.Recipients}).Normalize(); err != nil {
			return huma.Error422UnprocessableEntity("options."+err.Error(), &huma.ErrorDetail{Location: "body.options.recipients"})
		}
	}
	return nil
}

// testOptions are the engine's options for d; absent recipients are the
// caller's own email (none for an API key).
func (s *Server) testOptions(ctx context.Context, tx store.Tx, c *Caller, d *TestDataDTO) (engine.TestOptions, error) {
	var o engine.TestOptions
	if d.Options != nil {
		o = engine.TestOptions{SkipDelays: d.Options.SkipDelays, AllowHTTP: d.Options.AllowHTTP, AllowAI: d.Options.AllowAI}
		if d.Options.Recipients != nil {
			o.Recipients = *d.Options.Recipients
			return o, nil
		}
	}
	if c.UserID != nil {
		u, err := tx.UserGetByID(ctx, *c.UserID)
		if err != nil {
			return o, fmt.Errorf("load the tester: %w", err)
		}
		o.Recipients = []string{u.Email}
	}
	return o, nil
}

// testRunProblem maps the errors of a test run or preview.
func (s *Server) testRunProblem(ctx context.Context, err error) error {
	var invalid *catalog.InvalidError
	switch {
	case errors.As(err, &invalid):
		perr := invalidDefinition(invalid.Problems)
		var m *huma.ErrorModel
		if errors.As(perr, &m) {
			m.Detail = fmt.Sprintf("the draft has %d problem(s); fix them before a test run", len(invalid.Problems))
		}
		return perr
	case errors.Is(err, engine.ErrBadDefinition), errors.Is(err, workflow.ErrMalformed):
		return huma.Error422UnprocessableEntity("the draft cannot run: " + err.Error())
	}
	return s.problem(ctx, "workflow", err)
}

func (s *Server) registerTestRuns() {
	api := s.api
	read := map[string]any{MetaPermission: PermWorkflowsRead}
	write := map[string]any{MetaPermission: PermWorkflowsWrite}

	huma.Register(api, huma.Operation{
		OperationID: "get-workflow-test-data", Method: http.MethodGet, Path: Prefix + "/workflows/{id}/test-data",
		Summary: "Get the workflow's pinned sample data (test runs)", Tags: []string{"test runs"}, Metadata: read,
	}, func(ctx context.Context, in *WorkflowIDInput) (*TestDataOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			raw, err = tx.WorkflowTestDataGet(ctx, c.TenantID, in.ID)
			return err
		}); err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		return &TestDataOutput{Body: decodeTestData(raw)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "put-workflow-test-data", Method: http.MethodPut, Path: Prefix + "/workflows/{id}/test-data",
		Summary:     "Pin sample data to the workflow (test runs)",
		Description: "Saved with the workflow, not with a version; the draft's revision does not change.",
		Tags:        []string{"test runs"}, Metadata: write, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *TestDataInput) (*TestDataOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		in.Body.TriggerNodeID = strings.TrimSpace(in.Body.TriggerNodeID)
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			if _, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			if err := s.checkTestData(ctx, tx, c.TenantID, &in.Body); err != nil {
				return err
			}
			raw, _ := json.Marshal(in.Body)
			return tx.WorkflowTestDataSet(ctx, c.TenantID, in.ID, raw)
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		return &TestDataOutput{Body: in.Body}, nil
	})

	if s.deps.Engine == nil {
		return
	}
	run := map[string]any{MetaPermission: PermExecutionsRun}

	huma.Register(api, huma.Operation{
		OperationID: "start-test-run", Method: http.MethodPost, Path: Prefix + "/workflows/{id}/test-runs",
		Summary: "Run the draft as a test execution",
		Description: "Checks the draft as publishing does (422 with every problem) and starts it, unpublished, as an execution marked test, " +
			"with the pinned sample data or the body's. Sends go only to allow-listed recipients (default: the tester's own email), " +
			"http.request and AI steps only when allowed; a refused step completes as skipped with a reason starting \"test run:\". " +
			"Test executions are left out of workflow stats.",
		Tags: []string{"test runs"}, Metadata: run, DefaultStatus: http.StatusAccepted,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *TestRunInput) (*ExecutionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var exec *domain.Execution
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			w, v, err := s.catalog().TestSnapshotTx(ctx, tx, c.TenantID, in.ID, c.UserID)
			if err != nil {
				return err
			}
			sample := in.Body
			if sample == nil {
				raw, err := tx.WorkflowTestDataGet(ctx, c.TenantID, w.ID)
				if err != nil {
					return err
				}
				d := decodeTestData(raw)
				sample = &d
			} else if err := s.checkTestData(ctx, tx, c.TenantID, sample); err != nil {
				return err
			}
			opts, err := s.testOptions(ctx, tx, c, sample)
			if err != nil {
				return err
			}
			p := engine.StartParams{TenantID: c.TenantID, WorkflowID: w.ID, VersionID: v.ID,
				TriggerNodeID: sample.TriggerNodeID, ContactID: sample.ContactID, Contact: sample.Contact}
			if sample.Input != nil {
				p.Input, _ = json.Marshal(sample.Input)
			}
			if sample.Event != nil {
				p.Event, _ = json.Marshal(sample.Event)
			}
			exec, err = s.deps.Engine.StartTestTx(ctx, tx, p, opts)
			return err
		})
		if err != nil {
			return nil, s.testRunProblem(ctx, err)
		}
		return &ExecutionOutput{Body: executionDTO(exec, false)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "preview-workflow-step", Method: http.MethodPost, Path: Prefix + "/workflows/{id}/test-runs/preview-step",
		Summary: "Run this step: one node of the draft rendered against the sample context",
		Description: "Templates rendered, CEL evaluated, a send built as the message it would send — nothing is sent and nothing is written. " +
			"The context is the pinned sample data (or the body's), or an execution's context when executionId is given.",
		Tags: []string{"test runs"}, Metadata: run, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *StepPreviewInput) (*StepPreviewOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		p := engine.PreviewParams{TenantID: c.TenantID, WorkflowID: in.ID, NodeID: in.Body.NodeID}
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			w, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID)
			if err != nil {
				return err
			}
			p.Definition = w.Definition
			if in.Body.ExecutionID != nil {
				exec, err := tx.ExecutionGetByID(ctx, c.TenantID, *in.Body.ExecutionID)
				if err != nil {
					return err
				}
				if exec.WorkflowID != w.ID {
					return store.NotFoundf("execution %s of workflow %s", exec.ID, w.ID)
				}
				view, err := engine.ContextView(exec.Context)
				if err != nil {
					return err
				}
				trig, _ := view["trigger"].(map[string]any)
				p.TriggerType, _ = trig["type"].(string)
				p.Input, _ = json.Marshal(trig["input"])
				if ev, ok := trig["event"]; ok {
					p.Event, _ = json.Marshal(ev)
				}
				p.Contact, _ = view["contact"].(map[string]any)
				p.Steps, _ = view["steps"].(map[string]any)
				p.Vars, _ = view["vars"].(map[string]any)
				return nil
			}
			sample := in.Body.Sample
			if sample == nil {
				raw, err := tx.WorkflowTestDataGet(ctx, c.TenantID, w.ID)
				if err != nil {
					return err
				}
				d := decodeTestData(raw)
				sample = &d
			} else if err := s.checkTestData(ctx, tx, c.TenantID, sample); err != nil {
				return err
			}
			p.TriggerNodeID, p.ContactID, p.Contact = sample.TriggerNodeID, sample.ContactID, sample.Contact
			if sample.Input != nil {
				p.Input, _ = json.Marshal(sample.Input)
			}
			if sample.Event != nil {
				p.Event, _ = json.Marshal(sample.Event)
			}
			return nil
		})
		if err != nil {
			return nil, s.testRunProblem(ctx, err)
		}
		if len(p.Definition) == 0 {
			return nil, huma.Error422UnprocessableEntity("the draft is empty")
		}
		out, err := s.deps.Engine.PreviewStep(ctx, p)
		if err != nil {
			return nil, s.testRunProblem(ctx, err)
		}
		return &StepPreviewOutput{Body: *out}, nil
	})
}
