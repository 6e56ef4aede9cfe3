package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// EventMessageReceived is the event an inbound WhatsApp message becomes.
const EventMessageReceived = "whatsapp.message_received"

// EventHandler starts and resumes journeys for stored events inside the
// transaction that stored them (the engine).
type EventHandler interface {
	EventTx(ctx context.Context, tx store.Tx, evs []engine.IncomingEvent) (engine.EventResult, error)
}

// InboundArgs is the River job that processes one verified webhook
// delivery of a connection.
type InboundArgs struct {
	TenantID     uuid.UUID       `json:"tenantId"`
	ConnectionID uuid.UUID       `json:"connectionId"`
	Body         json.RawMessage `json:"body"`
	ReceivedAt   time.Time       `json:"receivedAt"`
}

// Kind names the job.
func (InboundArgs) Kind() string { return "nextflow.whatsapp_inbound" }

// inboundAttempts bounds the retries of a delivery: a status may name a
// message whose send has not recorded Meta's ID yet, so the job runs
// again a few times (River's backoff: seconds, then minutes).
const inboundAttempts = 8

// InsertOpts gives the job its retries.
func (InboundArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: inboundAttempts}
}

// Inbound receives a connection's webhooks: the handshake, the signed
// POSTs (stored as a job at once), and their processing.
type Inbound struct {
	Store       store.Store
	Connections Connections
	// Engine runs journeys for the events inbound messages become (nil:
	// events are stored only).
	Engine EventHandler
	Log    *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (in *Inbound) now() time.Time {
	if in.Now != nil {
		return in.Now().UTC()
	}
	return time.Now().UTC()
}

func (in *Inbound) log() *slog.Logger {
	if in.Log != nil {
		return in.Log
	}
	return slog.Default()
}

// Handshake answers Meta's subscription check for a connection: the
// challenge, or ErrVerifyToken, or ErrNoConnection.
func (in *Inbound) Handshake(ctx context.Context, connectionID uuid.UUID, query url.Values) (string, error) {
	conn, err := in.Connections.Lookup(ctx, connectionID)
	if err != nil {
		return "", err
	}
	challenge, ok := metawebhook.Handshake(query, conn.VerifyToken)
	if !ok {
		return "", ErrVerifyToken
	}
	return challenge, nil
}

// Receive checks a delivery's X-Hub-Signature-256 against the connection's
// app secret and stores it as a job, in one short transaction; the job
// does the rest. The errors: ErrNoConnection, metawebhook's signature
// errors, ErrNotWhatsAppBody. A replayed delivery is stored again and
// changes nothing when processed.
func (in *Inbound) Receive(ctx context.Context, connectionID uuid.UUID, body []byte, signature string) error {
	conn, err := in.Connections.Lookup(ctx, connectionID)
	if err != nil {
		return err
	}
	if err := metawebhook.CheckSignature([]byte(conn.AppSecret), body, signature); err != nil {
		return err
	}
	if _, err := metawebhook.ParseWhatsApp(body); err != nil {
		return fmt.Errorf("%w: %v", ErrNotWhatsAppBody, err)
	}
	args := InboundArgs{TenantID: conn.TenantID, ConnectionID: conn.ID, Body: json.RawMessage(body), ReceivedAt: in.now()}
	if _, err := in.Store.Queue().Insert(ctx, args, nil); err != nil {
		return fmt.Errorf("store whatsapp delivery: %w", err)
	}
	return nil
}

// RegisterWorkers adds the processing job's worker.
func (in *Inbound) RegisterWorkers(w *river.Workers) {
	river.AddWorker(w, &inboundWorker{in: in})
}

type inboundWorker struct {
	river.WorkerDefaults[InboundArgs]
	in *Inbound
}

// errPending retries a delivery whose statuses name messages not found
// yet.
var errPending = errors.New("statuses name messages not recorded yet")

func (w *inboundWorker) Work(ctx context.Context, job *river.Job[InboundArgs]) error {
	res, err := w.in.Process(ctx, job.Args)
	if err != nil {
		return err
	}
	if res.Pending > 0 {
		if job.Attempt < job.MaxAttempts {
			return fmt.Errorf("%d of %d: %w", res.Pending, res.Statuses, errPending)
		}
		w.in.log().Warn("whatsapp statuses for unknown messages dropped", "tenant", job.Args.TenantID,
			"connection", job.Args.ConnectionID, "count", res.Pending)
	}
	return nil
}

// ProcessResult is what one delivery did.
type ProcessResult struct {
	// Messages counts the inbound messages stored as events now (repeats
	// are not counted); Started and Resumed the executions they caused.
	Messages int
	Started  []uuid.UUID
	Resumed  []uuid.UUID
	// Statuses counts the statuses in the delivery, Moved those that moved
	// a message forward, Pending those whose message was not found.
	Statuses int
	Moved    int
	Pending  int
}

// Process applies one delivery in one transaction of its tenant: each
// inbound message upserts its contact by phone, opens the messaging
// window and is stored as a whatsapp.message_received event (once per
// message ID) that starts and resumes journeys; each status moves its
// message forward only. Running it again for the same delivery changes
// nothing.
func (in *Inbound) Process(ctx context.Context, args InboundArgs) (ProcessResult, error) {
	var res ProcessResult
	d, err := metawebhook.ParseWhatsApp(args.Body)
	if err != nil {
		in.log().Warn("whatsapp delivery dropped: unreadable", "tenant", args.TenantID, "connection", args.ConnectionID, "error", err)
		return res, nil
	}
	err = in.Store.InTx(ctx, args.TenantID, func(tx store.Tx) error {
		res = ProcessResult{Statuses: len(d.Statuses)}
		if err := in.messages(ctx, tx, args, d.Messages, &res); err != nil {
			return err
		}
		return in.statuses(ctx, tx, args, d.Statuses, &res)
	})
	if err != nil {
		return ProcessResult{}, fmt.Errorf("process whatsapp delivery: %w", err)
	}
	return res, nil
}

// messages stores the inbound messages of a delivery.
func (in *Inbound) messages(ctx context.Context, tx store.Tx, args InboundArgs, msgs []metawebhook.WhatsAppMessage, res *ProcessResult) error {
	if len(msgs) == 0 {
		return nil
	}
	contacts := map[uuid.UUID]*domain.Contact{}
	evs := make([]store.EventInsert, 0, len(msgs))
	for _, m := range msgs {
		digits, err := NormalizePhone(m.From)
		if err != nil {
			in.log().Warn("whatsapp message from an unreadable number dropped", "tenant", args.TenantID, "message", m.ID)
			continue
		}
		// The window is keyed by the WhatsApp ID (digits), the contact's
		// phone is E.164.
		address, phone := digits, "+"+digits
		at := m.Timestamp
		if at.IsZero() || at.After(args.ReceivedAt) {
			at = args.ReceivedAt
		}
		c, err := in.contact(ctx, tx, args, address, phone, m.ProfileName, at)
		if err != nil {
			return err
		}
		contacts[c.ID] = c
		if _, err := tx.MessagingWindowTouch(ctx, &store.MessagingWindowTouchParams{TenantID: args.TenantID,
			ConnectionID: args.ConnectionID, Channel: domain.ChannelWhatsApp, Address: address, ContactID: &c.ID, At: at}); err != nil {
			return fmt.Errorf("open messaging window: %w", err)
		}
		props := map[string]any{"messageId": m.ID, "type": m.Type, "text": m.Text, "from": phone,
			"profileName": m.ProfileName, "connectionId": args.ConnectionID.String()}
		if m.Payload != "" {
			props["payload"] = m.Payload
		}
		if m.ReplyTo != "" {
			props["replyTo"] = m.ReplyTo
		}
		if m.Media != nil {
			props["media"] = map[string]any{"id": m.Media.ID, "mimeType": m.Media.MimeType, "caption": m.Media.Caption, "filename": m.Media.Filename}
		}
		if m.Location != nil {
			props["location"] = map[string]any{"latitude": m.Location.Latitude, "longitude": m.Location.Longitude,
				"name": m.Location.Name, "address": m.Location.Address}
		}
		raw, err := json.Marshal(props)
		if err != nil {
			return fmt.Errorf("encode event properties: %w", err)
		}
		evs = append(evs, store.EventInsert{ContactID: c.ID, Name: EventMessageReceived, Properties: raw,
			OccurredAt: at, ReceivedAt: args.ReceivedAt, MessageID: "whatsapp:" + m.ID})
	}
	if len(evs) == 0 {
		return nil
	}
	stored, err := tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: args.TenantID, Events: evs})
	if err != nil {
		return fmt.Errorf("store %d whatsapp events: %w", len(evs), err)
	}
	res.Messages = len(stored)
	if in.Engine == nil || len(stored) == 0 {
		return nil
	}
	incoming := make([]engine.IncomingEvent, len(stored))
	for i, ev := range stored {
		incoming[i] = engine.IncomingEvent{Event: ev, Contact: contacts[ev.ContactID]}
	}
	er, err := in.Engine.EventTx(ctx, tx, incoming)
	if err != nil {
		return fmt.Errorf("run journeys for %d whatsapp events: %w", len(incoming), err)
	}
	res.Started, res.Resumed = er.Started, er.Resumed
	return nil
}

