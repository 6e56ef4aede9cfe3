package metafake

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// MessengerPage is a Facebook Page the fake's Messenger product serves.
type MessengerPage struct {
	PageID string
	Name   string
	// Token is the page token sends must carry as access_token; a wrong
	// one is answered with code 190.
	Token string
	// AppSecret signs the webhooks.
	AppSecret []byte
	// WebhookURL receives deliveries, reads and inbound messages; none
	// when empty.
	WebhookURL string
	// Echo also delivers a message_echoes webhook (is_echo, with the
	// send's metadata) for every accepted send.
	Echo bool
	// WatermarkOnly leaves mids out of delivery webhooks: only the
	// watermark says what was delivered, as Meta may do.
	WatermarkOnly bool
}

// MessengerSend is one Send API request the fake received.
type MessengerSend struct {
	PageID        string
	Recipient     string
	MessagingType string
	Tag           string
	Text          string
	Metadata      string
	// MessageID is the mid answered, empty when the send was refused.
	MessageID string
	// ErrorCode and ErrorSubcode are those of a refused send.
	ErrorCode    int
	ErrorSubcode int
	Body         json.RawMessage
	At           time.Time
}

// MessengerScript decides the answers to sends to one PSID.
type MessengerScript struct {
	// ErrorCode refuses the send synchronously with this Graph code and
	// ErrorSubcode (e.g. 10/2018278, 551/1545041, 613).
	ErrorCode    int
	ErrorSubcode int
	// HTTPStatus of the refusal; 400 when zero (401 for code 190).
	HTTPStatus int
	// Times limits the refusals (then sends succeed); 0 refuses every send.
	Times int
}

// MessengerInbound is a message a person sends to a page.
type MessengerInbound struct {
	PSID string
	Text string
	// QuickReply is a quick reply's payload.
	QuickReply string
	// MID is the message ID; a random one when empty.
	MID string
	// Timestamp defaults to now.
	Timestamp time.Time
}

// Messenger is the Messenger Send API product of a Server: Facebook Pages
// that accept sends and POST signed webhooks. Create it with NewMessenger.
type Messenger struct {
	s *Server

	mu      sync.Mutex
	pages   map[string]MessengerPage
	scripts map[string]*MessengerScript
	sends   []MessengerSend
}

// NewMessenger adds the Messenger product to s.
func NewMessenger(s *Server) *Messenger {
	return &Messenger{s: s, pages: map[string]MessengerPage{}, scripts: map[string]*MessengerScript{}}
}

// AddPage serves a page.
func (m *Messenger) AddPage(p MessengerPage) {
	m.mu.Lock()
	m.pages[p.PageID] = p
	m.mu.Unlock()
	m.s.register(p.PageID, m, p.WebhookURL, p.AppSecret)
}

// Script sets the answers to sends to psid; a zero script restores plain
// success.
func (m *Messenger) Script(psid string, sc MessengerScript) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if sc == (MessengerScript{}) {
		delete(m.scripts, psid)
		return
	}
	m.scripts[psid] = &sc
}

// Sends returns every send request received, in order.
func (m *Messenger) Sends() []MessengerSend {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.sends)
}

// SendInbound delivers a signed inbound message from in.PSID to the page's
// webhook now (twice with Options.Duplicate), retrying as configured, and
// returns its mid and the webhook's last answer status.
func (m *Messenger) SendInbound(ctx context.Context, pageID string, in MessengerInbound) (string, int, error) {
	if in.MID == "" {
		in.MID = "m_in" + randomHex(12)
	}
	if in.Timestamp.IsZero() {
		in.Timestamp = time.Now()
	}
	msg := map[string]any{"mid": in.MID, "text": in.Text}
	if in.QuickReply != "" {
		msg["quick_reply"] = map[string]any{"payload": in.QuickReply}
	}
	status, err := m.Post(ctx, pageID, m.Envelope(pageID, map[string]any{
		"sender": map[string]any{"id": in.PSID}, "recipient": map[string]any{"id": pageID},
		"timestamp": in.Timestamp.UnixMilli(), "message": msg,
	}))
	return in.MID, status, err
}

// DeliveryEvent is a messaging event saying the page's messages reached
// psid: mids (none for a watermark-only delivery) and everything before
// watermark.
func DeliveryEvent(pageID, psid string, mids []string, watermark time.Time) map[string]any {
	d := map[string]any{"watermark": watermark.UnixMilli()}
	if len(mids) > 0 {
		d["mids"] = mids
	}
	return map[string]any{"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": pageID},
		"timestamp": watermark.UnixMilli(), "delivery": d}
}

// ReadEvent is a messaging event saying psid read everything before
// watermark.
func ReadEvent(pageID, psid string, watermark time.Time) map[string]any {
	return map[string]any{"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": pageID},
		"timestamp": watermark.UnixMilli(), "read": map[string]any{"watermark": watermark.UnixMilli()}}
}

// Envelope wraps messaging events in a "page" webhook body, one entry.
func (m *Messenger) Envelope(pageID string, events ...map[string]any) []byte {
	evs := make([]any, len(events))
	for i, e := range events {
		evs[i] = e
	}
	body, _ := json.Marshal(map[string]any{"object": "page", "entry": []any{
		map[string]any{"id": pageID, "time": time.Now().UnixMilli(), "messaging": evs},
	}})
	return body
}

// Post delivers body, signed with the page's app secret, to its webhook
// now (twice with Options.Duplicate), retrying as configured, and returns
// the last answer status.
func (m *Messenger) Post(ctx context.Context, pageID string, body []byte) (int, error) {
	reg, ok := m.s.lookup(pageID)
	if !ok || reg.webhookURL == "" {
		return 0, fmt.Errorf("page %s is not served or has no webhook URL", pageID)
	}
	status := m.s.post(ctx, reg, body)
	if m.s.opts.Duplicate {
		status = m.s.post(ctx, reg, body)
	}
	return status, nil
}

