package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// whatsAppConnections adapts the channel service to whatsapp.Connections.
type whatsAppConnections struct{ metaConnections }

var _ whatsapp.Connections = whatsAppConnections{}

// newWhatsAppConnections builds the adapter over the service.
func newWhatsAppConnections(st store.Store, svc *channel.Service) whatsAppConnections {
	return whatsAppConnections{metaConnections{st: st, svc: svc, kind: domain.ChannelWhatsApp, none: whatsapp.ErrNoConnection}}
}

// Get opens a tenant's WhatsApp connection (uuid.Nil: its only one).
func (c whatsAppConnections) Get(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*whatsapp.Connection, error) {
	r, err := c.resolve(ctx, tx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return whatsAppConnection(r)
}

// Lookup opens a WhatsApp connection by its ID alone, for its webhook.
func (c whatsAppConnections) Lookup(ctx context.Context, id uuid.UUID) (*whatsapp.Connection, error) {
	r, err := c.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	return whatsAppConnection(r)
}

// whatsAppConnection turns a resolved connection into a WhatsApp one.
func whatsAppConnection(r *channel.Resolved) (*whatsapp.Connection, error) {
	if r.Kind != domain.ChannelWhatsApp {
		return nil, fmt.Errorf("connection %s is a %s connection: %w", r.ID, r.Kind, whatsapp.ErrNoConnection)
	}
	return &whatsapp.Connection{ID: r.ID, TenantID: r.TenantID, PhoneNumberID: r.Config.PhoneNumberID,
		AccessToken: r.Secret(channel.SecretAccessToken), AppSecret: r.Secret(channel.SecretAppSecret),
		VerifyToken: r.Secret(channel.SecretVerifyToken), MessagesPerSecond: r.Config.MessagesPerSecond}, nil
}

// whatsAppChannel builds the WhatsApp channel: the whatsapp.send side
// effect (for engine.Options.SideEffects), the inbound webhook side (for
// api.Server.MountWhatsAppHooks and its job's worker, whose Engine the
// caller sets once the engine exists), and the connection test,
// registered on the channel service. baseURL and version are the Graph
// API's (empty: whatsapp's defaults); limiter is shared through Redis
// when it is configured.
func whatsAppChannel(st store.Store, svc *channel.Service, limiter ratelimit.Limiter, baseURL, version string,
	quota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID, n int) error, log *slog.Logger) (*whatsapp.Sender, *whatsapp.Inbound, error) {
	client, err := whatsapp.NewClient(whatsapp.ClientOptions{BaseURL: baseURL, APIVersion: version})
	if err != nil {
		return nil, nil, fmt.Errorf("whatsapp: %w", err)
	}
	log = log.With("component", "whatsapp")
	conns := newWhatsAppConnections(st, svc)
	sender, err := whatsapp.NewSender(whatsapp.SenderOptions{Client: client, Connections: conns, Store: st, Limiter: limiter,
		MessageQuota: quota, Log: log})
	if err != nil {
		return nil, nil, err
	}
	svc.RegisterProber(domain.ChannelWhatsApp, func(ctx context.Context, r *channel.Resolved) error {
		_, err := client.Probe(ctx, r.Config.PhoneNumberID, r.Secret(channel.SecretAccessToken))
		return err
	})
	inbound := &whatsapp.Inbound{Store: st, Connections: conns, Log: log}
	return sender, inbound, nil
}
