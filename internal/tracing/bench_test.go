package tracing

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nextflow-dev/nextflow/internal/config"
)

// benchProvider is a real provider exporting over OTLP/HTTP to a local
// server that reads and discards each export.
func benchProvider(b *testing.B) *Provider {
	b.Helper()
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(sink.Close)
	p, err := New(config.Tracing{Endpoint: sink.URL + "/v1/traces", ServiceName: "bench", Sampler: config.SamplerParentBasedAlwaysOn}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p
}

// The cost of a query's span: off (no span in the context, what every
// query pays without an endpoint) and on (a span recorded and exported).
func BenchmarkQuery(b *testing.B) {
	b.Run("off", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			Query(ctx, "ExecutionLock", time.Now(), nil)
		}
	})
	b.Run("on", func(b *testing.B) {
		ctx, span := benchProvider(b).TracerProvider().Tracer("bench").Start(context.Background(), "job")
		defer span.End()
		b.ReportAllocs()
		for b.Loop() {
			Query(ctx, "ExecutionLock", time.Now(), nil)
		}
	})
}

// The cost of an outbound call's span and traceparent, against the call
// itself to a local server.
func BenchmarkTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	b.Cleanup(srv.Close)
	call := func(b *testing.B, ctx context.Context, c *http.Client) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/x", nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	c := &http.Client{Transport: Transport(http.DefaultTransport.(*http.Transport).Clone())}
	b.Run("off", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			call(b, ctx, c)
		}
	})
	b.Run("on", func(b *testing.B) {
		ctx, span := benchProvider(b).TracerProvider().Tracer("bench").Start(context.Background(), "step")
		defer span.End()
		for b.Loop() {
			call(b, ctx, c)
		}
	})
}