func (m *Messenger) page(id string) MessengerPage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pages[id]
}

func (m *Messenger) authorized(w http.ResponseWriter, r *http.Request, p MessengerPage) bool {
	if p.Token != "" && subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("access_token")), []byte(p.Token)) == 1 {
		return true
	}
	messengerError(w, http.StatusUnauthorized, 190, 460, "Error validating access token: The session has been invalidated.")
	return false
}

// object answers the page (the connection test).
func (m *Messenger) object(w http.ResponseWriter, r *http.Request, id string) {
	p := m.page(id)
	if !m.authorized(w, r, p) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": p.PageID, "name": p.Name})
}

// send answers a Send API request and schedules its webhooks: an echo
// when the page asks for them, then delivery and read (read first with
// Options.Reorder).
func (m *Messenger) send(w http.ResponseWriter, r *http.Request, id string) {
	p := m.page(id)
	if !m.authorized(w, r, p) {
		return
	}
	raw, err := readBody(r)
	var req struct {
		Recipient struct {
			ID string `json:"id"`
		} `json:"recipient"`
		MessagingType string `json:"messaging_type"`
		Tag           string `json:"tag"`
		Message       struct {
			Text     string `json:"text"`
			Metadata string `json:"metadata"`
		} `json:"message"`
	}
	if err == nil {
		err = json.Unmarshal(raw, &req)
	}
	switch {
	case err != nil:
		messengerError(w, http.StatusBadRequest, 100, 0, "Invalid JSON body")
		return
	case req.Recipient.ID == "":
		messengerError(w, http.StatusBadRequest, 100, 2018001, "No matching user found")
		return
	case req.MessagingType != "RESPONSE" && req.MessagingType != "UPDATE" && req.MessagingType != "MESSAGE_TAG":
		messengerError(w, http.StatusBadRequest, 100, 0, "Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
		return
	case (req.MessagingType == "MESSAGE_TAG") != (req.Tag != ""):
		messengerError(w, http.StatusBadRequest, 100, 0, "Param tag goes with messaging_type MESSAGE_TAG")
		return
	case req.Message.Text == "" || utf8.RuneCountInString(req.Message.Text) > 2000:
		messengerError(w, http.StatusBadRequest, 100, 0, "Param message[text] must be 1-2000 characters")
		return
	}
	rec := MessengerSend{PageID: id, Recipient: req.Recipient.ID, MessagingType: req.MessagingType, Tag: req.Tag,
		Text: req.Message.Text, Metadata: req.Message.Metadata, Body: raw, At: time.Now()}

	m.mu.Lock()
	status := http.StatusBadRequest
	if sc := m.scripts[req.Recipient.ID]; sc != nil && sc.ErrorCode != 0 {
		rec.ErrorCode, rec.ErrorSubcode = sc.ErrorCode, sc.ErrorSubcode
		if sc.HTTPStatus != 0 {
			status = sc.HTTPStatus
		} else if sc.ErrorCode == 190 {
			status = http.StatusUnauthorized
		}
		if sc.Times > 0 {
			sc.Times--
			if sc.Times == 0 {
				sc.ErrorCode = 0
			}
		}
	} else {
		rec.MessageID = "m_fake" + randomHex(16)
	}
	m.sends = append(m.sends, rec)
	m.mu.Unlock()

	if rec.ErrorCode != 0 {
		messengerError(w, status, rec.ErrorCode, rec.ErrorSubcode, messengerErrorText(rec.ErrorCode, rec.ErrorSubcode))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"recipient_id": req.Recipient.ID, "message_id": rec.MessageID})

	now := time.Now()
	var bodies [][]byte
	if p.Echo {
		bodies = append(bodies, m.Envelope(id, map[string]any{
			"sender": map[string]any{"id": id}, "recipient": map[string]any{"id": req.Recipient.ID}, "timestamp": now.UnixMilli(),
			"message": map[string]any{"mid": rec.MessageID, "text": rec.Text, "is_echo": true, "metadata": rec.Metadata, "app_id": 1},
		}))
	}
	// Watermarks are just after the send, so they cover it.
	mark := now.Add(time.Millisecond)
	var mids []string
	if !p.WatermarkOnly {
		mids = []string{rec.MessageID}
	}
	statuses := [][]byte{
		m.Envelope(id, DeliveryEvent(id, req.Recipient.ID, mids, mark)),
		m.Envelope(id, ReadEvent(id, req.Recipient.ID, mark.Add(time.Millisecond))),
	}
	if m.s.opts.Reorder {
		slices.Reverse(statuses)
	}
	m.s.deliver(id, m.s.opts.StatusDelay, append(bodies, statuses...)...)
}

// messengerError writes a Graph error envelope with a subcode.
func messengerError(w http.ResponseWriter, status, code, subcode int, message string) {
	e := map[string]any{"message": fmt.Sprintf("(#%d) %s", code, message), "type": "OAuthException", "code": code,
		"fbtrace_id": "fake" + randomHex(6)}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func messengerErrorText(code, subcode int) string {
	switch {
	case code == 10 && subcode == 2018278:
		return "This message is sent outside of allowed window."
	case code == 551:
		return "This person isn't available right now."
	case code == 613:
		return "Calls to this api have exceeded the rate limit."
	case code == 4:
		return "Application request limit reached"
	case code == 190:
		return "Error validating access token"
	case code == 2:
		return "An unexpected error has occurred. Please retry your request later."
	}
	return fmt.Sprintf("Error %d", code)
}
