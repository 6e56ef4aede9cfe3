package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const funnelDraft = `{"nodes":[
 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
 {"id":"vip","type":"condition","label":"Big order?","config":{"expression":"trigger.input.amount > 100"},"position":{"x":0,"y":120}},
 {"id":"tag","type":"set_attribute","config":{"target":"vars","attributes":{"tier":"'gold'"}},"position":{"x":-100,"y":240}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":360}}],
 "edges":[
 {"id":"e1","source":"start","target":"vip"},
 {"id":"e2","source":"vip","sourceHandle":"true","target":"tag"},
 {"id":"e3","source":"tag","target":"done"},
 {"id":"e4","source":"vip","sourceHandle":"false","target":"done"}]}`

// TestWorkflowStatsFunnel: three runs of a published journey give the
// funnel computed by hand (entries, per node and status, per edge); a
// period without runs counts nothing; the executions list finds the runs
// behind each count by node, step status and handle; bad filters are 400
// and another workspace's workflow 404.
func TestWorkflowStatsFunnel(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		ctx := context.Background()
		require.NoError(t, a.st.Queue().Start(ctx))
		t.Cleanup(func() { _ = a.st.Queue().Stop(context.Background()) })
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		w := a.createWorkflow(acc, "Funnel", funnelDraft)
		id := w.ID.String()
		r := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		from := time.Now().UTC().Add(-time.Second)
		for _, amount := range []int{150, 50, 200} {
			r := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/executions", fmt.Sprintf(`{"input":{"amount":%d}}`, amount), c)
			require.Equal(t, http.StatusAccepted, r.Status, r.short())
			var e ExecutionDTO
			r.JSON(t, &e)
			require.Eventually(t, func() bool {
				a.do(http.MethodGet, Prefix+"/executions/"+e.ID.String(), nil, c).JSON(t, &e)
				return e.Status == "COMPLETED"
			}, 10*time.Second, 20*time.Millisecond)
		}

		var st WorkflowStatsDTO
		r = a.do(http.MethodGet, Prefix+"/workflows/"+id+"/stats?from="+url.QueryEscape(from.Format(time.RFC3339Nano)), nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &st)
		require.Equal(t, 3, st.Entries)
		require.Equal(t, map[string]int{"COMPLETED": 3}, st.Executions)
		require.Equal(t, map[string]int{"start": 3, "vip": 3, "tag": 2, "done": 3}, st.Entered)
		require.Equal(t, map[string]map[string]int{
			"start": {"COMPLETED": 3}, "vip": {"COMPLETED": 3}, "tag": {"COMPLETED": 2}, "done": {"COMPLETED": 3},
		}, st.Nodes)
		require.ElementsMatch(t, []EdgeStatDTO{
			{Source: "start", Handle: "out", Target: "vip", Count: 3},
			{Source: "vip", Handle: "true", Target: "tag", Count: 2},
			{Source: "vip", Handle: "false", Target: "done", Count: 1},
			{Source: "tag", Handle: "out", Target: "done", Count: 2},
		}, st.Edges)
		require.NotNil(t, st.From)

		// All time is the default; a period before the runs has none.
		var all WorkflowStatsDTO
		a.do(http.MethodGet, Prefix+"/workflows/"+id+"/stats", nil, c).JSON(t, &all)
		require.Equal(t, 3, all.Entries)
		require.Nil(t, all.From)
		st = WorkflowStatsDTO{}
		a.do(http.MethodGet, Prefix+"/workflows/"+id+"/stats?from=2020-01-01T00:00:00Z&to=2020-01-08T00:00:00Z", nil, c).JSON(t, &st)
		require.Zero(t, st.Entries)
		require.Empty(t, st.Nodes)
		require.Empty(t, st.Edges)
		bad := a.do(http.MethodGet, Prefix+"/workflows/"+id+"/stats?from=2020-01-08T00:00:00Z&to=2020-01-01T00:00:00Z", nil, c)
		require.Equal(t, http.StatusBadRequest, bad.Status, bad.short())

		// The executions behind the counts.
		list := func(query string) int {
			t.Helper()
			r := a.do(http.MethodGet, Prefix+"/executions?workflowId="+id+"&"+query, nil, c)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			var l ExecutionListDTO
			r.JSON(t, &l)
			return len(l.Items)
		}
		require.Equal(t, 2, list("nodeId=tag"))
		require.Equal(t, 2, list("nodeId=tag&nodeStatus=COMPLETED"))
		require.Zero(t, list("nodeId=tag&nodeStatus=FAILED,WAITING"))
		require.Equal(t, 1, list("nodeId=vip&handle=false"))
		require.Equal(t, 2, list("nodeId=vip&handle=true"))
		require.Equal(t, 3, list("nodeId=start&handle=out"))
		require.Zero(t, list("nodeId=vip&from=2020-01-01T00:00:00Z&to=2020-01-08T00:00:00Z"))
		for _, q := range []string{"nodeStatus=FAILED", "handle=true", "nodeId=vip&nodeStatus=LOST"} {
			r := a.do(http.MethodGet, Prefix+"/executions?"+q, nil, c)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", q, r.short())
		}

		// Another workspace sees neither the funnel nor the runs.
		other := a.signup("other@example.com", "Other")
		oc := creds{Cookie: other.Cookie}
		require.Equal(t, http.StatusNotFound, a.do(http.MethodGet, Prefix+"/workflows/"+id+"/stats", nil, oc).Status)
		var l ExecutionListDTO
		a.do(http.MethodGet, Prefix+"/executions?nodeId=tag", nil, oc).JSON(t, &l)
		require.Empty(t, l.Items)
	})
}

// TestWorkflowStarters: the gallery lists the four starters, and each
// becomes a workflow through create-workflow whose draft has no problems
// and exports as it was given.
func TestWorkflowStarters(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		var out struct {
			Items []WorkflowStarterDTO `json:"items"`
		}
		r := a.do(http.MethodGet, Prefix+"/workflow-starters", nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &out)
		require.Len(t, out.Items, 4)
		var ids []string
		for _, s := range out.Items {
			ids = append(ids, s.ID)
			require.NotEmpty(t, s.NodeTypes)
			r := a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": s.Name, "description": s.Description, "definition": s.Definition}, c)
			require.Equal(t, http.StatusCreated, r.Status, r.short())
			var w WorkflowDTO
			r.JSON(t, &w)
			require.Len(t, w.Definition.Nodes, len(s.Definition.Nodes))
			exp := a.do(http.MethodGet, Prefix+"/workflows/"+w.ID.String()+"/export", nil, c)
			require.Equal(t, http.StatusOK, exp.Status, exp.short())
			var ex WorkflowWriteDTO
			exp.JSON(t, &ex)
			require.Equal(t, s.Name, ex.Name)
			require.Equal(t, s.Definition.Edges, ex.Definition.Edges)
		}
		require.Equal(t, []string{"welcome-series", "abandoned-cart", "weekly-digest", "reply-triage"}, ids)
		require.Equal(t, http.StatusUnauthorized, a.do(http.MethodGet, Prefix+"/workflow-starters", nil, creds{}).Status)
	})
}
