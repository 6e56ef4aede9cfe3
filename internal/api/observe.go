package api

import (
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tracing"
)

// RequestObserver receives every HTTP request the API serves, by route
// pattern ("GET /api/v1/workflows/{id}"; "unmatched" when no route
// matched), with its status and duration (metrics).
type RequestObserver interface {
	ObserveRequest(method, route string, status int, d time.Duration)
}

// routeUnmatched is the route of a request no pattern matched.
const routeUnmatched = "unmatched"

// observeRequests gives every request a store.QueryScope, so the store
// counts its queries by name; when the request ends, a query repeated past
// the monitor's limit is logged as an N+1 suspicion naming the route (and
// handed to the monitor's OnRepeat), and the request goes to the
// RequestObserver and names the request's trace span.
func (s *Server) observeRequests(next http.Handler) http.Handler {
	monitor := s.deps.Queries
	if monitor == nil {
		monitor = &store.QueryMonitor{Logger: s.log}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		scope := store.NewQueryScope(store.ScopeRequest, routeUnmatched)
		scope.SetID(RequestIDFrom(r.Context()))
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(store.WithQueryScope(r.Context(), scope)))
		monitor.CheckScope(r.Context(), scope)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		// The server span (tracing.Provider.Handler, when traces are on)
		// is named after the route, with the status and the tenant.
		tracing.Request(r.Context(), scope.Name(), rec.status, scope.Tenant())
		if s.deps.Metrics != nil {
			s.deps.Metrics.ObserveRequest(r.Method, scope.Name(), rec.status, time.Since(start))
		}
	})
}

// nameRoute names the request's query scope after the mux pattern that
// matches it, before the handler runs.
func nameRoute(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scope := store.QueryScopeFrom(r.Context()); scope != nil {
			if _, pattern := mux.Handler(r); pattern != "" {
				scope.SetName(pattern)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// scopeTenant notes the caller's tenant on the request's query scope once
// authentication has resolved it (huma middleware, after the others).
func scopeTenant(ctx huma.Context, next func(huma.Context)) {
	if c, ok := CallerFrom(ctx.Context()); ok {
		if scope := store.QueryScopeFrom(ctx.Context()); scope != nil {
			scope.SetTenant(c.TenantID)
		}
	}
	next(ctx)
}
