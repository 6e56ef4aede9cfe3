package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/channel/email"
	"github.com/nextflow-dev/nextflow/internal/channel/emailsend"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// emailConnections adapts the channel service to emailsend.Connections.
type emailConnections struct {
	svc *channel.Service
}

var _ emailsend.Connections = emailConnections{}

// Get opens a tenant's email connection; uuid.Nil is the tenant's only
// one (with several, the node names one).
func (c emailConnections) Get(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*emailsend.Connection, error) {
	if id == uuid.Nil {
		list, err := tx.ChannelList(ctx, tenantID, domain.ChannelEmail)
		if err != nil {
			return nil, fmt.Errorf("list email connections: %w", err)
		}
		switch len(list) {
		case 0:
			return nil, fmt.Errorf("the workspace has none: %w", emailsend.ErrNoConnection)
		case 1:
			id = list[0].ID
		default:
			return nil, fmt.Errorf("the workspace has %d, set the node's connectionId: %w", len(list), emailsend.ErrNoConnection)
		}
	}
	r, err := c.svc.Resolve(ctx, tx, tenantID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("connection %s: %w", id, emailsend.ErrNoConnection)
	}
	if err != nil {
		return nil, fmt.Errorf("open connection %s: %w", id, err)
	}
	cfg, err := emailConfig(r)
	if err != nil {
		return nil, err
	}
	return &emailsend.Connection{ID: r.ID, TenantID: r.TenantID, Config: cfg}, nil
}

// MarkFailing records that the SMTP server refused the connection.
func (c emailConnections) MarkFailing(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID, message string) error {
	return c.svc.MarkFailing(ctx, tx, tenantID, id, message)
}

// emailConfig turns a resolved email connection into the sender's config.
func emailConfig(r *channel.Resolved) (email.Config, error) {
	if r.Kind != domain.ChannelEmail {
		return email.Config{}, fmt.Errorf("connection %s is a %s connection: %w", r.ID, r.Kind, emailsend.ErrNoConnection)
	}
	from := r.Config.From
	if r.Config.FromName != "" {
		from = (&mail.Address{Name: r.Config.FromName, Address: r.Config.From}).String()
	}
	cfg, err := email.Config{Host: r.Config.Host, Port: r.Config.Port, Username: r.Config.Username,
		Password: r.Secret(channel.SecretPassword), TLS: email.TLSMode(r.Config.TLS), From: from, ReplyTo: r.Config.ReplyTo}.Normalize()
	if err != nil {
		return email.Config{}, fmt.Errorf("email connection %s: %w", r.ID, err)
	}
	return cfg, nil
}

// emailChannel builds the email channel: the SMTP sender (closed by the
// caller), the email.send side effect (for engine.Options.SideEffects)
// and the connection test, registered on the channel service. SMTP hosts
// are reached through the SSRF guard; NEXTFLOW_HTTP_ALLOW opens internal
// relays (and 127.0.0.1 for a local test server).
func emailChannel(cfg *config.Config, st store.Store, svc *channel.Service,
	quota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID, n int) error, log *slog.Logger) (*emailsend.Sender, *email.Sender, error) {
	sender, err := email.NewSender(email.Options{Allow: cfg.HTTPAllow, Logger: log.With("component", "email")})
	if err != nil {
		return nil, nil, &config.Error{Name: "NEXTFLOW_HTTP_ALLOW", Msg: err.Error()}
	}
	signer, err := unsubscribeSigner(cfg)
	if err != nil {
		_ = sender.Close()
		return nil, nil, err
	}
	fx, err := emailsend.New(emailsend.Options{Sender: sender, Connections: emailConnections{svc: svc}, Store: st,
		Signer: signer, BaseURL: cfg.BaseURL, MessageQuota: quota, Log: log.With("component", "email")})
	if err != nil {
		_ = sender.Close()
		return nil, nil, fmt.Errorf("email.send: %w", err)
	}
	svc.RegisterProber(domain.ChannelEmail, func(ctx context.Context, r *channel.Resolved) error {
		c, err := emailConfig(r)
		if err != nil {
			return err
		}
		return sender.Probe(ctx, c)
	})
	return fx, sender, nil
}
