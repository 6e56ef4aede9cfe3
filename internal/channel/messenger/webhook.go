package messenger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// EventMessageReceived is the event an inbound Messenger message (or a
// postback: a button tap) becomes.
const EventMessageReceived = "messenger.message_received"

// MaxWebhookBody bounds a webhook delivery's body.
const MaxWebhookBody = 512 << 10

// Errors of the webhook endpoint.
var (
	// ErrNotPageBody: a verified body that is not a Messenger ("page")
	// webhook.
	ErrNotPageBody = errors.New(`the body is not a Messenger ("object":"page") webhook`)
	// ErrVerifyToken: the handshake's hub.verify_token or hub.mode is wrong.
	ErrVerifyToken = errors.New("hub.mode must be subscribe and hub.verify_token must match the connection's verify token")
)

// EventKind is what one messaging event of a webhook is.
type EventKind string

// Event kinds.
const (
	// KindMessage is a message the person sent (text, attachments, a quick
	// reply).
	KindMessage EventKind = "message"
	// KindPostback is a tap on a button or a menu item.
	KindPostback EventKind = "postback"
	// KindDelivery says the page's messages reached the person.
	KindDelivery EventKind = "delivery"
	// KindRead says the person read the page's messages.
	KindRead EventKind = "read"
	// KindEcho is a copy of a message the page sent; not inbound.
	KindEcho EventKind = "echo"
)

// ErrNotPage: the body is not a Messenger ("page") webhook.
var ErrNotPage = errors.New(`not a Messenger webhook: "object" is not "page"`)

// Event is one messaging event of a webhook delivery.
type Event struct {
	Kind EventKind
	// PageID is the entry's page.
	PageID string
	// Sender and Recipient are the event's IDs: the person's PSID and the
	// page for inbound events, the other way round for echoes.
	Sender    string
	Recipient string
	// Time is the event's timestamp (zero when absent).
	Time time.Time

	// Message is set for KindMessage and KindEcho.
	Message *InboundMessage
	// Postback is set for KindPostback.
	Postback *Postback
	// Delivery is set for KindDelivery.
	Delivery *Delivery
	// Read is set for KindRead.
	Read *Read
}

// PSID is the person's page-scoped ID: the sender of an inbound event,
// the recipient of an echo.
func (e *Event) PSID() string {
	if e.Kind == KindEcho {
		return e.Recipient
	}
	return e.Sender
}

// Inbound reports whether the event is the person acting (a message or a
// postback), which opens the messaging window.
func (e *Event) Inbound() bool { return e.Kind == KindMessage || e.Kind == KindPostback }

// InboundMessage is a message of a webhook: the person's, or an echo of
// the page's.
type InboundMessage struct {
	MID  string
	Text string
	// QuickReply is the payload of the quick reply tapped, if any.
	QuickReply  string
	Attachments []Attachment
	// Metadata is what the sender attached (echoes only).
	Metadata string
	// ReplyTo is the mid the message replies to, if any.
	ReplyTo string
}

// Attachment is a file, image, location… the person sent.
type Attachment struct {
	Type string
	// URL of the attachment's content, when it has one.
	URL string
}

// Postback is a button tap.
type Postback struct {
	MID     string
	Title   string
	Payload string
}

// Delivery says messages reached the person: those named by MIDs (which
// may be missing) and every message sent before Watermark.
type Delivery struct {
	MIDs      []string
	Watermark time.Time
}

// Read says the person read every message sent before Watermark.
type Read struct {
	Watermark time.Time
}

// Wire shapes. IDs and times are read leniently (a string or a number),
// because one odd field must not cost the whole delivery.
type (
	wireEnvelope struct {
		Object string      `json:"object"`
		Entry  []wireEntry `json:"entry"`
	}
	wireEntry struct {
		ID        flexString      `json:"id"`
		Messaging []wireMessaging `json:"messaging"`
	}
	wireMessaging struct {
		Sender *struct {
			ID flexString `json:"id"`
		} `json:"sender"`
		Recipient *struct {
			ID flexString `json:"id"`
		} `json:"recipient"`
		Timestamp flexMillis `json:"timestamp"`
		Message   *struct {
			MID        flexString `json:"mid"`
			Text       string     `json:"text"`
			IsEcho     bool       `json:"is_echo"`
			Metadata   string     `json:"metadata"`
			QuickReply *struct {
				Payload string `json:"payload"`
			} `json:"quick_reply"`
			ReplyTo *struct {
				MID flexString `json:"mid"`
			} `json:"reply_to"`
			Attachments []struct {
				Type    string          `json:"type"`
				Payload json.RawMessage `json:"payload"`
			} `json:"attachments"`
		} `json:"message"`
		Postback *struct {
			MID     flexString `json:"mid"`
			Title   string     `json:"title"`
			Payload string     `json:"payload"`
		} `json:"postback"`
		Delivery *struct {
			MIDs      []flexString `json:"mids"`
			Watermark flexMillis   `json:"watermark"`
		} `json:"delivery"`
		Read *struct {
			Watermark flexMillis `json:"watermark"`
		} `json:"read"`
	}
)

