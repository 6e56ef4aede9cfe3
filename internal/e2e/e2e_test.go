// Package e2e runs the real nextflow binary as child processes: crash
// recovery under SIGKILL, several worker processes on one PostgreSQL, and
// timers across restarts.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/proctest"
)

// sink is a local HTTP server standing in for a third-party API; it
// records every delivery by idempotency key.
type sink struct {
	srv *httptest.Server
	mu  sync.Mutex
	// deliveries maps an Idempotency-Key to the times it was received.
	deliveries map[string][]time.Time
}

func newSink(t *testing.T) *sink {
	s := &sink{deliveries: map[string][]time.Time{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		key := r.Header.Get("Idempotency-Key")
		s.deliveries[key] = append(s.deliveries[key], time.Now())
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"score":42}`))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) counts() (unique, total int, dups map[string][]time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dups = map[string][]time.Time{}
	for k, ts := range s.deliveries {
		unique++
		total += len(ts)
		if len(ts) > 1 {
			dups[k] = append([]time.Time(nil), ts...)
		}
	}
	return unique, total, dups
}

// client talks to a running nextflow as a signed-in user.
type client struct {
	t      *testing.T
	base   string
	cookie string
}

func (c *client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.base)
	if c.cookie != "" {
		req.Header.Set("Cookie", "nextflow_session="+c.cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.Name == "nextflow_session" && ck.Value != "" {
			c.cookie = ck.Value
		}
	}
	if out != nil && resp.StatusCode < 300 {
		require.NoError(c.t, json.Unmarshal(raw, out), string(raw))
	}
	if resp.StatusCode >= 400 {
		c.t.Logf("%s %s → %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// journey is trigger → http call → delay → condition on the response →
// second http call → end: side effects, a timer and a branch.
func journey(sinkURL string) map[string]any {
	node := func(id, typ string, cfg map[string]any, y int) map[string]any {
		return map[string]any{"id": id, "type": typ, "config": cfg, "position": map[string]any{"x": 0, "y": y}}
	}
	edge := func(id, from, handle, to string) map[string]any {
		e := map[string]any{"id": id, "source": from, "target": to}
		if handle != "" {
			e["sourceHandle"] = handle
		}
		return e
	}
	return map[string]any{
		"nodes": []any{
			node("start", "trigger.manual", map[string]any{}, 0),
			node("call", "http.request", map[string]any{"method": "POST", "url": sinkURL + "/first",
				"body": map[string]any{"execution": "{{ execution.id }}"}, "timeout": "5s"}, 100),
			node("wait", "delay", map[string]any{"duration": "1s"}, 200),
			node("ok", "condition", map[string]any{"expression": "steps.call.output.status == 200 && steps.call.output.body.score == 42"}, 300),
			node("notify", "http.request", map[string]any{"method": "POST", "url": sinkURL + "/second", "timeout": "5s"}, 400),
			node("done", "end", map[string]any{}, 500),
		},
		"edges": []any{
			edge("e1", "start", "", "call"), edge("e2", "call", "", "wait"), edge("e3", "wait", "", "ok"),
			edge("e4", "ok", "true", "notify"), edge("e5", "ok", "false", "done"), edge("e6", "notify", "", "done"),
		},
	}
}

var wantPath = []string{"start", "call", "wait", "ok", "notify", "done"}

// setup signs up, creates, publishes and activates the journey.
func setup(t *testing.T, base, sinkURL string) (*client, string) {
	c := &client{t: t, base: base}
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/auth/signup", map[string]string{
		"email": "ops@example.com", "password": "correct horse battery", "name": "Ops", "workspaceName": "Crash"}, nil))
	var wf struct{ ID string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/workflows", map[string]any{"name": "crash journey", "definition": journey(sinkURL)}, &wf))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/publish", nil, nil))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/activate", nil, nil))
	return c, wf.ID
}

func startMany(t *testing.T, c *client, workflowID string, n int) []string {
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var e struct{ ID string }
		require.Equal(t, http.StatusAccepted, c.do(http.MethodPost, "/api/v1/workflows/"+workflowID+"/executions",
			map[string]any{"input": map[string]any{"i": i}, "idempotencyKey": fmt.Sprintf("start-%d", i)}, &e))
		ids = append(ids, e.ID)
	}
	return ids
}

type execution struct {
	ID     string
	Status string
	Error  string
	Steps  []struct {
		NodeID string
		Status string
	}
}

// waitAll polls until every execution is terminal and returns them.
func waitAll(t *testing.T, c *client, ids []string, timeout time.Duration) []execution {
	deadline := time.Now().Add(timeout)
	out := make([]execution, len(ids))
	for {
		pending := 0
		for i, id := range ids {
			if s := out[i].Status; s == "COMPLETED" || s == "FAILED" || s == "CANCELLED" {
				continue
			}
			var e execution
			if c.do(http.MethodGet, "/api/v1/executions/"+id, nil, &e) == http.StatusOK {
				out[i] = e
			}
			if s := out[i].Status; s != "COMPLETED" && s != "FAILED" && s != "CANCELLED" {
				pending++
			}
		}
		if pending == 0 {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d executions still not finished after %s", pending, len(ids), timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkExactlyOnce asserts every execution completed along the expected
// path with one step per node.
func checkPaths(t *testing.T, execs []execution) {
	for _, e := range execs {
		require.Equal(t, "COMPLETED", e.Status, "execution %s: %s", e.ID, e.Error)
		var path []string
		for _, s := range e.Steps {
			require.Equal(t, "COMPLETED", s.Status, "execution %s step %s", e.ID, s.NodeID)
			path = append(path, s.NodeID)
		}
		require.Equal(t, wantPath, path, "execution %s: every node once, none lost", e.ID)
	}
}

func env(dbURL, sinkURL string) []string {
	// A short job timeout makes River rescue the jobs a killed process
	// left running within seconds instead of minutes.
	e := []string{proctest.SecretKeyEnv, "NEXTFLOW_HTTP_ALLOW=127.0.0.1", "NEXTFLOW_JOB_TIMEOUT=5s"}
	if dbURL != "" {
		e = append(e, "DATABASE_URL="+dbURL)
	}
	_ = sinkURL
	return e
}

func TestSingleNodeSQLiteExactlyOnce(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	p := proctest.Serve(t, env("", sk.srv.URL), "--data-dir", t.TempDir())
	c, wf := setup(t, p.URL(), sk.srv.URL)
	ids := startMany(t, c, wf, 60)
	checkPaths(t, waitAll(t, c, ids, 90*time.Second))
	unique, total, _ := sk.counts()
	require.Equal(t, 2*len(ids), unique)
	require.Equal(t, unique, total, "no crash, so no duplicate deliveries")
}

func TestThreeWorkersOnePostgres(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	dbURL := proctest.PostgresDatabase(t)
	apiNode := proctest.Serve(t, env(dbURL, sk.srv.URL), "--migrate", "--role", "api", "--data-dir", t.TempDir())
	for i := 0; i < 3; i++ {
		proctest.Serve(t, env(dbURL, sk.srv.URL), "--role", "worker", "--data-dir", t.TempDir())
	}
	c, wf := setup(t, apiNode.URL(), sk.srv.URL)
	// The API node works no jobs: every event its stream shows came from a
	// worker through LISTEN/NOTIFY.
	completed := streamCompletions(t, c)
	ids := startMany(t, c, wf, 150)
	checkPaths(t, waitAll(t, c, ids, 120*time.Second))
	unique, total, _ := sk.counts()
	require.Equal(t, 2*len(ids), unique)
	require.Equal(t, unique, total, "three workers, every side effect exactly once")
	require.Eventually(t, func() bool { return completed() == len(ids) }, 15*time.Second, 100*time.Millisecond,
		"the API node's stream saw %d of %d completions", completed(), len(ids))
}

// streamCompletions follows the execution stream and counts COMPLETED
// execution events.
func streamCompletions(t *testing.T, c *client) func() int {
	req, err := http.NewRequest(http.MethodGet, c.base+"/api/v1/executions/stream", nil)
	require.NoError(t, err)
	req.Header.Set("Cookie", "nextflow_session="+c.cookie)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	t.Cleanup(func() { resp.Body.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		buf := make([]byte, 0, 64<<10)
		chunk := make([]byte, 8<<10)
		for {
			k, err := resp.Body.Read(chunk)
			buf = append(buf, chunk[:k]...)
			for {
				i := bytes.IndexByte(buf, '\n')
				if i < 0 {
					break
				}
				line := string(buf[:i])
				buf = buf[i+1:]
				if strings.HasPrefix(line, "data:") && strings.Contains(line, `"kind":"execution"`) && strings.Contains(line, `"status":"COMPLETED"`) {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func TestCrashRecoveryPostgres(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	dbURL := proctest.PostgresDatabase(t)
	dataDir := t.TempDir()
	p := proctest.Serve(t, env(dbURL, sk.srv.URL), "--migrate", "--data-dir", dataDir)
	c, wf := setup(t, p.URL(), sk.srv.URL)
	ids := startMany(t, c, wf, 200)

	// Kill the process with SIGKILL at varied moments, restarting it on
	// the same database each time.
	var kills []time.Time
	pauses := []time.Duration{300 * time.Millisecond, 1100 * time.Millisecond, 700 * time.Millisecond, 1700 * time.Millisecond, 450 * time.Millisecond}
	for _, d := range pauses {
		time.Sleep(d)
		p.Kill()
		kills = append(kills, time.Now())
		p = proctest.Serve(t, env(dbURL, sk.srv.URL), "--data-dir", dataDir)
		c.base = p.URL()
	}
	execs := waitAll(t, c, ids, 180*time.Second)
	checkPaths(t, execs)

	unique, total, dups := sk.counts()
	require.Equal(t, 2*len(ids), unique, "every side effect happened")
	// The documented at-least-once window: the process died after the
	// sink accepted a call and before the result was committed. Every
	// duplicate must have a kill between its first and second delivery,
	// within the call timeout of the first.
	for key, ts := range dups {
		inWindow := false
		for _, k := range kills {
			if ts[0].Before(k) && ts[1].After(k) && k.Sub(ts[0]) < 6*time.Second {
				inWindow = true
			}
		}
		require.True(t, inWindow, "duplicate delivery of %s outside a crash window: %v (kills %v)", key, ts, kills)
	}
	t.Logf("crash test: %d executions, %d kills, %d side effects, %d deliveries, %d duplicates (all inside the crash window)",
		len(ids), len(kills), unique, total, total-unique)
}

func TestDelaySurvivesRestart(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	dataDir := t.TempDir()
	p := proctest.Serve(t, env("", sk.srv.URL), "--data-dir", dataDir)
	c := &client{t: t, base: p.URL()}
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/auth/signup", map[string]string{
		"email": "t@example.com", "password": "correct horse battery", "name": "T", "workspaceName": "Timers"}, nil))
	def := map[string]any{
		"nodes": []any{
			map[string]any{"id": "start", "type": "trigger.manual", "config": map[string]any{}, "position": map[string]any{"x": 0, "y": 0}},
			map[string]any{"id": "wait", "type": "delay", "config": map[string]any{"duration": "3s"}, "position": map[string]any{"x": 0, "y": 100}},
			map[string]any{"id": "done", "type": "end", "config": map[string]any{}, "position": map[string]any{"x": 0, "y": 200}},
		},
		"edges": []any{
			map[string]any{"id": "e1", "source": "start", "target": "wait"},
			map[string]any{"id": "e2", "source": "wait", "target": "done"},
		},
	}
	var wf struct{ ID string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/workflows", map[string]any{"name": "timer", "definition": def}, &wf))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/publish", nil, nil))
	var e struct{ ID string }
	started := time.Now()
	require.Equal(t, http.StatusAccepted, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/executions", map[string]any{}, &e))

	// Stop gracefully while it waits; restart; the timer still fires.
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, p.Stop(30*time.Second))
	p = proctest.Serve(t, env("", sk.srv.URL), "--data-dir", dataDir)
	c.base = p.URL()
	var got struct {
		Status string
		Steps  []struct {
			NodeID     string
			StartedAt  time.Time
			FinishedAt *time.Time
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c.do(http.MethodGet, "/api/v1/executions/"+e.ID, nil, &got)
		if got.Status == "COMPLETED" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, "COMPLETED", got.Status)
	var waitStep, doneStep int = -1, -1
	for i, s := range got.Steps {
		switch s.NodeID {
		case "wait":
			waitStep = i
		case "done":
			doneStep = i
		}
	}
	require.True(t, waitStep >= 0 && doneStep >= 0, "%+v", got.Steps)
	require.False(t, got.Steps[doneStep].StartedAt.Before(started.Add(3*time.Second)), "the delay fired before its due time")
	require.True(t, strings.Contains(p.Output(), "listening"))
}
