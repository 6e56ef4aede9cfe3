package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/proctest"
)

// segmentClientDir holds the official Segment client (package.json with
// @segment/analytics-node; `make segment-client-deps` installs it).
const segmentClientDir = "segmentclient"

// TestSegmentAnalyticsNode points the official analytics-node client at a
// running nextflow: its identify, track and page calls, sent in batches to
// /v1/batch, create contacts, store events (a repeated messageId once) and
// start the trigger.event journey once per contact.
func TestSegmentAnalyticsNode(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(filepath.Join(segmentClientDir, "node_modules", "@segment", "analytics-node")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Segment client is not installed (make segment-client-deps): %v", err)
		}
		t.Skip("the Segment client is not installed: run make segment-client-deps")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed")
		}
		t.Skip("node is not installed")
	}

	p := proctest.Serve(t, env("", ""), "--data-dir", t.TempDir())
	c := &client{t: t, base: p.URL()}
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/auth/signup", map[string]string{
		"email": "ops@example.com", "password": "correct horse battery", "name": "Ops", "workspaceName": "Segment"}, nil))
	var key struct{ Key string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/api-keys",
		map[string]any{"name": "segment", "scopes": []string{"events:write"}}, &key))

	def := map[string]any{
		"nodes": []any{
			map[string]any{"id": "start", "type": "trigger.event", "config": map[string]any{"event": "Signed Up", "reentry": "once"},
				"position": map[string]any{"x": 0, "y": 0}},
			map[string]any{"id": "done", "type": "end", "config": map[string]any{}, "position": map[string]any{"x": 0, "y": 100}},
		},
		"edges": []any{map[string]any{"id": "e1", "source": "start", "target": "done"}},
	}
	var wf struct{ ID string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/workflows", map[string]any{"name": "welcome", "definition": def}, &wf))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/publish", nil, nil))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/activate", nil, nil))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "send.mjs")
	cmd.Dir = segmentClientDir
	cmd.Env = append(os.Environ(), "NEXTFLOW_URL="+p.URL(), "WRITE_KEY="+key.Key)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "analytics-node:\n%s", out)
	t.Logf("analytics-node:\n%s", out)

	var contacts struct {
		Items []struct {
			ExternalID *string        `json:"externalId"`
			Email      *string        `json:"email"`
			Name       string         `json:"name"`
			Attributes map[string]any `json:"attributes"`
		}
	}
	require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/v1/contacts", nil, &contacts))
	require.Len(t, contacts.Items, 2)
	byID := map[string]int{}
	for i, ct := range contacts.Items {
		require.NotNil(t, ct.ExternalID)
		byID[*ct.ExternalID] = i
	}
	ada := contacts.Items[byID["seg-u1"]]
	require.Equal(t, "ada@example.com", *ada.Email)
	require.Equal(t, "pro", ada.Attributes["plan"])
	require.Equal(t, "Bob", contacts.Items[byID["seg-u2"]].Name)

	var events struct {
		Items []struct {
			Name      string `json:"name"`
			MessageID string `json:"messageId"`
		}
	}
	require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/v1/events?limit=100", nil, &events))
	names := map[string]int{}
	for _, e := range events.Items {
		names[e.Name]++
	}
	require.Equal(t, map[string]int{"Signed Up": 2, "Page Viewed": 1}, names, "the repeated messageId is stored once")

	// The journey started once per contact.
	var execs struct {
		Items []struct {
			Status    string  `json:"status"`
			ContactID *string `json:"contactId"`
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/v1/executions?workflowId="+wf.ID, nil, &execs))
		done := 0
		for _, e := range execs.Items {
			if e.Status == "COMPLETED" {
				done++
			}
		}
		if done == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Len(t, execs.Items, 2)
	seen := map[string]bool{}
	for _, e := range execs.Items {
		require.Equal(t, "COMPLETED", e.Status)
		require.NotNil(t, e.ContactID)
		seen[*e.ContactID] = true
	}
	require.Len(t, seen, 2, "one execution per contact")
}
