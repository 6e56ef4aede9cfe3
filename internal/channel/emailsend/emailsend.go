// Package emailsend is the email.send side effect: it renders a journey
// step's email (a saved template, inline fields overriding it), applies
// consent and suppression, records the message, sends it through
// package email's pooled SMTP sender, and keeps the message's status and
// the suppression list in step with the outcome.
//
// It is a package of its own, above the engine, so that package email
// stays a transport any layer can use (the channel service's connection
// test, the benchmarks) without importing the engine.
package emailsend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/channel/email"
	"github.com/nextflow-dev/nextflow/internal/channel/sendprep"
	"github.com/nextflow-dev/nextflow/internal/channel/unsubscribe"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tmpl"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Reasons recorded on messages not sent.
const (
	ReasonUnsubscribed = sendprep.ReasonUnsubscribed
	ReasonSuppressed   = sendprep.ReasonSuppressed
	// ReasonPlanLimit: the tenant's plan allows no more messages this
	// month.
	ReasonPlanLimit = sendprep.ReasonPlanLimit
)

// ErrNoConnection means the tenant has no such email connection, or no
// default one.
var ErrNoConnection = errors.New("no email connection")

// Connection is a tenant's email connection with its password opened. It
// never leaves the process except towards the SMTP server.
type Connection struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Config   email.Config
}

// Connections opens tenants' email connections. Package channel owns
// them; the application adapts it to this interface.
type Connections interface {
	// Get opens a tenant's email connection in tx; id uuid.Nil means the
	// tenant's default (or only) one. ErrNoConnection (wrapped) when there
	// is none or it is not an email connection.
	Get(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*Connection, error)
	// MarkFailing records in tx that the SMTP server refused the
	// connection's settings, with a message saying so.
	MarkFailing(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID, message string) error
}

// Options configures a Sender.
type Options struct {
	Sender      *email.Sender
	Connections Connections
	Store       store.Store
	// Signer signs the one-click unsubscribe links; with BaseURL (the
	// public URL, NEXTFLOW_BASE_URL) every message to a contact carries
	// List-Unsubscribe. Nil: no link.
	Signer  *unsubscribe.Signer
	BaseURL string
	// Templates renders the node's templates (nil: a default engine).
	Templates *tmpl.Engine
	// ConnectionTTL is how long Perform reuses an opened connection
	// before reading it again (default 10 s).
	ConnectionTTL time.Duration
	Log           *slog.Logger
	Now           func() time.Time
	// MessageQuota, when set, is called in the step's transaction just
	// before a message is recorded queued, with 1 (usage.Meter.Messages).
	// A *plan.LimitError skips the step with ReasonPlanLimit (the message
	// is recorded skipped, no call is made); any other error fails it.
	MessageQuota sendprep.Quota
}

// Sender is the email.send side effect: engine.SideEffect and
// engine.EffectRecorder.
type Sender struct {
	opts  Options
	conns *sendprep.ConnCache[*Connection]
}

type connKey struct{ tenant, id uuid.UUID }

var (
	_ engine.SideEffect          = (*Sender)(nil)
	_ engine.EffectRecorder      = (*Sender)(nil)
	_ engine.EffectBatchPreparer = (*Sender)(nil)
	_ engine.EffectBatchRecorder = (*Sender)(nil)
)

