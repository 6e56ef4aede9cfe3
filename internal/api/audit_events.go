package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// auditedOperations maps operations that change a workflow, its versions,
// schedules or executions to the audit action they record, with the kind
// of object their {id} path parameter names. Operations that create an
// object record no ID (the path has none); the action still says who did
// it and when.
var auditedOperations = map[string]struct{ action, target string }{
	"create-workflow":          {"workflow.created", "workflow"},
	"import-workflow":          {"workflow.imported", "workflow"},
	"duplicate-workflow":       {"workflow.duplicated", "workflow"},
	"delete-workflow":          {"workflow.deleted", "workflow"},
	"activate-workflow":        {"workflow.activated", "workflow"},
	"deactivate-workflow":      {"workflow.deactivated", "workflow"},
	"publish-workflow":         {"version.published", "workflow"},
	"restore-workflow-version": {"version.restored", "workflow"},
	"create-schedule":          {"schedule.created", "schedule"},
	"update-schedule":          {"schedule.updated", "schedule"},
	"pause-schedule":           {"schedule.paused", "schedule"},
	"resume-schedule":          {"schedule.resumed", "schedule"},
	"delete-schedule":          {"schedule.deleted", "schedule"},
	"run-schedule-now":         {"schedule.run_now", "schedule"},
	"cancel-execution":         {"execution.cancelled", "execution"},
	"retry-execution":          {"execution.retried", "execution"},
}

// auditMiddleware records a successful audited operation in the caller's
// workspace audit log, after the operation's own transaction committed.
// A failure to record is logged, never turned into an error for a change
// that already happened.
func (s *Server) auditMiddleware(ctx huma.Context, next func(huma.Context)) {
	next(ctx)
	op := ctx.Operation()
	if op == nil {
		return
	}
	a, ok := auditedOperations[op.OperationID]
	if !ok || !auditedStatus(ctx.Status()) {
		return
	}
	c, ok := CallerFrom(ctx.Context())
	if !ok {
		return
	}
	actorType, actorID := "user", c.UserID
	if c.APIKeyID != nil {
		actorType, actorID = "api_key", c.APIKeyID
	}
	var data json.RawMessage
	if v := ctx.Param("version"); v != "" {
		data, _ = json.Marshal(map[string]string{"version": v})
	}
	// The request may be over; the record must still be written.
	bg := context.WithoutCancel(ctx.Context())
	err := s.deps.Store.InTx(bg, c.TenantID, func(tx store.Tx) error {
		return tx.AuditInsert(bg, &store.AuditInsertParams{TenantID: c.TenantID, ActorType: actorType, ActorID: actorID,
			Action: a.action, TargetType: a.target, TargetID: ctx.Param("id"), Data: data, IP: c.IP})
	})
	if err != nil {
		s.log.ErrorContext(bg, "audit not recorded", "action", a.action, "tenant_id", c.TenantID, "err", err)
	}
}

// auditedStatus is whether an answer with status means the change was made.
func auditedStatus(status int) bool {
	return status >= http.StatusOK && status < http.StatusMultipleChoices
}
