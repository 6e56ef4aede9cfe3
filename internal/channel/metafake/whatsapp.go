package metafake

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// WhatsAppNumber is a business phone number the fake serves.
type WhatsAppNumber struct {
	PhoneNumberID      string
	DisplayPhoneNumber string
	VerifiedName       string
	// Token is the access token sends must carry; a wrong one is answered
	// with code 190.
	Token string
	// AppSecret signs the webhooks.
	AppSecret []byte
	// WebhookURL receives statuses and inbound messages; none when empty.
	WebhookURL string
}

// WhatsAppSend is one send request the fake received.
type WhatsAppSend struct {
	PhoneNumberID string
	To            string
	// Type is text, template, image, document, video or audio.
	Type string
	// Text is the text body; Template the template's name.
	Text         string
	Template     string
	CallbackData string
	// MessageID is the wamid answered, empty when the send was refused.
	MessageID string
	// ErrorCode is the code of a refused send.
	ErrorCode int
	Body      json.RawMessage
	At        time.Time
}

// WhatsAppScript decides the answers to sends to one recipient.
type WhatsAppScript struct {
	// ErrorCode refuses the send synchronously with this Graph code.
	ErrorCode int
	// HTTPStatus of the refusal; 400 when zero (401 for code 190).
	HTTPStatus int
	// Times limits the refusals (then sends succeed); 0 refuses every send.
	Times int
	// FailAfterAccept accepts the send and then reports a "failed" status
	// with this code (after "sent").
	FailAfterAccept int
}

// WhatsAppInbound is a message a user sends to a business number.
type WhatsAppInbound struct {
	From        string
	ProfileName string
	// Text is the body of a text message.
	Text string
	// ID is the wamid; a random one when empty.
	ID string
	// Timestamp defaults to now.
	Timestamp time.Time
}

// whatsApp is the WhatsApp Cloud API product of a Server.
type whatsApp struct {
	s *Server

	mu      sync.Mutex
	numbers map[string]WhatsAppNumber
	scripts map[string]*WhatsAppScript
	sends   []WhatsAppSend
}

func newWhatsApp(s *Server) *whatsApp {
	return &whatsApp{s: s, numbers: map[string]WhatsAppNumber{}, scripts: map[string]*WhatsAppScript{}}
}

// AddWhatsAppNumber serves a business phone number.
func (s *Server) AddWhatsAppNumber(n WhatsAppNumber) {
	s.wa.mu.Lock()
	s.wa.numbers[n.PhoneNumberID] = n
	s.wa.mu.Unlock()
	s.register(n.PhoneNumberID, s.wa, n.WebhookURL, n.AppSecret)
}

// ScriptWhatsApp sets the answers to sends to recipient to (digits, as
// sent); a zero script restores plain success.
func (s *Server) ScriptWhatsApp(to string, sc WhatsAppScript) {
	s.wa.mu.Lock()
	defer s.wa.mu.Unlock()
	if sc == (WhatsAppScript{}) {
		delete(s.wa.scripts, to)
		return
	}
	s.wa.scripts[to] = &sc
}

// WhatsAppSends returns every send request received, in order.
func (s *Server) WhatsAppSends() []WhatsAppSend {
	s.wa.mu.Lock()
	defer s.wa.mu.Unlock()
	return slices.Clone(s.wa.sends)
}

// SendWhatsAppInbound delivers a signed inbound message from in.From to
// the number's webhook now, retrying as configured, and returns its wamid
// and the webhook's last answer status.
func (s *Server) SendWhatsAppInbound(ctx context.Context, phoneNumberID string, in WhatsAppInbound) (string, int, error) {
	reg, ok := s.lookup(phoneNumberID)
	if !ok || reg.webhookURL == "" {
		return "", 0, fmt.Errorf("phone number %s is not served or has no webhook URL", phoneNumberID)
	}
	if in.ID == "" {
		in.ID = "wamid.in" + randomHex(12)
	}
	if in.Timestamp.IsZero() {
		in.Timestamp = time.Now()
	}
	body := s.wa.envelope(phoneNumberID, map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]any{"name": in.ProfileName}, "wa_id": in.From}},
		"messages": []any{map[string]any{"from": in.From, "id": in.ID, "timestamp": unix(in.Timestamp),
			"type": "text", "text": map[string]any{"body": in.Text}}},
	})
	status := s.post(ctx, reg, body)
	if s.opts.Duplicate {
		status = s.post(ctx, reg, body)
	}
	return in.ID, status, nil
}

// SendWhatsAppStatus delivers one signed status webhook for a message now
// (errorCode is set for "failed"), and returns the webhook's last answer
// status.
func (s *Server) SendWhatsAppStatus(ctx context.Context, phoneNumberID, messageID, recipient, status string, errorCode int) (int, error) {
	reg, ok := s.lookup(phoneNumberID)
	if !ok || reg.webhookURL == "" {
		return 0, fmt.Errorf("phone number %s is not served or has no webhook URL", phoneNumberID)
	}
	return s.post(ctx, reg, s.wa.statusBody(phoneNumberID, messageID, recipient, "", status, errorCode)), nil
}

func (wa *whatsApp) number(id string) WhatsAppNumber {
	wa.mu.Lock()
	defer wa.mu.Unlock()
	return wa.numbers[id]
}

func (wa *whatsApp) authorized(w http.ResponseWriter, r *http.Request, n WhatsAppNumber) bool {
	if n.Token != "" && subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(n.Token)) == 1 {
		return true
	}
	writeError(w, http.StatusUnauthorized, 190, "Error validating access token: Session has expired or the token is invalid.")
	return false
}

