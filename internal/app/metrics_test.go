package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/api"
	"github.com/nextflow-dev/nextflow/internal/config"
)

const metricsToken = "metrics-token-0123456789abcdef0123456789"

// scrape reads url's exposition and parses it with the Prometheus text
// parser.
func scrape(t *testing.T, url, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	require.NoError(t, err)
	return fams
}

// sum adds the values (counter, gauge, or histogram count) of family's
// series whose labels include want.
func sum(fams map[string]*dto.MetricFamily, family string, want map[string]string) float64 {
	f, ok := fams[family]
	if !ok {
		return 0
	}
	total := 0.0
series:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total
}

type client struct {
	t       *testing.T
	base    string
	session *http.Cookie
}

func (c *client) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.base)
	if c.session != nil {
		req.AddCookie(c.session)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	for _, ck := range res.Cookies() {
		if ck.Name == api.SessionCookie {
			c.session = ck
		}
	}
	return res.StatusCode, string(b)
}

func idOf(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `"id":"`)
	require.GreaterOrEqual(t, i, 0, body)
	return body[i+6 : i+6+36]
}

// A few executions through the API move the counters /metrics shows, and
// the exposition parses with the Prometheus text parser.
func TestMetricsAfterExecutions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, err := config.Load([]string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, func(name string) string {
		if name == "NEXTFLOW_METRICS_TOKEN" {
			return metricsToken
		}
		return ""
	})
	require.NoError(t, err)
	a, err := New(ctx, cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(a.close)
	require.NoError(t, a.store.Queue().Start(ctx))
	t.Cleanup(func() { _ = a.store.Queue().Stop(context.Background()) })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	c := &client{t: t, base: srv.URL}

	// Behind the token on the main address.
	code, _ := (&client{t: t, base: srv.URL}).do(http.MethodGet, MetricsPath, "")
	require.Equal(t, http.StatusUnauthorized, code)
	before := scrape(t, srv.URL+MetricsPath, metricsToken)

	code, body := c.do(http.MethodPost, api.Prefix+"/auth/signup",
		`{"email":"owner@example.com","password":"correct horse battery","name":"Owner","workspaceName":"Acme"}`)
	require.Equal(t, http.StatusCreated, code, body)
	code, body = c.do(http.MethodPost, api.Prefix+"/workflows", `{"name":"Metered","definition":{"nodes":[
 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
 {"id":"wait","type":"delay","config":{"duration":"1ms"},"position":{"x":0,"y":100}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
 "edges":[{"id":"e1","source":"start","target":"wait"},{"id":"e2","source":"wait","target":"done"}]}}`)
	require.Equal(t, http.StatusCreated, code, body)
	wf := idOf(t, body)
	code, body = c.do(http.MethodPost, api.Prefix+"/workflows/"+wf+"/publish", "")
	require.Equal(t, http.StatusOK, code, body)
	const runs = 3
	var execs []string
	for range runs {
		code, body = c.do(http.MethodPost, api.Prefix+"/workflows/"+wf+"/executions", `{"input":{"n":1}}`)
		require.Equal(t, http.StatusAccepted, code, body)
		execs = append(execs, idOf(t, body))
	}
	for _, id := range execs {
		require.Eventually(t, func() bool {
			_, body := c.do(http.MethodGet, api.Prefix+"/executions/"+id, "")
			return strings.Contains(body, `"status":"COMPLETED"`)
		}, 20*time.Second, 20*time.Millisecond, "execution %s", id)
	}

	// The engine counts after each commit; the API may show a change a
	// moment before.
	var after map[string]*dto.MetricFamily
	require.Eventually(t, func() bool {
		after = scrape(t, srv.URL+MetricsPath, metricsToken)
		return sum(after, "nextflow_executions_finished_total", nil) >= runs
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, 0.0, sum(before, "nextflow_executions_started_total", nil))
	require.Equal(t, float64(runs), sum(after, "nextflow_executions_started_total", nil))
	require.Equal(t, float64(runs), sum(after, "nextflow_executions_finished_total", map[string]string{"status": "completed"}))
	require.Equal(t, float64(runs), sum(after, "nextflow_step_duration_seconds", map[string]string{"node_type": "delay", "status": "completed"}))
	require.Equal(t, float64(runs), sum(after, "nextflow_http_requests_total",
		map[string]string{"method": "POST", "route": "POST /api/v1/workflows/{id}/executions", "status": "202"}))
	require.Equal(t, float64(runs), sum(after, "nextflow_http_request_duration_seconds",
		map[string]string{"route": "POST /api/v1/workflows/{id}/executions"}))
	require.Greater(t, sum(after, "nextflow_db_query_duration_seconds", map[string]string{"query": "TenantGetByID"})+
		sum(after, "nextflow_db_query_duration_seconds", map[string]string{"query": "WorkflowGetByID"}), 0.0)
	require.Greater(t, sum(after, "nextflow_job_duration_seconds", map[string]string{"outcome": "ok"}), 0.0)
	require.Greater(t, sum(after, "nextflow_job_wait_seconds", nil), 0.0)
	require.Equal(t, 1.0, sum(after, "nextflow_db_pool_connections", map[string]string{"pool": "writer", "state": "max"}))
	require.Contains(t, after, "nextflow_queue_jobs")
	require.Contains(t, after, "go_goroutines")
	require.Contains(t, after, "process_cpu_seconds_total")
}

// NEXTFLOW_METRICS_ADDR serves /metrics on a listener of its own, and the
// main address does not.
func TestMetricsOwnAddress(t *testing.T) {
	t.Parallel()
	metricsAddr := freeAddr(t)
	mainAddr := freeAddr(t)
	cfg, err := config.Load([]string{"--data-dir", t.TempDir(), "--addr", mainAddr, "--metrics-addr", metricsAddr}, func(string) string { return "" })
	require.NoError(t, err)
	a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done)
	})
	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + metricsAddr + MetricsPath)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)
	fams := scrape(t, "http://"+metricsAddr+MetricsPath, "")
	require.Contains(t, fams, "go_goroutines")
	res, err := http.Get("http://" + mainAddr + MetricsPath)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
