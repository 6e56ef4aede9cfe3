package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// ChannelRoutes serves the channel connections, templates and messages
// operations. The app registers it through Deps.Hooks.
type ChannelRoutes struct {
	Store    store.Store
	Channels *channel.Service
	Logger   *slog.Logger
}

// Register adds the channel, template, message and suppression operations to api.
func (r *ChannelRoutes) Register(api huma.API) {
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	r.registerChannels(api)
	r.registerTemplates(api)
	r.registerMessages(api)
	r.registerSuppressions(api)
}

// ChannelConfigDTO is a connection's non-secret settings; which fields
// apply depends on its kind.
type ChannelConfigDTO struct {
	Host              string `json:"host,omitempty" maxLength:"253" doc:"email: SMTP server host"`
	Port              int    `json:"port,omitempty" minimum:"0" maximum:"65535" doc:"email: SMTP port (default 587, 465 with implicit TLS)"`
	Username          string `json:"username,omitempty" maxLength:"320" doc:"email: SMTP user name"`
	TLS               string `json:"tls,omitempty" enum:"mandatory,implicit,opportunistic,none" doc:"email: mandatory STARTTLS (default), implicit TLS, opportunistic, or none (only when chosen)"`
	From              string `json:"from,omitempty" maxLength:"320" doc:"email: default sender address"`
	FromName          string `json:"fromName,omitempty" maxLength:"320" doc:"email: default sender name"`
	ReplyTo           string `json:"replyTo,omitempty" maxLength:"320" doc:"email: default Reply-To address"`
	PhoneNumberID     string `json:"phoneNumberId,omitempty" maxLength:"32" doc:"whatsapp: Cloud API phone number ID"`
	BusinessAccountID string `json:"businessAccountId,omitempty" maxLength:"32" doc:"whatsapp: business account ID (optional)"`
	MessagesPerSecond int    `json:"messagesPerSecond,omitempty" minimum:"0" maximum:"1000" doc:"whatsapp: send rate (default 80)"`
	PageID            string `json:"pageId,omitempty" maxLength:"32" doc:"messenger: Facebook Page ID"`
}

func (c *ChannelConfigDTO) config() *channel.Config {
	if c == nil {
		return nil
	}
	return &channel.Config{Host: c.Host, Port: c.Port, Username: c.Username, TLS: c.TLS, From: c.From, FromName: c.FromName,
		ReplyTo: c.ReplyTo, PhoneNumberID: c.PhoneNumberID, BusinessAccountID: c.BusinessAccountID,
		MessagesPerSecond: c.MessagesPerSecond, PageID: c.PageID}
}

func channelConfigDTO(c channel.Config) ChannelConfigDTO {
	return ChannelConfigDTO{Host: c.Host, Port: c.Port, Username: c.Username, TLS: c.TLS, From: c.From, FromName: c.FromName,
		ReplyTo: c.ReplyTo, PhoneNumberID: c.PhoneNumberID, BusinessAccountID: c.BusinessAccountID,
		MessagesPerSecond: c.MessagesPerSecond, PageID: c.PageID}
}

// ChannelDTO is a channel connection as the API shows it: never a secret's
// value, only which secrets are set.
type ChannelDTO struct {
	ID            uuid.UUID        `json:"id"`
	Kind          string           `json:"kind" enum:"email,whatsapp,messenger"`
	Name          string           `json:"name"`
	Config        ChannelConfigDTO `json:"config"`
	SecretsSet    []string         `json:"secretsSet" doc:"Names of the secrets that are set (values are never returned)"`
	Status        string           `json:"status" enum:"untested,ok,failing"`
	StatusMessage string           `json:"statusMessage"`
	LastTestedAt  *time.Time       `json:"lastTestedAt,omitempty"`
	WebhookURL    string           `json:"webhookUrl,omitempty" doc:"whatsapp, messenger: the callback URL to enter in Meta's app dashboard"`
	CreatedAt     time.Time        `json:"createdAt"`
	UpdatedAt     time.Time        `json:"updatedAt"`
}