// New checks opts and returns the side effect.
func New(opts Options) (*Sender, error) {
	if opts.Sender == nil || opts.Connections == nil || opts.Store == nil {
		return nil, errors.New("email.send needs a sender, connections and a store")
	}
	if opts.Signer != nil && opts.BaseURL != "" {
		if _, err := unsubscribe.URL(opts.BaseURL, "x"); err != nil {
			return nil, err
		}
	}
	if opts.Templates == nil {
		opts.Templates = tmpl.New(tmpl.Options{})
	}
	if opts.ConnectionTTL <= 0 {
		opts.ConnectionTTL = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Sender{opts: opts, conns: sendprep.NewConnCache[*Connection](opts.ConnectionTTL, opts.Now)}, nil
}

// Kind implements engine.SideEffect.
func (*Sender) Kind() string { return workflow.TypeEmailSend }

// sendConfig is the node's config (workflow.TypeEmailSend's schema).
type sendConfig struct {
	ConnectionID string `json:"connectionId"`
	TemplateID   string `json:"templateId"`
	From         string `json:"from"`
	ReplyTo      string `json:"replyTo"`
	To           string `json:"to"`
	Subject      string `json:"subject"`
	Preheader    string `json:"preheader"`
	HTML         string `json:"html"`
	Text         string `json:"text"`
}

// templateContent is an email template's content.
type templateContent struct {
	Subject   string `json:"subject"`
	Preheader string `json:"preheader"`
	HTML      string `json:"html"`
	Text      string `json:"text"`
}

// sendRequest is the prepared send, as stored in the outbox: no secret.
type sendRequest struct {
	MessageID    uuid.UUID     `json:"messageId"`
	ConnectionID uuid.UUID     `json:"connectionId"`
	Email        email.Message `json:"email"`
}

// sendOutput is the step's output.
type sendOutput struct {
	MessageID         uuid.UUID  `json:"messageId"`
	ProviderMessageID string     `json:"providerMessageId,omitempty"`
	To                string     `json:"to"`
	Response          string     `json:"response,omitempty"`
	Error             *sendError `json:"error,omitempty"`
}

type sendError struct {
	Stage            string `json:"stage"`
	Code             int    `json:"code,omitempty"`
	Enhanced         string `json:"enhanced,omitempty"`
	Message          string `json:"message"`
	Suppress         bool   `json:"suppress,omitempty"`
	ConnectionBroken bool   `json:"connectionBroken,omitempty"`
}

// Prepare resolves the connection and template, renders the message,
// applies consent and suppression, and records the message queued (or
// skipped), all in the step's transaction: PrepareMany for one step.
func (s *Sender) Prepare(ctx context.Context, in engine.PrepareInput) (json.RawMessage, error) {
	return sendprep.One(ctx, domain.ChannelEmail, in, s.PrepareMany)
}

// PrepareMany implements engine.EffectBatchPreparer: Prepare for the steps
// of many executions of one tenant, with one read of the connection and of
// each template, one suppression read, one quota take and one messages
// insert for them all (package sendprep).
func (s *Sender) PrepareMany(ctx context.Context, tx store.Tx, items []*engine.PrepareItem) error {
	b := &prepareBatch{s: s, tx: tx, conns: map[connKey]connResult{}, templates: map[uuid.UUID]templateResult{}}
	return sendprep.Draft(ctx, tx, domain.ChannelEmail, s.opts.MessageQuota, items, b.draft)
}

// prepareBatch keeps what the steps of one PrepareMany share: their
// transaction, and the connections and templates read in it.
type prepareBatch struct {
	s         *Sender
	tx        store.Tx
	conns     map[connKey]connResult
	templates map[uuid.UUID]templateResult
}

type connResult struct {
	conn *Connection
	err  error
}

type templateResult struct {
	content templateContent
	err     error
}

// connection opens a tenant's connection once per batch.
func (b *prepareBatch) connection(ctx context.Context, tenantID, id uuid.UUID) (*Connection, error) {
	k := connKey{tenantID, id}
	if r, ok := b.conns[k]; ok {
		return r.conn, r.err
	}
	conn, err := b.s.opts.Connections.Get(ctx, b.tx, tenantID, id)
	b.conns[k] = connResult{conn: conn, err: err}
	return conn, err
}

// draft renders one step's message and readies its row and request.
func (b *prepareBatch) draft(it *engine.PrepareItem) (*sendprep.Send, error) {
	ctx, in, s := it.Ctx, it.In, b.s
	var cfg sendConfig
	if len(in.Config) > 0 {
		if err := json.Unmarshal(in.Config, &cfg); err != nil {
			return nil, fmt.Errorf("decode email.send config: %w", err)
		}
	}
	connID, err := optionalID("connectionId", cfg.ConnectionID)
	if err != nil {
		return nil, err
	}
	conn, err := b.connection(ctx, in.TenantID, connID)
	if err != nil {
		return nil, fmt.Errorf("email connection: %w", err)
	}
	templateID, err := optionalID("templateId", cfg.TemplateID)
	if err != nil {
		return nil, err
	}
	if templateID != uuid.Nil {
		if err := b.applyTemplate(ctx, in.TenantID, templateID, &cfg); err != nil {
			return nil, err
		}
	}
	m, err := s.render(ctx, cfg, in.Data)
	if err != nil {
		return nil, err
	}
	if m.From == "" {
		m.From = conn.Config.From
	}
	if m.ReplyTo == "" {
		m.ReplyTo = conn.Config.ReplyTo
	}
	m.UnsubscribeMailto = conn.Config.UnsubscribeMailto
	to, err := email.ParseAddress("to", m.To)
	if err != nil {
		return nil, err
	}
	address := strings.ToLower(to.Address)
	m.To = to.String()

	messageID, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("message ID: %w", err)
	}
	key := "email:" + messageID.String()
	// The Message-ID is fixed here and stored with the message and the
	// outbox entry before the first attempt: every retry sends the same.
	m.MessageID = email.MessageIDFor(key, m.From)
	m.NextFlowID = messageID.String()

	contactID, subscription := contactOf(in.Data)
	insert := &store.MessageInsertParams{
		TenantID: in.TenantID, ID: messageID, Channel: domain.ChannelEmail, ConnectionID: &conn.ID,
		ContactID: contactID, ExecutionID: &in.ExecutionID, NodeID: in.NodeID,
		Recipient: address, At: s.opts.Now(),
	}
	if templateID != uuid.Nil {
		insert.TemplateID = &templateID
	}
	workflowOf(in.Data, insert)
	skipOut := func() json.RawMessage {
		b, _ := json.Marshal(sendOutput{MessageID: messageID, To: address})
		return b
	}
	send := &sendprep.Send{
		Item: it, Insert: insert, SkipOutput: skipOut,
		SuppressedText: "the address " + address + " is suppressed",
		Ready: func(context.Context, store.Tx) error {
			if contactID != nil && s.opts.Signer != nil && s.opts.BaseURL != "" {
				token, err := s.opts.Signer.Sign(unsubscribe.Token{TenantID: in.TenantID, ContactID: *contactID,
					Channel: string(domain.ChannelEmail), MessageID: messageID})
				if err != nil {
					return fmt.Errorf("unsubscribe link: %w", err)
				}
				if m.UnsubscribeURL, err = unsubscribe.URL(s.opts.BaseURL, token); err != nil {
					return err
				}
			}
			return m.Validate()
		},
		Request: func() (json.RawMessage, any, error) {
			insert.ProviderMessageID = &m.MessageID
			r := &sendRequest{MessageID: messageID, ConnectionID: conn.ID, Email: m}
			raw, err := json.Marshal(r)
			if err != nil {
				return nil, nil, fmt.Errorf("encode email.send request: %w", err)
			}
			return raw, r, nil
		},
	}
	if subscription == domain.SubscriptionUnsubscribed {
		send.SkipCode, send.SkipText = ReasonUnsubscribed, "the contact is unsubscribed from email"
	}
	return send, nil
}

