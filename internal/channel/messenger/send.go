package messenger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/channel/sendprep"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tmpl"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Error codes recorded on messages refused or skipped before any call.
const (
	ReasonWindowClosed    = "window_closed"
	ReasonTagNotSupported = "tag_not_supported"
	ReasonUnsubscribed    = sendprep.ReasonUnsubscribed
	ReasonSuppressed      = sendprep.ReasonSuppressed
	ReasonNoPSID          = "no_psid"
	// ReasonPlanLimit: the tenant's plan allows no more messages this
	// month.
	ReasonPlanLimit = sendprep.ReasonPlanLimit
)

// SenderOptions configures a Sender.
type SenderOptions struct {
	Client      *Client
	Connections Connections
	Store       store.Store
	// Limiter holds sends under the per-page rate (nil: no limit).
	Limiter ratelimit.Limiter
	// Templates renders the node's text (nil: a default engine).
	Templates *tmpl.Engine
	Log       *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MessageQuota, when set, is called in the step's transaction just
	// before a message is recorded queued, with 1 (usage.Meter.Messages).
	// A *plan.LimitError skips the step with ReasonPlanLimit (the message
	// is recorded skipped, no call is made); any other error fails it.
	MessageQuota sendprep.Quota
	// ConnectionTTL is how long Perform reuses a connection it opened
	// (default DefaultConnectionTTL; negative: never), so a burst of sends
	// does not read and unseal the page token for each call. A token
	// refused by Meta drops it at once.
	ConnectionTTL time.Duration
}

// DefaultConnectionTTL is SenderOptions.ConnectionTTL's default.
const DefaultConnectionTTL = 10 * time.Second

// Sender is the messenger.send side effect: engine.SideEffect,
// engine.EffectAdmitter and engine.EffectRecorder.
type Sender struct {
	opts  SenderOptions
	conns *sendprep.ConnCache[*Connection]
}

var (
	_ engine.SideEffect          = (*Sender)(nil)
	_ engine.EffectAdmitter      = (*Sender)(nil)
	_ engine.EffectRecorder      = (*Sender)(nil)
	_ engine.EffectBatchPreparer = (*Sender)(nil)
	_ engine.EffectBatchRecorder = (*Sender)(nil)
)