// contact finds the contact of a WhatsApp number: the one the number's
// window names, else the oldest contact with the phone (created by the
// events API or an import), else a new one with the phone. A new contact's
// ID is derived from the phone (store.ContactAddressID), so when another
// delivery from the same new sender created it first, this one finds
// that contact instead of adding a duplicate.
func (in *Inbound) contact(ctx context.Context, tx store.Tx, args InboundArgs, address, phone, name string, at time.Time) (*domain.Contact, error) {
	w, err := tx.MessagingWindowGet(ctx, args.TenantID, args.ConnectionID, address)
	switch {
	case err == nil && w.ContactID != nil:
		c, err := tx.ContactGetByID(ctx, args.TenantID, *w.ContactID)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, store.ErrNotFound) { // an erased contact gets a new one
			return nil, fmt.Errorf("load contact %s: %w", *w.ContactID, err)
		}
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("read messaging window: %w", err)
	}
	c, err := tx.ContactGetByPhone(ctx, args.TenantID, phone)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("find contact by phone %s: %w", phone, err)
	}
	p := &store.ContactUpsertParams{TenantID: args.TenantID, ID: store.ContactAddressID(args.TenantID, "phone", phone),
		Phone: &phone, LastSeenAt: &at}
	if name != "" {
		p.Name = &name
	}
	c, _, err = tx.ContactUpsert(ctx, p)
	if errors.Is(err, store.ErrConflict) {
		// A concurrent delivery inserted the derived ID first.
		c, err = tx.ContactGetByID(ctx, args.TenantID, p.ID)
		if err == nil && c.Phone != nil && *c.Phone == phone {
			return c, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("load contact %s: %w", p.ID, err)
		}
		// The derived ID belongs to a contact whose phone has changed
		// since: this sender gets a contact of its own.
		p.ID = uuid.Nil
		c, _, err = tx.ContactUpsert(ctx, p)
	}
	if err != nil {
		return nil, fmt.Errorf("create contact for %s: %w", phone, err)
	}
	return c, nil
}

