package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// readCounter is a store whose read transactions are counted (those the
// accounts service opens to resolve an API key).
type readCounter struct {
	store.Store
	reads atomic.Int64
}

func (s *readCounter) Read(ctx context.Context, tenantID uuid.UUID, fn func(store.Tx) error) error {
	s.reads.Add(1)
	return s.Store.Read(ctx, tenantID, fn)
}

// TestStartKeyCacheKeepsRevocation: POST /workflows/{id}/executions
// answers its API key from the key cache (no read transaction of its own
// per request), yet a key revoked on another node starts nothing from the
// moment the revocation commits: the start's transaction confirms it and
// the request gets 401, through the start group commit and through a
// start of a named version alike. Two API servers over one store are the
// two nodes; the cache lives an hour, so only the confirmation can refuse.
func TestStartKeyCacheKeepsRevocation(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			eng := engine.New(st, engine.Options{Logger: log})
			t.Cleanup(eng.Close)
			counted := &readCounter{Store: st}
			nodeA := newTestAPIDeps(t, st, Deps{Engine: eng}, func(_ *AccountsOptions, o *auth.Options) {
				o.KeyCacheTTL, o.Store = time.Hour, counted
			})
			nodeB := newTestAPI(t, st)
			owner := nodeA.signup("owner@example.com", "Acme")
			tenant := owner.Me.ActiveTenant.ID
			w := nodeA.createWorkflow(owner, "Manual", `{"nodes":[
 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],
 "edges":[{"id":"e1","source":"start","target":"done"}]}`)
			r := nodeA.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/publish", nil, creds{Cookie: owner.Cookie})
			require.Equal(t, http.StatusOK, r.Status, r.short())
			key := nodeA.apiKey(owner, "full")
			other := nodeA.apiKey(owner, "full")
			start := func(k, body string) *response {
				return nodeA.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/executions", body, creds{Key: k})
			}

			// Read from the database, then from node A's cache.
			r = start(key, `{}`)
			require.Equal(t, http.StatusAccepted, r.Status, r.short())
			reads := counted.reads.Load()
			r = start(key, `{}`)
			require.Equal(t, http.StatusAccepted, r.Status, r.short())
			r = start(key, `{"version":1}`)
			require.Equal(t, http.StatusAccepted, r.Status, r.short())
			require.Equal(t, reads, counted.reads.Load(), "the key came from the cache")
			require.Equal(t, 3, nodeA.executions(tenant, w.ID))

			// Revoked on node B.
			nodeB.revokeAPIKey(owner, key)

			// Node A still holds the key in its cache; the start's
			// transaction refuses it.
			r = start(key, `{}`)
			require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
			r = start(key, `{"idempotencyKey":"k1"}`)
			require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
			r = start(key, `{"version":1}`)
			require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
			require.Equal(t, 3, nodeA.executions(tenant, w.ID), "nothing started with the revoked key")

			// Another key of the workspace goes on working.
			r = start(other, `{}`)
			require.Equal(t, http.StatusAccepted, r.Status, r.short())
			require.Equal(t, 4, nodeA.executions(tenant, w.ID))
		})
	}
}
