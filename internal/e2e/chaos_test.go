//go:build chaos

package e2e

// The chaos harness (make chaos; not part of make test): three nodes on
// PostgreSQL and Redis under steady load, SIGKILLed one at a time
// (NEXTFLOW_CHAOS_KILLS, default 20) and restarted, with one PostgreSQL
// restart and one Redis outage on the way. It reports lost executions,
// calls repeated with the same key (and whether a kill explains each),
// calls repeated under different keys, and takeover times (a call cut by
// a kill → the same call made again).
//
// It restarts the machine's PostgreSQL (pg_ctlcluster) and stops and
// starts its Redis: run it on a development machine, not beside other
// test runs.

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/proctest"
)

// chaosSink answers every call after 100–600 ms and records each delivery
// with the execution and node named in its body.
type chaosSink struct {
	srv *httptest.Server
	mu  sync.Mutex
	// byKey: Idempotency-Key → deliveries.
	byKey map[string][]delivery
	// keysOf: "execution/node" → the keys it was called under.
	keysOf map[string]map[string]bool
	total  int
}

func newChaosSink(t *testing.T) *chaosSink {
	s := &chaosSink{byKey: map[string][]delivery{}, keysOf: map[string]map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body struct{ Execution, Node string }
		_ = json.Unmarshal(raw, &body)
		key := r.Header.Get("Idempotency-Key")
		s.mu.Lock()
		i := len(s.byKey[key])
		s.byKey[key] = append(s.byKey[key], delivery{at: time.Now()})
		en := body.Execution + "/" + body.Node
		if s.keysOf[en] == nil {
			s.keysOf[en] = map[string]bool{}
		}
		s.keysOf[en][key] = true
		s.total++
		s.mu.Unlock()
		select {
		case <-time.After(100*time.Millisecond + rand.N(500*time.Millisecond)):
		case <-r.Context().Done():
			s.mu.Lock()
			s.byKey[key][i].cut = true
			s.mu.Unlock()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// chaosJourney is trigger → call → delay 2 s → call → end.
func chaosJourney(sinkURL string) map[string]any {
	node := func(id, typ string, cfg map[string]any, y int) map[string]any {
		return map[string]any{"id": id, "type": typ, "config": cfg, "position": map[string]any{"x": 0, "y": y}}
	}
	call := func(id string, y int) map[string]any {
		return node(id, "http.request", map[string]any{"method": "POST", "url": sinkURL + "/" + id,
			"body": map[string]any{"execution": "{{ execution.id }}", "node": id}, "timeout": "10s"}, y)
	}
	return map[string]any{
		"nodes": []any{
			node("start", "trigger.manual", map[string]any{}, 0),
			call("first", 100),
			node("wait", "delay", map[string]any{"duration": "2s"}, 200),
			call("second", 300),
			node("done", "end", map[string]any{}, 400),
		},
		"edges": []any{
			map[string]any{"id": "e1", "source": "start", "target": "first"},
			map[string]any{"id": "e2", "source": "first", "target": "wait"},
			map[string]any{"id": "e3", "source": "wait", "target": "second"},
			map[string]any{"id": "e4", "source": "second", "target": "done"},
		},
	}
}

// cluster is the harness's three nodes; any live one serves the API.
type cluster struct {
	t     *testing.T
	env   []string
	mu    sync.Mutex
	nodes []*proctest.Process
}

func (c *cluster) url(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i].URL()
}

// kill SIGKILLs node i and starts a new process in its place.
func (c *cluster) kill(i int) time.Time {
	c.mu.Lock()
	p := c.nodes[i]
	c.mu.Unlock()
	p.Kill()
	at := time.Now()
	np := proctest.Serve(c.t, c.env, "--data-dir", c.t.TempDir())
	c.mu.Lock()
	c.nodes[i] = np
	c.mu.Unlock()
	return at
}

func chaosEnv(t *testing.T, dbURL string) []string {
	redisURL := os.Getenv("NEXTFLOW_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	return []string{proctest.SecretKeyEnv, "NEXTFLOW_HTTP_ALLOW=127.0.0.1", "DATABASE_URL=" + dbURL, "REDIS_URL=" + redisURL,
		"NEXTFLOW_JOB_TIMEOUT=1m", "NEXTFLOW_SHUTDOWN_TIMEOUT=10s"}
}

func runCmd(t *testing.T, name string, args ...string) {
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
}

// restartPostgres restarts the machine's PostgreSQL cluster.
func restartPostgres(t *testing.T) {
	versions, err := filepath.Glob("/etc/postgresql/*")
	require.NoError(t, err)
	require.NotEmpty(t, versions, "no PostgreSQL cluster under /etc/postgresql")
	runCmd(t, "pg_ctlcluster", "--skip-systemctl-redirect", filepath.Base(versions[0]), "main", "restart")
}

// redisOutage stops Redis for d, then starts it as the machine does.
func redisOutage(t *testing.T, d time.Duration) {
	_ = exec.Command("redis-cli", "-p", "6379", "shutdown", "nosave").Run()
	time.Sleep(d)
	runCmd(t, "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
		"--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log")
}

func TestChaos(t *testing.T) {
	kills := 20
	if v, err := strconv.Atoi(os.Getenv("NEXTFLOW_CHAOS_KILLS")); err == nil && v > 0 {
		kills = v
	}
	sk := newChaosSink(t)
	dbURL := proctest.PostgresDatabase(t)
	cl := &cluster{t: t, env: chaosEnv(t, dbURL)}
	cl.nodes = append(cl.nodes, proctest.Serve(t, cl.env, "--migrate", "--data-dir", t.TempDir()))
	for i := 1; i < 3; i++ {
		cl.nodes = append(cl.nodes, proctest.Serve(t, cl.env, "--data-dir", t.TempDir()))
	}
	c := &client{t: t, base: cl.url(0)}
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/auth/signup", map[string]string{
		"email": "ops@example.com", "password": "correct horse battery", "name": "Ops", "workspaceName": "Chaos"}, nil))
	wf := addJourney(t, c, "chaos journey", chaosJourney(sk.srv.URL))
	cookie := c.cookie

	// Load: an execution every 40 ms through any live node; a start that
	// got no answer is retried with the same idempotency key elsewhere.
	var idsMu sync.Mutex
	var ids []string
	stopLoad := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		hc := &http.Client{Timeout: 5 * time.Second}
		for i := 0; ; i++ {
			select {
			case <-stopLoad:
				return
			case <-time.After(40 * time.Millisecond):
			}
			body := fmt.Sprintf(`{"idempotencyKey":"chaos-%d"}`, i)
			for try := 0; try < 30; try++ {
				base := cl.url((i + try) % 3)
				req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/workflows/"+wf+"/executions", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Origin", base)
				req.Header.Set("Cookie", "nextflow_session="+cookie)
				resp, err := hc.Do(req)
				if err != nil {
					time.Sleep(200 * time.Millisecond)
					continue
				}
				var e struct{ ID string }
				_ = json.NewDecoder(resp.Body).Decode(&e)
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK {
					idsMu.Lock()
					ids = append(ids, e.ID)
					idsMu.Unlock()
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()

	began := time.Now()
	var killTimes []time.Time
	var events []string
	// outages are the PostgreSQL restart's and the Redis outage's spans.
	type span struct {
		name     string
		from, to time.Time
	}
	var outages []span
	time.Sleep(5 * time.Second)
	for k := 0; k < kills; k++ {
		switch k {
		case kills / 3:
			at := time.Now()
			restartPostgres(t)
			outages = append(outages, span{"postgres", at, time.Now()})
			events = append(events, fmt.Sprintf("PostgreSQL restarted at +%s (took %s)", at.Sub(began).Round(time.Second), time.Since(at).Round(time.Millisecond)))
			time.Sleep(3 * time.Second)
		case 2 * kills / 3:
			at := time.Now()
			redisOutage(t, 5*time.Second)
			outages = append(outages, span{"redis", at, time.Now()})
			events = append(events, fmt.Sprintf("Redis down for 5 s at +%s", at.Sub(began).Round(time.Second)))
			time.Sleep(2 * time.Second)
		}
		killTimes = append(killTimes, cl.kill(rand.N(3)))
		time.Sleep(2*time.Second + rand.N(2*time.Second))
	}
	close(stopLoad)
	<-loadDone
	loadEnded := time.Now()

	// Every execution should finish: the journey takes 2 s and a bit.
	c.base = cl.url(0)
	idsMu.Lock()
	all := append([]string(nil), ids...)
	idsMu.Unlock()
	statuses := map[string]int{}
	deadline := time.Now().Add(3 * time.Minute)
	pending := all
	for len(pending) > 0 && time.Now().Before(deadline) {
		var still []string
		for _, id := range pending {
			var e execution
			if c.do(http.MethodGet, "/api/v1/executions/"+id, nil, &e) != http.StatusOK ||
				(e.Status != "COMPLETED" && e.Status != "FAILED" && e.Status != "CANCELLED") {
				still = append(still, id)
				continue
			}
			statuses[e.Status]++
		}
		pending = still
		if len(pending) > 0 {
			time.Sleep(2 * time.Second)
		}
	}
	statuses["unfinished"] = len(pending)
	finishedIn := time.Since(loadEnded)

	// Calls repeated with the same key: explained when a kill falls
	// between the first delivery and the repeat (the documented crash
	// window); takeover: a call cut by a kill → made again.
	sk.mu.Lock()
	sameKey, sameKeyExplained := 0, 0
	// A kill shortly before the PostgreSQL restart cannot be taken over
	// until the database is back: those takeovers are reported apart.
	var takeovers, acrossRestart []time.Duration
	perKill := map[int]time.Duration{}
	hitByRestart := func(k time.Time) bool {
		for _, o := range outages {
			if o.name == "postgres" && o.from.After(k) && o.from.Before(k.Add(takeoverTarget)) {
				return true
			}
		}
		return false
	}
	unexplained := map[string]int{}
	for _, ds := range sk.byKey {
		for j := 1; j < len(ds); j++ {
			sameKey++
			explained := false
			// The first kill after a cut delivery is the one that cut it.
			for ki, k := range killTimes {
				if ds[j-1].at.Before(k) && ds[j].at.After(k) {
					sameKeyExplained++
					explained = true
					if ds[j-1].cut {
						if hitByRestart(k) {
							acrossRestart = append(acrossRestart, ds[j].at.Sub(k))
						} else {
							takeovers = append(takeovers, ds[j].at.Sub(k))
						}
						perKill[ki] = max(perKill[ki], ds[j].at.Sub(k))
					}
					break
				}
			}
			if !explained {
				why := "no outage"
				for _, o := range outages {
					if ds[j].at.After(o.from) && ds[j-1].at.Before(o.to.Add(30*time.Second)) {
						why = "around the " + o.name + " outage"
					}
				}
				unexplained[why]++
			}
		}
	}
	var perKillText []string
	for ki := range killTimes {
		if d, ok := perKill[ki]; ok {
			perKillText = append(perKillText, fmt.Sprintf("#%d@+%s:%s", ki+1, killTimes[ki].Sub(began).Round(time.Second), d.Round(100*time.Millisecond)))
		}
	}
	otherKeys := 0
	for _, keys := range sk.keysOf {
		otherKeys += len(keys) - 1
	}
	calls, keys := sk.total, len(sk.byKey)
	sk.mu.Unlock()
	sort.Slice(takeovers, func(i, j int) bool { return takeovers[i] < takeovers[j] })
	pct := func(p float64) time.Duration {
		if len(takeovers) == 0 {
			return 0
		}
		return takeovers[min(len(takeovers)-1, int(p*float64(len(takeovers))))].Round(time.Millisecond)
	}

	t.Logf("chaos: %d SIGKILLs over %s across 3 nodes on PostgreSQL + Redis; %s", len(killTimes), loadEnded.Sub(began).Round(time.Second), strings.Join(events, "; "))
	t.Logf("chaos: %d executions started, outcome %v (all settled %s after the load ended)", len(all), statuses, finishedIn.Round(time.Second))
	t.Logf("chaos: lost executions (not COMPLETED): %d", len(all)-statuses["COMPLETED"])
	t.Logf("chaos: %d calls under %d keys; repeated with the same key: %d (%d with a kill between the two deliveries, %d without)",
		calls, keys, sameKey, sameKeyExplained, sameKey-sameKeyExplained)
	t.Logf("chaos: same-key repeats without a kill between: %v", unexplained)
	t.Logf("chaos: slowest takeover per kill: %s", strings.Join(perKillText, " "))
	t.Logf("chaos: repeated under a different key (one step called twice): %d", otherKeys)
	t.Logf("chaos: takeover (call cut by SIGKILL → made again): n=%d p50 %s p90 %s max %s",
		len(takeovers), pct(0.5), pct(0.9), pct(1))
	over := 0
	for _, d := range takeovers {
		if d > takeoverTarget {
			over++
		}
	}
	if over > 0 {
		// Kills come every 2–4 s: work handed to a node that is killed in
		// turn before its call waits for a second lease.
		t.Logf("chaos: %d takeovers over the %s target (a node that took the work may have been killed in turn)", over, takeoverTarget)
	}
	if len(acrossRestart) > 0 {
		sort.Slice(acrossRestart, func(i, j int) bool { return acrossRestart[i] < acrossRestart[j] })
		t.Logf("chaos: takeover of kills in the %s before the PostgreSQL restart (waits for the database): n=%d max %s",
			takeoverTarget, len(acrossRestart), acrossRestart[len(acrossRestart)-1].Round(time.Millisecond))
	}

	require.Equal(t, len(all), statuses["COMPLETED"], "no execution lost")
	require.Zero(t, otherKeys, "no step called under two keys")
	require.Equal(t, sameKey, sameKeyExplained, "every call repeated with its key had a kill between (the documented crash window)")
}
