package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/proctest"
)

// TestBroadcastSurvivesSIGKILLPostgres: a broadcast to every contact of a
// segment runs on two server processes sharing one database; once about
// a third of its recipients are started, the process running its job is
// killed with SIGKILL (and started again). The other process takes the
// job over when its lease expires, and the broadcast completes having
// started exactly one execution per contact: none skipped, none twice.
// NEXTFLOW_E2E_BROADCAST sets the number of contacts (default 1,000; the
// issue's check is 10,000).
func TestBroadcastSurvivesSIGKILLPostgres(t *testing.T) {
	t.Parallel()
	contacts := 1000
	if v, err := strconv.Atoi(os.Getenv("NEXTFLOW_E2E_BROADCAST")); err == nil && v > 0 {
		contacts = v
	}
	dbURL := proctest.PostgresDatabase(t)
	procEnv := env(dbURL, "")
	p1 := proctest.Serve(t, procEnv, "--migrate", "--data-dir", t.TempDir())
	p2 := proctest.Serve(t, procEnv, "--data-dir", t.TempDir())
	c := &client{t: t, base: p2.URL()}
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/auth/signup", map[string]string{
		"email": "ops@example.com", "password": "correct horse battery", "name": "Ops", "workspaceName": "Broadcasts"}, nil))
	require.Equal(t, http.StatusOK, c.do(http.MethodPut, "/api/v1/workspace/plan", map[string]string{"plan": "BIZ"}, nil))
	var key struct{ Key string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/api-keys", map[string]any{"name": "ingest", "scopes": []string{"events:write"}}, &key))

	// The segment first, so the contacts' events bring them in.
	var seg struct {
		ID          string
		MemberCount int
	}
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/segments", map[string]any{"name": "Customers",
		"definition": map[string]any{"attribute": map[string]any{"key": "plan", "op": "eq", "value": "PRO"}}}, &seg))
	for from := 0; from < contacts; from += 1000 {
		var batch []any
		for i := from; i < min(contacts, from+1000); i++ {
			batch = append(batch, map[string]any{"contact": map[string]any{"externalId": fmt.Sprintf("c%d", i), "attributes": map[string]any{"plan": "PRO"}},
				"name": "signed_up", "messageId": fmt.Sprintf("signup-%d", i)})
		}
		require.Equal(t, http.StatusOK, postEvent(t, p2.URL(), key.Key, map[string]any{"batch": batch}))
	}
	deadline := time.Now().Add(120 * time.Second)
	for seg.MemberCount < contacts {
		require.True(t, time.Now().Before(deadline), "segment has %d of %d members", seg.MemberCount, contacts)
		time.Sleep(200 * time.Millisecond)
		require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/v1/segments/"+seg.ID, nil, &seg))
	}

	def := map[string]any{
		"nodes": []any{
			map[string]any{"id": "start", "type": "trigger.manual", "config": map[string]any{}, "position": map[string]any{"x": 0, "y": 0}},
			map[string]any{"id": "tag", "type": "set_attribute", "config": map[string]any{"target": "vars",
				"attributes": map[string]any{"campaign": "trigger.input.broadcastName"}}, "position": map[string]any{"x": 0, "y": 100}},
			map[string]any{"id": "done", "type": "end", "config": map[string]any{}, "position": map[string]any{"x": 0, "y": 200}},
		},
		"edges": []any{map[string]any{"id": "e1", "source": "start", "target": "tag"}, map[string]any{"id": "e2", "source": "tag", "target": "done"}},
	}
	var wf struct{ ID string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/workflows", map[string]any{"name": "newsletter", "definition": def}, &wf))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/publish", nil, nil))

	// About ten seconds of sending at this rate.
	rate := max(contacts/10, 1)
	type progress struct {
		ID, Status, LastError         string
		Total, Done, Started, Skipped int
	}
	var bc progress
	begin := time.Now()
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/broadcasts", map[string]any{"name": "December",
		"workflowId": wf.ID, "segmentId": seg.ID, "ratePerSecond": rate}, &bc))
	deadline = time.Now().Add(120 * time.Second)
	for bc.Done < contacts/3 {
		require.True(t, time.Now().Before(deadline), "broadcast at %d of %d", bc.Done, contacts)
		time.Sleep(20 * time.Millisecond)
		require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/v1/broadcasts/"+bc.ID, nil, &bc))
	}

	// Kill the process whose node runs the broadcast's job (the first if
	// neither is named, e.g. between two turns).
	victim, other := p1, p2
	node := broadcastJobNode(t, dbURL)
	if strings.Contains(node, fmt.Sprintf("_%d_", p2.Pid())) {
		victim, other = p2, p1
	}
	victim.Kill()
	t.Logf("SIGKILL of pid %d (the job's last node: %s) at %d of %d started (%s)", victim.Pid(), node, bc.Done, contacts, time.Since(begin).Round(time.Millisecond))
	c.base = other.URL()
	restarted := proctest.Serve(t, procEnv, "--data-dir", t.TempDir())
	_ = restarted

	deadline = time.Now().Add(180 * time.Second)
	for bc.Status != "completed" {
		require.True(t, time.Now().Before(deadline), "broadcast %s at %d of %d", bc.Status, bc.Done, contacts)
		time.Sleep(200 * time.Millisecond)
		require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/v1/broadcasts/"+bc.ID, nil, &bc))
	}
	elapsed := time.Since(begin)
	require.Equal(t, contacts, bc.Total)
	require.Equal(t, contacts, bc.Started, "last error: %s", bc.LastError)
	require.Zero(t, bc.Skipped)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var execs, distinct, recipients, started int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT contact_id) FROM workflow_executions WHERE workflow_id = $1`, wf.ID).Scan(&execs, &distinct))
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 1 AND execution_id IS NOT NULL) FROM broadcast_recipients WHERE broadcast_id = $1`, bc.ID).Scan(&recipients, &started))
	require.Equal(t, contacts, execs, "exactly one execution per contact")
	require.Equal(t, contacts, distinct, "no contact twice")
	require.Equal(t, []int{contacts, contacts}, []int{recipients, started})
	var orphans int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM broadcast_recipients r LEFT JOIN workflow_executions e ON e.id = r.execution_id
		WHERE r.broadcast_id = $1 AND (e.id IS NULL OR e.contact_id <> r.contact_id)`, bc.ID).Scan(&orphans))
	require.Zero(t, orphans, "every recipient's execution exists and is its own")
	t.Logf("broadcast crash test: %d contacts at %d/s, one SIGKILL, %d executions started exactly once in %s", contacts, rate, execs, elapsed.Round(time.Millisecond))
}

// broadcastJobNode is the River node ID that last took the broadcast's
// job.
func broadcastJobNode(t *testing.T, dbURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var node string
	err = conn.QueryRow(ctx, `SELECT coalesce(attempted_by[array_length(attempted_by, 1)], '') FROM river_job
		WHERE kind = 'nextflow.broadcast_run' ORDER BY id DESC LIMIT 1`).Scan(&node)
	require.NoError(t, err)
	return node
}
