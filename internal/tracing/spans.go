package tracing

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Query records a database query that ran from start until now as a
// client span named name (the sqlc query name, or "sql:<verb> <table>" —
// never the statement's text or values), child of the span ctx carries.
// A context without a recording span costs one lookup.
func Query(ctx context.Context, name string, start time.Time, err error) {
	t, ok := tracer(ctx)
	if !ok {
		return
	}
	_, span := t.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start),
		trace.WithAttributes(semconv.DBOperationNameKey.String(name)))
	if err != nil && ctx.Err() == nil {
		span.SetAttributes(semconv.ErrorTypeKey.String("db_error"))
		span.SetStatus(codes.Error, "query failed")
	}
	span.End()
}

// Step describes a side-effect step about to make its call.
type Step struct {
	WorkflowID  uuid.UUID
	ExecutionID uuid.UUID
	NodeID      string
	NodeType    string
	Attempt     int
}

// StartStep opens the span of a side-effect step's call, named
// "step <node type>", child of the job span ctx carries; its outbound
// calls (Transport, SMTP) are its children. End it with EndStep. Without
// a recording span in ctx it returns ctx and a non-recording span.
func StartStep(ctx context.Context, s Step) (context.Context, trace.Span) {
	t, ok := tracer(ctx)
	if !ok {
		return ctx, trace.SpanFromContext(ctx)
	}
	return t.Start(ctx, "step "+s.NodeType, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(
		KeyWorkflowID.String(s.WorkflowID.String()), KeyExecutionID.String(s.ExecutionID.String()),
		KeyNodeID.String(s.NodeID), KeyNodeType.String(s.NodeType), KeyAttempt.Int(s.Attempt)))
}

// EndStep ends a step span opened by StartStep with the call's outcome.
func EndStep(span trace.Span, err error) {
	if !span.IsRecording() {
		return
	}
	if err != nil {
		span.SetAttributes(semconv.ErrorTypeKey.String("step_error"))
		span.SetStatus(codes.Error, "step call failed")
	}
	span.End()
}

// Execution notes on the span ctx carries (a request's, a job's) the
// tenant, workflow and execution it is working on.
func Execution(ctx context.Context, tenantID, workflowID, executionID uuid.UUID) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(KeyTenantID.String(tenantID.String()), KeyWorkflowID.String(workflowID.String()),
		KeyExecutionID.String(executionID.String()))
}

// Node adds a "node" event to the span ctx carries for a node the engine
// runs (its type and ID).
func Node(ctx context.Context, nodeType, nodeID string) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.AddEvent("node", trace.WithAttributes(KeyNodeType.String(nodeType), KeyNodeID.String(nodeID)))
}

// StartCall opens a client span for an outbound call that is not HTTP
// (an SMTP send): named name, with the server's host and port. End it
// with EndCall.
func StartCall(ctx context.Context, name, host string, port int) (context.Context, trace.Span) {
	t, ok := tracer(ctx)
	if !ok {
		return ctx, trace.SpanFromContext(ctx)
	}
	attrs := []attribute.KeyValue{semconv.ServerAddressKey.String(host)}
	if port > 0 {
		attrs = append(attrs, semconv.ServerPortKey.Int(port))
	}
	return t.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// EndCall ends a span opened by StartCall with the call's outcome (by
// kind, not message).
func EndCall(span trace.Span, err error) {
	if !span.IsRecording() {
		return
	}
	if err != nil {
		kind := "error"
		if errors.Is(err, context.DeadlineExceeded) {
			kind = "timeout"
		}
		span.SetAttributes(semconv.ErrorTypeKey.String(kind))
		span.SetStatus(codes.Error, kind)
	}
	span.End()
}

// Parent is the span that work run later in this process, without a job
// in between, continues: the span of the request or job that started an
// execution whose call the starting process makes after the start commits.
// That span may have ended by then (a request answered at once); the work
// still joins its trace, as a job inserted by it would (JobMiddleware).
type Parent struct {
	span trace.Span
}

// ParentOf returns the span ctx carries as a Parent; the zero Parent (no
// span) when it carries none.
func ParentOf(ctx context.Context) Parent {
	span := trace.SpanFromContext(ctx)
	if !span.SpanContext().IsValid() {
		return Parent{}
	}
	return Parent{span: span}
}

// Continue opens in ctx a span named name, child of p, for work on an
// execution of a tenant (a consumer span with the tenant and execution, as
// a job's is), and returns the context holding it and the function that
// ends it. The sampler decides as for a job's span. Without a parent it
// returns ctx and a function that does nothing.
func (p Parent) Continue(ctx context.Context, name string, tenantID, executionID uuid.UUID) (context.Context, func()) {
	if p.span == nil {
		return ctx, func() {}
	}
	t := p.span.TracerProvider().Tracer(instrumentation)
	ctx, span := t.Start(trace.ContextWithSpanContext(ctx, p.span.SpanContext()), name,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(KeyTenantID.String(tenantID.String()), KeyExecutionID.String(executionID.String())))
	return ctx, func() { span.End() }
}