// applyTemplate fills the fields the node leaves empty from the saved
// template (read once per batch).
func (b *prepareBatch) applyTemplate(ctx context.Context, tenantID, id uuid.UUID, cfg *sendConfig) error {
	r, ok := b.templates[id]
	if !ok {
		r.content, r.err = readTemplate(ctx, b.tx, tenantID, id)
		b.templates[id] = r
	}
	if r.err != nil {
		return r.err
	}
	c := r.content
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&cfg.Subject, c.Subject}, {&cfg.Preheader, c.Preheader}, {&cfg.HTML, c.HTML}, {&cfg.Text, c.Text},
	} {
		if strings.TrimSpace(*f.dst) == "" {
			*f.dst = f.src
		}
	}
	return nil
}

// readTemplate reads an email template's content.
func readTemplate(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (templateContent, error) {
	var c templateContent
	t, err := tx.MessageTemplateGetByID(ctx, tenantID, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, fmt.Errorf("templateId: no template %s", id)
	}
	if err != nil {
		return c, fmt.Errorf("read template %s: %w", id, err)
	}
	if t.Channel != domain.ChannelEmail {
		return c, fmt.Errorf("templateId: template %q is a %s template, not an email one", t.Name, t.Channel)
	}
	if err := json.Unmarshal(t.Content, &c); err != nil {
		return c, fmt.Errorf("template %q: %w", t.Name, err)
	}
	return c, nil
}

// render builds the message from the node's config over the context: the
// HTML body auto-escaped, everything else as text.
func (s *Sender) render(ctx context.Context, cfg sendConfig, data map[string]any) (email.Message, error) {
	var m email.Message
	toSrc := cfg.To
	if strings.TrimSpace(toSrc) == "" {
		toSrc = "{{ contact.email }}"
	}
	fields := []struct {
		name string
		src  string
		dst  *string
		html bool
	}{
		{"to", toSrc, &m.To, false}, {"from", cfg.From, &m.From, false}, {"replyTo", cfg.ReplyTo, &m.ReplyTo, false},
		{"subject", cfg.Subject, &m.Subject, false}, {"preheader", cfg.Preheader, &m.Preheader, false},
		{"html", cfg.HTML, &m.HTML, true}, {"text", cfg.Text, &m.Text, false},
	}
	for _, f := range fields {
		if !strings.Contains(f.src, "{{") && !strings.Contains(f.src, "{%") {
			*f.dst = f.src
			continue
		}
		render := s.opts.Templates.Render
		if f.html {
			render = s.opts.Templates.RenderHTML
		}
		out, err := render(ctx, f.src, data)
		if err != nil {
			return m, fmt.Errorf("%s: render template: %w", f.name, err)
		}
		*f.dst = out
	}
	// Header fields are one line.
	for _, p := range []*string{&m.To, &m.From, &m.ReplyTo, &m.Subject} {
		*p = strings.Join(strings.Fields(*p), " ")
	}
	m.Preheader = strings.TrimSpace(m.Preheader)
	return m, nil
}

func optionalID(field, s string) (uuid.UUID, error) {
	if strings.TrimSpace(s) == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(strings.TrimSpace(s))
	if err != nil {
		return uuid.Nil, fmt.Errorf("%s %q is not a UUID", field, s)
	}
	return id, nil
}

// contactOf reads the execution's contact ID and email subscription state
// from the context.
func contactOf(data map[string]any) (*uuid.UUID, string) {
	c, _ := data["contact"].(map[string]any)
	if c == nil {
		return nil, ""
	}
	var id *uuid.UUID
	if s, _ := c["id"].(string); s != "" {
		if u, err := uuid.Parse(s); err == nil {
			id = &u
		}
	}
	subs, _ := c["subscriptions"].(map[string]any)
	e, _ := subs[string(domain.ChannelEmail)].(map[string]any)
	state, _ := e["state"].(string)
	return id, state
}

// workflowOf copies the execution's workflow and version into p.
func workflowOf(data map[string]any, p *store.MessageInsertParams) {
	e, _ := data["execution"].(map[string]any)
	if s, _ := e["workflowId"].(string); s != "" {
		if u, err := uuid.Parse(s); err == nil {
			p.WorkflowID = &u
		}
	}
	if v, ok := e["version"].(float64); ok {
		p.WorkflowVersion = int(v)
	}
}

// Perform opens the connection and sends the message.
func (s *Sender) Perform(ctx context.Context, req engine.EffectRequest) (json.RawMessage, error) {
	r, err := sendprep.Decode[sendRequest](req.Value, req.Request)
	if err != nil {
		return nil, engine.Permanent(fmt.Errorf("email.send: %w", err))
	}
	conn, err := s.connection(ctx, req.TenantID, r.ConnectionID)
	if errors.Is(err, ErrNoConnection) {
		return nil, engine.Permanent(fmt.Errorf("email connection %s: %w", r.ConnectionID, err))
	}
	if err != nil {
		return nil, engine.Retryable(fmt.Errorf("open email connection %s: %w", r.ConnectionID, err))
	}
	out := sendOutput{MessageID: r.MessageID, To: r.Email.To}
	res, err := s.opts.Sender.Send(ctx, conn.Config, r.Email)
	if err != nil {
		var se *email.SendError
		if !errors.As(err, &se) {
			// A message that does not build fails the same way again.
			out.Error = &sendError{Stage: string(email.StageMessage), Message: err.Error()}
			b, _ := json.Marshal(out)
			return nil, &engine.EffectError{Err: err, Output: b}
		}
		out.Error = &sendError{Stage: string(se.Stage), Code: se.Code, Enhanced: se.Enhanced, Message: se.Error(),
			Suppress: se.Suppress, ConnectionBroken: se.ConnectionBroken}
		b, _ := json.Marshal(out)
		return nil, &engine.EffectError{Err: se, Retryable: se.Temporary, Output: b}
	}
	out.ProviderMessageID, out.Response = res.MessageID, res.Response
	return json.Marshal(out)
}

// connection returns the opened connection, from the cache while fresh.
func (s *Sender) connection(ctx context.Context, tenantID, id uuid.UUID) (*Connection, error) {
	return s.conns.Read(ctx, s.opts.Store, tenantID, id, s.opts.Connections.Get)
}

// sentRequest is what RecordResults reads of a sendRequest: the message
// and its Message-ID, not the bodies.
type sentRequest struct {
	MessageID uuid.UUID                  `json:"messageId"`
	Email     struct{ MessageID string } `json:"email"`
}

// RecordResults implements engine.EffectBatchRecorder: the messages of
// many successful sends are marked sent in one statement; any other
// outcome goes through RecordResult.
func (s *Sender) RecordResults(ctx context.Context, tx store.Tx, results []engine.EffectResult) error {
	sent := make([]*store.MessageMarkSentParams, 0, len(results))
	now := s.opts.Now()
	for _, res := range results {
		id, providerID, ok := s.sentIDs(res)
		if !ok {
			if err := s.RecordResult(ctx, tx, res); err != nil {
				return err
			}
			continue
		}
		sent = append(sent, &store.MessageMarkSentParams{TenantID: res.TenantID, ID: id,
			ProviderMessageID: providerID, At: now})
	}
	if err := tx.MessageMarkSentMany(ctx, sent); err != nil {
		return fmt.Errorf("mark %d messages sent: %w", len(sent), err)
	}
	return nil
}

// sentIDs returns the message ID and Message-ID of a successful send's
// request, from the request as prepared in this process (EffectResult.Value) or else
// decoded (only those two fields); ok is false for any other outcome.
func (s *Sender) sentIDs(res engine.EffectResult) (id uuid.UUID, providerID string, ok bool) {
	if res.Err != nil {
		return uuid.Nil, "", false
	}
	if r, ok := res.Value.(*sendRequest); ok && r != nil {
		return r.MessageID, r.Email.MessageID, r.MessageID != uuid.Nil
	}
	var r sentRequest
	if json.Unmarshal(res.Request, &r) != nil || r.MessageID == uuid.Nil {
		return uuid.Nil, "", false
	}
	return r.MessageID, r.Email.MessageID, true
}

// RecordResult moves the message with the call's outcome: sent; bounced
// with the reply (and the address suppressed) after a hard bounce; failed
// otherwise, marking the connection failing when its settings were
// refused. A failure that will be retried leaves the message queued.
func (s *Sender) RecordResult(ctx context.Context, tx store.Tx, res engine.EffectResult) error {
	r, err := sendprep.Decode[sendRequest](res.Value, res.Request)
	if err != nil || r.MessageID == uuid.Nil {
		return nil // nothing of ours to move
	}
	var out sendOutput
	if len(res.Output) > 0 {
		_ = json.Unmarshal(res.Output, &out)
	}
	now := s.opts.Now()
	if res.Err == nil {
		_, err := tx.MessageMarkSent(ctx, &store.MessageMarkSentParams{TenantID: res.TenantID, ID: r.MessageID,
			ProviderMessageID: r.Email.MessageID, At: now})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("mark message %s sent: %w", r.MessageID, err)
		}
		return nil
	}
	if res.Retry {
		return nil
	}
	status, code, text := domain.MessageFailed, "", res.Err.Error()
	if e := out.Error; e != nil {
		text = e.Message
		if e.Code != 0 {
			code = strings.TrimSpace(fmt.Sprintf("%d %s", e.Code, e.Enhanced))
		}
		if e.Suppress {
			status = domain.MessageBounced
			address := strings.ToLower(recipient(r.Email.To))
			if _, err := tx.SuppressionUpsert(ctx, &store.SuppressionUpsertParams{TenantID: res.TenantID,
				Channel: domain.ChannelEmail, Address: address, Reason: domain.SuppressionHardBounce,
				SourceMessageID: &r.MessageID}); err != nil {
				return fmt.Errorf("suppress %s: %w", r.MessageID, err)
			}
		}
		if e.ConnectionBroken {
			if err := s.opts.Connections.MarkFailing(ctx, tx, res.TenantID, r.ConnectionID, e.Message); err != nil {
				return fmt.Errorf("mark connection %s failing: %w", r.ConnectionID, err)
			}
			s.conns.Forget(res.TenantID, r.ConnectionID)
		}
	}
	_, _, err = tx.MessageAdvance(ctx, &store.MessageAdvanceParams{TenantID: res.TenantID, ID: r.MessageID,
		Status: status, At: now, ErrorCode: code, ErrorText: truncate(text, 1000)})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("mark message %s %s: %w", r.MessageID, status, err)
	}
	return nil
}

// recipient is the bare address of an RFC 5322 "Name <addr>".
func recipient(to string) string {
	if a, err := email.ParseAddress("to", to); err == nil {
		return a.Address
	}
	return to
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
