package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/proctest"
)

// TestScheduleAcrossProcessRestart stops the server across several due
// times of an every-second schedule and starts it again: with catch_up
// every missed occurrence runs once; with skip only the latest does.
func TestScheduleAcrossProcessRestart(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"catch_up", "skip"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			dataDir := t.TempDir()
			p := proctest.Serve(t, env("", ""), "--data-dir", dataDir)
			c := &client{t: t, base: p.URL()}
			require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/auth/signup", map[string]string{
				"email": "cron@example.com", "password": "correct horse battery", "name": "Cron", "workspaceName": "Ticks"}, nil))
			// An every-second schedule needs BIZ (FREE allows every 15 min).
			require.Equal(t, http.StatusOK, c.do(http.MethodPut, "/api/v1/workspace/plan", map[string]string{"plan": "BIZ"}, nil))
			def := map[string]any{
				"nodes": []any{
					map[string]any{"id": "tick", "type": "trigger.schedule", "config": map[string]any{"cron": "* * * * * *", "timezone": "UTC", "missedRuns": policy}, "position": map[string]any{"x": 0, "y": 0}},
					map[string]any{"id": "done", "type": "end", "config": map[string]any{}, "position": map[string]any{"x": 0, "y": 100}},
				},
				"edges": []any{map[string]any{"id": "e", "source": "tick", "target": "done"}},
			}
			var wf struct{ ID string }
			require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/workflows", map[string]any{"name": "ticks", "definition": def}, &wf))
			require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/publish", nil, nil))
			require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/activate", nil, nil))
			time.Sleep(1500 * time.Millisecond)

			require.NoError(t, p.Stop(30*time.Second))
			stopped := time.Now()
			time.Sleep(3 * time.Second) // three due times pass while nothing runs
			restarted := time.Now()
			p = proctest.Serve(t, env("", ""), "--data-dir", dataDir)
			c.base = p.URL()
			// Wait until the restarted process has fired an occurrence past
			// its restart (a loaded machine may take a while), then look.
			var seen map[int64]int
			deadline := time.Now().Add(30 * time.Second)
			for {
				seen = c.scheduledOccurrences(wf.ID)
				var last int64
				for at := range seen {
					last = max(last, at)
				}
				if last > restarted.Unix()+1 || time.Now().After(deadline) {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			var lo, hi int64 = 1 << 62, 0
			for at, n := range seen {
				require.Equal(t, 1, n, "occurrence %s ran %d times", time.Unix(at, 0).UTC(), n)
				lo, hi = min(lo, at), max(hi, at)
			}
			// The seconds that passed while no process ran.
			ranWhileDown, missedWhileDown := 0, 0
			for at := stopped.Unix() + 1; at < restarted.Unix(); at++ {
				if seen[at] > 0 {
					ranWhileDown++
				} else {
					missedWhileDown++
				}
			}
			require.Greater(t, ranWhileDown+missedWhileDown, 1, "the process was down across several due times")
			if policy == "catch_up" {
				require.Equal(t, int(hi-lo+1), len(seen), "catch_up leaves no gap: %v", fmt.Sprint(seen))
				require.Zero(t, missedWhileDown, "catch_up runs every occurrence missed while down: %v", fmt.Sprint(seen))
			} else {
				require.LessOrEqual(t, ranWhileDown, 1, "skip runs at most the latest missed occurrence: %v", fmt.Sprint(seen))
				require.Greater(t, missedWhileDown, 0, "skip leaves the older missed occurrences: %v", fmt.Sprint(seen))
			}
		})
	}
}

// scheduledOccurrences lists the executions of workflow wfID and counts
// them by the occurrence (trigger.scheduledAt, in Unix seconds) that
// started each.
func (c *client) scheduledOccurrences(wfID string) map[int64]int {
	var list struct {
		Items []struct {
			ID string
		}
	}
	require.Equal(c.t, http.StatusOK, c.do(http.MethodGet, "/api/v1/executions?workflowId="+wfID+"&limit=200", nil, &list))
	seen := map[int64]int{}
	for _, it := range list.Items {
		var e struct {
			Context struct {
				Trigger struct {
					ScheduledAt time.Time `json:"scheduledAt"`
				} `json:"trigger"`
			} `json:"context"`
		}
		require.Equal(c.t, http.StatusOK, c.do(http.MethodGet, "/api/v1/executions/"+it.ID, nil, &e))
		seen[e.Context.Trigger.ScheduledAt.Unix()]++
	}
	return seen
}
