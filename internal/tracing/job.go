package tracing

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// metaTraceparent is the job metadata key holding the W3C traceparent of
// the span that inserted the job.
const metaTraceparent = "traceparent"

// JobMiddleware returns the River middleware that carries traces through
// the queue: on insert, the traceparent of the span in the inserting
// context goes into the job's metadata; on work, the job runs in a span
// named after its kind, child of that traceparent (so an execution started
// by a webhook and advanced by its jobs is one trace), with the job's ID,
// attempt, and the tenant and execution its arguments name. A nil p
// returns none.
func (p *Provider) JobMiddleware() []rivertype.Middleware {
	if p == nil {
		return nil
	}
	return []rivertype.Middleware{&jobInsert{}, &jobWork{t: p.sdk.Tracer(instrumentation)}}
}

type jobInsert struct {
	river.MiddlewareDefaults
}

var _ rivertype.JobInsertMiddleware = (*jobInsert)(nil)

// InsertMany writes the inserting span's traceparent into each job's
// metadata.
func (*jobInsert) InsertMany(ctx context.Context, manyParams []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		carrier := propagation.MapCarrier{}
		propagator.Inject(ctx, carrier)
		if tp := carrier[metaTraceparent]; tp != "" {
			for _, p := range manyParams {
				p.Metadata = withTraceparent(p.Metadata, tp)
			}
		}
	}
	return doInner(ctx)
}

// withTraceparent returns metadata (a JSON object, or empty) with tp under
// metaTraceparent, unless it has one already.
func withTraceparent(metadata []byte, tp string) []byte {
	m := map[string]json.RawMessage{}
	if len(metadata) > 0 && json.Unmarshal(metadata, &m) != nil {
		return metadata // not an object: leave it as it is
	}
	if _, ok := m[metaTraceparent]; ok {
		return metadata
	}
	m[metaTraceparent], _ = json.Marshal(tp)
	out, err := json.Marshal(m)
	if err != nil {
		return metadata
	}
	return out
}

type jobWork struct {
	river.MiddlewareDefaults
	t trace.Tracer
}

var _ rivertype.WorkerMiddleware = (*jobWork)(nil)

// Work runs the job in its span.
func (j *jobWork) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	var meta struct {
		Traceparent string `json:"traceparent"`
	}
	if len(job.Metadata) > 0 && json.Unmarshal(job.Metadata, &meta) == nil && meta.Traceparent != "" {
		ctx = propagator.Extract(ctx, propagation.MapCarrier{metaTraceparent: meta.Traceparent})
	}
	attrs := []attribute.KeyValue{KeyJobKind.String(job.Kind), KeyJobID.String(strconv.FormatInt(job.ID, 10)), KeyAttempt.Int(job.Attempt)}
	var args struct {
		TenantID    uuid.UUID `json:"tenantId"`
		ExecutionID uuid.UUID `json:"executionId"`
	}
	if json.Unmarshal(job.EncodedArgs, &args) == nil {
		if args.TenantID != uuid.Nil {
			attrs = append(attrs, KeyTenantID.String(args.TenantID.String()))
		}
		if args.ExecutionID != uuid.Nil {
			attrs = append(attrs, KeyExecutionID.String(args.ExecutionID.String()))
		}
	}
	ctx, span := j.t.Start(ctx, job.Kind, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
	defer span.End()
	err := doInner(ctx)
	var snooze *rivertype.JobSnoozeError
	switch {
	case err == nil:
	case errors.As(err, &snooze):
		span.SetAttributes(attribute.String("nextflow.job.outcome", "snoozed"))
	default:
		// The kind of failure, not its text: job errors may quote what a
		// tenant's step received.
		span.SetAttributes(semconv.ErrorTypeKey.String("job_error"))
		span.SetStatus(codes.Error, "job failed; River retries it")
	}
	return err
}

// KeepTrace writes the traceparent of the span ctx carries into the
// metadata of jobs (unless one has its own), for jobs inserted in a
// transaction shared by several jobs or requests (a group commit runs under
// none of their spans): each continues the trace of the one it belongs to.
// Without a span in ctx it does nothing.
func KeepTrace(ctx context.Context, jobs []river.InsertManyParams) {
	if len(jobs) == 0 || !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	carrier := propagation.MapCarrier{}
	propagator.Inject(ctx, carrier)
	tp := carrier[metaTraceparent]
	if tp == "" {
		return
	}
	for i := range jobs {
		opts := river.InsertOpts{}
		if jobs[i].InsertOpts != nil {
			opts = *jobs[i].InsertOpts
		}
		opts.Metadata = withTraceparent(opts.Metadata, tp)
		jobs[i].InsertOpts = &opts
	}
}
