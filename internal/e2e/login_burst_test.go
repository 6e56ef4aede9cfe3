package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/proctest"
)

// Bounds of the login burst test: the server runs with GOMEMLIMIT at
// 256 MiB and an address-space limit (ulimit -v) of loginBurstAddressSpace;
// its peak resident memory must stay under loginBurstMaxRSS. Unbounded,
// 250 parallel argon2id hashes need 250 × 19 MiB ≈ 4.7 GiB.
const (
	loginBurstRequests     = 250
	loginBurstAddressSpace = 3 << 30 // bytes
	loginBurstMaxRSS       = 600 << 20
)

// TestLoginBurstMemoryBounded sends 250 sign-ins with unknown emails at
// once, each from its own address (so the per-IP throttle does not shed
// them and the hashing gate is what holds), to a server under a memory
// limit: it stays up and answers /healthz throughout, every sign-in is 401,
// or 429/503 with Retry-After, and its peak RSS stays bounded.
func TestLoginBurstMemoryBounded(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc and sets ulimit -v: Linux only")
	}
	srv := startLimitedServer(t, loginBurstAddressSpace, "GOMEMLIMIT=256MiB", "NEXTFLOW_TRUST_PROXY=true")
	base := srv.url

	// One real account too, so the known-email path runs in the burst.
	status, _ := loginBurstPost(t, base, "/api/v1/auth/signup", "198.51.100.250", map[string]string{
		"email": "ada@example.com", "password": "correct horse battery", "name": "Ada", "workspaceName": "Acme"})
	require.Equal(t, http.StatusCreated, status)

	// /healthz, polled through the burst; every answer must be 200.
	stop := make(chan struct{})
	var healthWG sync.WaitGroup
	var healthMu sync.Mutex
	var healthBad []string
	healthOK := 0
	healthWG.Add(1)
	go func() {
		defer healthWG.Done()
		hc := &http.Client{Timeout: 10 * time.Second}
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			resp, err := hc.Get(base + "/healthz")
			healthMu.Lock()
			switch {
			case err != nil:
				healthBad = append(healthBad, err.Error())
			case resp.StatusCode != http.StatusOK:
				healthBad = append(healthBad, resp.Status)
			default:
				healthOK++
			}
			healthMu.Unlock()
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()

	type answer struct {
		status     int
		retryAfter string
		err        error
	}
	answers := make([]answer, loginBurstRequests)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			email := fmt.Sprintf("ghost%d@example.com", i)
			if i%10 == 0 {
				email = "ada@example.com" // a wrong password for a real account
			}
			ip := fmt.Sprintf("10.%d.%d.%d", i/65536, (i/256)%256, i%256)
			req, err := loginBurstRequest(base, "/api/v1/auth/login", ip, map[string]string{"email": email, "password": "not the password!"})
			if err != nil {
				answers[i].err = err
				return
			}
			resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
			if err != nil {
				answers[i].err = err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			answers[i] = answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
		}()
	}
	close(start)
	wg.Wait()
	// Keep polling a moment after the burst, then stop.
	time.Sleep(200 * time.Millisecond)
	close(stop)
	healthWG.Wait()

	counts := map[int]int{}
	for i, a := range answers {
		require.NoError(t, a.err, "login %d", i)
		counts[a.status]++
		switch a.status {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			secs, err := strconv.Atoi(a.retryAfter)
			require.NoError(t, err, "login %d: Retry-After %q", i, a.retryAfter)
			require.Positive(t, secs)
		default:
			t.Fatalf("login %d: status %d", i, a.status)
		}
	}
	require.Positive(t, counts[http.StatusUnauthorized], "some sign-ins are checked: %v", counts)
	require.Empty(t, healthBad, "/healthz failed during the burst (%d fine)", healthOK)
	require.Positive(t, healthOK)

	hwm := srv.peakRSS(t)
	t.Logf("answers %v; /healthz answered %d times; peak RSS %d MiB", counts, healthOK, hwm>>20)
	require.Less(t, hwm, int64(loginBurstMaxRSS), "peak RSS")
	require.True(t, srv.alive(), "the server is still running")

	// And it still serves: the owner signs in.
	status, _ = loginBurstPost(t, base, "/api/v1/auth/login", "198.51.100.251", map[string]string{
		"email": "ada@example.com", "password": "correct horse battery"})
	require.Equal(t, http.StatusOK, status)
}

// limitedServer is a nextflow serve process under an address-space limit.
type limitedServer struct {
	cmd  *exec.Cmd
	url  string
	out  *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// startLimitedServer runs `nextflow serve` on SQLite in a fresh folder
// through sh, with `ulimit -v` set to addressSpace bytes and extra env,
// and waits until /readyz answers.
func startLimitedServer(t *testing.T, addressSpace int64, env ...string) *limitedServer {
	t.Helper()
	bin := proctest.Binary(t)
	addr := proctest.FreeAddr(t)
	cmd := exec.Command("sh", "-c", fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, addressSpace>>10),
		bin, "serve", "--addr", addr, "--data-dir", t.TempDir(), "--log-format", "text", "--log-level", "warn")
	cmd.Env = append(os.Environ(), env...)
	s := &limitedServer{cmd: cmd, url: "http://" + addr, out: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	cmd.Stdout = lockedWriter{s.mu, s.out}
	cmd.Stderr = lockedWriter{s.mu, s.out}
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
		if t.Failed() {
			s.mu.Lock()
			out := s.out.String()
			s.mu.Unlock()
			if len(out) > 4000 {
				out = out[len(out)-4000:]
			}
			t.Logf("server output:\n%s", out)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		require.True(t, s.alive(), "the server exited before it was ready")
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		require.True(t, time.Now().Before(deadline), "the server was not ready within a minute")
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *limitedServer) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// peakRSS reads the process's peak resident set size (VmHWM), in bytes.
func (s *limitedServer) peakRSS(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

func loginBurstRequest(base, path, ip string, body any) (*http.Request, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, base+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", base)
	req.Header.Set("X-Forwarded-For", ip)
	return req, nil
}

func loginBurstPost(t *testing.T, base, path, ip string, body any) (int, []byte) {
	t.Helper()
	req, err := loginBurstRequest(base, path, ip, body)
	require.NoError(t, err)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
