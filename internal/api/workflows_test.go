package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const validDraft = `{"nodes":[
 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
 {"id":"wait","type":"delay","config":{"duration":"1s"},"position":{"x":0,"y":120}},
 {"id":"vip","type":"condition","config":{"expression":"trigger.input.amount > 100"},"position":{"x":0,"y":240}},
 {"id":"tag","type":"set_attribute","config":{"attributes":{"tier":"'gold'"}},"position":{"x":-100,"y":360}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":480}}],
 "edges":[
 {"id":"e1","source":"start","target":"wait"},
 {"id":"e2","source":"wait","target":"vip"},
 {"id":"e3","source":"vip","sourceHandle":"true","target":"tag"},
 {"id":"e4","source":"tag","target":"done"},
 {"id":"e5","source":"vip","sourceHandle":"false","target":"done"}]}`

func (a *testAPI) createWorkflow(acc *account, name, definition string) WorkflowDTO {
	a.t.Helper()
	r := a.do(http.MethodPost, Prefix+"/workflows", fmt.Sprintf(`{"name":%q,"definition":%s}`, name, definition), creds{Cookie: acc.Cookie})
	require.Equal(a.t, http.StatusCreated, r.Status, r.short())
	var w WorkflowDTO
	r.JSON(a.t, &w)
	return w
}

func TestWorkflowDraftsAndConcurrentEdits(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		w := a.createWorkflow(acc, "Welcome", validDraft)
		require.Equal(t, int64(1), w.Revision)
		require.Len(t, w.Definition.Nodes, 5)

		// Two clients load revision 1; the first update wins, the second is
		// refused with 412 and the current workflow, and nothing is lost.
		first := a.do(http.MethodPut, Prefix+"/workflows/"+w.ID.String(),
			fmt.Sprintf(`{"name":"Welcome v2","revision":1,"definition":%s}`, validDraft), c)
		require.Equal(t, http.StatusOK, first.Status, first.short())
		second := a.do(http.MethodPut, Prefix+"/workflows/"+w.ID.String(),
			`{"name":"Clobber","revision":1,"definition":{"nodes":[],"edges":[]}}`, c)
		require.Equal(t, http.StatusPreconditionFailed, second.Status, second.short())
		require.Contains(t, string(second.Body), "Welcome v2", "the 412 carries the current workflow")
		got := a.do(http.MethodGet, Prefix+"/workflows/"+w.ID.String(), nil, c)
		var cur WorkflowDTO
		got.JSON(t, &cur)
		require.Equal(t, "Welcome v2", cur.Name)
		require.Equal(t, int64(2), cur.Revision)
		require.Len(t, cur.Definition.Nodes, 5)
		require.Equal(t, `"2"`, got.Header.Get("ETag"))

		// If-Match works as well as body.revision; no revision at all is 428.
		r := a.do(http.MethodPut, Prefix+"/workflows/"+w.ID.String(), `{"name":"Welcome v3"}`, c, "If-Match", `"2"`)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r = a.do(http.MethodPut, Prefix+"/workflows/"+w.ID.String(), `{"name":"x"}`, c)
		require.Equal(t, http.StatusPreconditionRequired, r.Status, r.short())

		// Invalid drafts are saved; validate reports every problem.
		bad := a.createWorkflow(acc, "Broken", `{"nodes":[{"id":"a","type":"nope","config":{},"position":{"x":0,"y":0}},{"id":"b","type":"end","config":{},"position":{"x":0,"y":0}}],"edges":[{"id":"e","source":"a","target":"ghost"}]}`)
		v := a.do(http.MethodPost, Prefix+"/workflows/"+bad.ID.String()+"/validate", nil, c)
		require.Equal(t, http.StatusOK, v.Status, v.short())
		var vr struct {
			Valid    bool
			Problems []ProblemDTO
		}
		v.JSON(t, &vr)
		require.False(t, vr.Valid)
		codes := map[string]string{}
		for _, p := range vr.Problems {
			codes[p.Code] = p.NodeID + p.EdgeID
		}
		require.Contains(t, codes, "no_trigger")
		require.Equal(t, "a", codes["unknown_type"])
		require.Equal(t, "e", codes["edge_missing_target"])

		// Publishing an invalid draft is 422 with the problems; nothing is written.
		p := a.do(http.MethodPost, Prefix+"/workflows/"+bad.ID.String()+"/publish", nil, c)
		require.Equal(t, http.StatusUnprocessableEntity, p.Status, p.short())
		require.Contains(t, string(p.Body), "unknown_type")
		vs := a.do(http.MethodGet, Prefix+"/workflows/"+bad.ID.String()+"/versions", nil, c)
		require.JSONEq(t, `[]`, string(vs.Body))

		// Oversized definitions are refused with 413 and not stored.
		var nodes []string
		for i := 0; i < 600; i++ {
			nodes = append(nodes, fmt.Sprintf(`{"id":"n%d","type":"end","config":{},"position":{"x":0,"y":0}}`, i))
		}
		big := a.do(http.MethodPost, Prefix+"/workflows", `{"name":"big","definition":{"nodes":[`+strings.Join(nodes, ",")+`],"edges":[]}}`, c)
		require.Equal(t, http.StatusRequestEntityTooLarge, big.Status, big.short())

		// List with search and the active filter, paged.
		for i := 0; i < 3; i++ {
			a.createWorkflow(acc, fmt.Sprintf("Digest %d", i), `{"nodes":[],"edges":[]}`)
		}
		l := a.do(http.MethodGet, Prefix+"/workflows?search=digest&limit=2", nil, c)
		var page struct {
			Items      []WorkflowDTO
			NextCursor string
		}
		l.JSON(t, &page)
		require.Len(t, page.Items, 2)
		require.NotEmpty(t, page.NextCursor)
		l = a.do(http.MethodGet, Prefix+"/workflows?search=digest&limit=2&cursor="+page.NextCursor, nil, c)
		page.Items, page.NextCursor = nil, ""
		l.JSON(t, &page)
		require.Len(t, page.Items, 1)
		require.Empty(t, page.NextCursor)

		// Duplicate, export, import.
		d := a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/duplicate", nil, c)
		require.Equal(t, http.StatusCreated, d.Status, d.short())
		require.Contains(t, string(d.Body), "Welcome v3 (copy)")
		ex := a.do(http.MethodGet, Prefix+"/workflows/"+w.ID.String()+"/export", nil, c)
		require.Equal(t, http.StatusOK, ex.Status)
		im := a.do(http.MethodPost, Prefix+"/workflows/import", ex.Body, c)
		require.Equal(t, http.StatusCreated, im.Status, im.short())

		// Delete.
		del := a.do(http.MethodDelete, Prefix+"/workflows/"+bad.ID.String(), nil, c)
		require.Equal(t, http.StatusNoContent, del.Status, del.short())
		require.Equal(t, http.StatusNotFound, a.do(http.MethodGet, Prefix+"/workflows/"+bad.ID.String(), nil, c).Status)
	})
}

