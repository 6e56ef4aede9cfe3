package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/segment"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestSegmentsAPI: a segment is defined, previewed, computed in the
// background and listed with its count; bad definitions are 422 with the
// reason and write nothing; every write is audited.
func TestSegmentsAPI(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			workers := river.NewWorkers()
			st := b.open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
			svc := segment.New(st, segment.Options{})
			svc.RegisterWorkers(workers)
			require.NoError(t, st.Queue().Start(context.Background()))
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = st.Queue().Stop(ctx)
			})
			a := newTestAPIDeps(t, st, Deps{Hooks: []func(huma.API){(&SegmentRoutes{Store: st, Segments: svc}).Register}})
			ada := a.signup("ada@example.com", "Acme")
			as := creds{Cookie: ada.Cookie}
			for _, c := range []map[string]any{
				{"externalId": "u1", "email": "ana@example.com", "attributes": map[string]any{"plan": "PRO"}},
				{"externalId": "u2", "email": "ben@example.com", "attributes": map[string]any{"plan": "PRO"}},
				{"externalId": "u3", "email": "cy@example.com", "attributes": map[string]any{"plan": "FREE"}},
			} {
				r := a.do(http.MethodPost, Prefix+"/contacts", c, as)
				require.Contains(t, []int{http.StatusOK, http.StatusCreated}, r.Status, r.short())
			}
			pro := map[string]any{"attribute": map[string]any{"key": "plan", "op": "eq", "value": "PRO"}}

			r := a.do(http.MethodPost, Prefix+"/segments/preview", map[string]any{"definition": pro, "sample": 1}, as)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			var pv SegmentPreviewResultDTO
			r.JSON(t, &pv)
			require.Equal(t, 2, pv.Count)
			require.Len(t, pv.Sample, 1)

			for _, bad := range []struct {
				body map[string]any
				want string
			}{
				{map[string]any{"name": "x", "definition": map[string]any{}}, "exactly one of"},
				{map[string]any{"name": "x", "definition": map[string]any{"performed": map[string]any{"event": "order", "op": "exists", "count": 1}}}, `operator "exists"`},
				{map[string]any{"name": "x", "definition": map[string]any{"all": []any{pro, map[string]any{"time": map[string]any{"field": "createdAt"}}}}}, "all[1]"},
			} {
				r := a.do(http.MethodPost, Prefix+"/segments", bad.body, as)
				require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
				require.Contains(t, problemDetail(t, r), bad.want)
			}

			r = a.do(http.MethodPost, Prefix+"/segments", map[string]any{"name": "Paying", "definition": pro}, as)
			require.Equal(t, http.StatusCreated, r.Status, r.short())
			var seg SegmentDTO
			r.JSON(t, &seg)
			require.Equal(t, "Paying", seg.Name)
			require.NotNil(t, seg.Definition.Attribute)
			r = a.do(http.MethodPost, Prefix+"/segments", map[string]any{"name": "Paying", "definition": pro}, as)
			require.Equal(t, http.StatusConflict, r.Status, r.short())

			require.Eventually(t, func() bool {
				r := a.do(http.MethodGet, Prefix+"/segments/"+seg.ID.String(), nil, as)
				var got SegmentDTO
				r.JSON(t, &got)
				return got.ComputedAt != nil && got.MemberCount == 2
			}, 20*time.Second, 20*time.Millisecond, "computed in the background")
			// The contact list filtered by the segment pages its stored members.
			r = a.do(http.MethodGet, Prefix+"/contacts?segment="+seg.ID.String(), nil, as)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			var members ContactListDTO
			r.JSON(t, &members)
			var ext []string
			for _, m := range members.Items {
				ext = append(ext, *m.ExternalID)
			}
			require.ElementsMatch(t, []string{"u1", "u2"}, ext)
			r = a.do(http.MethodGet, Prefix+"/contacts?segment=nope", nil, as)
			require.Contains(t, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, r.Status, r.short())

			r = a.do(http.MethodPut, Prefix+"/segments/"+seg.ID.String(), map[string]any{"name": "Free",
				"definition": map[string]any{"not": pro}}, as)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			require.Eventually(t, func() bool {
				r := a.do(http.MethodGet, Prefix+"/segments", nil, as)
				var list SegmentListDTO
				r.JSON(t, &list)
				return len(list.Items) == 1 && list.Items[0].Name == "Free" && list.Items[0].MemberCount == 1
			}, 20*time.Second, 20*time.Millisecond, "recomputed after the edit")
			r = a.do(http.MethodPost, Prefix+"/segments/"+seg.ID.String()+"/recompute", nil, as)
			require.Equal(t, http.StatusAccepted, r.Status, r.short())

			r = a.do(http.MethodDelete, Prefix+"/segments/"+seg.ID.String(), nil, as)
			require.Equal(t, http.StatusNoContent, r.Status, r.short())
			r = a.do(http.MethodGet, Prefix+"/segments/"+seg.ID.String(), nil, as)
			require.Equal(t, http.StatusNotFound, r.Status, r.short())

			var actions []string
			require.NoError(t, st.Read(context.Background(), ada.Me.ActiveTenant.ID, func(tx store.Tx) error {
				es, err := tx.AuditListByTenant(context.Background(), &store.AuditListParams{TenantID: ada.Me.ActiveTenant.ID, Limit: 100})
				for _, e := range es {
					if e.TargetType == "segment" {
						actions = append(actions, e.Action)
					}
				}
				return err
			}))
			require.ElementsMatch(t, []string{"segment.created", "segment.updated", "segment.deleted"}, actions)
		})
	}
}