// NewSender checks opts and returns the side effect.
func NewSender(opts SenderOptions) (*Sender, error) {
	if opts.Client == nil || opts.Connections == nil || opts.Store == nil {
		return nil, errors.New("messenger sender needs a client, connections and a store")
	}
	if opts.Templates == nil {
		opts.Templates = tmpl.New(tmpl.Options{})
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ConnectionTTL == 0 {
		opts.ConnectionTTL = DefaultConnectionTTL
	}
	return &Sender{opts: opts, conns: sendprep.NewConnCache[*Connection](opts.ConnectionTTL, opts.Now)}, nil
}

// Kind implements engine.SideEffect.
func (*Sender) Kind() string { return workflow.TypeMessengerSend }

// sendConfig is the node's config (workflow.TypeMessengerSend's schema).
type sendConfig struct {
	ConnectionID string `json:"connectionId"`
	TemplateID   string `json:"templateId"`
	Text         string `json:"text"`
	Tag          string `json:"tag"`
}

// sendRequest is the prepared send, as stored in the outbox: no secret.
type sendRequest struct {
	MessageID    uuid.UUID `json:"messageId"`
	ConnectionID uuid.UUID `json:"connectionId"`
	PageID       string    `json:"pageId"`
	Rate         int       `json:"rate"`
	Message      Message   `json:"message"`
}

// SendOutput is the step's output (steps.<node>.output).
type SendOutput struct {
	MessageID         uuid.UUID     `json:"messageId"`
	ProviderMessageID string        `json:"providerMessageId,omitempty"`
	PSID              string        `json:"psid"`
	MessagingType     MessagingType `json:"messagingType,omitempty"`
	Error             *SendError    `json:"error,omitempty"`
}

// SendError is a failed send in the step's output.
type SendError struct {
	// Code is the messages row's error code (see Error.ErrorCode).
	Code      string `json:"code"`
	Retryable bool   `json:"retryable"`
	// TokenInvalid: Meta refused the page token.
	TokenInvalid bool   `json:"tokenInvalid,omitempty"`
	Message      string `json:"message"`
}

// Prepare resolves the connection and the recipient's PSID, renders the
// text, applies consent, suppression and the messaging window, and
// records the message queued, all in the step's transaction: PrepareMany
// for one step. A send outside the window (without HUMAN_AGENT within 7
// days) is recorded failed and fails the node for good, with no call.
func (s *Sender) Prepare(ctx context.Context, in engine.PrepareInput) (json.RawMessage, error) {
	return sendprep.One(ctx, domain.ChannelMessenger, in, s.PrepareMany)
}

// PrepareMany implements engine.EffectBatchPreparer: Prepare for the steps
// of many executions of one tenant, with one read of each connection, one
// suppression read, one quota take and one messages insert for them all
// (package sendprep). The window is read per message.
func (s *Sender) PrepareMany(ctx context.Context, tx store.Tx, items []*engine.PrepareItem) error {
	conns := map[uuid.UUID]connResult{}
	return sendprep.Draft(ctx, tx, domain.ChannelMessenger, s.opts.MessageQuota, items, func(it *engine.PrepareItem) (*sendprep.Send, error) {
		return s.draft(it, tx, conns)
	})
}

type connResult struct {
	conn *Connection
	err  error
}

// draft renders one step's text and readies its row and request.
func (s *Sender) draft(it *engine.PrepareItem, tx store.Tx, conns map[uuid.UUID]connResult) (*sendprep.Send, error) {
	ctx, in := it.Ctx, it.In
	in.Tx = tx
	var cfg sendConfig
	if len(in.Config) > 0 {
		if err := json.Unmarshal(in.Config, &cfg); err != nil {
			return nil, fmt.Errorf("decode messenger.send config: %w", err)
		}
	}
	connID, err := optionalUUID("connectionId", cfg.ConnectionID)
	if err != nil {
		return nil, err
	}
	cr, ok := conns[connID]
	if !ok {
		cr.conn, cr.err = s.opts.Connections.Get(ctx, tx, in.TenantID, connID)
		conns[connID] = cr
	}
	if cr.err != nil {
		return nil, fmt.Errorf("messenger connection: %w", cr.err)
	}
	conn := cr.conn
	text, templateID, err := s.text(ctx, in, cfg)
	if err != nil {
		return nil, err
	}

	contactID, psid, subscription := contactOf(in.Data)
	messageID, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("message ID: %w", err)
	}
	now := s.opts.Now()
	insert := &store.MessageInsertParams{
		TenantID: in.TenantID, ID: messageID, Channel: domain.ChannelMessenger, ConnectionID: &conn.ID,
		ContactID: contactID, ExecutionID: &in.ExecutionID, NodeID: in.NodeID, TemplateID: templateID,
		Recipient: psid, At: now,
	}
	workflowOf(in.Data, insert)
	skipOut := func() json.RawMessage {
		b, _ := json.Marshal(SendOutput{MessageID: messageID, PSID: psid})
		return b
	}
	var msg Message
	send := &sendprep.Send{
		Item: it, Insert: insert, SkipOutput: skipOut,
		SuppressedText: "the PSID " + psid + " is suppressed",
		Ready: func(ctx context.Context, tx store.Tx) error {
			var last time.Time
			switch w, err := tx.MessagingWindowGet(ctx, in.TenantID, conn.ID, psid); {
			case err == nil:
				last = w.LastInboundAt
			case !errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("read messaging window: %w", err)
			}
			decision, werr := Decide(last, now, strings.TrimSpace(cfg.Tag), isReply(in.Data))
			msg = Message{Recipient: psid, MessagingType: decision.MessagingType, Tag: decision.Tag, Text: text, Metadata: messageID.String()}
			if werr == nil {
				werr = msg.Validate()
			}
			if werr == nil {
				return nil
			}
			// Recorded, then the node fails for good: no call is made.
			code := ReasonWindowClosed
			switch {
			case errors.Is(werr, ErrTagNotSupported):
				code = ReasonTagNotSupported
			case !errors.Is(werr, ErrOutsideWindow):
				code = "invalid"
			}
			if _, _, err := tx.MessageInsert(ctx, insert); err != nil {
				return fmt.Errorf("record refused message: %w", err)
			}
			if _, _, err := tx.MessageAdvance(ctx, &store.MessageAdvanceParams{TenantID: in.TenantID, ID: messageID,
				Status: domain.MessageFailed, At: now, ErrorCode: code, ErrorText: truncate(werr.Error(), 1000)}); err != nil {
				return fmt.Errorf("record refused message: %w", err)
			}
			return fmt.Errorf("messenger.send: %w", werr)
		},
		Request: func() (json.RawMessage, any, error) {
			rate := conn.CallsPerSecond
			if rate <= 0 {
				rate = DefaultCallsPerSecond
			}
			r := &sendRequest{MessageID: messageID, ConnectionID: conn.ID, PageID: conn.PageID, Rate: rate, Message: msg}
			raw, err := json.Marshal(r)
			if err != nil {
				return nil, nil, fmt.Errorf("encode messenger.send request: %w", err)
			}
			return raw, r, nil
		},
	}
	switch {
	case psid == "":
		send.SkipCode, send.SkipText = ReasonNoPSID, "the contact has no Messenger PSID: they have not written to a page yet"
	case CheckPSID(psid) != nil:
		send.SkipCode, send.SkipText = ReasonNoPSID, CheckPSID(psid).Error()
	case subscription == domain.SubscriptionUnsubscribed:
		send.SkipCode, send.SkipText = ReasonUnsubscribed, "the contact is unsubscribed from Messenger"
	}
	return send, nil
}

