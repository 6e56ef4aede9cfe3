package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const splitDraft = `{"nodes":[
 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
 {"id":"ab","type":"split","label":"Subject test","config":{"variants":[{"name":"A","weight":50},{"name":"B","weight":50}]},"position":{"x":0,"y":120}},
 {"id":"endA","type":"end","config":{},"position":{"x":-100,"y":240}},
 {"id":"endB","type":"end","config":{},"position":{"x":100,"y":240}}],
 "edges":[
 {"id":"e1","source":"start","target":"ab"},
 {"id":"e2","source":"ab","sourceHandle":"A","target":"endA"},
 {"id":"e3","source":"ab","sourceHandle":"B","target":"endB"}]}`

// TestAnalyticsReports: four runs of a published A/B journey show in the
// executions report (started and completed today), in the split report
// (each variant's runs reached its own end) and in the conversion report
// (no goal events: none converted); bad input is a 400 naming it and
// another workspace's workflow a 404.
func TestAnalyticsReports(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		ctx := context.Background()
		require.NoError(t, a.st.Queue().Start(ctx))
		t.Cleanup(func() { _ = a.st.Queue().Stop(context.Background()) })
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		w := a.createWorkflow(acc, "AB", splitDraft)
		id := w.ID.String()
		r := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		for range 4 {
			r := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/executions", `{"input":{}}`, c)
			require.Equal(t, http.StatusAccepted, r.Status, r.short())
			var e ExecutionDTO
			r.JSON(t, &e)
			require.Eventually(t, func() bool {
				a.do(http.MethodGet, Prefix+"/executions/"+e.ID.String(), nil, c).JSON(t, &e)
				return e.Status == "COMPLETED"
			}, 10*time.Second, 20*time.Millisecond)
		}
		today := time.Now().UTC().Format(dayLayout)

		var ex ExecutionAnalyticsDTO
		r = a.do(http.MethodGet, Prefix+"/analytics/executions?workflowId="+id, nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &ex)
		require.Len(t, ex.Days, 30)
		require.Equal(t, today, ex.Days[29].Day)
		require.Equal(t, ExecutionCountsDTO{Started: 4, Completed: 4}, ex.Days[29].ExecutionCountsDTO)
		require.Equal(t, ExecutionCountsDTO{Started: 4, Completed: 4}, ex.Totals)
		require.Equal(t, ExecutionsNowDTO{}, ex.Now)

		var sp SplitAnalyticsDTO
		r = a.do(http.MethodGet, Prefix+"/workflows/"+id+"/analytics/splits?goal=order.completed", nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &sp)
		require.Len(t, sp.Splits, 1)
		require.Equal(t, "ab", sp.Splits[0].NodeID)
		require.Equal(t, "Subject test", sp.Splits[0].Label)
		require.Len(t, sp.Splits[0].Variants, 2)
		var entered int64
		for _, v := range sp.Splits[0].Variants {
			require.Equal(t, 50.0, v.Weight)
			require.Equal(t, v.Entered, v.Completed)
			require.Zero(t, v.Converted)
			if v.Entered > 0 {
				require.Equal(t, map[string]int64{"end" + v.Name: v.Entered}, v.Ends)
			}
			entered += v.Entered
		}
		require.Equal(t, int64(4), entered)

		var conv ConversionAnalyticsDTO
		r = a.do(http.MethodGet, Prefix+"/workflows/"+id+"/analytics/conversion?goal=order.completed&within=3d", nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &conv)
		require.Equal(t, int64(4), conv.Entries)
		require.Zero(t, conv.Converted)
		require.Equal(t, "72h0m0s", conv.Within)

		var msgs MessageAnalyticsDTO
		r = a.do(http.MethodGet, Prefix+"/analytics/messages?from=2026-01-01&to=2026-02-01", nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &msgs)
		require.Empty(t, msgs.Channels)

		other := a.signup("other@example.com", "Other")
		oc := creds{Cookie: other.Cookie}
		for _, tc := range []struct {
			name, path string
			cr         creds
			status     int
		}{
			{"to before from", "/analytics/executions?from=2026-02-01&to=2026-01-01", c, http.StatusBadRequest},
			{"empty period", "/analytics/messages?from=2026-02-01&to=2026-02-01", c, http.StatusBadRequest},
			{"over 400 days", "/analytics/executions?from=2024-01-01&to=2026-01-01", c, http.StatusBadRequest},
			{"from not a date", "/analytics/executions?from=yesterday", c, http.StatusUnprocessableEntity},
			{"bad workflowId", "/analytics/executions?workflowId=nope", c, http.StatusUnprocessableEntity},
			{"unknown channel", "/analytics/messages?channel=fax", c, http.StatusUnprocessableEntity},
			{"unknown workflow", "/analytics/executions?workflowId=0190d0c6-0000-7000-8000-000000000000", c, http.StatusNotFound},
			{"other tenant's workflow in filter", "/analytics/messages?workflowId=" + id, oc, http.StatusNotFound},
			{"other tenant's splits", "/workflows/" + id + "/analytics/splits", oc, http.StatusNotFound},
			{"other tenant's conversion", "/workflows/" + id + "/analytics/conversion?goal=x", oc, http.StatusNotFound},
			{"conversion without goal", "/workflows/" + id + "/analytics/conversion", c, http.StatusBadRequest},
			{"bad within", "/workflows/" + id + "/analytics/conversion?goal=x&within=soon", c, http.StatusBadRequest},
			{"zero within", "/workflows/" + id + "/analytics/splits?goal=x&within=0", c, http.StatusBadRequest},
			{"within over 90d", "/workflows/" + id + "/analytics/splits?goal=x&within=100d", c, http.StatusBadRequest},
		} {
			r := a.do(http.MethodGet, Prefix+tc.path, nil, tc.cr)
			require.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.short())
		}
	})
}
