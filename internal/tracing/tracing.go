// Package tracing is NextFlow's optional OpenTelemetry tracing: the tracer
// provider and its OTLP/HTTP exporter (only when an endpoint is
// configured), the HTTP server middleware and client transport that carry
// W3C traceparent in and out, the River middleware that keeps a job's
// trace context in its metadata and opens a span for each job worked, and
// the small helpers the store (a span per query) and the engine (a span per
// side-effect step) call.
//
// Without an endpoint there is no provider: New returns nil, the
// middleware is not installed, and every helper finds no recording span in
// its context and returns at once. The helpers take their tracer from the
// span already in the context, so no package but the app holds a provider
// and none is global.
//
// Spans carry names and IDs only — route templates, query names, node
// types, tenant, workflow and execution IDs, hosts — never request or
// response bodies, URLs' paths and queries, SQL text, error messages or
// personal data.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/ratelog"
)

// instrumentation is the instrumentation scope of NextFlow's spans.
const instrumentation = "github.com/nextflow-dev/nextflow"

// Attribute keys of NextFlow's own span attributes.
const (
	KeyTenantID    = attribute.Key("nextflow.tenant_id")
	KeyWorkflowID  = attribute.Key("nextflow.workflow_id")
	KeyExecutionID = attribute.Key("nextflow.execution_id")
	KeyNodeID      = attribute.Key("nextflow.node_id")
	KeyNodeType    = attribute.Key("nextflow.node_type")
	KeyAttempt     = attribute.Key("nextflow.attempt")
	KeyJobKind     = attribute.Key("nextflow.job.kind")
	KeyJobID       = attribute.Key("nextflow.job.id")
)

// propagator reads and writes W3C traceparent and tracestate headers. It
// holds no state.
var propagator = propagation.TraceContext{}

// Options are what New needs beside the configuration.
type Options struct {
	// Version is the service.version resource attribute.
	Version string
	// Logger receives export failures, a repeated one at most every 30 s.
	Logger *slog.Logger
	// BatchTimeout is the longest a finished span waits before it is sent
	// (default 5 s, the SDK's).
	BatchTimeout time.Duration
}

// Provider is the process's tracer provider with its exporter. A nil
// *Provider is tracing off: its methods do nothing and TracerProvider is a
// no-op.
type Provider struct {
	sdk *sdktrace.TracerProvider
}

// New builds the tracer provider that sends spans to cfg.Endpoint over
// OTLP/HTTP in batches, or returns nil when no endpoint is set (tracing
// off, nothing built).
func New(cfg config.Tracing, opts Options) (*Provider, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(cfg.Endpoint))
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter for %s: %w", cfg.Endpoint, err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName(cfg.ServiceName), semconv.ServiceVersion(opts.Version)))
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	var batch []sdktrace.BatchSpanProcessorOption
	if opts.BatchTimeout > 0 {
		batch = append(batch, sdktrace.WithBatchTimeout(opts.BatchTimeout))
	}
	sdk := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(loggingExporter{SpanExporter: exp, log: ratelog.New(log.With("component", "tracing"), 0)}, batch...),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler(cfg)),
	)
	log.Info("tracing on: spans go to the OTLP endpoint", "endpoint", cfg.Endpoint, "service", cfg.ServiceName, "sampler", cfg.Sampler)
	return &Provider{sdk: sdk}, nil
}

// sampler builds the sampler cfg names.
func sampler(cfg config.Tracing) sdktrace.Sampler {
	switch cfg.Sampler {
	case config.SamplerAlwaysOn:
		return sdktrace.AlwaysSample()
	case config.SamplerAlwaysOff:
		return sdktrace.NeverSample()
	case config.SamplerTraceIDRatio:
		return sdktrace.TraceIDRatioBased(cfg.SamplerArg)
	case config.SamplerParentBasedAlwaysOff:
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case config.SamplerParentBasedTraceIDRatio:
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SamplerArg))
	default:
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
}

// TracerProvider returns the provider spans are started from: a no-op one
// when p is nil.
func (p *Provider) TracerProvider() trace.TracerProvider {
	if p == nil {
		return noop.NewTracerProvider()
	}
	return p.sdk
}

// Shutdown sends the spans still buffered and stops the exporter, giving
// up when ctx ends (the drain deadline). Spans ended after it are dropped.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if err := p.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("flush traces: %w", err)
	}
	return nil
}

// loggingExporter logs a failed export through slog (the SDK would hand it
// to OpenTelemetry's global error handler) and drops the batch: the
// collector being away must cost nothing but the spans.
type loggingExporter struct {
	sdktrace.SpanExporter
	log *slog.Logger
}

func (l loggingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := l.SpanExporter.ExportSpans(ctx, spans); err != nil && !errors.Is(err, context.Canceled) {
		l.log.Warn("trace export failed; spans dropped", "spans", len(spans), "error", err)
	}
	return nil
}

// tracer returns the tracer of the span ctx carries (a no-op one when it
// carries none), and whether that span records.
func tracer(ctx context.Context) (trace.Tracer, bool) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return nil, false
	}
	return span.TracerProvider().Tracer(instrumentation), true
}