// text renders the node's text, or its template's when the node has none,
// and returns the template's ID when one was used.
func (s *Sender) text(ctx context.Context, in engine.PrepareInput, cfg sendConfig) (string, *uuid.UUID, error) {
	src := cfg.Text
	var templateID *uuid.UUID
	if strings.TrimSpace(src) == "" {
		id, err := optionalUUID("templateId", cfg.TemplateID)
		if err != nil {
			return "", nil, err
		}
		if id == uuid.Nil {
			return "", nil, errors.New("messenger.send needs a text or a templateId")
		}
		t, err := in.Tx.MessageTemplateGetByID(ctx, in.TenantID, id)
		if errors.Is(err, store.ErrNotFound) {
			return "", nil, fmt.Errorf("messenger template %s does not exist", id)
		}
		if err != nil {
			return "", nil, fmt.Errorf("load messenger template %s: %w", id, err)
		}
		if t.Channel != domain.ChannelMessenger {
			return "", nil, fmt.Errorf("template %s is a %s template, not a Messenger one", id, t.Channel)
		}
		var content struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(t.Content, &content); err != nil {
			return "", nil, fmt.Errorf("messenger template %s: %w", id, err)
		}
		src, templateID = content.Text, &id
	}
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") {
		return src, templateID, nil
	}
	out, err := s.opts.Templates.Render(ctx, src, in.Data)
	if err != nil {
		return "", nil, fmt.Errorf("text: render template: %w", err)
	}
	return out, templateID, nil
}

func optionalUUID(field, s string) (uuid.UUID, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%s %q is not a UUID", field, s)
	}
	return id, nil
}

