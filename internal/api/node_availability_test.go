package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// A step type the engine cannot run is listed as unavailable with the
// reason, reported as a problem on its node, and refused at publish.
func TestUnavailableNodeTypeIsShownAndRefused(t *testing.T) {
	t.Parallel()
	a := newFullAPI(t, backends[0].open)
	acc := a.signup("owner@example.com", "Acme")
	c := creds{Cookie: acc.Cookie}

	r := a.do(http.MethodGet, Prefix+"/node-types", nil, c)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	var types []NodeTypeDTO
	r.JSON(t, &types)
	byType := map[string]NodeTypeDTO{}
	for _, nt := range types {
		byType[nt.Type] = nt
	}
	require.True(t, byType["http.request"].Available, "a built-in side effect runs")
	require.True(t, byType["delay"].Available)
	require.Empty(t, byType["delay"].UnavailableReason)
	email := byType["email.send"]
	require.False(t, email.Available, "no email sender is registered in this server")
	require.Contains(t, email.UnavailableReason, "email.send")

	w := a.createWorkflow(acc, "Welcome", `{"nodes":[
	 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
	 {"id":"mail","type":"email.send","config":{"to":"{{ contact.email }}","subject":"Hi","text":"Hello"},"position":{"x":0,"y":100}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
	 "edges":[{"id":"e1","source":"start","target":"mail"},{"id":"e2","source":"mail","target":"done"}]}`)
	id := w.ID.String()

	v := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/validate", nil, c)
	require.Equal(t, http.StatusOK, v.Status, v.short())
	var vr struct {
		Valid    bool
		Problems []ProblemDTO
	}
	v.JSON(t, &vr)
	require.False(t, vr.Valid)
	require.Len(t, vr.Problems, 1, v.short())
	require.Equal(t, "unavailable_node_type", vr.Problems[0].Code)
	require.Equal(t, "mail", vr.Problems[0].NodeID)

	p := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c)
	require.Equal(t, http.StatusUnprocessableEntity, p.Status, p.short())
	require.Contains(t, string(p.Body), "unavailable_node_type")
	require.Contains(t, string(p.Body), "not available on this server")
	vs := a.do(http.MethodGet, Prefix+"/workflows/"+id+"/versions", nil, c)
	require.JSONEq(t, `[]`, string(vs.Body), "nothing is published")
}
