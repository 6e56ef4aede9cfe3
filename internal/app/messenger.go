package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/channel/messenger"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// messengerConnections adapts the channel service to messenger.Connections.
type messengerConnections struct{ metaConnections }

var _ messenger.Connections = messengerConnections{}

// newMessengerConnections builds the adapter over the service.
func newMessengerConnections(st store.Store, svc *channel.Service) messengerConnections {
	return messengerConnections{metaConnections{st: st, svc: svc, kind: domain.ChannelMessenger, none: messenger.ErrNoConnection}}
}

// Get opens a tenant's Messenger connection (uuid.Nil: its only one).
func (c messengerConnections) Get(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*messenger.Connection, error) {
	r, err := c.resolve(ctx, tx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return messengerConnection(r)
}

// Lookup opens a Messenger connection by its ID alone, for its webhook.
func (c messengerConnections) Lookup(ctx context.Context, id uuid.UUID) (*messenger.Connection, error) {
	r, err := c.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	return messengerConnection(r)
}

// messengerConnection turns a resolved connection into a Messenger one.
func messengerConnection(r *channel.Resolved) (*messenger.Connection, error) {
	if r.Kind != domain.ChannelMessenger {
		return nil, fmt.Errorf("connection %s is a %s connection: %w", r.ID, r.Kind, messenger.ErrNoConnection)
	}
	return &messenger.Connection{ID: r.ID, TenantID: r.TenantID, PageID: r.Config.PageID,
		PageToken: r.Secret(channel.SecretPageToken), AppSecret: r.Secret(channel.SecretAppSecret),
		VerifyToken: r.Secret(channel.SecretVerifyToken)}, nil
}

// messengerChannel builds the Messenger channel: the messenger.send side
// effect (for engine.Options.SideEffects), the inbound webhook side (for
// api.Server.MountMessengerHooks and its job's worker, whose Engine the
// caller sets once the engine exists), and the connection test,
// registered on the channel service. baseURL and version are the Graph
// API's (empty: messenger's defaults).
func messengerChannel(st store.Store, svc *channel.Service, limiter ratelimit.Limiter, baseURL, version string,
	quota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID, n int) error, log *slog.Logger) (*messenger.Sender, *messenger.Inbound, error) {
	client, err := messenger.NewClient(baseURL, version, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("messenger: %w", err)
	}
	conns := newMessengerConnections(st, svc)
	sender, err := messenger.NewSender(messenger.SenderOptions{Client: client, Connections: conns, Store: st, Limiter: limiter,
		MessageQuota: quota, Log: log.With("component", "messenger")})
	if err != nil {
		return nil, nil, err
	}
	svc.RegisterProber(domain.ChannelMessenger, func(ctx context.Context, r *channel.Resolved) error {
		_, err := client.Probe(ctx, r.Config.PageID, r.Secret(channel.SecretPageToken))
		return err
	})
	inbound := &messenger.Inbound{Store: st, Connections: conns, Log: log.With("component", "messenger")}
	return sender, inbound, nil
}