// contactOf reads the execution's contact ID, Messenger PSID and
// Messenger subscription state from the context.
func contactOf(data map[string]any) (id *uuid.UUID, psid, state string) {
	c, _ := data["contact"].(map[string]any)
	if c == nil {
		return nil, "", ""
	}
	if s, _ := c["id"].(string); s != "" {
		if u, err := uuid.Parse(s); err == nil {
			id = &u
		}
	}
	psid, _ = c["messengerPsid"].(string)
	subs, _ := c["subscriptions"].(map[string]any)
	sub, _ := subs[string(domain.ChannelMessenger)].(map[string]any)
	state, _ = sub["state"].(string)
	return id, strings.TrimSpace(psid), state
}

// isReply tells whether the journey answers a Messenger message: its
// trigger is a messenger.message_received event.
func isReply(data map[string]any) bool {
	t, _ := data["trigger"].(map[string]any)
	ev, _ := t["event"].(map[string]any)
	name, _ := ev["name"].(string)
	return name == EventMessageReceived
}

// workflowOf copies the execution's workflow and version into p.
func workflowOf(data map[string]any, p *store.MessageInsertParams) {
	e, _ := data["execution"].(map[string]any)
	if s, _ := e["workflowId"].(string); s != "" {
		if u, err := uuid.Parse(s); err == nil {
			p.WorkflowID = &u
		}
	}
	switch v := e["version"].(type) {
	case float64:
		p.WorkflowVersion = int(v)
	case int:
		p.WorkflowVersion = v
	}
}

// Admit holds the send under the page's calls per second.
func (s *Sender) Admit(ctx context.Context, req engine.EffectRequest) (time.Duration, error) {
	if s.opts.Limiter == nil {
		return 0, nil
	}
	r, err := sendprep.Decode[sendRequest](req.Value, req.Request)
	if err != nil {
		return 0, nil // Perform reports the bad request
	}
	rate := max(r.Rate, 1)
	res, err := s.opts.Limiter.Allow(ctx, "messenger:page:"+r.PageID, ratelimit.Rule{Rate: rate, Per: time.Second, Burst: rate})
	if err != nil {
		return 0, fmt.Errorf("messenger rate limit: %w", err)
	}
	if !res.Allowed {
		return max(res.RetryAfter, time.Millisecond), nil
	}
	return 0, nil
}

// Perform opens the connection's page token and makes the call.
func (s *Sender) Perform(ctx context.Context, req engine.EffectRequest) (json.RawMessage, error) {
	r, err := sendprep.Decode[sendRequest](req.Value, req.Request)
	if err != nil {
		return nil, engine.Permanent(fmt.Errorf("messenger.send: %w", err))
	}
	conn, err := s.connection(ctx, req.TenantID, r.ConnectionID)
	if errors.Is(err, ErrNoConnection) {
		return nil, engine.Permanent(fmt.Errorf("messenger connection %s: %w", r.ConnectionID, err))
	}
	if err != nil {
		return nil, engine.Retryable(fmt.Errorf("open messenger connection %s: %w", r.ConnectionID, err))
	}
	out := SendOutput{MessageID: r.MessageID, PSID: r.Message.Recipient, MessagingType: r.Message.MessagingType}
	res, err := s.opts.Client.Send(ctx, conn.PageID, conn.PageToken, r.Message)
	if err != nil {
		e, ok := AsError(err)
		if !ok {
			e = &Error{Retryable: true, Reason: err.Error(), Message: err.Error()}
		}
		if e.TokenInvalid {
			s.forget(req.TenantID, r.ConnectionID)
		}
		out.Error = &SendError{Code: e.ErrorCode(), Retryable: e.Retryable, TokenInvalid: e.TokenInvalid, Message: e.Error()}
		b, _ := json.Marshal(out)
		return nil, &engine.EffectError{Err: err, Retryable: e.Retryable, Output: b}
	}
	out.ProviderMessageID = res.MessageID
	return json.Marshal(out)
}

