package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/proctest"
)

// signupJourney is trigger.event(user.signed_up) → wait_for_event
// (user.activated, 1h) → end: an execution stays WAITING, so a second
// entry under one_at_a_time would show.
func signupJourney() map[string]any {
	return map[string]any{
		"nodes": []any{
			map[string]any{"id": "start", "type": "trigger.event", "config": map[string]any{"event": "user.signed_up"}, "position": map[string]any{"x": 0, "y": 0}},
			map[string]any{"id": "activated", "type": "wait_for_event", "config": map[string]any{"event": "user.activated", "timeout": "1h"}, "position": map[string]any{"x": 0, "y": 100}},
			map[string]any{"id": "done", "type": "end", "config": map[string]any{}, "position": map[string]any{"x": 0, "y": 200}},
		},
		"edges": []any{
			map[string]any{"id": "e1", "source": "start", "target": "activated"},
			map[string]any{"id": "e2", "source": "activated", "sourceHandle": "event", "target": "done"},
			map[string]any{"id": "e3", "source": "activated", "sourceHandle": "timeout", "target": "done"},
		},
	}
}

// postEvent posts one event with an API key and returns the status.
func postEvent(t *testing.T, base, key string, ev map[string]any) int {
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/events", bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Logf("POST /api/v1/events → %d %s", resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// TestEventsTwoProcessesOneAtATime posts 50 copies of one event (different
// messageIds) in parallel to two server processes on one PostgreSQL:
// exactly one execution starts under one_at_a_time (the default), and
// repeated messageIds are stored once.
func TestEventsTwoProcessesOneAtATime(t *testing.T) {
	t.Parallel()
	dbURL := proctest.PostgresDatabase(t)
	n1 := proctest.Serve(t, env(dbURL, ""), "--migrate", "--data-dir", t.TempDir())
	n2 := proctest.Serve(t, env(dbURL, ""), "--data-dir", t.TempDir())

	c := &client{t: t, base: n1.URL()}
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/auth/signup", map[string]string{
		"email": "ops@example.com", "password": "correct horse battery", "name": "Ops", "workspaceName": "Events"}, nil))
	var wf struct{ ID string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/workflows", map[string]any{"name": "signup", "definition": signupJourney()}, &wf))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/publish", nil, nil))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/activate", nil, nil))
	var key struct{ Key string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/api-keys", map[string]any{"name": "ingest", "scopes": []string{"events:write"}}, &key))
	require.NotEmpty(t, key.Key)

	nodes := []string{n1.URL(), n2.URL()}
	var wg sync.WaitGroup
	statuses := make([]int, 60)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := fmt.Sprintf("signup-%d", i)
			if i >= 50 {
				msg = "signup-repeat" // ten copies of one message
			}
			statuses[i] = postEvent(t, nodes[i%2], key.Key, map[string]any{
				"contact": map[string]any{"externalId": "user-1", "email": "user-1@example.com"},
				"name":    "user.signed_up", "properties": map[string]any{"plan": "pro"}, "messageId": msg,
			})
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		require.Equal(t, http.StatusOK, s, "post %d", i)
	}

	var execs struct{ Items []struct{ ID, Status string } }
	require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/v1/executions?limit=200&workflowId="+wf.ID, nil, &execs))
	require.Len(t, execs.Items, 1, "one_at_a_time: one execution for 60 posts on two nodes")
	require.Equal(t, "WAITING", execs.Items[0].Status)

	var events struct{ Items []struct{ MessageID string } }
	require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/v1/events?limit=500&name=user.signed_up", nil, &events))
	seen := map[string]int{}
	for _, e := range events.Items {
		seen[e.MessageID]++
	}
	require.Len(t, events.Items, 51, "50 messages and one repeated ten times")
	require.Equal(t, 1, seen["signup-repeat"])

	// The waiting execution resumes on an activation sent to the other
	// node.
	require.Equal(t, http.StatusOK, postEvent(t, n2.URL(), key.Key, map[string]any{
		"contact": map[string]any{"externalId": "user-1"}, "name": "user.activated", "messageId": "activated-1"}))
	require.Eventually(t, func() bool {
		var e struct{ Status string }
		return c.do(http.MethodGet, "/api/v1/executions/"+execs.Items[0].ID, nil, &e) == http.StatusOK && e.Status == "COMPLETED"
	}, 30*time.Second, 200*time.Millisecond)
}
