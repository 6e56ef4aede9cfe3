package metawebhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// WhatsAppObject is the "object" of a WhatsApp Business Account delivery.
const WhatsAppObject = "whatsapp_business_account"

// ErrNotWhatsApp means a body parsed as JSON but is not a WhatsApp
// Business Account delivery.
var ErrNotWhatsApp = errors.New(`webhook object is not "whatsapp_business_account"`)

// WhatsApp message types as the webhook names them.
const (
	WhatsAppTypeText        = "text"
	WhatsAppTypeButton      = "button"
	WhatsAppTypeInteractive = "interactive"
	WhatsAppTypeImage       = "image"
	WhatsAppTypeAudio       = "audio"
	WhatsAppTypeVideo       = "video"
	WhatsAppTypeDocument    = "document"
	WhatsAppTypeSticker     = "sticker"
	WhatsAppTypeLocation    = "location"
	WhatsAppTypeReaction    = "reaction"
)

// WhatsApp delivery statuses as the status webhook names them.
const (
	WhatsAppStatusSent      = "sent"
	WhatsAppStatusDelivered = "delivered"
	WhatsAppStatusRead      = "read"
	WhatsAppStatusFailed    = "failed"
)

// WhatsAppDelivery is one parsed webhook body: every inbound message and
// every status of every entry and change, in body order.
type WhatsAppDelivery struct {
	Messages []WhatsAppMessage
	Statuses []WhatsAppStatus
}

// WhatsAppMessage is one inbound message from a user.
type WhatsAppMessage struct {
	// PhoneNumberID is the business phone number that received it.
	PhoneNumberID string
	// ID is the message's wamid, the key for deduplication.
	ID string
	// From is the sender's WhatsApp ID (digits of the phone number).
	From string
	// ProfileName is the sender's profile name when the change names it.
	ProfileName string
	Timestamp   time.Time
	// Type is one of the WhatsApp* message types, or what Meta sent.
	Type string
	// Text is the body of a text message, the text of a button reply, the
	// title of an interactive reply, or a media caption.
	Text string
	// Payload is the payload of a quick-reply button or the ID of an
	// interactive list or button reply.
	Payload string
	// Media is set for image, audio, video, document and sticker messages.
	Media *WhatsAppMedia
	// Location is set for location messages.
	Location *WhatsAppLocation
	// ReplyTo is the wamid of the message this one answers, if any.
	ReplyTo string
}

// WhatsAppMedia describes an inbound media attachment; the bytes are
// fetched separately by ID.
type WhatsAppMedia struct {
	ID       string
	MimeType string
	SHA256   string
	Caption  string
	Filename string
}

// WhatsAppLocation is a shared location.
type WhatsAppLocation struct {
	Latitude  float64
	Longitude float64
	Name      string
	Address   string
}

// WhatsAppStatus is one status change of a message we sent.
type WhatsAppStatus struct {
	PhoneNumberID string
	// ID is the wamid the send answered with.
	ID string
	// Status is one of the WhatsApp* statuses, or what Meta sent.
	Status      string
	Timestamp   time.Time
	RecipientID string
	// CallbackData is the biz_opaque_callback_data given with the send.
	CallbackData string
	Errors       []WhatsAppError
}

// WhatsAppError is one error of a failed status.
type WhatsAppError struct {
	Code    int
	Title   string
	Message string
	Details string
}

