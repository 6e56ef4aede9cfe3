package app

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/api"
	"github.com/nextflow-dev/nextflow/internal/config"
)

// Shutdown ends open live streams at its start, so that draining HTTP
// does not wait for them until the deadline.
func TestShutdownEndsLiveStreams(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load([]string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, func(string) string { return "" })
	require.NoError(t, err)
	a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(a.close)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)

	res, err := http.Post(srv.URL+api.Prefix+"/auth/signup", "application/json", strings.NewReader(
		`{"email":"owner@example.com","password":"correct horse battery","name":"Owner","workspaceName":"Acme"}`))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == api.SessionCookie {
			session = c
		}
	}
	require.NotNil(t, session)

	req, err := http.NewRequest(http.MethodGet, srv.URL+api.Prefix+"/executions/stream", nil)
	require.NoError(t, err)
	req.AddCookie(session)
	stream, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer stream.Body.Close()
	require.Equal(t, http.StatusOK, stream.StatusCode)

	ended := make(chan struct{})
	go func() {
		defer close(ended)
		r := bufio.NewReader(stream.Body)
		for {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
		}
	}()
	select {
	case <-ended:
		t.Fatal("the stream ended before shutdown")
	case <-time.After(300 * time.Millisecond):
	}
	a.closeStreams()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream outlived the start of shutdown")
	}
}
