package messenger

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
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
		_, _ = w.Write([]byte(`{"recipient_id":"1254459154682919","message_id":"m_x"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, "", nil)
	require.NoError(t, err)

	const parallel, waves = 32, 3
	for range waves {
		var wg sync.WaitGroup
		for range parallel {
			wg.Go(func() {
				_, err := c.Send(context.Background(), "1067280970047460", testToken,
					Message{Recipient: "1254459154682919", MessagingType: Response, Text: "hello"})
				require.NoError(t, err)
			})
		}
		wg.Wait()
	}
	require.LessOrEqual(t, dialled.Load(), int64(parallel+parallel/4),
		"%d sends in waves of %d dialled %d connections", parallel*waves, parallel, dialled.Load())
}
