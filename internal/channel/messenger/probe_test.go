package messenger

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
)

func TestProbe(t *testing.T) {
	t.Parallel()
	fake := metafake.New(metafake.Options{})
	t.Cleanup(fake.Close)
	metafake.NewMessenger(fake).AddPage(metafake.MessengerPage{PageID: "1067280970047460", Name: "Acme Shoes", Token: "page-token"})
	c, err := NewClient(fake.URL(), "v21.0", nil)
	require.NoError(t, err)
	ctx := context.Background()

	name, err := c.Probe(ctx, "1067280970047460", "page-token")
	require.NoError(t, err)
	require.Equal(t, "Acme Shoes", name)

	for _, tc := range []struct {
		name, page, token, words string
	}{
		{"wrong token", "1067280970047460", "stale-token", "refused the page token"},
		{"unknown page", "999", "page-token", "page 999 does not exist"},
		{"page ID not digits", "acme", "page-token", "not all digits"},
		{"no token", "1067280970047460", "", "no page token"},
	} {
		_, err := c.Probe(ctx, tc.page, tc.token)
		require.ErrorContains(t, err, tc.words, tc.name)
		require.NotContains(t, err.Error(), "stale-token", tc.name)
	}

	down, err := NewClient("http://127.0.0.1:1", "v21.0", &http.Client{})
	require.NoError(t, err)
	_, err = down.Probe(ctx, "1067280970047460", "page-token")
	require.ErrorContains(t, err, "could not be reached")
	require.NotContains(t, err.Error(), "page-token")
}
