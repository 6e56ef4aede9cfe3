package app

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

func TestIDBelow(t *testing.T) {
	t.Parallel()
	require.Equal(t, uuid.MustParse("0190a5a0-0000-7000-8000-0000000000ff"), idBelow(uuid.MustParse("0190a5a0-0000-7000-8000-000000000100")))
	require.Equal(t, uuid.Nil, idBelow(uuid.Nil))
	for range 100 {
		id := uuid.New()
		require.Less(t, idBelow(id).String(), id.String())
	}
}

// TestWhatsAppConnections opens connections through the channel service:
// by tenant and ID, as the tenant's only one, and by ID alone for the
// webhook, secrets opened; another kind or an unknown ID is
// ErrNoConnection.
func TestWhatsAppConnections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.SQLite(t)
	kr, err := secret.NewKeyring(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	svc := channel.New(st, kr, channel.Options{})
	conns := newWhatsAppConnections(st, svc)

	var tenant uuid.UUID
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanPro})
		tenant = tn.ID
		return err
	}))
	create := func(in *channel.Input) uuid.UUID {
		var id uuid.UUID
		require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
			v, err := svc.CreateTx(ctx, tx, tenant, in, nil)
			if err == nil {
				id = v.Connection.ID
			}
			return err
		}))
		return id
	}
	name := "Support line"
	waID := create(&channel.Input{Kind: domain.ChannelWhatsApp, Name: &name,
		Config:  &channel.Config{PhoneNumberID: "106540352242922", MessagesPerSecond: 20},
		Secrets: map[string]string{channel.SecretAccessToken: "tok", channel.SecretAppSecret: "sec", channel.SecretVerifyToken: "ver"}})
	want := &whatsapp.Connection{ID: waID, TenantID: tenant, PhoneNumberID: "106540352242922",
		AccessToken: "tok", AppSecret: "sec", VerifyToken: "ver", MessagesPerSecond: 20}

	require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
		got, err := conns.Get(ctx, tx, tenant, waID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		got, err = conns.Get(ctx, tx, tenant, uuid.Nil)
		require.NoError(t, err)
		require.Equal(t, want, got)
		_, err = conns.Get(ctx, tx, tenant, uuid.New())
		require.ErrorIs(t, err, whatsapp.ErrNoConnection)
		return nil
	}))
	got, err := conns.Lookup(ctx, waID)
	require.NoError(t, err)
	require.Equal(t, want, got)
	_, err = conns.Lookup(ctx, uuid.New())
	require.ErrorIs(t, err, whatsapp.ErrNoConnection)

	pageName := "Page"
	pageID := create(&channel.Input{Kind: domain.ChannelMessenger, Name: &pageName, Config: &channel.Config{PageID: "1067280970047460"},
		Secrets: map[string]string{channel.SecretPageToken: "pt"}})
	_, err = conns.Lookup(ctx, pageID)
	require.ErrorIs(t, err, whatsapp.ErrNoConnection, "a Messenger connection is not a WhatsApp one")
}