// object answers a phone number's metadata (the connection test).
func (wa *whatsApp) object(w http.ResponseWriter, r *http.Request, id string) {
	n := wa.number(id)
	if !wa.authorized(w, r, n) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": n.PhoneNumberID, "display_phone_number": n.DisplayPhoneNumber,
		"verified_name": n.VerifiedName, "quality_rating": "GREEN"})
}

// send answers a send request as the Cloud API does and schedules its
// status webhooks.
func (wa *whatsApp) send(w http.ResponseWriter, r *http.Request, id string) {
	n := wa.number(id)
	if !wa.authorized(w, r, n) {
		return
	}
	raw, err := readBody(r)
	var req struct {
		MessagingProduct string `json:"messaging_product"`
		To               string `json:"to"`
		Type             string `json:"type"`
		Text             struct {
			Body string `json:"body"`
		} `json:"text"`
		Template struct {
			Name string `json:"name"`
		} `json:"template"`
		CallbackData string `json:"biz_opaque_callback_data"`
	}
	if err == nil {
		err = json.Unmarshal(raw, &req)
	}
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, 100, "Invalid JSON body")
		return
	case req.MessagingProduct != "whatsapp" || req.To == "" || req.Type == "":
		writeError(w, http.StatusBadRequest, 100, "messaging_product, to and type are required")
		return
	case req.Type == "text" && req.Text.Body == "":
		writeError(w, http.StatusBadRequest, 100, "text.body is required")
		return
	case req.Type == "template" && req.Template.Name == "":
		writeError(w, http.StatusBadRequest, 100, "template.name is required")
		return
	}
	rec := WhatsAppSend{PhoneNumberID: id, To: req.To, Type: req.Type, Text: req.Text.Body, Template: req.Template.Name,
		CallbackData: req.CallbackData, Body: raw, At: time.Now()}

	wa.mu.Lock()
	sc := wa.scripts[req.To]
	var refuse, failAfter int
	status := http.StatusBadRequest
	if sc != nil {
		if sc.ErrorCode != 0 {
			refuse = sc.ErrorCode
			if sc.HTTPStatus != 0 {
				status = sc.HTTPStatus
			} else if refuse == 190 {
				status = http.StatusUnauthorized
			}
			if sc.Times > 0 {
				sc.Times--
				if sc.Times == 0 {
					sc.ErrorCode = 0
				}
			}
		} else {
			failAfter = sc.FailAfterAccept
		}
	}
	if refuse != 0 {
		rec.ErrorCode = refuse
	} else {
		rec.MessageID = "wamid.fake" + randomHex(12)
	}
	wa.sends = append(wa.sends, rec)
	wa.mu.Unlock()

	if refuse != 0 {
		writeError(w, status, refuse, errorTitle(refuse))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messaging_product": "whatsapp",
		"contacts": []any{map[string]any{"input": req.To, "wa_id": req.To}},
		"messages": []any{map[string]any{"id": rec.MessageID}}})

	if reg, ok := wa.s.lookup(id); !ok || reg.webhookURL == "" {
		return // no webhook to deliver statuses to (benchmarks)
	}
	statuses := []string{"sent", "delivered", "read"}
	if failAfter != 0 {
		statuses = []string{"sent", "failed"}
	}
	if wa.s.opts.Reorder {
		slices.Reverse(statuses)
	}
	bodies := make([][]byte, len(statuses))
	for i, st := range statuses {
		code := 0
		if st == "failed" {
			code = failAfter
		}
		bodies[i] = wa.statusBody(id, rec.MessageID, req.To, req.CallbackData, st, code)
	}
	wa.s.deliver(id, wa.s.opts.StatusDelay, bodies...)
}

func (wa *whatsApp) statusBody(phoneNumberID, messageID, recipient, callbackData, status string, code int) []byte {
	st := map[string]any{"id": messageID, "status": status, "timestamp": unix(time.Now()), "recipient_id": recipient}
	if callbackData != "" {
		st["biz_opaque_callback_data"] = callbackData
	}
	if code != 0 {
		st["errors"] = []any{map[string]any{"code": code, "title": errorTitle(code), "message": errorTitle(code),
			"error_data": map[string]any{"details": errorTitle(code)}}}
	}
	return wa.envelope(phoneNumberID, map[string]any{"statuses": []any{st}})
}

// envelope wraps a change value in a whatsapp_business_account body.
func (wa *whatsApp) envelope(phoneNumberID string, value map[string]any) []byte {
	n := wa.number(phoneNumberID)
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]any{"display_phone_number": n.DisplayPhoneNumber, "phone_number_id": phoneNumberID}
	body, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{
		map[string]any{"id": "WABA-" + phoneNumberID, "changes": []any{map[string]any{"field": "messages", "value": value}}},
	}})
	return body
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func errorTitle(code int) string {
	switch code {
	case 131047:
		return "Re-engagement message"
	case 131026:
		return "Message undeliverable"
	case 130429:
		return "Rate limit hit"
	case 131056:
		return "(Business Account, Consumer Account) pair rate limit hit"
	case 131048:
		return "Spam rate limit hit"
	case 131049:
		return "Meta chose not to deliver"
	case 190:
		return "Access token has expired"
	case 100:
		return "Invalid parameter"
	case 131000:
		return "Something went wrong"
	}
	return fmt.Sprintf("Error %d", code)
}
