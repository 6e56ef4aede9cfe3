package tracing

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Handler opens a server span for every request next serves, continuing
// the caller's trace when the request carries a W3C traceparent. The span
// is named "<METHOD>" until the API names it after the route that matched
// (Request). A nil p returns next unchanged.
func (p *Provider) Handler(next http.Handler) http.Handler {
	if p == nil {
		return next
	}
	t := p.sdk.Tracer(instrumentation)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := t.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method)))
		defer span.End()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Request names the server span of ctx after route (the route template,
// "POST /webhooks/{id}") and records the response status and the tenant
// the request acted for (uuid.Nil: none known). A 5xx marks the span
// failed.
func Request(ctx context.Context, route string, status int, tenant uuid.UUID) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetName(route)
	span.SetAttributes(semconv.HTTPRouteKey.String(route), semconv.HTTPResponseStatusCodeKey.Int(status))
	if tenant != uuid.Nil {
		span.SetAttributes(KeyTenantID.String(tenant.String()))
	}
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}

// Transport wraps an outbound HTTP transport: a request made under a
// recording span gets a client span of its own (method, host, port,
// status; neither path nor query, which may hold keys) and carries it as
// traceparent to the server. Other requests pass through untouched.
func Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return transport{next: next}
}

type transport struct{ next http.RoundTripper }

// RoundTrip makes the request under its client span.
func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tr, ok := tracer(req.Context())
	if !ok {
		return t.next.RoundTrip(req)
	}
	ctx, span := tr.Start(req.Context(), req.Method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(clientAttrs(req)...))
	defer span.End()
	// A RoundTripper must not change the caller's request: the header goes
	// on a copy.
	out := req.Clone(ctx)
	propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		failed(span, err)
		return nil, err
	}
	span.SetAttributes(semconv.HTTPResponseStatusCodeKey.Int(resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
	}
	return resp, nil
}

// CloseIdleConnections passes http.Client.CloseIdleConnections on to the
// wrapped transport.
func (t transport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// clientAttrs describes req by method, scheme, host and port only.
func clientAttrs(req *http.Request) []attribute.KeyValue {
	host, port := req.URL.Hostname(), req.URL.Port()
	if port == "" {
		port = "80"
		if req.URL.Scheme == "https" {
			port = "443"
		}
	}
	attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(req.Method), semconv.URLSchemeKey.String(req.URL.Scheme),
		semconv.ServerAddressKey.String(host)}
	if n, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, semconv.ServerPortKey.Int(n))
	}
	return attrs
}

// failed marks span failed by err's kind, not its message: messages of
// transport errors carry the URL, and with it any key in its query.
func failed(span trace.Span, err error) {
	kind := "error"
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		kind = "timeout"
	case errors.Is(err, context.Canceled):
		kind = "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		kind = "timeout"
	}
	span.SetAttributes(semconv.ErrorTypeKey.String(kind))
	span.SetStatus(codes.Error, kind)
}
