package whatsapp

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

// DefaultPairInterval is the pair limit: one message to the same user per
// this interval from one business number.
const DefaultPairInterval = 6 * time.Second

// Error codes recorded on messages refused or skipped before any call.
const (
	ReasonWindowClosed = "window_closed"
	ReasonUnsubscribed = sendprep.ReasonUnsubscribed
	ReasonSuppressed   = sendprep.ReasonSuppressed
	// ReasonPlanLimit: the tenant's plan allows no more messages this
	// month.
	ReasonPlanLimit = sendprep.ReasonPlanLimit
)

// SenderOptions configures a Sender.
type SenderOptions struct {
	Client      *Client
	Connections Connections
	Store       store.Store
	// Limiter holds sends under the per-number and per-recipient limits
	// (nil: no limits).
	Limiter ratelimit.Limiter
	// Templates renders the node's templates (nil: a default engine).
	Templates *tmpl.Engine
	// PairInterval is the per-recipient limit; DefaultPairInterval when
	// zero, none when negative.
	PairInterval time.Duration
	Log          *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MessageQuota, when set, is called in the step's transaction just
	// before a message is recorded queued, with 1 (usage.Meter.Messages).
	// A *plan.LimitError skips the step with ReasonPlanLimit (the message
	// is recorded skipped, no call is made); any other error fails it.
	MessageQuota sendprep.Quota
	// ConnectionTTL is how long Perform reuses an opened connection
	// before reading it again (default 10 s).
	ConnectionTTL time.Duration
}

// Sender is the whatsapp.send side effect: engine.SideEffect,
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
		return nil, errors.New("whatsapp sender needs a client, connections and a store")
	}
	if opts.Templates == nil {
		opts.Templates = tmpl.New(tmpl.Options{})
	}
	if opts.PairInterval == 0 {
		opts.PairInterval = DefaultPairInterval
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ConnectionTTL <= 0 {
		opts.ConnectionTTL = 10 * time.Second
	}
	return &Sender{opts: opts, conns: sendprep.NewConnCache[*Connection](opts.ConnectionTTL, opts.Now)}, nil
}

// Kind implements engine.SideEffect.
func (*Sender) Kind() string { return workflow.TypeWhatsAppSend }

// sendConfig is the node's config (workflow.TypeWhatsAppSend's schema).
type sendConfig struct {
	ConnectionID string `json:"connectionId"`
	To           string `json:"to"`
	Text         string `json:"text"`
	MediaURL     string `json:"mediaUrl"`
	Template     *struct {
		Name       string   `json:"name"`
		Language   string   `json:"language"`
		Parameters []string `json:"parameters"`
	} `json:"template"`
}

// sendRequest is the prepared send, as stored in the outbox: no secret.
type sendRequest struct {
	MessageID     uuid.UUID `json:"messageId"`
	ConnectionID  uuid.UUID `json:"connectionId"`
	PhoneNumberID string    `json:"phoneNumberId"`
	Rate          int       `json:"rate"`
	Message       Message   `json:"message"`
}

// sendOutput is the step's output.
type sendOutput struct {
	MessageID         uuid.UUID  `json:"messageId"`
	ProviderMessageID string     `json:"providerMessageId,omitempty"`
	To                string     `json:"to"`
	Error             *sendError `json:"error,omitempty"`
}

type sendError struct {
	Code    int    `json:"code,omitempty"`
	Class   string `json:"class"`
	Message string `json:"message"`
}

// Prepare resolves the connection, renders the message, applies consent,
// suppression and the 24-hour window, and records the message queued, all
// in the step's transaction: PrepareMany for one step.
func (s *Sender) Prepare(ctx context.Context, in engine.PrepareInput) (json.RawMessage, error) {
	return sendprep.One(ctx, domain.ChannelWhatsApp, in, s.PrepareMany)
}