// statuses moves the messages the statuses name.
func (in *Inbound) statuses(ctx context.Context, tx store.Tx, args InboundArgs, sts []metawebhook.WhatsAppStatus, res *ProcessResult) error {
	for _, st := range sts {
		status, ok := statusOf(st.Status)
		if !ok {
			continue
		}
		p := &store.MessageAdvanceParams{TenantID: args.TenantID, Channel: domain.ChannelWhatsApp,
			ProviderMessageID: st.ID, Status: status, At: st.Timestamp}
		if p.At.IsZero() {
			p.At = args.ReceivedAt
		}
		if status == domain.MessageFailed && len(st.Errors) > 0 {
			e := st.Errors[0]
			p.ErrorCode = fmt.Sprint(e.Code)
			p.ErrorText = truncate(firstNonEmpty(e.Details, e.Message, e.Title), 1000)
		}
		_, moved, err := tx.MessageAdvanceByProviderID(ctx, p)
		if errors.Is(err, store.ErrNotFound) {
			// The send may not have recorded Meta's ID yet: our message
			// ID comes back as biz_opaque_callback_data.
			if id, perr := uuid.Parse(st.CallbackData); perr == nil {
				p.ID = id
				_, moved, err = tx.MessageAdvance(ctx, p)
			}
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			res.Pending++
			continue
		case err != nil:
			return fmt.Errorf("move message %s to %s: %w", st.ID, status, err)
		}
		if moved {
			res.Moved++
		}
	}
	return nil
}

// statusOf maps a webhook status to a message status.
func statusOf(s string) (domain.MessageStatus, bool) {
	switch s {
	case metawebhook.WhatsAppStatusSent:
		return domain.MessageSent, true
	case metawebhook.WhatsAppStatusDelivered:
		return domain.MessageDelivered, true
	case metawebhook.WhatsAppStatusRead:
		return domain.MessageRead, true
	case metawebhook.WhatsAppStatusFailed:
		return domain.MessageFailed, true
	}
	return "", false
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