func TestPublishVersionsAreImmutable(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		w := a.createWorkflow(acc, "Welcome", validDraft)
		id := w.ID.String()

		act := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/activate", nil, c)
		require.Equal(t, http.StatusConflict, act.Status, "activation needs a published version: %s", act.short())

		p1 := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c)
		require.Equal(t, http.StatusOK, p1.Status, p1.short())
		changed := strings.Replace(validDraft, `"1s"`, `"5s"`, 1)
		up := a.do(http.MethodPut, Prefix+"/workflows/"+id, fmt.Sprintf(`{"name":"Welcome","revision":1,"definition":%s}`, changed), c)
		require.Equal(t, http.StatusOK, up.Status, up.short())
		p2 := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c)
		require.Equal(t, http.StatusOK, p2.Status, p2.short())

		v1 := a.do(http.MethodGet, Prefix+"/workflows/"+id+"/versions/1", nil, c)
		require.Contains(t, string(v1.Body), `"1s"`)
		require.NotContains(t, string(v1.Body), `"5s"`)
		v2 := a.do(http.MethodGet, Prefix+"/workflows/"+id+"/versions/2", nil, c)
		require.Contains(t, string(v2.Body), `"5s"`)
		var list []VersionDTO
		a.do(http.MethodGet, Prefix+"/workflows/"+id+"/versions", nil, c).JSON(t, &list)
		require.Len(t, list, 2)
		require.Equal(t, 2, list[0].Version)

		var cur WorkflowDTO
		a.do(http.MethodGet, Prefix+"/workflows/"+id, nil, c).JSON(t, &cur)
		require.Equal(t, 2, cur.CurrentVersion)

		// Restoring version 1 copies it into the draft; versions stay as they are.
		rs := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/versions/1/restore", nil, c)
		require.Equal(t, http.StatusOK, rs.Status, rs.short())
		require.Contains(t, string(rs.Body), `"1s"`)
		a.do(http.MethodGet, Prefix+"/workflows/"+id+"/versions/2", nil, c)
		require.Contains(t, string(a.do(http.MethodGet, Prefix+"/workflows/"+id+"/versions/2", nil, c).Body), `"5s"`)

		act = a.do(http.MethodPost, Prefix+"/workflows/"+id+"/activate", nil, c)
		require.Equal(t, http.StatusOK, act.Status, act.short())
		require.Contains(t, string(act.Body), `"isActive":true`)
	})
}

