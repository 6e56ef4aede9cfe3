package httpbench

import (
	"context"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/credential"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// The credentials service opens a signed webhook's secret in the start's
// own transaction (engine.TxSecretResolver).
var _ engine.TxSecretResolver = (*credential.Service)(nil)

// TestWebhookSigned runs the webhook bench small with signed requests on
// both backends: every request is answered COMPLETED through the group
// commit, its signature checked against the credential. Speed is not
// asserted.
func TestWebhookSigned(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB, ...storetest.Option) store.Store{
		"sqlite": storetest.SQLite, "postgres": storetest.Postgres,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			workers := river.NewWorkers()
			st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
			res, err := Webhook(context.Background(), st, WebhookConfig{Workers: workers, Requests: 40, Clients: 8, SkipAlone: true, Signed: true})
			require.NoError(t, err)
			require.Len(t, res.Phases, 1)
			require.Zero(t, res.Phases[0].Errors, res.Phases[0].FirstError)
			require.Equal(t, 40, res.Phases[0].Items)
			require.Contains(t, res.String(), "signed")
			t.Log("\n" + res.String())
		})
	}
}