// connection opens a connection for Perform, reusing one opened less than
// ConnectionTTL ago.
func (s *Sender) connection(ctx context.Context, tenantID, id uuid.UUID) (*Connection, error) {
	return s.conns.Read(ctx, s.opts.Store, tenantID, id, s.opts.Connections.Get)
}

// forget drops an opened connection, so the next send reads it again.
func (s *Sender) forget(tenantID, id uuid.UUID) { s.conns.Forget(tenantID, id) }

// RecordResults implements engine.EffectBatchRecorder: the messages of
// many successful sends are marked sent in one statement; any other
// outcome goes through RecordResult.
func (s *Sender) RecordResults(ctx context.Context, tx store.Tx, results []engine.EffectResult) error {
	sent := make([]*store.MessageMarkSentParams, 0, len(results))
	now := s.opts.Now()
	for _, res := range results {
		id := s.sentID(res)
		if id == uuid.Nil {
			if err := s.RecordResult(ctx, tx, res); err != nil {
				return err
			}
			continue
		}
		var out SendOutput
		if len(res.Output) > 0 {
			_ = json.Unmarshal(res.Output, &out)
		}
		if out.ProviderMessageID == "" {
			continue // as RecordResult: nothing to mark
		}
		sent = append(sent, &store.MessageMarkSentParams{TenantID: res.TenantID, ID: id,
			ProviderMessageID: out.ProviderMessageID, At: now})
	}
	if err := tx.MessageMarkSentMany(ctx, sent); err != nil {
		return fmt.Errorf("mark %d messages sent: %w", len(sent), err)
	}
	return nil
}

// sentID returns the message ID of a successful send's request, from the
// request as prepared in this process (EffectResult.Value) or else decoded (that field
// only); uuid.Nil for any other outcome.
func (s *Sender) sentID(res engine.EffectResult) uuid.UUID {
	if res.Err != nil {
		return uuid.Nil
	}
	return sendprep.MessageID(res.Value, res.Request, func(r *sendRequest) uuid.UUID { return r.MessageID })
}

// RecordResult moves the message with the call's outcome: sent with the
// mid, or failed with the code and reason (a retried failure leaves it
// queued); a refused page token marks the connection failing.
func (s *Sender) RecordResult(ctx context.Context, tx store.Tx, res engine.EffectResult) error {
	r, err := sendprep.Decode[sendRequest](res.Value, res.Request)
	if err != nil || r.MessageID == uuid.Nil {
		return nil // nothing of ours to move
	}
	var out SendOutput
	if len(res.Output) > 0 {
		_ = json.Unmarshal(res.Output, &out)
	}
	now := s.opts.Now()
	if res.Err == nil {
		if out.ProviderMessageID == "" {
			return nil
		}
		_, err := tx.MessageMarkSent(ctx, &store.MessageMarkSentParams{TenantID: res.TenantID, ID: r.MessageID,
			ProviderMessageID: out.ProviderMessageID, At: now})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("mark message %s sent: %w", r.MessageID, err)
		}
		return nil
	}
	if res.Retry {
		return nil
	}
	code, text := "", res.Err.Error()
	if out.Error != nil {
		code, text = out.Error.Code, out.Error.Message
		if out.Error.TokenInvalid {
			if err := s.opts.Connections.MarkFailing(ctx, tx, res.TenantID, r.ConnectionID,
				"Meta refused the page token: "+text); err != nil {
				return fmt.Errorf("mark connection %s failing: %w", r.ConnectionID, err)
			}
		}
	}
	_, _, err = tx.MessageAdvance(ctx, &store.MessageAdvanceParams{TenantID: res.TenantID, ID: r.MessageID,
		Status: domain.MessageFailed, At: now, ErrorCode: code, ErrorText: truncate(text, 1000)})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("mark message %s failed: %w", r.MessageID, err)
	}
	return nil
}
