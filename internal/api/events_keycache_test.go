package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
)

// TestEventsKeyCacheKeepsRevocation: the events and Segment routes answer
// their API key from the key cache, yet a key revoked on another node
// stops working at once there: the storing transaction confirms it and
// refuses with 401, storing nothing. Two API servers over one store are
// the two nodes; the cache lives an hour, so only the confirmation can
// refuse.
func TestEventsKeyCacheKeepsRevocation(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			longCache := func(_ *AccountsOptions, o *auth.Options) { o.KeyCacheTTL = time.Hour }
			nodeA, nodeB := newTestAPI(t, st, longCache), newTestAPI(t, st, longCache)
			owner := nodeA.signup("owner@example.com", "Acme")
			tenant := owner.Me.ActiveTenant.ID
			key := nodeA.apiKey(owner, "events:write")
			other := nodeA.apiKey(owner, "events:write")
			post := func(k, msgID string) *response {
				return nodeA.do(http.MethodPost, Prefix+"/events",
					fmt.Sprintf(`{"contact":{"externalId":"u1"},"name":"signed_up","messageId":%q}`, msgID), creds{Key: k})
			}
			// Read from the database, then from node A's cache.
			for _, m := range []string{"m1", "m2"} {
				r := post(key, m)
				require.Equal(t, http.StatusOK, r.Status, r.short())
			}
			r := nodeA.do(http.MethodPost, "/v1/track", fmt.Sprintf(`{"writeKey":%q,"userId":"u1","event":"Viewed","messageId":"s1"}`, key),
				creds{NoOrigin: true})
			require.Equal(t, http.StatusOK, r.Status, r.short())
			require.Len(t, storedEvents(t, nodeA, tenant), 3)

			// Revoked on node B.
			nodeB.revokeAPIKey(owner, key)

			// Node A still holds the key in its cache; the transaction refuses it.
			r = post(key, "m3")
			require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
			r = nodeA.do(http.MethodPost, "/v1/track", fmt.Sprintf(`{"writeKey":%q,"userId":"u1","event":"Viewed","messageId":"s2"}`, key),
				creds{NoOrigin: true})
			require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
			r = nodeA.do(http.MethodPost, "/v1/batch", `{"batch":[{"type":"track","userId":"u1","event":"Viewed","messageId":"s3"}]}`,
				creds{NoOrigin: true}, "Authorization", basic(key))
			require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
			require.Len(t, storedEvents(t, nodeA, tenant), 3, "nothing stored with the revoked key")

			// Another key of the workspace goes on working.
			r = post(other, "m4")
			require.Equal(t, http.StatusOK, r.Status, r.short())
			require.Len(t, storedEvents(t, nodeA, tenant), 4)
		})
	}
}
