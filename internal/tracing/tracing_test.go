package tracing

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/nextflow-dev/nextflow/internal/config"
)

// recorded returns a provider whose spans end in the returned recorder.
func recorded(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

func TestNewWithoutEndpointIsOff(t *testing.T) {
	t.Parallel()
	p, err := New(config.Tracing{ServiceName: "x"}, Options{})
	require.NoError(t, err)
	require.Nil(t, p)
	require.Nil(t, p.JobMiddleware())
	require.NoError(t, p.Shutdown(context.Background()))
	_, span := p.TracerProvider().Tracer("t").Start(context.Background(), "x")
	require.False(t, span.IsRecording())
}

// An outbound call under a span gets a client span (method, host, port,
// status; no path or query) and sends it as traceparent; a call without a
// span sends none.
func TestTransport(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("traceparent"))
		mu.Unlock()
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: Transport(nil)}
	call := func(ctx context.Context) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/secret-path?key=query-secret", strings.NewReader("{}"))
		require.NoError(t, err)
		res, err := client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Empty(t, req.Header.Get("traceparent"), "the caller's request is not changed")
	}

	call(context.Background())
	tp, rec := recorded(t)
	ctx, parent := tp.Tracer("t").Start(context.Background(), "step")
	call(ctx)
	parent.End()

	spans := rec.Ended()
	require.Len(t, spans, 2)
	cs := spans[0]
	require.Equal(t, "POST", cs.Name())
	require.Equal(t, parent.SpanContext().SpanID(), cs.Parent().SpanID())
	a := attrs(cs)
	require.Equal(t, "127.0.0.1", a["server.address"])
	require.Equal(t, "418", a["http.response.status_code"])
	require.Equal(t, "POST", a["http.request.method"])
	require.Equal(t, codes.Error, cs.Status().Code)
	for _, v := range a {
		require.NotContains(t, v, "secret")
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"", "00-" + cs.SpanContext().TraceID().String() + "-" + cs.SpanContext().SpanID().String() + "-01"}, got)
}

// A failed query is a failed span named by the query, with its start
// time, and without the error's text.
func TestQuery(t *testing.T) {
	t.Parallel()
	Query(context.Background(), "NotTraced", time.Now(), nil) // no span: nothing
	tp, rec := recorded(t)
	ctx, parent := tp.Tracer("t").Start(context.Background(), "job")
	start := time.Now().Add(-time.Millisecond)
	Query(ctx, "ExecutionLock", start, errors.New(`duplicate key value "owner@example.com"`))
	parent.End()
	spans := rec.Ended()
	require.Len(t, spans, 2)
	q := spans[0]
	require.Equal(t, "ExecutionLock", q.Name())
	require.Equal(t, start, q.StartTime())
	require.Equal(t, "ExecutionLock", attrs(q)["db.operation.name"])
	require.Equal(t, codes.Error, q.Status().Code)
	require.NotContains(t, q.Status().Description, "example.com")
	require.Empty(t, q.Events(), "no error event with the message")
}

func TestWithTraceparent(t *testing.T) {
	t.Parallel()
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, tc := range []struct{ in, want string }{
		{"", `{"traceparent":"` + tp + `"}`},
		{"{}", `{"traceparent":"` + tp + `"}`},
		{`{"river:x":1}`, `{"river:x":1,"traceparent":"` + tp + `"}`},
		{`{"traceparent":"00-other"}`, `{"traceparent":"00-other"}`},
		{`[1]`, `[1]`},
	} {
		require.JSONEq(t, tc.want, string(withTraceparent([]byte(tc.in), tp)), tc.in)
	}
}

// Jobs a group commit inserts keep the trace of the job they belong to;
// without a span nothing changes.
func TestKeepTrace(t *testing.T) {
	t.Parallel()
	jobs := []river.InsertManyParams{{Args: kindArgs{}}, {Args: kindArgs{}, InsertOpts: &river.InsertOpts{MaxAttempts: 7}}}
	KeepTrace(context.Background(), jobs)
	require.Nil(t, jobs[0].InsertOpts)
	require.Nil(t, jobs[1].InsertOpts.Metadata)

	tp, _ := recorded(t)
	ctx, span := tp.Tracer("t").Start(context.Background(), "job")
	defer span.End()
	KeepTrace(ctx, jobs)
	want := `{"traceparent":"00-` + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + `-01"}`
	require.JSONEq(t, want, string(jobs[0].InsertOpts.Metadata))
	require.JSONEq(t, want, string(jobs[1].InsertOpts.Metadata))
	require.Equal(t, 7, jobs[1].InsertOpts.MaxAttempts)
}

type kindArgs struct{}

func (kindArgs) Kind() string { return "test" }
