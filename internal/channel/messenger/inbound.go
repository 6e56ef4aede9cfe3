package messenger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// maxEventText bounds the text kept in an event's properties, in bytes
// (the events table takes up to 32 KiB of properties).
const maxEventText = 8 << 10

// watermarkBatch bounds the messages one delivery or read watermark moves.
const watermarkBatch = 200

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
func (InboundArgs) Kind() string { return "nextflow.messenger_inbound" }

// inboundAttempts bounds the retries of a delivery: a delivery may name a
// message whose send has not recorded Meta's mid yet, so the job runs
// again a few times (River's backoff: seconds, then minutes).
const inboundAttempts = 8

// InsertOpts gives the job its retries.
func (InboundArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: inboundAttempts}
}

// Inbound receives a Messenger connection's webhooks: the handshake, the
// signed POSTs (stored as a job at once), and their processing.
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
// errors, ErrNotPageBody. A replayed delivery is stored again and changes
// nothing when processed.
func (in *Inbound) Receive(ctx context.Context, connectionID uuid.UUID, body []byte, signature string) error {
	conn, err := in.Connections.Lookup(ctx, connectionID)
	if err != nil {
		return err
	}
	if err := metawebhook.CheckSignature([]byte(conn.AppSecret), body, signature); err != nil {
		return err
	}
	if _, err := ParseWebhook(body); err != nil {
		return fmt.Errorf("%w: %v", ErrNotPageBody, err)
	}
	args := InboundArgs{TenantID: conn.TenantID, ConnectionID: conn.ID, Body: json.RawMessage(body), ReceivedAt: in.now()}
	if _, err := in.Store.Queue().Insert(ctx, args, nil); err != nil {
		return fmt.Errorf("store messenger delivery: %w", err)
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

// errPending retries a delivery whose mids name messages not found yet.
var errPending = errors.New("deliveries name messages not recorded yet")

func (w *inboundWorker) Work(ctx context.Context, job *river.Job[InboundArgs]) error {
	res, err := w.in.Process(ctx, job.Args)
	if err != nil {
		return err
	}
	if res.Pending > 0 {
		if job.Attempt < job.MaxAttempts {
			return fmt.Errorf("%d mids: %w", res.Pending, errPending)
		}
		w.in.log().Warn("messenger deliveries for unknown messages dropped", "tenant", job.Args.TenantID,
			"connection", job.Args.ConnectionID, "count", res.Pending)
	}
	return nil
}

// ProcessResult is what one delivery did.
type ProcessResult struct {
	// Messages counts the inbound messages and postbacks stored as events
	// now (repeats are not counted); Started and Resumed the executions
	// they caused.
	Messages int
	Started  []uuid.UUID
	Resumed  []uuid.UUID
	// Moved counts the messages a delivery or read moved forward; Pending
	// the mids named that no message has (yet).
	Moved   int
	Pending int
}

// Process applies one delivery in one transaction of its tenant: each
// inbound message or postback finds or creates its contact by PSID,
// refreshes the messaging window and is stored as a
// messenger.message_received event (once per mid) that starts and resumes
// journeys; deliveries and reads move messages forward only, by mid or by
// watermark for that recipient; echoes are ignored. Running it again for
// the same delivery changes nothing.
func (in *Inbound) Process(ctx context.Context, args InboundArgs) (ProcessResult, error) {
	var res ProcessResult
	evs, err := ParseWebhook(args.Body)
	if err != nil {
		in.log().Warn("messenger delivery dropped: unreadable", "tenant", args.TenantID, "connection", args.ConnectionID, "error", err)
		return res, nil
	}
	err = in.Store.InTx(ctx, args.TenantID, func(tx store.Tx) error {
		res = ProcessResult{}
		if err := in.messages(ctx, tx, args, evs, &res); err != nil {
			return err
		}
		return in.statuses(ctx, tx, args, evs, &res)
	})
	if err != nil {
		return ProcessResult{}, fmt.Errorf("process messenger delivery: %w", err)
	}
	return res, nil
}

// messages stores the inbound messages and postbacks of a delivery.
func (in *Inbound) messages(ctx context.Context, tx store.Tx, args InboundArgs, evs []Event, res *ProcessResult) error {
	contacts := map[uuid.UUID]*domain.Contact{}
	byPSID := map[string]*domain.Contact{}
	inserts := make([]store.EventInsert, 0, len(evs))
	for i := range evs {
		ev := &evs[i]
		if !ev.Inbound() {
			continue
		}
		psid := ev.PSID()
		if CheckPSID(psid) != nil {
			in.log().Warn("messenger event from an unreadable PSID dropped", "tenant", args.TenantID, "connection", args.ConnectionID)
			continue
		}
		at := ev.Time
		if at.IsZero() || at.After(args.ReceivedAt) {
			at = args.ReceivedAt
		}
		c := byPSID[psid]
		if c == nil {
			var err error
			if c, err = in.contact(ctx, tx, args, psid); err != nil {
				return err
			}
			byPSID[psid] = c
		}
		contacts[c.ID] = c
		if _, err := tx.MessagingWindowTouch(ctx, &store.MessagingWindowTouchParams{TenantID: args.TenantID,
			ConnectionID: args.ConnectionID, Channel: domain.ChannelMessenger, Address: psid, ContactID: &c.ID, At: at}); err != nil {
			return fmt.Errorf("open messaging window: %w", err)
		}
		props := map[string]any{"psid": psid, "pageId": ev.PageID, "connectionId": args.ConnectionID.String()}
		var dedupe string
		if m := ev.Message; m != nil {
			props["type"] = "message"
			props["mid"] = m.MID
			props["text"] = truncate(m.Text, maxEventText)
			if m.QuickReply != "" {
				props["quickReply"] = truncate(m.QuickReply, 1000)
			}
			if m.ReplyTo != "" {
				props["replyTo"] = m.ReplyTo
			}
			if len(m.Attachments) > 0 {
				atts := make([]map[string]any, 0, min(len(m.Attachments), 10))
				for _, a := range m.Attachments[:min(len(m.Attachments), 10)] {
					atts = append(atts, map[string]any{"type": a.Type, "url": truncate(a.URL, 2000)})
				}
				props["attachments"] = atts
			}
			dedupe = m.MID
		} else if p := ev.Postback; p != nil {
			props["type"] = "postback"
			props["title"] = truncate(p.Title, 1000)
			props["payload"] = truncate(p.Payload, 1000)
			dedupe = p.MID
			if dedupe == "" {
				dedupe = "postback:" + psid + ":" + strconv.FormatInt(ev.Time.UnixMilli(), 10)
			} else {
				props["mid"] = p.MID
			}
		}
		raw, err := json.Marshal(props)
		if err != nil {
			return fmt.Errorf("encode event properties: %w", err)
		}
		inserts = append(inserts, store.EventInsert{ContactID: c.ID, Name: EventMessageReceived, Properties: raw,
			OccurredAt: at, ReceivedAt: args.ReceivedAt, MessageID: truncate("messenger:"+dedupe, 255)})
	}
	if len(inserts) == 0 {
		return nil
	}
	stored, err := tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: args.TenantID, Events: inserts})
	if err != nil {
		return fmt.Errorf("store %d messenger events: %w", len(inserts), err)
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
		return fmt.Errorf("run journeys for %d messenger events: %w", len(incoming), err)
	}
	res.Started, res.Resumed = er.Started, er.Resumed
	return nil
}

