package e2e

import (
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/proctest"
)

// slowSink stands in for a slow third-party API. Every call takes
// 0.5–1.5 s (fixed per idempotency key); while held, calls to /hold wait
// until released or until the caller goes away; calls to /slow take
// slowFor. It records each delivery by Idempotency-Key.
type slowSink struct {
	srv     *httptest.Server
	slowFor time.Duration

	holding atomic.Bool
	mu      sync.Mutex
	release chan struct{}
	// deliveries maps an Idempotency-Key to its deliveries.
	deliveries map[string][]delivery
	total      int
}

// delivery is one call received by the sink.
type delivery struct {
	at time.Time
	// cut: the caller went away before the answer (its process died).
	cut bool
}

func newSlowSink(t *testing.T) *slowSink {
	s := &slowSink{deliveries: map[string][]delivery{}, release: make(chan struct{}), slowFor: 16 * time.Second}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		key := r.Header.Get("Idempotency-Key")
		at := time.Now()
		s.mu.Lock()
		i := len(s.deliveries[key])
		s.deliveries[key] = append(s.deliveries[key], delivery{at: at})
		s.total++
		release := s.release
		s.mu.Unlock()
		var wait <-chan time.Time
		switch {
		case strings.HasPrefix(r.URL.Path, "/hold") && s.holding.Load():
			wait = nil // until released
		case r.URL.Path == "/slow":
			wait = time.After(s.slowFor)
		default:
			h := fnv.New32a()
			_, _ = h.Write([]byte(key))
			wait = time.After(500*time.Millisecond + time.Duration(h.Sum32()%1000)*time.Millisecond)
			release = nil
		}
		select {
		case <-wait:
		case <-release:
		case <-r.Context().Done():
			s.mu.Lock()
			s.deliveries[key][i].cut = true
			s.mu.Unlock()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// hold makes calls to /hold wait; unhold releases them.
func (s *slowSink) hold() { s.holding.Store(true) }

func (s *slowSink) unhold() {
	s.holding.Store(false)
	s.mu.Lock()
	close(s.release)
	s.release = make(chan struct{})
	s.mu.Unlock()
}

func (s *slowSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// repeated returns the keys delivered more than once, with their
// deliveries.
func (s *slowSink) repeated() map[string][]delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]delivery{}
	for k, ds := range s.deliveries {
		if len(ds) > 1 {
			out[k] = append([]delivery(nil), ds...)
		}
	}
	return out
}

func (s *slowSink) keys() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.deliveries)
}

// twoCalls is trigger → call → call → end, both calls to the sink under
// path (the second under path + "/2").
func twoCalls(sinkURL, path string) map[string]any {
	node := func(id, typ string, cfg map[string]any, y int) map[string]any {
		return map[string]any{"id": id, "type": typ, "config": cfg, "position": map[string]any{"x": 0, "y": y}}
	}
	call := func(id, url string, y int) map[string]any {
		return node(id, "http.request", map[string]any{"method": "POST", "url": url,
			"body": map[string]any{"execution": "{{ execution.id }}"}, "timeout": "30s"}, y)
	}
	return map[string]any{
		"nodes": []any{
			node("start", "trigger.manual", map[string]any{}, 0),
			call("first", sinkURL+path, 100),
			call("second", sinkURL+path+"/2", 200),
			node("done", "end", map[string]any{}, 300),
		},
		"edges": []any{
			map[string]any{"id": "e1", "source": "start", "target": "first"},
			map[string]any{"id": "e2", "source": "first", "target": "second"},
			map[string]any{"id": "e3", "source": "second", "target": "done"},
		},
	}
}

var twoCallsPath = []string{"start", "first", "second", "done"}

// setupJourney signs up and creates, publishes and activates def.
func setupJourney(t *testing.T, base string, def map[string]any) (*client, string) {
	c := &client{t: t, base: base}
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/auth/signup", map[string]string{
		"email": "ops@example.com", "password": "correct horse battery", "name": "Ops", "workspaceName": "Drain"}, nil))
	wfID := addJourney(t, c, "drain journey", def)
	return c, wfID
}

