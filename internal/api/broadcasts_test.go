package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

const broadcastJourneyDef = `{"nodes":[
 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],
 "edges":[{"id":"e1","source":"start","target":"done"}]}`

// TestBroadcastsAPI: bad requests (unknown segment or workflow, a
// workflow never published, a bad timezone or sendAt, rate ≤ 0) are 422
// and write nothing; a broadcast now starts one execution per member and
// completes with done = total; a scheduled one pauses, resumes and
// cancels, idempotently where that makes sense, a completed one cannot
// be cancelled (409); every change is audited.
func TestBroadcastsAPI(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		ctx := context.Background()
		require.NoError(t, a.st.Queue().Start(ctx))
		t.Cleanup(func() { _ = a.st.Queue().Stop(context.Background()) })
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		tenant := acc.Me.ActiveTenant.ID
		for _, ext := range []string{"u1", "u2", "u3"} {
			r := a.do(http.MethodPost, Prefix+"/contacts", map[string]any{"externalId": ext, "attributes": map[string]any{"plan": "PRO"}}, c)
			require.Contains(t, []int{http.StatusOK, http.StatusCreated}, r.Status, r.short())
		}
		r := a.do(http.MethodPost, Prefix+"/segments", map[string]any{"name": "PRO",
			"definition": map[string]any{"attribute": map[string]any{"key": "plan", "op": "eq", "value": "PRO"}}}, c)
		require.Equal(t, http.StatusCreated, r.Status, r.short())
		var seg SegmentDTO
		r.JSON(t, &seg)
		require.Eventually(t, func() bool {
			var got SegmentDTO
			a.do(http.MethodGet, Prefix+"/segments/"+seg.ID.String(), nil, c).JSON(t, &got)
			return got.MemberCount == 3
		}, 20*time.Second, 20*time.Millisecond)

		draft := a.createWorkflow(acc, "Never published", broadcastJourneyDef)
		wf := a.createWorkflow(acc, "Newsletter", broadcastJourneyDef)
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+wf.ID.String()+"/publish", nil, c).Status)

		good := func() map[string]any {
			return map[string]any{"name": "December", "workflowId": wf.ID, "segmentId": seg.ID, "ratePerSecond": 100}
		}
		for _, bad := range []struct {
			set  map[string]any
			want string
		}{
			{map[string]any{"segmentId": uuid.New()}, "segment"},
			{map[string]any{"workflowId": uuid.New()}, "workflow"},
			{map[string]any{"workflowId": draft.ID}, "not published"},
			{map[string]any{"scheduleMode": "at", "sendAt": "2030-01-01T09:00", "timezone": "Mars/Olympus"}, "timezone"},
			{map[string]any{"scheduleMode": "at", "sendAt": "tomorrow"}, "sendAt"},
			{map[string]any{"scheduleMode": "contact_local"}, "sendAt"},
			{map[string]any{"ratePerSecond": 0}, "ratePerSecond"},
			{map[string]any{"ratePerSecond": -5}, "ratePerSecond"},
		} {
			body := good()
			for k, v := range bad.set {
				body[k] = v
			}
			r := a.do(http.MethodPost, Prefix+"/broadcasts", body, c)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%v: %s", bad.set, r.short())
			require.Contains(t, r.short(), bad.want)
		}
		var list BroadcastListDTO
		a.do(http.MethodGet, Prefix+"/broadcasts", nil, c).JSON(t, &list)
		require.Empty(t, list.Items, "a refused broadcast writes nothing")

		r = a.do(http.MethodPost, Prefix+"/broadcasts", good(), c)
		require.Equal(t, http.StatusCreated, r.Status, r.short())
		var now BroadcastDTO
		r.JSON(t, &now)
		require.Equal(t, "now", now.ScheduleMode)
		require.Equal(t, "UTC", now.Timezone)
		require.Equal(t, 1, now.WorkflowVersion)
		require.Eventually(t, func() bool {
			var got BroadcastDTO
			a.do(http.MethodGet, Prefix+"/broadcasts/"+now.ID.String(), nil, c).JSON(t, &got)
			return got.Status == "completed"
		}, 20*time.Second, 20*time.Millisecond)
		var done BroadcastDTO
		a.do(http.MethodGet, Prefix+"/broadcasts/"+now.ID.String(), nil, c).JSON(t, &done)
		require.Equal(t, []int{3, 3, 3, 0}, []int{done.Total, done.Done, done.Started, done.Skipped})
		require.NotNil(t, done.StartedAt)
		require.NotNil(t, done.FinishedAt)
		require.NoError(t, a.st.Read(ctx, tenant, func(tx store.Tx) error {
			es, err := tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: tenant, WorkflowID: &wf.ID, Limit: 10})
			require.Len(t, es, 3)
			seen := map[uuid.UUID]bool{}
			for _, e := range es {
				require.NotNil(t, e.ContactID)
				seen[*e.ContactID] = true
				require.Equal(t, "trigger.manual", e.TriggerType)
			}
			require.Len(t, seen, 3, "one execution per contact")
			return err
		}))
		r = a.do(http.MethodPost, Prefix+"/broadcasts/"+now.ID.String()+"/cancel", nil, c)
		require.Equal(t, http.StatusConflict, r.Status, r.short())

		later := good()
		later["name"], later["scheduleMode"], later["sendAt"], later["timezone"] = "New year", "at", "2099-01-01T09:00", "Europe/Berlin"
		r = a.do(http.MethodPost, Prefix+"/broadcasts", later, c)
		require.Equal(t, http.StatusCreated, r.Status, r.short())
		var sched BroadcastDTO
		r.JSON(t, &sched)
		require.Equal(t, "scheduled", sched.Status)
		require.Equal(t, "2099-01-01T09:00:00", sched.SendAt)
		require.True(t, sched.StartsAt.Equal(time.Date(2099, 1, 1, 8, 0, 0, 0, time.UTC)), "%v", sched.StartsAt)
		steer := func(verb, want string) {
			t.Helper()
			r := a.do(http.MethodPost, Prefix+"/broadcasts/"+sched.ID.String()+"/"+verb, nil, c)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			var got BroadcastDTO
			r.JSON(t, &got)
			require.Equal(t, want, got.Status, verb)
		}
		steer("pause", "paused")
		steer("pause", "paused")
		steer("resume", "scheduled")
		steer("resume", "scheduled")
		steer("cancel", "cancelled")
		steer("cancel", "cancelled")
		r = a.do(http.MethodPost, Prefix+"/broadcasts/"+sched.ID.String()+"/resume", nil, c)
		require.Equal(t, http.StatusConflict, r.Status, r.short())
		require.Equal(t, http.StatusNotFound, a.do(http.MethodGet, Prefix+"/broadcasts/"+uuid.NewString(), nil, c).Status)
		require.Equal(t, http.StatusNotFound, a.do(http.MethodPost, Prefix+"/broadcasts/"+uuid.NewString()+"/pause", nil, c).Status)

		a.do(http.MethodGet, Prefix+"/broadcasts", nil, c).JSON(t, &list)
		require.Len(t, list.Items, 2)
		require.Equal(t, sched.ID, list.Items[0].ID, "newest first")

		var actions []string
		require.NoError(t, a.st.Read(ctx, tenant, func(tx store.Tx) error {
			es, err := tx.AuditListByTenant(ctx, &store.AuditListParams{TenantID: tenant, Limit: 100})
			for _, e := range es {
				if e.TargetType == "broadcast" {
					actions = append(actions, e.Action)
				}
			}
			return err
		}))
		require.ElementsMatch(t, []string{"broadcast.created", "broadcast.created", "broadcast.paused", "broadcast.resumed", "broadcast.cancelled"}, actions)
		_ = domain.BroadcastNow
	})
}
