package ingest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/ingest"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// TestIngestAsConfirmsCachedKey: requests authenticated by API keys
// answered from the key cache share a group-commit transaction; the key
// revoked meanwhile is refused there (auth.ErrUnauthenticated, nothing of
// its requests stored) and the other key's requests are stored.
func TestIngestAsConfirmsCachedKey(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			tenant := newTenant(t, st)
			ctx := context.Background()
			principal := func(name string) *auth.Principal {
				var key *domain.APIKey
				require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
					var err error
					key, err = tx.APIKeyInsert(ctx, &store.APIKeyInsertParams{TenantID: tenant, ID: domain.NewID(), Name: name,
						Prefix: name, SecretHash: []byte(name), Scopes: []string{domain.ScopeEventsWrite}})
					return err
				}))
				return &auth.Principal{Kind: auth.KindAPIKey, TenantID: tenant, APIKey: key, Scopes: key.Scopes, Cached: true}
			}
			good, gone := principal("good"), principal("gone")
			require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
				return tx.APIKeyRevoke(ctx, tenant, gone.APIKey.ID, time.Now())
			}))

			g := newGate()
			svc := &ingest.Service{Store: st}
			svc.StartGroupCommit(ingest.GroupCommit{Runners: 1, BeforeBatch: g.before})
			t.Cleanup(svc.Close)
			const n = 6
			errs := make([]error, n)
			results := make([]ingest.Result, n)
			runTogether(t, g, n, func(i int) {
				p := good
				if i%2 == 1 {
					p = gone
				}
				items := []ingest.Item{{Contact: contactOf(fmt.Sprintf("u%d", i)), Name: "user.signed_up", MessageID: fmt.Sprintf("m%d", i)}}
				results[i], errs[i] = svc.IngestAs(ctx, p, items, ingest.SourceAPI)
			})
			for i := range n {
				if i%2 == 1 {
					require.ErrorIs(t, errs[i], auth.ErrUnauthenticated, "request %d", i)
					continue
				}
				require.NoError(t, errs[i], "request %d", i)
				require.Equal(t, 1, results[i].Accepted)
			}
			evs := events(t, st, tenant)
			require.Len(t, evs, n/2)
			for _, ev := range evs {
				var i int
				_, err := fmt.Sscanf(ev.MessageID, "m%d", &i)
				require.NoError(t, err)
				require.Zero(t, i%2, "an event of the revoked key was stored: %s", ev.MessageID)
			}

			// A cached principal of a key that does not exist is refused.
			_, err := svc.IngestAs(ctx, &auth.Principal{Kind: auth.KindAPIKey, TenantID: tenant,
				APIKey: &domain.APIKey{ID: domain.NewID(), TenantID: tenant}, Scopes: []string{domain.ScopeEventsWrite}, Cached: true},
				[]ingest.Item{{Contact: contactOf("x"), Name: "n", MessageID: "x1"}}, ingest.SourceAPI)
			require.ErrorIs(t, err, auth.ErrUnauthenticated)
			require.Len(t, events(t, st, tenant), n/2)
		})
	}
}
