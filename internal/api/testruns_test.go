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

// slowDraft waits two days before the condition.
var slowDraft = strings.Replace(validDraft, `"duration":"1s"`, `"duration":"2d"`, 1)

// TestTestRunOfDraft: pinned sample data is saved with the workflow (the
// draft's revision stays), a test run starts the unpublished draft with
// it, skips the 2-day delay, shows as test in the list and not in stats;
// an invalid draft is refused with its problems and nothing started; "run
// this step" renders a node; bad sample data is refused and nothing
// written.
func TestTestRunOfDraft(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		ctx := context.Background()
		require.NoError(t, a.st.Queue().Start(ctx))
		t.Cleanup(func() { _ = a.st.Queue().Stop(context.Background()) })
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		w := a.createWorkflow(acc, "Welcome", slowDraft)
		id := w.ID.String()

		r := a.do(http.MethodGet, Prefix+"/workflows/"+id+"/test-data", nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		require.JSONEq(t, `{}`, string(r.Body))

		sample := `{"input":{"amount":150},"contact":{"email":"sam@example.com"},"options":{"skipDelays":true}}`
		r = a.do(http.MethodPut, Prefix+"/workflows/"+id+"/test-data", sample, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		bad := a.do(http.MethodPut, Prefix+"/workflows/"+id+"/test-data", `{"contactId":"0190a2b4-0000-7000-8000-000000000000"}`, c)
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status, bad.short())
		tooMany := fmt.Sprintf(`{"options":{"recipients":[%s"x@example.com"]}}`, strings.Repeat(`"a@example.com",`, 20))
		require.Equal(t, http.StatusUnprocessableEntity, a.do(http.MethodPut, Prefix+"/workflows/"+id+"/test-data", tooMany, c).Status)
		r = a.do(http.MethodGet, Prefix+"/workflows/"+id+"/test-data", nil, c)
		require.Contains(t, string(r.Body), `"amount":150`, "the refused writes changed nothing")
		var after WorkflowDTO
		a.do(http.MethodGet, Prefix+"/workflows/"+id, nil, c).JSON(t, &after)
		require.Equal(t, w.Revision, after.Revision, "pinned data is no edit of the draft")

		start := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/test-runs", nil, c)
		require.Equal(t, http.StatusAccepted, start.Status, start.short())
		var exec ExecutionDTO
		start.JSON(t, &exec)
		require.True(t, exec.Test)
		var got ExecutionDTO
		require.Eventually(t, func() bool {
			a.do(http.MethodGet, Prefix+"/executions/"+exec.ID.String(), nil, c).JSON(t, &got)
			return got.Status == "COMPLETED"
		}, 15*time.Second, 50*time.Millisecond, "the 2-day delay is skipped")
		require.True(t, got.Test)
		require.Equal(t, "true", got.Steps[2].Handle, "amount 150 from the pinned input")
		require.Equal(t, "sam@example.com", got.Context["contact"].(map[string]any)["email"])

		var list ExecutionListDTO
		a.do(http.MethodGet, Prefix+"/executions?test=true&workflowId="+id, nil, c).JSON(t, &list)
		require.Len(t, list.Items, 1)
		a.do(http.MethodGet, Prefix+"/executions?test=false&workflowId="+id, nil, c).JSON(t, &list)
		require.Empty(t, list.Items)
		require.Equal(t, http.StatusUnprocessableEntity, a.do(http.MethodGet, Prefix+"/executions?test=maybe", nil, c).Status)
		stats := a.do(http.MethodGet, Prefix+"/workflows/"+id+"/stats", nil, c)
		require.Equal(t, http.StatusOK, stats.Status, stats.short())
		require.NotContains(t, string(stats.Body), `"COMPLETED":1`, "a test run is no traffic")
		vs := a.do(http.MethodGet, Prefix+"/workflows/"+id+"/versions", nil, c)
		require.JSONEq(t, `[]`, string(vs.Body), "the draft's test snapshot is no published version")

		// The body overrides the pinned data.
		start = a.do(http.MethodPost, Prefix+"/workflows/"+id+"/test-runs", `{"input":{"amount":5},"options":{"skipDelays":true}}`, c)
		require.Equal(t, http.StatusAccepted, start.Status, start.short())
		start.JSON(t, &exec)
		require.Eventually(t, func() bool {
			a.do(http.MethodGet, Prefix+"/executions/"+exec.ID.String(), nil, c).JSON(t, &got)
			return got.Status == "COMPLETED"
		}, 15*time.Second, 50*time.Millisecond)
		require.Equal(t, "false", got.Steps[2].Handle)

		// Run this step.
		pv := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/test-runs/preview-step", `{"nodeId":"vip"}`, c)
		require.Equal(t, http.StatusOK, pv.Status, pv.short())
		require.Contains(t, string(pv.Body), `"handle":"true"`)
		pv = a.do(http.MethodPost, Prefix+"/workflows/"+id+"/test-runs/preview-step",
			fmt.Sprintf(`{"nodeId":"tag","executionId":%q}`, exec.ID), c)
		require.Equal(t, http.StatusOK, pv.Status, pv.short())
		require.Contains(t, string(pv.Body), `"tier":"gold"`)
		require.Equal(t, http.StatusNotFound, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/test-runs/preview-step", `{"nodeId":"nope"}`, c).Status)

		// An invalid draft: 422 with its problems, nothing started.
		broken := strings.Replace(slowDraft, `"trigger.input.amount > 100"`, `"trigger.input.amount >"`, 1)
		up := a.do(http.MethodPut, Prefix+"/workflows/"+id, fmt.Sprintf(`{"name":"Welcome","revision":%d,"definition":%s}`, w.Revision, broken), c)
		require.Equal(t, http.StatusOK, up.Status, up.short())
		refused := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/test-runs", nil, c)
		require.Equal(t, http.StatusUnprocessableEntity, refused.Status, refused.short())
		require.Contains(t, string(refused.Body), "before a test run")
		require.Contains(t, string(refused.Body), `"nodeId":"vip"`)
		a.do(http.MethodGet, Prefix+"/executions?test=true&workflowId="+id, nil, c).JSON(t, &list)
		require.Len(t, list.Items, 2, "nothing started")

		// Another workspace sees none of it.
		other := a.signup("mallory@example.com", "Other")
		oc := creds{Cookie: other.Cookie}
		require.Equal(t, http.StatusNotFound, a.do(http.MethodGet, Prefix+"/workflows/"+id+"/test-data", nil, oc).Status)
		require.Equal(t, http.StatusNotFound, a.do(http.MethodPut, Prefix+"/workflows/"+id+"/test-data", `{}`, oc).Status)
		require.Equal(t, http.StatusNotFound, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/test-runs", nil, oc).Status)
		require.Equal(t, http.StatusNotFound, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/test-runs/preview-step", `{"nodeId":"vip"}`, oc).Status)
	})
}
