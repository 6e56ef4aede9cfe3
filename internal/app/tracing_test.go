package app

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/nextflow-dev/nextflow/internal/api"
	"github.com/nextflow-dev/nextflow/internal/config"
)

// receivedSpan is a span as an OTLP/HTTP receiver decoded it.
type receivedSpan struct {
	TraceID, SpanID, ParentID string
	Name                      string
	Kind                      tracepb.Span_SpanKind
	Attrs                     map[string]string
	Events                    []map[string]string
	Service                   string
}

// otlpReceiver is an in-process OTLP/HTTP trace receiver: it decodes each
// ExportTraceServiceRequest (protobuf) posted to /v1/traces.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []receivedSpan
	// posts counts export requests.
	posts int
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rc := &otlpReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want a protobuf POST to /v1/traces", http.StatusBadRequest)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.posts++
		for _, rs := range req.GetResourceSpans() {
			service := attrMap(rs.GetResource().GetAttributes())["service.name"]
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					sp := receivedSpan{
						TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
						ParentID: hex.EncodeToString(s.GetParentSpanId()), Name: s.GetName(), Kind: s.GetKind(),
						Attrs: attrMap(s.GetAttributes()), Service: service,
					}
					for _, ev := range s.GetEvents() {
						m := attrMap(ev.GetAttributes())
						m["event"] = ev.GetName()
						sp.Events = append(sp.Events, m)
					}
					rc.spans = append(rc.spans, sp)
				}
			}
		}
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// attrMap renders OTLP attributes as strings.
func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		v := kv.GetValue()
		switch v.GetValue().(type) {
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetIntValue())
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetBoolValue())
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetDoubleValue())
		default:
			m[kv.GetKey()] = v.GetStringValue()
		}
	}
	return m
}

func (rc *otlpReceiver) received() []receivedSpan {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedSpan(nil), rc.spans...)
}

// traceTarget is the destination of the workflow's http.request: it keeps
// the traceparent and Authorization headers of each call.
type traceTarget struct {
	*httptest.Server
	mu          sync.Mutex
	traceparent []string
	auth        []string
}

func newTraceTarget(t *testing.T) *traceTarget {
	t.Helper()
	tt := &traceTarget{}
	tt.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tt.mu.Lock()
		tt.traceparent = append(tt.traceparent, r.Header.Get("traceparent"))
		tt.auth = append(tt.auth, r.Header.Get("Authorization"))
		tt.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(tt.Close)
	return tt
}

func (tt *traceTarget) calls() (traceparents, auths []string) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return append([]string(nil), tt.traceparent...), append([]string(nil), tt.auth...)
}

// Secrets and personal data the traced run handles; none may reach a span.
const (
	traceAPISecret  = "sk-trace-api-0123456789abcdef"
	traceHookSecret = "hook-trace-0123456789abcdef01"
	tracePassword   = "correct horse battery"
	traceEmail      = "owner.traced@example.com"
	traceQueryKey   = "query-key-0123456789"
	traceBodyValue  = "order-body-value-42"
)

