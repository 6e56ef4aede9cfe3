package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestProblemsDoNotEchoSecrets: a credential value or a password that
// fails validation is named in the 422, never sent back.
func TestProblemsDoNotEchoSecrets(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, storetest.SQLite(t))
	owner := a.signup("owner@example.com", "Acme")
	oc := creds{Cookie: owner.Cookie}

	secret := "sk_live_" + strings.Repeat("Q7x", 6000) // past the 16 KiB limit
	r := a.do(http.MethodPost, Prefix+"/credentials", map[string]any{"name": "API", "kind": "generic", "value": secret}, oc)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
	require.Contains(t, string(r.Body), "body.value")
	require.False(t, strings.Contains(string(r.Body), "sk_live_"), "the value is echoed")

	r = a.do(http.MethodPut, Prefix+"/credentials/API", map[string]any{"kind": "generic", "value": secret}, oc)
	require.False(t, strings.Contains(string(r.Body), "sk_live_"), "the value is echoed")

	password := "Pw-" + strings.Repeat("zq9", 200) // past the 256-character limit
	r = a.do(http.MethodPost, Prefix+"/auth/signup", map[string]string{
		"email": "new@example.com", "password": password, "name": "New", "workspaceName": "New",
	}, creds{})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
	require.Contains(t, string(r.Body), "body.password")
	require.False(t, strings.Contains(string(r.Body), "Pw-zq9"), "the password is echoed")

	// Other fields keep their echo: it helps the caller.
	r = a.do(http.MethodPost, Prefix+"/credentials", map[string]any{"name": "bad name!", "kind": "generic", "value": "x"}, oc)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
	require.Contains(t, string(r.Body), "bad name!")
}