// PrepareMany implements engine.EffectBatchPreparer: Prepare for the steps
// of many executions of one tenant, with one read of each connection, one
// suppression read, one quota take and one messages insert for them all
// (package sendprep). A text message's window is read per message.
func (s *Sender) PrepareMany(ctx context.Context, tx store.Tx, items []*engine.PrepareItem) error {
	conns := map[uuid.UUID]connResult{}
	return sendprep.Draft(ctx, tx, domain.ChannelWhatsApp, s.opts.MessageQuota, items, func(it *engine.PrepareItem) (*sendprep.Send, error) {
		return s.draft(it, tx, conns)
	})
}

type connResult struct {
	conn *Connection
	err  error
}

// draft renders one step's message and readies its row and request.
func (s *Sender) draft(it *engine.PrepareItem, tx store.Tx, conns map[uuid.UUID]connResult) (*sendprep.Send, error) {
	ctx, in := it.Ctx, it.In
	var cfg sendConfig
	if len(in.Config) > 0 {
		if err := json.Unmarshal(in.Config, &cfg); err != nil {
			return nil, fmt.Errorf("decode whatsapp.send config: %w", err)
		}
	}
	connID := uuid.Nil
	if strings.TrimSpace(cfg.ConnectionID) != "" {
		id, err := uuid.Parse(strings.TrimSpace(cfg.ConnectionID))
		if err != nil {
			return nil, fmt.Errorf("connectionId %q is not a UUID", cfg.ConnectionID)
		}
		connID = id
	}
	cr, ok := conns[connID]
	if !ok {
		cr.conn, cr.err = s.opts.Connections.Get(ctx, tx, in.TenantID, connID)
		conns[connID] = cr
	}
	if cr.err != nil {
		return nil, fmt.Errorf("whatsapp connection: %w", cr.err)
	}
	conn := cr.conn

	msg, err := s.render(ctx, cfg, in.Data)
	if err != nil {
		return nil, err
	}
	to, err := NormalizePhone(msg.To)
	if err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.To = to
	messageID, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("message ID: %w", err)
	}
	msg.CallbackData = messageID.String()
	if err := msg.Validate(); err != nil {
		return nil, err
	}

	contactID, subscription := contactOf(in.Data)
	// Recipients, suppressions and windows are keyed by the WhatsApp ID:
	// the number's digits without "+".
	address := to
	insert := &store.MessageInsertParams{
		TenantID: in.TenantID, ID: messageID, Channel: domain.ChannelWhatsApp, ConnectionID: &conn.ID,
		ContactID: contactID, ExecutionID: &in.ExecutionID, NodeID: in.NodeID,
		Recipient: address, At: s.opts.Now(),
	}
	workflowOf(in.Data, insert)
	skipOut := func() json.RawMessage {
		b, _ := json.Marshal(sendOutput{MessageID: messageID, To: "+" + address})
		return b
	}
	send := &sendprep.Send{
		Item: it, Insert: insert, SkipOutput: skipOut,
		SuppressedText: "the number +" + address + " is suppressed",
		Request: func() (json.RawMessage, any, error) {
			rate := conn.MessagesPerSecond
			if rate <= 0 {
				rate = DefaultMessagesPerSecond
			}
			r := &sendRequest{MessageID: messageID, ConnectionID: conn.ID, PhoneNumberID: conn.PhoneNumberID, Rate: rate, Message: msg}
			raw, err := json.Marshal(r)
			if err != nil {
				return nil, nil, fmt.Errorf("encode whatsapp.send request: %w", err)
			}
			return raw, r, nil
		},
	}
	if subscription == domain.SubscriptionUnsubscribed {
		send.SkipCode, send.SkipText = ReasonUnsubscribed, "the contact is unsubscribed from WhatsApp"
	}
	if msg.Template == nil {
		send.Ready = func(ctx context.Context, tx store.Tx) error {
			return s.checkWindow(ctx, tx, conn, msg, insert)
		}
	}
	return send, nil
}