type waEnvelope struct {
	Object string `json:"object"`
	Entry  []struct {
		Changes []struct {
			Field string  `json:"field"`
			Value waValue `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type waValue struct {
	Metadata struct {
		PhoneNumberID string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WaID string `json:"wa_id"`
	} `json:"contacts"`
	Messages []waMessage `json:"messages"`
	Statuses []waStatus  `json:"statuses"`
}

type waMedia struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type waMessage struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Text      struct {
		Body string `json:"body"`
	} `json:"text"`
	Button struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Interactive struct {
		Type        string `json:"type"`
		ButtonReply struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"list_reply"`
	} `json:"interactive"`
	Image    *waMedia `json:"image"`
	Audio    *waMedia `json:"audio"`
	Video    *waMedia `json:"video"`
	Document *waMedia `json:"document"`
	Sticker  *waMedia `json:"sticker"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	} `json:"location"`
	Reaction struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Context struct {
		ID string `json:"id"`
	} `json:"context"`
}

type waStatus struct {
	ID                    string `json:"id"`
	Status                string `json:"status"`
	Timestamp             string `json:"timestamp"`
	RecipientID           string `json:"recipient_id"`
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data"`
	Errors                []struct {
		Code      int    `json:"code"`
		Title     string `json:"title"`
		Message   string `json:"message"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"errors"`
}

// ParseWhatsApp parses a WhatsApp Business Account webhook body. Changes
// of fields other than "messages" are ignored, as are messages without an
// ID or sender and statuses without an ID or status; unknown message types
// are kept with their type and no content.
func ParseWhatsApp(body []byte) (*WhatsAppDelivery, error) {
	var env waEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("parse whatsapp webhook: %w", err)
	}
	if env.Object != WhatsAppObject {
		return nil, ErrNotWhatsApp
	}
	out := &WhatsAppDelivery{}
	for _, entry := range env.Entry {
		for _, change := range entry.Changes {
			if change.Field != "" && change.Field != "messages" {
				continue
			}
			v := change.Value
			names := make(map[string]string, len(v.Contacts))
			for _, c := range v.Contacts {
				names[c.WaID] = c.Profile.Name
			}
			for _, m := range v.Messages {
				if m.ID == "" || m.From == "" {
					continue
				}
				out.Messages = append(out.Messages, waMessageOf(v.Metadata.PhoneNumberID, names[m.From], m))
			}
			for _, s := range v.Statuses {
				if s.ID == "" || s.Status == "" {
					continue
				}
				st := WhatsAppStatus{
					PhoneNumberID: v.Metadata.PhoneNumberID, ID: s.ID, Status: s.Status,
					Timestamp: unixString(s.Timestamp), RecipientID: s.RecipientID, CallbackData: s.BizOpaqueCallbackData,
				}
				for _, e := range s.Errors {
					st.Errors = append(st.Errors, WhatsAppError{Code: e.Code, Title: e.Title, Message: e.Message, Details: e.ErrorData.Details})
				}
				out.Statuses = append(out.Statuses, st)
			}
		}
	}
	return out, nil
}

func waMessageOf(phoneNumberID, profileName string, m waMessage) WhatsAppMessage {
	msg := WhatsAppMessage{
		PhoneNumberID: phoneNumberID, ID: m.ID, From: m.From, ProfileName: profileName,
		Timestamp: unixString(m.Timestamp), Type: m.Type, ReplyTo: m.Context.ID,
	}
	media := func(md *waMedia) {
		if md == nil {
			return
		}
		msg.Media = &WhatsAppMedia{ID: md.ID, MimeType: md.MimeType, SHA256: md.SHA256, Caption: md.Caption, Filename: md.Filename}
		msg.Text = md.Caption
	}
	switch m.Type {
	case WhatsAppTypeText:
		msg.Text = m.Text.Body
	case WhatsAppTypeButton:
		msg.Text, msg.Payload = m.Button.Text, m.Button.Payload
	case WhatsAppTypeInteractive:
		switch m.Interactive.Type {
		case "button_reply":
			msg.Text, msg.Payload = m.Interactive.ButtonReply.Title, m.Interactive.ButtonReply.ID
		case "list_reply":
			msg.Text, msg.Payload = m.Interactive.ListReply.Title, m.Interactive.ListReply.ID
		}
	case WhatsAppTypeImage:
		media(m.Image)
	case WhatsAppTypeAudio:
		media(m.Audio)
	case WhatsAppTypeVideo:
		media(m.Video)
	case WhatsAppTypeDocument:
		media(m.Document)
	case WhatsAppTypeSticker:
		media(m.Sticker)
	case WhatsAppTypeLocation:
		if l := m.Location; l != nil {
			msg.Location = &WhatsAppLocation{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
		}
	case WhatsAppTypeReaction:
		msg.Text, msg.ReplyTo = m.Reaction.Emoji, m.Reaction.MessageID
	}
	return msg
}

// unixString reads Meta's timestamps: decimal Unix seconds as a string.
// An unreadable one is the zero time.
func unixString(s string) time.Time {
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}
