package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/metrics"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// MetricsPath is where the Prometheus exposition is served.
const MetricsPath = "/metrics"

// newMetrics builds the process's registry and the store's query monitor
// from the configuration (slow-query log, N+1 limit).
func newMetrics(cfg *config.Config, log *slog.Logger) (*metrics.Metrics, *store.QueryMonitor) {
	m := metrics.New()
	slow := cfg.Metrics.SlowQuery
	if slow == 0 {
		slow = -1 // NEXTFLOW_SLOW_QUERY_MS=0: no slow-query log
	}
	return m, m.QueryMonitor(log.With("component", "store"), slow, cfg.Metrics.QueryRepeatLimit)
}

// metricsHandler serves /metrics, behind NEXTFLOW_METRICS_TOKEN when set.
func (a *App) metricsHandler() http.Handler {
	h := a.metrics.Handler(a.log)
	token := a.cfg.Metrics.Token
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the operator's bearer token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// metricsOnMain tells whether the main listener serves /metrics: only
// behind a token, and only when it has no listener of its own.
func (a *App) metricsOnMain() bool {
	return a.cfg.Metrics.Addr == "" && a.cfg.Metrics.Token != ""
}

// serveMetrics serves /metrics on NEXTFLOW_METRICS_ADDR (every role), or
// returns nil when none is set.
func (a *App) serveMetrics(ctx context.Context, errc chan<- error) (*http.Server, error) {
	if a.metrics == nil || a.cfg.Metrics.Addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", a.cfg.Metrics.Addr)
	if err != nil {
		return nil, &config.Error{Name: "NEXTFLOW_METRICS_ADDR", Msg: fmt.Sprintf("listen on %s: %v", a.cfg.Metrics.Addr, err)}
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+MetricsPath, a.metricsHandler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	a.log.Info("metrics listening", "addr", ln.Addr().String(), "path", MetricsPath)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("metrics server: %w", err)
		}
	}()
	return srv, nil
}

// isMetricsPath reports whether p is /metrics.
func isMetricsPath(p string) bool { return strings.TrimSuffix(p, "/") == MetricsPath }
