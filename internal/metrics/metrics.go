// Package metrics is NextFlow's Prometheus instrumentation: one registry
// owned by the process (no global registry), the instruments the API, the
// store, the queue and the engine feed through small hooks (none of those
// packages imports Prometheus), and the /metrics handler.
//
// Series (all prefixed nextflow_ except the Go and process collectors):
//
//	http_requests_total{method,route,status}            counter
//	http_request_duration_seconds{method,route}         histogram
//	db_query_duration_seconds{query}                    histogram (sqlc name, or "sql:<verb> <table>")
//	db_query_errors_total{query}                        counter
//	db_query_repeats_total{scope,query}                 counter: N+1 suspicions (scope: route or job kind)
//	db_pool_connections{pool,state}                     gauge: state max, open, in_use, idle
//	db_pool_waits_total{pool}, db_pool_wait_seconds_total{pool}  counters
//	executions_started_total                            counter
//	executions_finished_total{status}                   counter: completed, failed, cancelled
//	step_duration_seconds{node_type,status}             histogram: from a step's start to its end
//	job_duration_seconds{kind,outcome}                  histogram: River job run time (outcome ok, error)
//	job_wait_seconds{kind}                              histogram: from a job's scheduled time to its start
//	queue_jobs{queue,state}                             gauge: available, running (read at scrape)
//	messages_total{channel,status}                      counter: message status changes committed
//	ai_tokens_total{kind}                               counter: prompt, completion
//	go_*, process_*                                     Go runtime and process collectors
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nextflow-dev/nextflow/internal/store"
)

const namespace = "nextflow"

// scrapeTimeout bounds the database reads a scrape makes (queue depth).
const scrapeTimeout = 2 * time.Second

// Metrics is a registry and NextFlow's instruments in it. Its methods are
// safe for concurrent use and cheap; they are the hooks the other packages
// are given (api.RequestObserver, engine.Observer, store.QueryMonitor).
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	queryTime    *prometheus.HistogramVec
	queryErrors  *prometheus.CounterVec
	queryRepeats *prometheus.CounterVec
	started      prometheus.Counter
	finished     *prometheus.CounterVec
	stepTime     *prometheus.HistogramVec
	jobTime      *prometheus.HistogramVec
	jobWait      *prometheus.HistogramVec
	messages     *prometheus.CounterVec
	aiTokens     *prometheus.CounterVec
}