func addJourney(t *testing.T, c *client, name string, def map[string]any) string {
	var wf struct{ ID string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/workflows", map[string]any{"name": name, "definition": def}, &wf))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/publish", nil, nil))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/activate", nil, nil))
	return wf.ID
}

// startSome starts n executions of wf, with keys prefixed by prefix (no
// key when prefix is empty: the starting node then makes a first call
// itself, engine.Options.CallAfterStart).
func startSome(t *testing.T, c *client, wf, prefix string, n int) []string {
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var e struct{ ID string }
		body := map[string]any{"input": map[string]any{"i": i}}
		if prefix != "" {
			body["idempotencyKey"] = fmt.Sprintf("%s-%d", prefix, i)
		}
		require.Equal(t, http.StatusAccepted, c.do(http.MethodPost, "/api/v1/workflows/"+wf+"/executions", body, &e))
		ids = append(ids, e.ID)
	}
	return ids
}

func requirePath(t *testing.T, execs []execution, want []string) {
	for _, e := range execs {
		require.Equal(t, "COMPLETED", e.Status, "execution %s: %s", e.ID, e.Error)
		var path []string
		for _, s := range e.Steps {
			require.Equal(t, "COMPLETED", s.Status, "execution %s step %s", e.ID, s.NodeID)
			path = append(path, s.NodeID)
		}
		require.Equal(t, want, path, "execution %s: every node once", e.ID)
	}
}

// drainEnv is the environment of the drain tests: the shipped job timeout
// and a 10 s shutdown deadline.
func drainEnv(dbURL string) []string {
	e := []string{proctest.SecretKeyEnv, "NEXTFLOW_HTTP_ALLOW=127.0.0.1", "NEXTFLOW_JOB_TIMEOUT=1m", "NEXTFLOW_SHUTDOWN_TIMEOUT=" + drainDeadline.String()}
	if dbURL != "" {
		e = append(e, "DATABASE_URL="+dbURL)
	}
	return e
}

const drainDeadline = 10 * time.Second

// exitSlack is what a stop may take beyond NEXTFLOW_SHUTDOWN_TIMEOUT
// (app.closeSlack, and the process's own exit).
const exitSlack = 3 * time.Second

// sigterm stops p gracefully and requires it to exit cleanly within the
// deadline; it returns how long the exit took.
func sigterm(t *testing.T, p *proctest.Process) time.Duration {
	began := time.Now()
	err := p.Stop(drainDeadline + exitSlack)
	took := time.Since(began)
	require.NoError(t, err, "graceful exit within NEXTFLOW_SHUTDOWN_TIMEOUT (%s) + %s", drainDeadline, exitSlack)
	require.Contains(t, p.Output(), "stopped")
	return took
}

func waitDeliveries(t *testing.T, s *slowSink, n int, timeout time.Duration) {
	require.Eventually(t, func() bool { return s.count() >= n }, timeout, 20*time.Millisecond, "the sink saw %d of %d calls", s.count(), n)
}