func channelDTO(v *channel.View) ChannelDTO {
	c := v.Connection
	return ChannelDTO{ID: c.ID, Kind: string(c.Kind), Name: c.Name, Config: channelConfigDTO(v.Config),
		SecretsSet: channel.SecretsSet(c), Status: string(c.Status), StatusMessage: c.StatusMessage,
		LastTestedAt: c.LastTestedAt, WebhookURL: v.WebhookURL, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// ChannelCreateDTO is a new connection.
type ChannelCreateDTO struct {
	Kind    string            `json:"kind" enum:"email,whatsapp,messenger"`
	Name    string            `json:"name" minLength:"1" maxLength:"100" doc:"Unique in the workspace"`
	Config  *ChannelConfigDTO `json:"config,omitempty"`
	SMTPURL string            `json:"smtpUrl,omitempty" maxLength:"2048" writeOnly:"true" doc:"email: smtp://user:password@host:587 or smtps://…:465 instead of the fields; its password is stored as the password secret"`
	Secrets map[string]string `json:"secrets,omitempty" writeOnly:"true" doc:"email: password; whatsapp: accessToken, appSecret, verifyToken; messenger: pageToken, appSecret, verifyToken. Stored encrypted, never returned."`
}

// ChannelUpdateDTO changes a connection: a field left out keeps its value;
// config, when given, replaces the whole config; a secret left out keeps
// its value and one set to "" is removed.
type ChannelUpdateDTO struct {
	Name    *string           `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Config  *ChannelConfigDTO `json:"config,omitempty"`
	SMTPURL *string           `json:"smtpUrl,omitempty" maxLength:"2048" writeOnly:"true"`
	Secrets map[string]string `json:"secrets,omitempty" writeOnly:"true"`
}

// ChannelListInput filters the connections by kind.
type ChannelListInput struct {
	Kind string `query:"kind" enum:"email,whatsapp,messenger" doc:"Only connections of this kind"`
}

// ChannelCreateInput carries a new connection.
type ChannelCreateInput struct {
	Body ChannelCreateDTO
}

// ChannelIDInput names a connection.
type ChannelIDInput struct {
	ID uuid.UUID `path:"id"`
}

// ChannelUpdateInput names a connection and carries its changes.
type ChannelUpdateInput struct {
	ID   uuid.UUID `path:"id"`
	Body ChannelUpdateDTO
}

// ChannelOutput is one connection, never cached.
type ChannelOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         ChannelDTO
}

// ChannelListOutput is the workspace's connections, by name.
type ChannelListOutput struct {
	Body []ChannelDTO
}

// ChannelTestDTO is the result of a connection test.
type ChannelTestDTO struct {
	OK      bool       `json:"ok"`
	Message string     `json:"message" doc:"What the test found, in words"`
	Channel ChannelDTO `json:"channel"`
}

// ChannelTestOutput is the result of a connection test.
type ChannelTestOutput struct {
	Body ChannelTestDTO
}

// channelProblem maps the channel service's errors to problems.
func channelProblem(ctx context.Context, log *slog.Logger, what string, err error) error {
	var ie *channel.InvalidError
	if errors.As(err, &ie) {
		return huma.Error422UnprocessableEntity(ie.Error(), &huma.ErrorDetail{Location: "body." + ie.Field, Message: ie.Message})
	}
	var te *channel.TemplateError
	if errors.As(err, &te) {
		return huma.Error422UnprocessableEntity(te.Error(), &huma.ErrorDetail{Location: "body." + te.Field, Message: te.Message, Value: te.Line})
	}
	if errors.Is(err, store.ErrNotFound) {
		return huma.Error404NotFound(what + " not found")
	}
	return Problem(ctx, log, what, err)
}

// auditChannel records a change of a connection (never a secret).
func auditChannel(ctx context.Context, tx store.Tx, c *Caller, action string, v *channel.View) error {
	actorType, actorID := "user", c.UserID
	if c.APIKeyID != nil {
		actorType, actorID = "api_key", c.APIKeyID
	}
	data, _ := json.Marshal(map[string]any{"kind": v.Connection.Kind, "name": v.Connection.Name, "secretsSet": v.Connection.SecretNames})
	if err := tx.AuditInsert(ctx, &store.AuditInsertParams{TenantID: c.TenantID, ActorType: actorType, ActorID: actorID,
		Action: action, TargetType: "channel", TargetID: v.Connection.ID.String(), Data: data, IP: c.IP}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

func (r *ChannelRoutes) registerChannels(api huma.API) {
	tags := []string{"channels"}
	read := map[string]any{MetaPermission: auth.PermChannelsRead}
	manage := map[string]any{MetaPermission: auth.PermChannelsManage}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}

	huma.Register(api, huma.Operation{
		OperationID: "list-channels", Method: http.MethodGet, Path: Prefix + "/channels",
		Summary: "List the workspace's channel connections", Tags: tags, Metadata: read, Errors: errs,
	}, func(ctx context.Context, in *ChannelListInput) (*ChannelListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var list []*channel.View
		if err := r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			list, err = r.Channels.ListTx(ctx, tx, c.TenantID, domain.ChannelKind(in.Kind))
			return err
		}); err != nil {
			return nil, channelProblem(ctx, r.Logger, "channels", err)
		}
		out := make([]ChannelDTO, 0, len(list))
		for _, v := range list {
			out = append(out, channelDTO(v))
		}
		return &ChannelListOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-channel", Method: http.MethodPost, Path: Prefix + "/channels",
		Summary:     "Connect a channel (email, WhatsApp or Messenger)",
		Description: "Secrets are encrypted at rest and never returned; the response lists which are set.",
		Tags:        tags, DefaultStatus: http.StatusCreated, Metadata: manage,
		Errors: append(errs, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *ChannelCreateInput) (*ChannelOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		inp := &channel.Input{Kind: domain.ChannelKind(in.Body.Kind), Name: &in.Body.Name, Config: in.Body.Config.config(),
			Secrets: in.Body.Secrets}
		if in.Body.SMTPURL != "" {
			inp.SMTPURL = &in.Body.SMTPURL
		}
		if inp.Config == nil {
			inp.Config = &channel.Config{}
		}
		var v *channel.View
		err = r.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			var err error
			if v, err = r.Channels.CreateTx(ctx, tx, c.TenantID, inp, c.UserID); err != nil {
				return err
			}
			return auditChannel(ctx, tx, c, "channel.created", v)
		})
		if errors.Is(err, store.ErrConflict) {
			return nil, huma.Error409Conflict(fmt.Sprintf("a channel named %q already exists", in.Body.Name),
				&huma.ErrorDetail{Location: "body.name", Message: "taken", Value: in.Body.Name})
		}
		if err != nil {
			return nil, channelProblem(ctx, r.Logger, "channel", err)
		}
		return &ChannelOutput{CacheControl: "no-store", Body: channelDTO(v)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-channel", Method: http.MethodGet, Path: Prefix + "/channels/{id}",
		Summary: "Get a channel connection", Tags: tags, Metadata: read, Errors: errs,
	}, func(ctx context.Context, in *ChannelIDInput) (*ChannelOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var v *channel.View
		if err := r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			v, err = r.Channels.GetTx(ctx, tx, c.TenantID, in.ID)
			return err
		}); err != nil {
			return nil, channelProblem(ctx, r.Logger, "channel", err)
		}
		return &ChannelOutput{CacheControl: "no-store", Body: channelDTO(v)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-channel", Method: http.MethodPatch, Path: Prefix + "/channels/{id}",
		Summary:     "Change a channel connection",
		Description: "Fields left out keep their value; a secret left out keeps its value, one set to \"\" is removed. The status goes back to untested.",
		Tags:        tags, Metadata: manage, Errors: append(errs, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *ChannelUpdateInput) (*ChannelOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		inp := &channel.Input{Name: in.Body.Name, Config: in.Body.Config.config(), SMTPURL: in.Body.SMTPURL, Secrets: in.Body.Secrets}
		var v *channel.View
		err = r.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			var err error
			if v, err = r.Channels.UpdateTx(ctx, tx, c.TenantID, in.ID, inp); err != nil {
				return err
			}
			return auditChannel(ctx, tx, c, "channel.updated", v)
		})
		if errors.Is(err, store.ErrConflict) {
			return nil, huma.Error409Conflict("another channel has this name",
				&huma.ErrorDetail{Location: "body.name", Message: "taken"})
		}
		if err != nil {
			return nil, channelProblem(ctx, r.Logger, "channel", err)
		}
		return &ChannelOutput{CacheControl: "no-store", Body: channelDTO(v)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-channel", Method: http.MethodDelete, Path: Prefix + "/channels/{id}",
		Summary: "Delete a channel connection", Tags: tags, DefaultStatus: http.StatusNoContent, Metadata: manage, Errors: errs,
	}, func(ctx context.Context, in *ChannelIDInput) (*NoContentOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		err = r.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			v, err := r.Channels.GetTx(ctx, tx, c.TenantID, in.ID)
			if err != nil {
				return err
			}
			if err := tx.ChannelDelete(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			return auditChannel(ctx, tx, c, "channel.deleted", v)
		})
		if err != nil {
			return nil, channelProblem(ctx, r.Logger, "channel", err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "test-channel", Method: http.MethodPost, Path: Prefix + "/channels/{id}/test",
		Summary:     "Test a channel connection",
		Description: "Connects to the provider with the stored settings and records the result as the connection's status.",
		Tags:        tags, Metadata: manage, Errors: errs,
	}, func(ctx context.Context, in *ChannelIDInput) (*ChannelTestOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		v, err := r.Channels.Test(ctx, c.TenantID, in.ID)
		if err != nil {
			return nil, channelProblem(ctx, r.Logger, "channel", err)
		}
		return &ChannelTestOutput{Body: ChannelTestDTO{OK: v.Connection.Status == domain.ChannelOK,
			Message: v.Connection.StatusMessage, Channel: channelDTO(v)}}, nil
	})
}