// contact finds the contact of a PSID on the connection: the one its
// window names, else the oldest contact with that PSID (created by the
// events API or an import), else a new one with it. A new contact's ID is
// derived from the PSID (store.ContactAddressID), so when another delivery
// from the same new sender created it first, this one finds that contact
// instead of adding a duplicate.
func (in *Inbound) contact(ctx context.Context, tx store.Tx, args InboundArgs, psid string) (*domain.Contact, error) {
	c, err := in.windowContact(ctx, tx, args.TenantID, args.ConnectionID, psid)
	if err != nil || c != nil {
		return c, err
	}
	c, err = tx.ContactGetByMessengerPSID(ctx, args.TenantID, psid)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("find contact by PSID %s: %w", psid, err)
	}
	at := args.ReceivedAt
	p := &store.ContactUpsertParams{TenantID: args.TenantID, ID: store.ContactAddressID(args.TenantID, "messenger_psid", psid),
		MessengerPSID: &psid, LastSeenAt: &at}
	c, _, err = tx.ContactUpsert(ctx, p)
	if errors.Is(err, store.ErrConflict) {
		// A concurrent delivery inserted the derived ID first.
		c, err = tx.ContactGetByID(ctx, args.TenantID, p.ID)
		if err == nil && c.MessengerPSID != nil && *c.MessengerPSID == psid {
			return c, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("load contact %s: %w", p.ID, err)
		}
		// The derived ID belongs to a contact whose PSID has changed
		// since: this sender gets a contact of its own.
		p.ID = uuid.Nil
		c, _, err = tx.ContactUpsert(ctx, p)
	}
	if err != nil {
		return nil, fmt.Errorf("create contact for PSID %s: %w", psid, err)
	}
	return c, nil
}

