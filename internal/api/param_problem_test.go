package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// A malformed ID in a path or query parameter reads as "id: not a valid
// ID", never as the UUID parser's text.
func TestParamProblemsSpeakToPeople(t *testing.T) {
	t.Parallel()
	a := newFullAPI(t, backends[0].open)
	acc := a.signup("owner@example.com", "Acme")
	for _, tc := range []struct{ name, path, detail string }{
		{"short path id", Prefix + "/workflows/abcd", "id: not a valid ID"},
		{"malformed path id", Prefix + "/executions/not-a-uuid-at-all-but-36-characters", "id: not a valid ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(http.MethodGet, tc.path, nil, creds{Cookie: acc.Cookie})
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
			require.Equal(t, tc.detail, problemDetail(t, r), r.short())
			require.NotContains(t, string(r.Body), "UUID", r.short())
		})
	}
}