func TestRunExecutionThroughAPI(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		ctx := context.Background()
		require.NoError(t, a.st.Queue().Start(ctx))
		t.Cleanup(func() { _ = a.st.Queue().Stop(context.Background()) })
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		w := a.createWorkflow(acc, "Welcome", validDraft)
		id := w.ID.String()
		start := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/executions", `{"input":{"amount":150}}`, c)
		require.Equal(t, http.StatusConflict, start.Status, "nothing published yet: %s", start.short())
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c).Status)

		start = a.do(http.MethodPost, Prefix+"/workflows/"+id+"/executions", `{"input":{"amount":150},"idempotencyKey":"order-1"}`, c)
		require.Equal(t, http.StatusAccepted, start.Status, start.short())
		var exec ExecutionDTO
		start.JSON(t, &exec)
		again := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/executions", `{"input":{"amount":1},"idempotencyKey":"order-1"}`, c)
		var same ExecutionDTO
		again.JSON(t, &same)
		require.Equal(t, exec.ID, same.ID, "a repeated idempotency key returns the first execution")

		var got ExecutionDTO
		require.Eventually(t, func() bool {
			a.do(http.MethodGet, Prefix+"/executions/"+exec.ID.String(), nil, c).JSON(t, &got)
			return got.Status == "COMPLETED"
		}, 15*time.Second, 50*time.Millisecond)
		var nodes []string
		for _, s := range got.Steps {
			nodes = append(nodes, s.NodeID)
		}
		require.Equal(t, []string{"start", "wait", "vip", "tag", "done"}, nodes)
		require.Equal(t, "true", got.Steps[2].Handle)

		l := a.do(http.MethodGet, Prefix+"/executions?status=COMPLETED&workflowId="+id, nil, c)
		require.Contains(t, string(l.Body), exec.ID.String())
		bad := a.do(http.MethodGet, Prefix+"/executions?status=DONE", nil, c)
		require.Equal(t, http.StatusBadRequest, bad.Status)

		stats := a.do(http.MethodGet, Prefix+"/workflows/"+id+"/stats", nil, c)
		require.Equal(t, http.StatusOK, stats.Status, stats.short())
		require.Contains(t, string(stats.Body), `"COMPLETED":1`)

		cancel := a.do(http.MethodPost, Prefix+"/executions/"+exec.ID.String()+"/cancel", nil, c)
		require.Equal(t, http.StatusConflict, cancel.Status, "a finished execution cannot be cancelled")
	})
}

func TestScheduleFromTriggerNode(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		def := `{"nodes":[{"id":"tick","type":"trigger.schedule","config":{"cron":"0 9 * * 1-5","timezone":"Europe/Berlin"},"position":{"x":0,"y":0}},{"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],"edges":[{"id":"e","source":"tick","target":"done"}]}`
		w := a.createWorkflow(acc, "Digest", def)
		id := w.ID.String()
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c).Status)
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/activate", nil, c).Status)

		var list []ScheduleDTO
		a.do(http.MethodGet, Prefix+"/schedules", nil, c).JSON(t, &list)
		require.Len(t, list, 1)
		s := list[0]
		require.True(t, s.IsActive)
		require.Equal(t, "tick", s.NodeID)
		require.Len(t, s.NextRuns, 5)
		berlin, _ := time.LoadLocation("Europe/Berlin")
		for _, r := range s.NextRuns {
			local := r.In(berlin)
			require.Equal(t, 9, local.Hour())
			require.NotEqual(t, time.Saturday, local.Weekday())
			require.NotEqual(t, time.Sunday, local.Weekday())
		}

		bad := a.do(http.MethodPut, Prefix+"/schedules/"+s.ID.String(), `{"cron":"61 * * * *"}`, c)
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status, bad.short())
		bad = a.do(http.MethodPut, Prefix+"/schedules/"+s.ID.String(), `{"cron":"@daily","timezone":"Mars/Base"}`, c)
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status, bad.short())
		require.Contains(t, string(bad.Body), "Mars/Base")

		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/deactivate", nil, c).Status)
		a.do(http.MethodGet, Prefix+"/schedules", nil, c).JSON(t, &list)
		require.False(t, list[0].IsActive, "deactivating pauses the schedule")

		run := a.do(http.MethodPost, Prefix+"/schedules/"+s.ID.String()+"/run-now", nil, c)
		require.Equal(t, http.StatusAccepted, run.Status, run.short())
		a.do(http.MethodGet, Prefix+"/schedules", nil, c).JSON(t, &list)
		require.NotNil(t, list[0].LastRunAt, "a manual run shows as the schedule's last run")
	})
}
