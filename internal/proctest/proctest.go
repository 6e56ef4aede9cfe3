// Package proctest runs the real nextflow binary as child processes for
// end-to-end tests: build it once per test binary, start `serve` on a free
// port, wait for readiness, kill it with SIGKILL or stop it with SIGTERM.
package proctest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary builds cmd/nextflow once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "nextflow-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "nextflow")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/nextflow")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// FreeAddr returns a free 127.0.0.1 address.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Process is a running nextflow child process.
type Process struct {
	t    testing.TB
	cmd  *exec.Cmd
	Addr string
	out  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start runs the binary with args and extra environment (KEY=VALUE). The
// process is killed when the test ends.
func Start(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	p := &Process{t: t, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("output of %v:\n%s", args, tail(p.out.String(), 4000))
		}
	})
	return p
}

// Serve starts `nextflow serve --addr <free> ` with extraArgs and waits
// until /readyz answers 200 (role worker: until the process logs that
// workers started).
func Serve(t testing.TB, env []string, extraArgs ...string) *Process {
	t.Helper()
	addr := FreeAddr(t)
	args := append([]string{"serve", "--addr", addr, "--log-format", "text"}, extraArgs...)
	p := Start(t, env, args...)
	p.Addr = addr
	worker := false
	for i, a := range extraArgs {
		if a == "--role" && i+1 < len(extraArgs) && extraArgs[i+1] == "worker" {
			worker = true
		}
	}
	if worker {
		p.WaitOutput("workers started", 60*time.Second)
	} else {
		p.WaitReady(60 * time.Second)
	}
	return p
}

// URL returns the process's base URL.
func (p *Process) URL() string { return "http://" + p.Addr }

// WaitReady polls /readyz until it answers 200.
func (p *Process) WaitReady(timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			p.t.Fatalf("nextflow exited before it was ready: %v\n%s", p.err, tail(p.out.String(), 4000))
		default:
		}
		resp, err := http.Get(p.URL() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("nextflow not ready after %s\n%s", timeout, tail(p.out.String(), 4000))
}

// WaitOutput waits until the process output contains s.
func (p *Process) WaitOutput(s string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(p.out.String(), s) {
			return
		}
		select {
		case <-p.done:
			p.t.Fatalf("nextflow exited before printing %q: %v\n%s", s, p.err, tail(p.out.String(), 4000))
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.t.Fatalf("nextflow did not print %q within %s\n%s", s, timeout, tail(p.out.String(), 4000))
}

// Output returns everything the process printed so far.
func (p *Process) Output() string { return p.out.String() }

// Pid is the process's ID (it appears in the River node ID of its jobs).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill sends SIGKILL and waits for the process to end.
func (p *Process) Kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// Stop sends SIGTERM and waits up to timeout for a graceful exit; it
// returns the exit error (nil on exit code 0).
func (p *Process) Stop(timeout time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("did not stop within %s", timeout)
	}
}

// Wait waits for the process to exit by itself.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
