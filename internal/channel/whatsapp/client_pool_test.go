package whatsapp_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
)

// TestClientReusesConnections sends three waves of 32 parallel messages
// with the default client: the later waves go over the first wave's
// connections instead of dialling (Go's default transport keeps two idle
// connections per host, so most of each wave would dial anew).
func TestClientReusesConnections(t *testing.T) {
	t.Parallel()
	var dialled atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"messaging_product":"whatsapp","contacts":[{"input":"4915112345678","wa_id":"4915112345678"}],"messages":[{"id":"wamid.x"}]}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := whatsapp.NewClient(whatsapp.ClientOptions{BaseURL: srv.URL})
	require.NoError(t, err)

	const parallel, waves = 32, 3
	for range waves {
		var wg sync.WaitGroup
		for range parallel {
			wg.Go(func() {
				_, err := c.Send(context.Background(), phoneID, token, whatsapp.Message{To: "+4915112345678",
					Template: &whatsapp.Template{Name: "order_update", Language: "en_US"}})
				require.NoError(t, err)
			})
		}
		wg.Wait()
	}
	require.LessOrEqual(t, dialled.Load(), int64(parallel+parallel/4),
		"%d sends in waves of %d dialled %d connections", parallel*waves, parallel, dialled.Load())
}
