package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/proctest"
)

// templateBombs are http.request bodies that, rendered without bounds,
// took the server down (#12): each must fail its step with the bound it
// exceeded while the process stays up.
var templateBombs = []struct{ name, body, msg string }{
	{"assign doubling",
		`{% assign s='aaaaaaaaaa' %}{% for i in (1..29) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}`,
		"template limit exceeded: filter append would take the bytes built by filters and captures past 16777216"},
	{"nested loops",
		`{% for i in (1..10000) %}{% for j in (1..10000) %}{% for k in (1..10000) %}{% endfor %}{% endfor %}{% endfor %}`,
		"template limit exceeded: more than 100000 loop iterations"},
	{"capture doubling",
		`{% capture s %}aaaaaaaaaa{% endcapture %}{% for i in (1..40) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s | size }}`,
		"template limit exceeded: capture would take the bytes built by filters and captures past 16777216"},
}

// TestTemplateBombsFailTheStepNotTheProcess runs the server on SQLite
// under GOMEMLIMIT=256MiB and a hard address-space limit, starts one
// execution per template bomb, and checks throughout that /healthz
// answers; every execution ends FAILED naming its bound, nothing is sent,
// and after a restart the executions stay failed and the process up.
func TestTemplateBombsFailTheStepNotTheProcess(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	dataDir := t.TempDir()
	procEnv := append(env("", sk.srv.URL), "GOMEMLIMIT=256MiB")
	proctest.Binary(t)
	begin := time.Now()
	p := proctest.Serve(t, procEnv, "--data-dir", dataDir)
	t.Logf("ready in %s", time.Since(begin).Round(100*time.Millisecond))
	pid := limitAddressSpace(t, p.Addr)
	health := watchHealth(t, p.URL())

	c := &client{t: t, base: p.URL()}
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/auth/signup", map[string]string{
		"email": "bombs@example.com", "password": "correct horse battery", "name": "B", "workspaceName": "Bombs"}, nil))
	t.Logf("signed up at %s", time.Since(begin).Round(100*time.Millisecond))
	var ids []string
	for i, b := range templateBombs {
		def := map[string]any{
			"nodes": []any{
				map[string]any{"id": "start", "type": "trigger.manual", "config": map[string]any{}, "position": map[string]any{"x": 0, "y": 0}},
				map[string]any{"id": "call", "type": "http.request", "config": map[string]any{
					"method": "POST", "url": sk.srv.URL + "/bomb", "body": b.body, "timeout": "5s"}, "position": map[string]any{"x": 0, "y": 100}},
				map[string]any{"id": "done", "type": "end", "config": map[string]any{}, "position": map[string]any{"x": 0, "y": 200}},
			},
			"edges": []any{
				map[string]any{"id": "e1", "source": "start", "target": "call"},
				map[string]any{"id": "e2", "source": "call", "target": "done"},
			},
		}
		var wf struct{ ID string }
		require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/workflows", map[string]any{"name": fmt.Sprintf("bomb %d", i), "definition": def}, &wf))
		require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/publish", nil, nil))
		var e struct{ ID string }
		require.Equal(t, http.StatusAccepted, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/executions", map[string]any{}, &e), b.name)
		ids = append(ids, e.ID)
	}

	started := time.Now()
	execs := waitAll(t, c, ids, 30*time.Second)
	t.Logf("the bombs failed within %s", time.Since(started).Round(100*time.Millisecond))
	for i, e := range execs {
		require.Equal(t, "FAILED", e.Status, "%s: %+v", templateBombs[i].name, e)
		// On a loaded machine the time bound may come first; either way
		// the step fails for a bound.
		require.Contains(t, e.Error, "template limit exceeded", templateBombs[i].name)
		if !strings.Contains(e.Error, "rendering took longer than 1s") {
			require.Contains(t, e.Error, templateBombs[i].msg, templateBombs[i].name)
		}
	}
	ok, failed := health()
	require.Positive(t, ok, "/healthz answered while the bombs ran")
	require.Zero(t, failed, "/healthz failed %d times while the bombs ran", failed)
	require.NotContains(t, p.Output(), "out of memory")
	peak := procStatusKB(t, pid, "VmHWM")
	t.Logf("server peak resident memory: %d MiB", peak>>10)
	require.Less(t, peak, int64(1<<20), "peak resident memory in KiB, generous bound 1 GiB")
	_, total, _ := sk.counts()
	require.Zero(t, total, "no bomb was rendered into a request")

	// A restart, even after SIGKILL, does not run them again into a crash:
	// they stay FAILED and the new process stays healthy.
	p.Kill()
	p = proctest.Serve(t, procEnv, "--data-dir", dataDir)
	limitAddressSpace(t, p.Addr)
	health = watchHealth(t, p.URL())
	c.base = p.URL()
	time.Sleep(3 * time.Second)
	for i, id := range ids {
		var e execution
		require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/v1/executions/"+id, nil, &e))
		require.Equal(t, "FAILED", e.Status, templateBombs[i].name)
	}
	ok, failed = health()
	require.Positive(t, ok)
	require.Zero(t, failed)
	_, total, _ = sk.counts()
	require.Zero(t, total)
	t.Logf("done in %s after the build", time.Since(begin).Round(100*time.Millisecond))
}

// watchHealth polls /healthz every 100 ms until the test ends; the
// returned function reports how many polls answered 200 and how many did
// not.
func watchHealth(t *testing.T, base string) func() (ok, failed int64) {
	var okN, failedN atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			resp, err := client.Get(base + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			select {
			case <-stop:
				return // the process may be stopping on purpose
			default:
			}
			if err == nil && resp.StatusCode == http.StatusOK {
				okN.Add(1)
			} else {
				failedN.Add(1)
				t.Logf("/healthz: %v %v", err, resp)
			}
		}
	}()
	var once sync.Once
	halt := func() { once.Do(func() { close(stop); wg.Wait() }) }
	t.Cleanup(halt)
	return func() (int64, int64) {
		halt()
		return okN.Load(), failedN.Load()
	}
}

// hardLimitBytes is the address space the server may add beyond what it
// has mapped when it is ready: a render that tried to build gigabytes
// would fail to map memory and take the process down.
const hardLimitBytes = 2 << 30

// limitAddressSpace sets RLIMIT_AS (ulimit -v) of the server listening on
// addr to its current size plus hardLimitBytes, with prlimit(1), and
// returns the server's process ID.
func limitAddressSpace(t *testing.T, addr string) int {
	t.Helper()
	pid := childPID(t, addr)
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Logf("prlimit not found: the server runs under GOMEMLIMIT only")
		return pid
	}
	vmKB := procStatusKB(t, pid, "VmSize")
	limit := vmKB<<10 + hardLimitBytes
	out, err := exec.Command(prlimit, "--pid", strconv.Itoa(pid), fmt.Sprintf("--as=%d", limit)).CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Logf("server %d: address space %d MiB, limited to %d MiB", pid, vmKB>>10, limit>>20)
	return pid
}

// procStatusKB reads a "Name: N kB" field of /proc/<pid>/status.
func procStatusKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kb
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// childPID finds the server started by this test process that listens on
// addr.
func childPID(t *testing.T, addr string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	me := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte("\x00"+addr+"\x00")) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// stat is "pid (comm) state ppid …"; comm may hold spaces.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 && fields[1] == me {
			return pid
		}
	}
	t.Fatalf("no child process listening on %s", addr)
	return 0
}