// SIGTERM while workers are in the middle of slow calls: every process
// exits within its deadline, nothing is called twice, and every execution
// finishes (on the other nodes, or after the restart).
func TestSIGTERMDuringSlowCallsRepeatsNothingPostgres(t *testing.T) {
	t.Parallel()
	sk := newSlowSink(t)
	dbURL := proctest.PostgresDatabase(t)
	apiNode := proctest.Serve(t, drainEnv(dbURL), "--migrate", "--data-dir", t.TempDir())
	workers := []*proctest.Process{
		proctest.Serve(t, drainEnv(dbURL), "--role", "worker", "--data-dir", t.TempDir()),
		proctest.Serve(t, drainEnv(dbURL), "--role", "worker", "--data-dir", t.TempDir()),
	}
	c, wf := setupJourney(t, apiNode.URL(), twoCalls(sk.srv.URL, "/pg"))

	// Executions keep arriving while the workers are stopped one after the
	// other (a rolling deploy), so each is in the middle of calls.
	ids := make(chan []string, 1)
	stopStarting := make(chan struct{})
	go func() {
		var started []string
		defer func() { ids <- started }()
		for i := 0; ; i++ {
			select {
			case <-stopStarting:
				return
			case <-time.After(20 * time.Millisecond):
			}
			var e struct{ ID string }
			if c.do(http.MethodPost, "/api/v1/workflows/"+wf+"/executions",
				map[string]any{"idempotencyKey": fmt.Sprintf("e%d", i)}, &e) == http.StatusAccepted {
				started = append(started, e.ID)
			}
		}
	}()
	var stops []time.Duration
	for round, w := range workers {
		waitDeliveries(t, sk, sk.count()+60, 30*time.Second)
		stops = append(stops, sigterm(t, w))
		// The node comes back.
		workers[round] = proctest.Serve(t, drainEnv(dbURL), "--role", "worker", "--data-dir", t.TempDir())
	}
	waitDeliveries(t, sk, sk.count()+20, 30*time.Second)
	close(stopStarting)
	all := <-ids
	requirePath(t, waitAll(t, c, all, 45*time.Second), twoCallsPath)
	require.Equal(t, 2*len(all), sk.keys(), "every call made")
	require.Empty(t, sk.repeated(), "no call repeated by a SIGTERM")
	t.Logf("SIGTERM during slow calls (PostgreSQL, 3 nodes, rolling restart of 2): %d executions, %d calls, 0 repeated; exits took %v (deadline %s)",
		len(all), sk.count(), stops, drainDeadline)
}

// The same on SQLite: one process, stopped mid-calls and started again on
// its data folder.
func TestSIGTERMDuringSlowCallsRepeatsNothingSQLite(t *testing.T) {
	t.Parallel()
	n, calls, took := sigtermMidCallsSQLite(t, "/sqlite", "s", 80)
	t.Logf("SIGTERM during slow calls (SQLite): %d executions, %d calls, 0 repeated; exit took %v (deadline %s)",
		n, calls, took, drainDeadline)
}

// SIGTERM while the node makes the first calls of executions it started
// (no job: engine.Options.CallAfterStart), more than its call slots, so
// some wait in its dispatcher: the calls under way finish and are
// recorded, the waiting ones are handed to jobs, nothing is called twice,
// and every execution finishes after the restart without waiting for the
// recovery time (minutes) its start set.
func TestSIGTERMDuringCallsAfterStartSQLite(t *testing.T) {
	t.Parallel()
	n, calls, took := sigtermMidCallsSQLite(t, "/after-start", "", 120)
	t.Logf("SIGTERM during calls made after start (SQLite): %d executions, %d calls, 0 repeated; exit took %v (deadline %s)",
		n, calls, took, drainDeadline)
}

// sigtermMidCallsSQLite starts n executions of the two-call journey
// (calls to path on a slow sink; keys prefixed by prefix, none when it is
// empty) on one SQLite process, stops it gracefully once 30 calls were
// made, starts it again on its data folder, and requires every execution
// to finish its path with each call made once. It returns the executions,
// the calls the sink saw and how long the exit took.
func sigtermMidCallsSQLite(t *testing.T, path, prefix string, n int) (int, int, time.Duration) {
	t.Helper()
	sk := newSlowSink(t)
	dataDir := t.TempDir()
	p := proctest.Serve(t, drainEnv(""), "--data-dir", dataDir)
	c, wf := setupJourney(t, p.URL(), twoCalls(sk.srv.URL, path))
	ids := startSome(t, c, wf, prefix, n)
	waitDeliveries(t, sk, 30, 30*time.Second)
	took := sigterm(t, p)
	p = proctest.Serve(t, drainEnv(""), "--data-dir", dataDir)
	c.base = p.URL()
	requirePath(t, waitAll(t, c, ids, 45*time.Second), twoCallsPath)
	require.Equal(t, 2*len(ids), sk.keys(), "every call made")
	require.Empty(t, sk.repeated(), "no call repeated by a SIGTERM")
	return len(ids), sk.count(), took
}