// checkWindow refuses a free-form message outside the 24-hour window: the
// message is recorded failed with the reason, and the node fails for good
// (no call is made).
func (s *Sender) checkWindow(ctx context.Context, tx store.Tx, conn *Connection, msg Message, insert *store.MessageInsertParams) error {
	var last time.Time
	w, err := tx.MessagingWindowGet(ctx, insert.TenantID, conn.ID, insert.Recipient)
	switch {
	case err == nil:
		last = w.LastInboundAt
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("read messaging window: %w", err)
	}
	if err := CheckWindow(msg, last, s.opts.Now()); err != nil {
		if _, _, ierr := tx.MessageInsert(ctx, insert); ierr != nil {
			return fmt.Errorf("record refused message: %w", ierr)
		}
		if _, _, aerr := tx.MessageAdvance(ctx, &store.MessageAdvanceParams{TenantID: insert.TenantID, ID: insert.ID,
			Status: domain.MessageFailed, At: s.opts.Now(), ErrorCode: ReasonWindowClosed, ErrorText: err.Error()}); aerr != nil {
			return fmt.Errorf("record refused message: %w", aerr)
		}
		return err
	}
	return nil
}

// render builds the message from the node's config over the context.
func (s *Sender) render(ctx context.Context, cfg sendConfig, data map[string]any) (Message, error) {
	var msg Message
	var err error
	toSrc := cfg.To
	if strings.TrimSpace(toSrc) == "" {
		toSrc = "{{ contact.phone }}"
	}
	if msg.To, err = s.renderField(ctx, "to", toSrc, data); err != nil {
		return msg, err
	}
	switch {
	case cfg.Template != nil:
		t := &Template{Name: cfg.Template.Name, Language: cfg.Template.Language}
		for i, p := range cfg.Template.Parameters {
			v, err := s.renderField(ctx, fmt.Sprintf("template.parameters[%d]", i), p, data)
			if err != nil {
				return msg, err
			}
			t.BodyParameters = append(t.BodyParameters, v)
		}
		msg.Template = t
	case strings.TrimSpace(cfg.MediaURL) != "":
		link, err := s.renderField(ctx, "mediaUrl", cfg.MediaURL, data)
		if err != nil {
			return msg, err
		}
		caption, err := s.renderField(ctx, "text", cfg.Text, data)
		if err != nil {
			return msg, err
		}
		msg.Media = &Media{Type: mediaType(link), Link: strings.TrimSpace(link), Caption: caption}
	default:
		body, err := s.renderField(ctx, "text", cfg.Text, data)
		if err != nil {
			return msg, err
		}
		msg.Text = &Text{Body: body, PreviewURL: strings.Contains(body, "https://") || strings.Contains(body, "http://")}
	}
	return msg, nil
}

func (s *Sender) renderField(ctx context.Context, field, src string, data map[string]any) (string, error) {
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") {
		return src, nil
	}
	out, err := s.opts.Templates.Render(ctx, src, data)
	if err != nil {
		return "", fmt.Errorf("%s: render template: %w", field, err)
	}
	return out, nil
}

// mediaType guesses the media type of a link by its extension: images,
// videos and audio by theirs, anything else as a document.
func mediaType(link string) string {
	path := strings.ToLower(link)
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	for _, ext := range []string{".jpg", ".jpeg", ".png", ".webp"} {
		if strings.HasSuffix(path, ext) {
			return "image"
		}
	}
	for _, ext := range []string{".mp4", ".3gp"} {
		if strings.HasSuffix(path, ext) {
			return "video"
		}
	}
	for _, ext := range []string{".mp3", ".ogg", ".aac", ".amr", ".m4a"} {
		if strings.HasSuffix(path, ext) {
			return "audio"
		}
	}
	return "document"
}

// contactOf reads the execution's contact ID and WhatsApp subscription
// state from the context.
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
	wa, _ := subs[string(domain.ChannelWhatsApp)].(map[string]any)
	state, _ := wa["state"].(string)
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

