package storetest_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// On both backends a query run under a recording span is a child span
// named by its sqlc name (no SQL text); without a span none is made.
func TestQuerySpans(t *testing.T) {
	t.Parallel()
	for _, backend := range []struct {
		name string
		open func(t testing.TB, opts ...storetest.Option) store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			s := backend.open(t)
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

			var tenant *domain.Tenant
			require.NoError(t, s.InTx(context.Background(), uuid.Nil, func(tx store.Tx) error {
				var err error
				tenant, err = tx.TenantInsert(context.Background(), &store.TenantInsertParams{Name: "Traced", Slug: "traced-" + uuid.NewString()[:8], Plan: domain.PlanFree})
				return err
			}))
			require.Empty(t, rec.Ended(), "no span in the context: no query span")

			ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
			require.NoError(t, s.Read(ctx, tenant.ID, func(tx store.Tx) error {
				_, err := tx.TenantGetByID(ctx, tenant.ID)
				return err
			}))
			parent.End()
			var names []string
			for _, sp := range rec.Ended() {
				names = append(names, sp.Name())
				if sp.Name() == "TenantGetByID" {
					require.Equal(t, parent.SpanContext().SpanID(), sp.Parent().SpanID())
					require.Equal(t, parent.SpanContext().TraceID(), sp.SpanContext().TraceID())
					for _, kv := range sp.Attributes() {
						require.NotContains(t, kv.Value.Emit(), "SELECT", "no SQL text")
						require.NotContains(t, kv.Value.Emit(), "select")
					}
				}
			}
			require.Contains(t, names, "TenantGetByID")
		})
	}
}