// windowContact returns the contact the PSID's window on the connection
// names; nil when there is none (never wrote, or the contact was erased).
func (in *Inbound) windowContact(ctx context.Context, tx store.Tx, tenantID, connectionID uuid.UUID, psid string) (*domain.Contact, error) {
	w, err := tx.MessagingWindowGet(ctx, tenantID, connectionID, psid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read messaging window: %w", err)
	case w.ContactID == nil:
		return nil, nil
	}
	c, err := tx.ContactGetByID(ctx, tenantID, *w.ContactID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load contact %s: %w", *w.ContactID, err)
	}
	return c, nil
}

// statuses applies the deliveries and reads of a delivery.
func (in *Inbound) statuses(ctx context.Context, tx store.Tx, args InboundArgs, evs []Event, res *ProcessResult) error {
	for i := range evs {
		ev := &evs[i]
		var (
			status    domain.MessageStatus
			mids      []string
			watermark time.Time
		)
		switch ev.Kind {
		case KindDelivery:
			status, mids, watermark = domain.MessageDelivered, ev.Delivery.MIDs, ev.Delivery.Watermark
		case KindRead:
			status, watermark = domain.MessageRead, ev.Read.Watermark
		default:
			continue
		}
		at := watermark
		if at.IsZero() || at.After(args.ReceivedAt) {
			at = args.ReceivedAt
		}
		for _, mid := range mids {
			_, moved, err := tx.MessageAdvanceByProviderID(ctx, &store.MessageAdvanceParams{TenantID: args.TenantID,
				Channel: domain.ChannelMessenger, ProviderMessageID: mid, Status: status, At: at})
			switch {
			case errors.Is(err, store.ErrNotFound):
				res.Pending++
				continue
			case err != nil:
				return fmt.Errorf("move message %s to %s: %w", mid, status, err)
			}
			if moved {
				res.Moved++
			}
		}
		if !watermark.IsZero() {
			n, err := in.watermark(ctx, tx, args, ev.PSID(), status, watermark, at)
			if err != nil {
				return err
			}
			res.Moved += n
		}
	}
	return nil
}

// watermark moves to status every message of the connection to psid that
// was sent and queued at or before watermark and is behind status.
func (in *Inbound) watermark(ctx context.Context, tx store.Tx, args InboundArgs, psid string, status domain.MessageStatus, watermark, at time.Time) (int, error) {
	c, err := in.windowContact(ctx, tx, args.TenantID, args.ConnectionID, psid)
	if err != nil || c == nil {
		return 0, err
	}
	behind := []domain.MessageStatus{domain.MessageSent}
	if status == domain.MessageRead {
		behind = append(behind, domain.MessageDelivered)
	}
	moved := 0
	for _, st := range behind {
		msgs, err := tx.MessageList(ctx, &store.MessageListParams{TenantID: args.TenantID, ContactID: &c.ID,
			Channel: domain.ChannelMessenger, Status: st, Limit: watermarkBatch})
		if err != nil {
			return moved, fmt.Errorf("list messages behind the watermark: %w", err)
		}
		for _, m := range msgs {
			if m.Recipient != psid || m.ConnectionID == nil || *m.ConnectionID != args.ConnectionID || m.QueuedAt.After(watermark) {
				continue
			}
			_, ok, err := tx.MessageAdvance(ctx, &store.MessageAdvanceParams{TenantID: args.TenantID, ID: m.ID, Status: status, At: at})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return moved, fmt.Errorf("move message %s to %s: %w", m.ID, status, err)
			}
			if ok {
				moved++
			}
		}
	}
	return moved, nil
}