// New returns a registry with NextFlow's instruments and the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_requests_total",
		Help: "HTTP requests served by the API, by route pattern and status."}, []string{"method", "route", "status"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "http_request_duration_seconds",
		Help: "Latency of API requests by route pattern.", Buckets: prometheus.DefBuckets}, []string{"method", "route"})
	m.queryTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "db_query_duration_seconds",
		Help:    "Database query time (including reading rows) by query name.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"query"})
	m.queryErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "db_query_errors_total",
		Help: "Database queries that failed, by query name."}, []string{"query"})
	m.queryRepeats = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "db_query_repeats_total",
		Help: "N+1 suspicions: a query run more often than allowed in one request or job, by route or job kind."}, []string{"scope", "query"})
	m.started = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "executions_started_total",
		Help: "Workflow executions started."})
	m.finished = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "executions_finished_total",
		Help: "Workflow executions that ended, by final status."}, []string{"status"})
	m.stepTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "step_duration_seconds",
		Help:    "Time from a step's start to its end, by node type and final status.",
		Buckets: []float64{.001, .005, .025, .1, .5, 1, 5, 30, 120, 600, 3600, 86400}}, []string{"node_type", "status"})
	m.jobTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "job_duration_seconds",
		Help:    "River job run time by kind and outcome.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"kind", "outcome"})
	m.jobWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "job_wait_seconds",
		Help:    "Time from a River job's scheduled time to its start, by kind.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}}, []string{"kind"})
	m.messages = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "messages_total",
		Help: "Message status changes committed, by channel and new status."}, []string{"channel", "status"})
	m.aiTokens = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "ai_tokens_total",
		Help: "AI tokens used by ai.* steps, by kind (prompt, completion)."}, []string{"kind"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.queryTime, m.queryErrors, m.queryRepeats, m.started, m.finished,
		m.stepTime, m.jobTime, m.jobWait, m.messages, m.aiTokens,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry (for tests and further collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	opts := promhttp.HandlerOpts{Registry: m.reg, Timeout: 2 * scrapeTimeout}
	if log != nil {
		opts.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return promhttp.HandlerFor(m.reg, opts)
}

// ObserveRequest counts an API request (api.RequestObserver).
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	m.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// ExecutionsStarted counts n started executions (engine.Observer).
func (m *Metrics) ExecutionsStarted(n int) { m.started.Add(float64(n)) }

// ExecutionFinished counts an execution that ended with status
// (engine.Observer).
func (m *Metrics) ExecutionFinished(status string) {
	m.finished.WithLabelValues(strings.ToLower(status)).Inc()
}

// StepFinished observes a step of nodeType that ended with status after
// took (engine.Observer).
func (m *Metrics) StepFinished(nodeType, status string, took time.Duration) {
	m.stepTime.WithLabelValues(nodeType, strings.ToLower(status)).Observe(took.Seconds())
}

// MessageStatus counts a message of channel that reached status.
func (m *Metrics) MessageStatus(channel, status string) {
	m.messages.WithLabelValues(strings.ToLower(channel), strings.ToLower(status)).Inc()
}

// AITokens counts the tokens of one AI call.
func (m *Metrics) AITokens(prompt, completion int64) {
	if prompt > 0 {
		m.aiTokens.WithLabelValues("prompt").Add(float64(prompt))
	}
	if completion > 0 {
		m.aiTokens.WithLabelValues("completion").Add(float64(completion))
	}
}

// QueryMonitor returns a store.QueryMonitor that logs slow queries (from
// slow; zero: store.DefaultSlowQuery) and N+1 suspicions (past
// repeatLimit; zero: store.DefaultQueryRepeatLimit) to log, and feeds the
// query, repeat and job series.
func (m *Metrics) QueryMonitor(log *slog.Logger, slow time.Duration, repeatLimit int) *store.QueryMonitor {
	return &store.QueryMonitor{
		Logger:      log,
		Slow:        slow,
		RepeatLimit: repeatLimit,
		Observe: func(name string, d time.Duration, failed bool) {
			m.queryTime.WithLabelValues(name).Observe(d.Seconds())
			if failed {
				m.queryErrors.WithLabelValues(name).Inc()
			}
		},
		ObserveJob: func(kind string, wait, run time.Duration, err error) {
			outcome := "ok"
			if err != nil {
				outcome = "error"
			}
			m.jobWait.WithLabelValues(kind).Observe(wait.Seconds())
			m.jobTime.WithLabelValues(kind, outcome).Observe(run.Seconds())
		},
		ObserveMessage:  m.MessageStatus,
		ObserveAITokens: m.AITokens,
		OnRepeat: func(_ context.Context, scope *store.QueryScope, r store.QueryRepeat) {
			m.queryRepeats.WithLabelValues(scope.Name(), r.Name).Inc()
		},
	}
}

// WatchStore adds the store's connection pools and queue depth, read at
// each scrape, when the store reports them (both backends do).
func (m *Metrics) WatchStore(st any) {
	if p, ok := st.(store.PoolReporter); ok {
		m.reg.MustRegister(&poolCollector{pools: p})
	}
	if q, ok := st.(store.QueueDepthReporter); ok {
		m.reg.MustRegister(&queueCollector{queue: q})
	}
}

var (
	poolConns = prometheus.NewDesc(namespace+"_db_pool_connections", "Database pool connections by state (max, open, in_use, idle).",
		[]string{"pool", "state"}, nil)
	poolWaits = prometheus.NewDesc(namespace+"_db_pool_waits_total", "Times a caller waited for a pooled connection.",
		[]string{"pool"}, nil)
	poolWaitTime = prometheus.NewDesc(namespace+"_db_pool_wait_seconds_total", "Time callers waited for pooled connections.",
		[]string{"pool"}, nil)
	queueJobs = prometheus.NewDesc(namespace+"_queue_jobs", "River jobs by queue and state (available: due, waiting for a worker; running).",
		[]string{"queue", "state"}, nil)
)

// poolCollector reads pool statistics at scrape time.
type poolCollector struct{ pools store.PoolReporter }

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolConns
	ch <- poolWaits
	ch <- poolWaitTime
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.pools.PoolStats() {
		for state, n := range map[string]int{"max": p.MaxOpen, "open": p.Open, "in_use": p.InUse, "idle": p.Idle} {
			ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(n), p.Pool, state)
		}
		ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(p.WaitCount), p.Pool)
		ch <- prometheus.MustNewConstMetric(poolWaitTime, prometheus.CounterValue, p.WaitDuration.Seconds(), p.Pool)
	}
}

// queueCollector counts River's jobs at scrape time.
type queueCollector struct{ queue store.QueueDepthReporter }

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueJobs }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	depths, err := c.queue.QueueDepth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueJobs, err)
		return
	}
	for _, d := range depths {
		ch <- prometheus.MustNewConstMetric(queueJobs, prometheus.GaugeValue, float64(d.Available), d.Queue, "available")
		ch <- prometheus.MustNewConstMetric(queueJobs, prometheus.GaugeValue, float64(d.Running), d.Queue, "running")
	}
}