// setUpTracedWorkflow signs up, stores the two credentials, and publishes
// and activates a workflow: trigger.webhook (bearer HOOK) → http.request
// to target (Authorization from the API credential, a key in the query)
// → end, whose call the starting process makes after the start. It
// returns the webhook's path.
func setUpTracedWorkflow(t *testing.T, c *client, target string) string {
	t.Helper()
	code, body := c.do(http.MethodPost, api.Prefix+"/auth/signup",
		`{"email":"`+traceEmail+`","password":"`+tracePassword+`","name":"Owner","workspaceName":"Traced"}`)
	require.Equal(t, http.StatusCreated, code, body)
	code, body = c.do(http.MethodGet, api.Prefix+"/auth/me", "")
	require.Equal(t, http.StatusOK, code, body)
	var me struct {
		ActiveTenant struct{ ID string } `json:"activeTenant"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &me))
	for _, cr := range []string{
		`{"name":"API","kind":"http_header","value":"` + traceAPISecret + `"}`,
		`{"name":"HOOK","kind":"webhook_secret","value":"` + traceHookSecret + `"}`,
	} {
		code, body = c.do(http.MethodPost, api.Prefix+"/credentials", cr)
		require.Equal(t, http.StatusCreated, code, body)
	}
	return addTracedWorkflow(t, c, me.ActiveTenant.ID, target, false)
}

// addTracedWorkflow publishes and activates setUpTracedWorkflow's
// journey in tenant; with delayed, a short delay opens it, so its call is
// made by an advance job instead. It returns the webhook's path.
func addTracedWorkflow(t *testing.T, c *client, tenant, target string, delayed bool) string {
	t.Helper()
	name, first, nodes, edges := "Traced", "call", "", ""
	if delayed {
		name, first = "Traced after a delay", "pause"
		nodes = `{"id":"pause","type":"delay","config":{"duration":"10ms"},"position":{"x":0,"y":50}},`
		edges = `{"id":"e0","source":"pause","target":"call"},`
	}
	code, body := c.do(http.MethodPost, api.Prefix+"/workflows", `{"name":"`+name+`","definition":{"nodes":[
 {"id":"hook","type":"trigger.webhook","config":{"auth":"bearer","secretCredential":"HOOK"},"position":{"x":0,"y":0}},`+nodes+`
 {"id":"call","type":"http.request","config":{"method":"POST","url":"`+target+`/orders?key=`+traceQueryKey+`","headers":{"Authorization":"Bearer {{ secrets.API }}"},"body":{"order":"{{ trigger.body.order }}"}},"position":{"x":0,"y":100}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
 "edges":[`+edges+`{"id":"e1","source":"hook","target":"`+first+`"},{"id":"e2","source":"call","target":"done"}]}}`)
	require.Equal(t, http.StatusCreated, code, body)
	wf := idOf(t, body)
	code, body = c.do(http.MethodPost, api.Prefix+"/workflows/"+wf+"/publish", "")
	require.Equal(t, http.StatusOK, code, body)
	code, body = c.do(http.MethodPost, api.Prefix+"/workflows/"+wf+"/activate", "")
	require.Equal(t, http.StatusOK, code, body)
	return "/webhooks/" + tenant + "/" + wf
}

// startWebhook posts to the webhook with the bearer secret and the given
// extra headers, and returns the execution ID.
func startWebhook(t *testing.T, base, hook string, headers map[string]string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+hook, strings.NewReader(`{"order":"`+traceBodyValue+`"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+traceHookSecret)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, res.StatusCode, string(b))
	return idOf(t, string(b))
}

func waitCompleted(t *testing.T, c *client, id string) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, body := c.do(http.MethodGet, api.Prefix+"/executions/"+id, "")
		var exec struct{ Status string }
		return json.Unmarshal([]byte(body), &exec) == nil && exec.Status == "COMPLETED"
	}, 20*time.Second, 20*time.Millisecond, "execution %s", id)
}