// Admit holds the send under the phone number's messages per second and
// the per-recipient pair limit, both or neither counted.
func (s *Sender) Admit(ctx context.Context, req engine.EffectRequest) (time.Duration, error) {
	if s.opts.Limiter == nil {
		return 0, nil
	}
	r, err := sendprep.Decode[sendRequest](req.Value, req.Request)
	if err != nil {
		return 0, nil // Perform reports the bad request
	}
	reqs := []ratelimit.Request{{Key: "whatsapp:number:" + r.PhoneNumberID,
		Rule: ratelimit.Rule{Rate: max(r.Rate, 1), Per: time.Second, Burst: max(r.Rate, 1)}}}
	if s.opts.PairInterval > 0 {
		reqs = append(reqs, ratelimit.Request{Key: "whatsapp:pair:" + r.PhoneNumberID + ":" + r.Message.To,
			Rule: ratelimit.Rule{Rate: 1, Per: s.opts.PairInterval, Burst: 1}})
	}
	res, err := s.opts.Limiter.AllowAll(ctx, reqs...)
	if err != nil {
		return 0, fmt.Errorf("whatsapp rate limit: %w", err)
	}
	var wait time.Duration
	for _, x := range res {
		if !x.Allowed {
			wait = max(wait, x.RetryAfter, time.Millisecond)
		}
	}
	return wait, nil
}

// Perform opens the connection's token and makes the call.
func (s *Sender) Perform(ctx context.Context, req engine.EffectRequest) (json.RawMessage, error) {
	r, err := sendprep.Decode[sendRequest](req.Value, req.Request)
	if err != nil {
		return nil, engine.Permanent(fmt.Errorf("whatsapp.send: %w", err))
	}
	conn, err := s.connection(ctx, req.TenantID, r.ConnectionID)
	if errors.Is(err, ErrNoConnection) {
		return nil, engine.Permanent(fmt.Errorf("whatsapp connection %s: %w", r.ConnectionID, err))
	}
	if err != nil {
		return nil, engine.Retryable(fmt.Errorf("open whatsapp connection %s: %w", r.ConnectionID, err))
	}
	out := sendOutput{MessageID: r.MessageID, To: "+" + r.Message.To}
	res, err := s.opts.Client.Send(ctx, conn.PhoneNumberID, conn.AccessToken, r.Message)
	if err != nil {
		class := ClassifyError(err)
		out.Error = &sendError{Class: class.String(), Message: err.Error()}
		var api *APIError
		if errors.As(err, &api) {
			out.Error.Code = api.Code
		}
		b, _ := json.Marshal(out)
		return nil, &engine.EffectError{Err: err, Retryable: class == Retryable, Output: b}
	}
	out.ProviderMessageID = res.MessageID
	return json.Marshal(out)
}

// connection returns the opened connection, from the cache while fresh
// (a connection whose token Meta refused is forgotten at once).
func (s *Sender) connection(ctx context.Context, tenantID, id uuid.UUID) (*Connection, error) {
	return s.conns.Read(ctx, s.opts.Store, tenantID, id, s.opts.Connections.Get)
}

// forget drops a cached connection.
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
		var out sendOutput
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
// wamid, or failed with the code and text (a retried failure leaves it
// queued); a refused token marks the connection failing.
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
		text = out.Error.Message
		if out.Error.Code != 0 {
			code = fmt.Sprint(out.Error.Code)
		}
		if out.Error.Class == ConnectionBroken.String() {
			if err := s.opts.Connections.MarkFailing(ctx, tx, res.TenantID, r.ConnectionID,
				"Meta refused the access token: "+text); err != nil {
				return fmt.Errorf("mark connection %s failing: %w", r.ConnectionID, err)
			}
			s.forget(res.TenantID, r.ConnectionID)
		}
	}
	_, _, err = tx.MessageAdvance(ctx, &store.MessageAdvanceParams{TenantID: res.TenantID, ID: r.MessageID,
		Status: domain.MessageFailed, At: now, ErrorCode: code, ErrorText: truncate(text, 1000)})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("mark message %s failed: %w", r.MessageID, err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