// takeoverTarget is how soon after a node's death its executions must
// resume (issue #13).
const takeoverTarget = 15 * time.Second

// Two nodes; one is killed while its calls hang: the calls it was making
// are made again (same key: the documented crash window) by the other
// node within the takeover target. Then a call slower than the takeover
// window on a live node is never taken from it.
func TestKilledNodeWorkResumesWithinTakeoverTargetPostgres(t *testing.T) {
	t.Parallel()
	sk := newSlowSink(t)
	dbURL := proctest.PostgresDatabase(t)
	nodeA := proctest.Serve(t, drainEnv(dbURL), "--migrate", "--data-dir", t.TempDir())
	aUp := time.Now()
	nodeB := proctest.Serve(t, drainEnv(dbURL), "--role", "worker", "--data-dir", t.TempDir())
	c, wf := setupJourney(t, nodeA.URL(), twoCalls(sk.srv.URL, "/hold"))

	sk.hold()
	ids := startSome(t, c, wf, "k", 40)
	waitDeliveries(t, sk, len(ids), 30*time.Second)
	// A node takes others' work only after a whole lease expiry of its own
	// renewals (store.LeaseLoop); let node A get there before the kill.
	if wait := store10s - time.Since(aUp); wait > 0 {
		time.Sleep(wait)
	}
	nodeB.Kill()
	killed := time.Now()
	// Let the sink see node B's connections close before node A's calls
	// are answered (else a cut call might count as answered).
	time.Sleep(time.Second)
	sk.unhold() // node A's calls answer; node B's were cut by its death
	// A deploy brings node B back at once; the takeover must not wait for it.
	proctest.Serve(t, drainEnv(dbURL), "--role", "worker", "--data-dir", t.TempDir())

	requirePath(t, waitAll(t, c, ids, 45*time.Second), twoCallsPath)
	var takeovers []time.Duration
	for key, ds := range sk.repeated() {
		require.True(t, ds[0].cut && ds[0].at.Before(killed), "only calls cut by the kill are made again: %s %+v", key, ds)
		require.Len(t, ds, 2, "made again once: %s", key)
		takeovers = append(takeovers, ds[1].at.Sub(killed))
	}
	require.NotEmpty(t, takeovers, "node B was making calls when it was killed")
	sort.Slice(takeovers, func(i, j int) bool { return takeovers[i] < takeovers[j] })
	p50, worst := takeovers[len(takeovers)/2], takeovers[len(takeovers)-1]
	require.LessOrEqual(t, worst, takeoverTarget, "a dead node's executions resume within %s of its death", takeoverTarget)
	t.Logf("takeover after SIGKILL (PostgreSQL, 2 nodes): %d executions resumed, death → call made again p50 %s, max %s",
		len(takeovers), p50.Round(time.Millisecond), worst.Round(time.Millisecond))

	// A live node's call slower than the takeover window: it is not taken
	// from it, though the other node has been sweeping for a while.
	slowWF := addJourney(t, c, "slow journey", twoCalls(sk.srv.URL, "/slow"))
	slow := startSome(t, c, slowWF, "slow", 2)
	requirePath(t, waitAll(t, c, slow, 50*time.Second), twoCallsPath)
	for key, ds := range sk.repeated() {
		require.False(t, strings.Contains(key, slow[0]) || strings.Contains(key, slow[1]), "a live node's slow call was made again: %s %+v", key, ds)
	}
}

// store10s is store.DefaultLeaseExpiry plus a little.
const store10s = 11 * time.Second