// A real server with an OTLP endpoint: a webhook start carrying a W3C
// traceparent gives one trace holding the HTTP request's span (route
// template, status, tenant), the advance job's (a journey opening with a
// short delay, so an advance job makes its call), the http.request step's,
// store queries' and the outbound call's, whose traceparent the target
// receives. A journey whose call the starting process makes after the
// start gives the same trace with the call's own span in place of the
// job's. The spans are flushed by the graceful stop, and hold no secret or
// personal data.
func TestTracesAcrossRequestJobStoreAndCall(t *testing.T) {
	t.Parallel()
	receiver := newOTLPReceiver(t)
	target := newTraceTarget(t)
	addr := freeAddr(t)
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.URL, "OTEL_SERVICE_NAME": "nextflow-traced"}
	cfg, err := config.Load([]string{"--data-dir", t.TempDir(), "--addr", addr, "--http-allow", "127.0.0.1", "--http-ports", "any"},
		func(name string) string { return env[name] })
	require.NoError(t, err)
	require.True(t, cfg.Tracing.Enabled())
	a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler), Version: "test"})
	require.NoError(t, err)
	require.NotNil(t, a.traces)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stop()
			<-done
		}
	})
	base := "http://" + addr
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)

	c := &client{t: t, base: base}
	direct := setUpTracedWorkflow(t, c, target.URL)
	tenant := strings.Split(direct, "/")[2]
	hook := addTracedWorkflow(t, c, tenant, target.URL, true)
	// The callers' traces: each request continues its own.
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	const directTrace, directSpan = "5c0a93f4788c45b4b4da3bfd0f1e5847", "11a178bb1cb013c8"
	exec := startWebhook(t, base, hook, map[string]string{"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01"})
	directExec := startWebhook(t, base, direct, map[string]string{"traceparent": "00-" + directTrace + "-" + directSpan + "-01"})
	waitCompleted(t, c, exec)
	waitCompleted(t, c, directExec)

	// Graceful stop flushes what the batcher still holds.
	stop()
	require.NoError(t, <-done)
	stopped = true

	traces := map[string][]receivedSpan{}
	for _, s := range receiver.received() {
		require.Equal(t, "nextflow-traced", s.Service)
		require.NotContains(t, s.Name, "healthz", "health probes are not traced")
		traces[s.TraceID] = append(traces[s.TraceID], s)
	}
	findIn := func(traceID, what string, match func(s receivedSpan) bool) receivedSpan {
		t.Helper()
		for _, s := range traces[traceID] {
			if match(s) {
				return s
			}
		}
		var names []string
		for _, s := range traces[traceID] {
			names = append(names, s.Name)
		}
		require.Failf(t, "span missing from the trace", "%s; the trace holds %v", what, names)
		return receivedSpan{}
	}
	find := func(what string, match func(s receivedSpan) bool) receivedSpan {
		t.Helper()
		return findIn(callerTrace, what, match)
	}

	server := find("webhook request", func(s receivedSpan) bool { return s.Kind == tracepb.Span_SPAN_KIND_SERVER })
	require.Equal(t, "POST /webhooks/{tenantId}/{id}", server.Name)
	require.Equal(t, callerSpan, server.ParentID, "the request continues the caller's span")
	require.Equal(t, "POST /webhooks/{tenantId}/{id}", server.Attrs["http.route"])
	require.Equal(t, "POST", server.Attrs["http.request.method"])
	require.Equal(t, "202", server.Attrs["http.response.status_code"])
	require.Equal(t, tenant, server.Attrs["nextflow.tenant_id"])
	require.Equal(t, exec, server.Attrs["nextflow.execution_id"], "the eager start ran in the request")

	startQuery := find("a query of the start", func(s receivedSpan) bool {
		return s.ParentID == server.SpanID && s.Attrs["db.operation.name"] != ""
	})
	require.Equal(t, tracepb.Span_SPAN_KIND_CLIENT, startQuery.Kind)
	require.Equal(t, startQuery.Name, startQuery.Attrs["db.operation.name"])

	job := find("advance job", func(s receivedSpan) bool {
		return s.Name == "nextflow.advance" && s.Attrs["nextflow.execution_id"] == exec
	})
	require.Equal(t, server.SpanID, job.ParentID, "the job continues the request that inserted it")
	require.Equal(t, tenant, job.Attrs["nextflow.tenant_id"])
	require.Equal(t, tracepb.Span_SPAN_KIND_CONSUMER, job.Kind)

	jobQuery := find("a query of the job", func(s receivedSpan) bool {
		return s.ParentID == job.SpanID && s.Attrs["db.operation.name"] != ""
	})
	require.NotEmpty(t, jobQuery.Name)

	step := find("http.request step", func(s receivedSpan) bool { return s.Name == "step http.request" })
	require.Equal(t, job.SpanID, step.ParentID)
	require.Equal(t, exec, step.Attrs["nextflow.execution_id"])
	require.Equal(t, "http.request", step.Attrs["nextflow.node_type"])
	require.Equal(t, "call", step.Attrs["nextflow.node_id"])
	require.Equal(t, job.Attrs["nextflow.workflow_id"], step.Attrs["nextflow.workflow_id"])
	require.Equal(t, hook[strings.LastIndex(hook, "/")+1:], step.Attrs["nextflow.workflow_id"])

	call := find("outbound call", func(s receivedSpan) bool {
		return s.Kind == tracepb.Span_SPAN_KIND_CLIENT && s.ParentID == step.SpanID && s.Attrs["server.address"] != ""
	})
	require.Equal(t, "POST", call.Name)
	require.Equal(t, "127.0.0.1", call.Attrs["server.address"])
	require.Equal(t, "200", call.Attrs["http.response.status_code"])

	// The target received the call's span as traceparent, and the
	// credential (which the trace must not show).
	// The call the starting process made: its span continues the request
	// (which may have ended), and holds the step and the outbound call.
	directServer := findIn(directTrace, "direct webhook request", func(s receivedSpan) bool { return s.Kind == tracepb.Span_SPAN_KIND_SERVER })
	require.Equal(t, directSpan, directServer.ParentID)
	require.Equal(t, directExec, directServer.Attrs["nextflow.execution_id"])
	afterStart := findIn(directTrace, "call after start", func(s receivedSpan) bool { return s.Name == "nextflow.call_after_start" })
	require.Equal(t, directServer.SpanID, afterStart.ParentID, "the call continues the request that started its execution")
	require.Equal(t, tracepb.Span_SPAN_KIND_CONSUMER, afterStart.Kind)
	require.Equal(t, tenant, afterStart.Attrs["nextflow.tenant_id"])
	require.Equal(t, directExec, afterStart.Attrs["nextflow.execution_id"])
	directStep := findIn(directTrace, "direct http.request step", func(s receivedSpan) bool { return s.Name == "step http.request" })
	require.Equal(t, afterStart.SpanID, directStep.ParentID)
	require.Equal(t, directExec, directStep.Attrs["nextflow.execution_id"])
	directCall := findIn(directTrace, "direct outbound call", func(s receivedSpan) bool {
		return s.Kind == tracepb.Span_SPAN_KIND_CLIENT && s.ParentID == directStep.SpanID && s.Attrs["server.address"] != ""
	})
	for _, s := range traces[callerTrace] {
		require.NotEqual(t, "nextflow.call_after_start", s.Name, "a job's call is not made after the start")
	}

	parents, auths := target.calls()
	require.ElementsMatch(t, []string{"00-" + callerTrace + "-" + call.SpanID + "-01", "00-" + directTrace + "-" + directCall.SpanID + "-01"}, parents)
	require.Equal(t, []string{"Bearer " + traceAPISecret, "Bearer " + traceAPISecret}, auths)

	// The engine noted the nodes it ran on the spans it ran them in.
	var nodes []string
	for _, s := range []receivedSpan{server, job} {
		for _, ev := range s.Events {
			if ev["event"] == "node" {
				nodes = append(nodes, ev["nextflow.node_type"])
			}
		}
	}
	require.Contains(t, nodes, "trigger.webhook")
	require.Contains(t, nodes, "end")

	// No secret, personal data, body value, query key or path anywhere in
	// any span exported.
	dump, err := json.Marshal(receiver.received())
	require.NoError(t, err)
	for _, secret := range []string{traceAPISecret, traceHookSecret, tracePassword, traceEmail, traceQueryKey, traceBodyValue, "/orders"} {
		require.NotContains(t, string(dump), secret)
	}
}

// Without an endpoint there is no tracer provider and no exporter: a
// caller's traceparent goes nowhere, and outbound calls carry none.
func TestNoTracesWithoutEndpoint(t *testing.T) {
	t.Parallel()
	target := newTraceTarget(t)
	cfg, err := config.Load([]string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--http-allow", "127.0.0.1", "--http-ports", "any"},
		func(string) string { return "" })
	require.NoError(t, err)
	require.False(t, cfg.Tracing.Enabled())
	a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(a.close)
	require.Nil(t, a.traces, "no provider, hence no exporter")
	require.Empty(t, a.traces.JobMiddleware())
	require.NoError(t, a.store.Queue().Start(context.Background()))
	t.Cleanup(func() { _ = a.store.Queue().Stop(context.Background()) })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	c := &client{t: t, base: srv.URL}
	hook := setUpTracedWorkflow(t, c, target.URL)
	exec := startWebhook(t, srv.URL, hook, map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	waitCompleted(t, c, exec)
	parents, _ := target.calls()
	require.Equal(t, []string{""}, parents)
}