// flexString reads a JSON string or number as a string; anything else is
// empty.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*f = flexString(b)
	default:
		*f = ""
	}
	return nil
}

// flexMillis reads milliseconds since the epoch, as a number or a string;
// anything else, or a time out of range, is zero.
type flexMillis int64

func (f *flexMillis) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = 0
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil || math.IsNaN(v) || v <= 0 || v > 1e15 {
		return nil
	}
	*f = flexMillis(v)
	return nil
}

func (f flexMillis) time() time.Time {
	if f <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(f)).UTC()
}

// ParseWebhook reads a Messenger webhook body: an "object":"page"
// envelope whose entries each hold messaging events. It returns the
// events in order, skipping those it does not know (optins, reactions,
// handover…) and those without a sender or recipient. A body that is not
// JSON, or not a page webhook, is an error; no input makes it panic.
func ParseWebhook(body []byte) ([]Event, error) {
	var env wireEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		// A field of an unexpected type is left empty and the rest is
		// read; only a body that is not JSON at all is refused.
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("decode Messenger webhook: %w", err)
		}
	}
	if env.Object != "page" {
		return nil, ErrNotPage
	}
	var out []Event
	for _, entry := range env.Entry {
		for i := range entry.Messaging {
			if ev, ok := convert(string(entry.ID), &entry.Messaging[i]); ok {
				out = append(out, ev)
			}
		}
	}
	return out, nil
}

// convert turns one wire event into an Event; false for events to skip.
func convert(pageID string, m *wireMessaging) (Event, bool) {
	if m.Sender == nil || m.Recipient == nil || m.Sender.ID == "" || m.Recipient.ID == "" {
		return Event{}, false
	}
	ev := Event{PageID: pageID, Sender: string(m.Sender.ID), Recipient: string(m.Recipient.ID), Time: m.Timestamp.time()}
	switch {
	case m.Message != nil:
		w := m.Message
		msg := &InboundMessage{MID: string(w.MID), Text: w.Text, Metadata: w.Metadata}
		if w.QuickReply != nil {
			msg.QuickReply = w.QuickReply.Payload
		}
		if w.ReplyTo != nil {
			msg.ReplyTo = string(w.ReplyTo.MID)
		}
		for _, a := range w.Attachments {
			var p struct {
				URL string `json:"url"`
			}
			_ = json.Unmarshal(a.Payload, &p) // a payload without a URL (a location) keeps the type only
			msg.Attachments = append(msg.Attachments, Attachment{Type: a.Type, URL: p.URL})
		}
		ev.Message = msg
		ev.Kind = KindMessage
		if w.IsEcho {
			ev.Kind = KindEcho
		} else if msg.MID == "" {
			return Event{}, false
		}
	case m.Postback != nil:
		ev.Kind = KindPostback
		ev.Postback = &Postback{MID: string(m.Postback.MID), Title: m.Postback.Title, Payload: m.Postback.Payload}
	case m.Delivery != nil:
		ev.Kind = KindDelivery
		d := &Delivery{Watermark: m.Delivery.Watermark.time()}
		for _, mid := range m.Delivery.MIDs {
			if mid != "" {
				d.MIDs = append(d.MIDs, string(mid))
			}
		}
		if len(d.MIDs) == 0 && d.Watermark.IsZero() {
			return Event{}, false
		}
		ev.Delivery = d
	case m.Read != nil:
		if m.Read.Watermark.time().IsZero() {
			return Event{}, false
		}
		ev.Kind = KindRead
		ev.Read = &Read{Watermark: m.Read.Watermark.time()}
	default:
		return Event{}, false
	}
	return ev, true
}
