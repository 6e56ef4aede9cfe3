package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/proctest"
)

func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBadConfigExitsOneWithOneLine(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(proctest.Binary(t), "serve", "--data-dir", t.TempDir())
	cmd.Env = append(cmd.Environ(), "DATABASE_URL=nonsense")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "want exit error, got %v", err)
	require.Equal(t, 1, exit.ExitCode())
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 1, "output: %s", out)
	require.Contains(t, lines[0], "DATABASE_URL")
}

func TestServeSQLite(t *testing.T) {
	t.Parallel()
	p := proctest.Serve(t, nil, "--data-dir", t.TempDir())

	code, body := getStatus(t, p.URL()+"/healthz")
	require.Equal(t, http.StatusOK, code, body)
	code, body = getStatus(t, p.URL()+"/readyz")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"database":"sqlite"`)

	code, body = getStatus(t, p.URL()+"/api/v1/openapi.json")
	require.Equal(t, http.StatusOK, code)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	require.Equal(t, "3.1.0", doc["openapi"])

	code, body = getStatus(t, p.URL()+"/api/v1/docs")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "NextFlow API")

	code, _ = getStatus(t, p.URL()+"/")
	require.Equal(t, http.StatusOK, code)

	// Unknown API routes are problem-details 404s, not the dashboard.
	resp, err := http.Get(p.URL() + "/api/v1/nope")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	require.NoError(t, p.Stop(30*time.Second), "graceful shutdown exits 0")
	require.Contains(t, p.Output(), "stopped")
}

func TestServePostgresNeedsMigrations(t *testing.T) {
	t.Parallel()
	dbURL := proctest.PostgresDatabase(t)
	env := []string{"DATABASE_URL=" + dbURL, proctest.SecretKeyEnv}

	status := exec.Command(proctest.Binary(t), "migrate", "status")
	status.Env = append(status.Environ(), env...)
	out, err := status.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "pending")

	p := proctest.Start(t, env, "serve", "--addr", proctest.FreeAddr(t), "--data-dir", t.TempDir())
	_ = p // started without --migrate: not ready until migrated
	up := exec.Command(proctest.Binary(t), "migrate", "up")
	up.Env = append(up.Environ(), env...)
	out, err = up.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "up to date")
	p.Kill()

	srv := proctest.Serve(t, env, "--data-dir", t.TempDir())
	code, body := getStatus(t, srv.URL()+"/readyz")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"database":"postgres"`)
}

func TestTwoProcessesMigrateOnce(t *testing.T) {
	t.Parallel()
	dbURL := proctest.PostgresDatabase(t)
	env := []string{"DATABASE_URL=" + dbURL, proctest.SecretKeyEnv}
	// Both start at once and race to migrate the empty database.
	procs := make([]*proctest.Process, 2)
	for i := range procs {
		addr := proctest.FreeAddr(t)
		procs[i] = proctest.Start(t, env, "serve", "--migrate", "--addr", addr, "--data-dir", t.TempDir(), "--log-format", "text")
		procs[i].Addr = addr
	}
	for _, p := range procs {
		p.WaitReady(60 * time.Second)
	}
	for _, p := range procs {
		for _, line := range strings.Split(p.Output(), "\n") {
			// The test database's role is a superuser, which the server
			// rightly reports at every start; any other error is the race.
			if strings.Contains(line, "level=ERROR") && !strings.Contains(line, "skips row-level security") {
				t.Errorf("error logged while two processes migrate: %s", line)
			}
		}
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(ready.Close)
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"healthcheck", "--url", ready.URL + "/readyz"}, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "200 OK")

	errOut.Reset()
	require.Equal(t, 1, run([]string{"healthcheck", "--url", ready.URL + "/nope"}, &out, &errOut))
	require.Contains(t, errOut.String(), "404")

	for addr, want := range map[string]string{
		"":              "http://127.0.0.1:3000/readyz",
		":8080":         "http://127.0.0.1:8080/readyz",
		"0.0.0.0:9000":  "http://127.0.0.1:9000/readyz",
		"10.0.0.5:8080": "http://10.0.0.5:8080/readyz",
		"[::1]:8080":    "http://[::1]:8080/readyz",
	} {
		got, err := readyzURL(addr)
		require.NoError(t, err, addr)
		require.Equal(t, want, got, addr)
	}
	_, err := readyzURL("8080")
	require.Error(t, err)
}
