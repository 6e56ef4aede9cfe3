package app

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/channel/messenger"
	"github.com/nextflow-dev/nextflow/internal/domain"
)

func TestMessengerConnection(t *testing.T) {
	t.Parallel()
	r := &channel.Resolved{ID: uuid.New(), TenantID: uuid.New(), Kind: domain.ChannelMessenger,
		Config:  channel.Config{PageID: "1067280970047460"},
		Secrets: map[string]string{channel.SecretPageToken: "tok", channel.SecretAppSecret: "sec", channel.SecretVerifyToken: "ver"}}
	c, err := messengerConnection(r)
	require.NoError(t, err)
	require.Equal(t, &messenger.Connection{ID: r.ID, TenantID: r.TenantID, PageID: "1067280970047460",
		PageToken: "tok", AppSecret: "sec", VerifyToken: "ver"}, c)
	r.Kind = domain.ChannelWhatsApp
	_, err = messengerConnection(r)
	require.ErrorIs(t, err, messenger.ErrNoConnection)
}
