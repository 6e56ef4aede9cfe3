package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWorkflowDiff(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		w := a.createWorkflow(acc, "Welcome", validDraft)
		id := w.ID.String()
		diff := func(query string) WorkflowDiffDTO {
			t.Helper()
			r := a.do(http.MethodGet, Prefix+"/workflows/"+id+"/diff"+query, nil, c)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			var d WorkflowDiffDTO
			r.JSON(t, &d)
			return d
		}
		put := func(def string) {
			t.Helper()
			cur := a.do(http.MethodGet, Prefix+"/workflows/"+id, nil, c)
			var wf WorkflowDTO
			cur.JSON(t, &wf)
			up := a.do(http.MethodPut, Prefix+"/workflows/"+id, fmt.Sprintf(`{"name":"Welcome","revision":%d,"definition":%s}`, wf.Revision, def), c)
			require.Equal(t, http.StatusOK, up.Status, up.short())
		}

		// Never published: everything in the draft is new.
		d := diff("")
		require.Equal(t, "none", d.From.Kind)
		require.Equal(t, "draft", d.To.Kind)
		require.True(t, d.Changed)
		require.Len(t, d.AddedNodes, 5)

		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c).Status)
		d = diff("")
		require.False(t, d.Changed, "the draft just published has no unpublished changes")
		require.Equal(t, DiffSideDTO{Kind: "version", Version: 1}, d.From)

		// Moving a node is not a change, and publishing it is refused without a new version.
		put(strings.Replace(validDraft, `"x":-100`, `"x":-300`, 1))
		d = diff("")
		require.False(t, d.Changed)
		require.Equal(t, []string{"tag"}, d.MovedNodes)
		p := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c)
		require.Equal(t, http.StatusConflict, p.Status, p.short())
		require.Contains(t, string(p.Body), "nothing to publish: the draft is the same as the live version 1")
		var versions []VersionDTO
		a.do(http.MethodGet, Prefix+"/workflows/"+id+"/versions", nil, c).JSON(t, &versions)
		require.Len(t, versions, 1)

		// A config change, a removed node and a rewired edge.
		changed := strings.Replace(validDraft, `"1s"`, `"5s"`, 1)
		changed = strings.Replace(changed, `{"id":"tag","type":"set_attribute","config":{"attributes":{"tier":"'gold'"}},"position":{"x":-100,"y":360}},`, "", 1)
		changed = strings.Replace(changed, `{"id":"e3","source":"vip","sourceHandle":"true","target":"tag"},
 {"id":"e4","source":"tag","target":"done"},`, `{"id":"e9","source":"vip","sourceHandle":"true","target":"done"},`, 1)
		put(changed)
		d = diff("?from=live&to=draft")
		require.True(t, d.Changed)
		require.Len(t, d.ChangedNodes, 1)
		require.Equal(t, "wait", d.ChangedNodes[0].ID)
		require.Equal(t, []DiffFieldDTO{{Path: "/config/duration", Before: `"1s"`, After: `"5s"`}}, d.ChangedNodes[0].Fields)
		require.Equal(t, []DiffNodeDTO{{ID: "tag", Type: "set_attribute", Position: d.RemovedNodes[0].Position}}, d.RemovedNodes)
		require.Equal(t, []DiffEdgeDTO{{ID: "e9", Source: "vip", SourceHandle: "true", Target: "done"}}, d.AddedEdges)
		require.Len(t, d.RemovedEdges, 2)

		p = a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c)
		require.Equal(t, http.StatusOK, p.Status, p.short())
		// Two versions against each other, either way round.
		d = diff("?from=1&to=2")
		require.True(t, d.Changed)
		require.Equal(t, 2, d.To.Version)
		require.Len(t, d.RemovedNodes, 1)
		d = diff("?from=2&to=1")
		require.Len(t, d.AddedNodes, 1)
		require.Equal(t, "tag", d.AddedNodes[0].ID)
		d = diff("?from=draft&to=live")
		require.False(t, d.Changed)

		for _, sc := range []struct {
			name, query string
			status      int
			says        string
		}{
			{"UnknownSide", "?from=yesterday", http.StatusUnprocessableEntity, `from must be \"draft\", \"live\" or a version number`},
			{"ZeroVersion", "?to=0", http.StatusUnprocessableEntity, "to must be"},
			{"NegativeVersion", "?from=-2", http.StatusUnprocessableEntity, "from must be"},
			{"MissingVersion", "?from=9", http.StatusNotFound, "version 9 of this workflow not found"},
			{"TooLong", "?from=" + strings.Repeat("1", 30), http.StatusUnprocessableEntity, "from"},
		} {
			t.Run(sc.name, func(t *testing.T) {
				r := a.do(http.MethodGet, Prefix+"/workflows/"+id+"/diff"+sc.query, nil, c)
				require.Equal(t, sc.status, r.Status, r.short())
				require.Contains(t, string(r.Body), sc.says)
			})
		}
		r := a.do(http.MethodGet, Prefix+"/workflows/00000000-0000-0000-0000-000000000001/diff", nil, c)
		require.Equal(t, http.StatusNotFound, r.Status, r.short())
	})
}
