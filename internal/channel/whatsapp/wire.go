package whatsapp

import "strconv"

// wireMessage is the Cloud API's send request. Its fields are in the
// order of their JSON names, so that encoding/json writes what a map of
// them wrote (keys sorted), without a map per object to build and sort.
type wireMessage struct {
	Audio            *wireMedia    `json:"audio,omitempty"`
	CallbackData     string        `json:"biz_opaque_callback_data,omitempty"`
	Document         *wireMedia    `json:"document,omitempty"`
	Image            *wireMedia    `json:"image,omitempty"`
	MessagingProduct string        `json:"messaging_product"`
	RecipientType    string        `json:"recipient_type"`
	Template         *wireTemplate `json:"template,omitempty"`
	Text             *wireText     `json:"text,omitempty"`
	To               string        `json:"to"`
	Type             string        `json:"type,omitempty"`
	Video            *wireMedia    `json:"video,omitempty"`
}

type wireText struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url"`
}

type wireTemplate struct {
	Components []wireComponent `json:"components,omitempty"`
	Language   wireLanguage    `json:"language"`
	Name       string          `json:"name"`
}

type wireLanguage struct {
	Code string `json:"code"`
}

type wireComponent struct {
	Index      string      `json:"index,omitempty"`
	Parameters []wireParam `json:"parameters"`
	SubType    string      `json:"sub_type,omitempty"`
	Type       string      `json:"type"`
}

// wireParam is a text parameter (Text set) or a quick reply's payload
// (Payload set); either may be the empty string.
type wireParam struct {
	Payload *string `json:"payload,omitempty"`
	Text    *string `json:"text,omitempty"`
	Type    string  `json:"type"`
}

type wireMedia struct {
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
	Link     string `json:"link"`
}

// wire builds the request of a valid m to the normalised number to.
func (m Message) wire(to string) *wireMessage {
	w := &wireMessage{MessagingProduct: "whatsapp", RecipientType: "individual", To: to, CallbackData: m.CallbackData}
	switch {
	case m.Text != nil:
		w.Type, w.Text = "text", &wireText{Body: m.Text.Body, PreviewURL: m.Text.PreviewURL}
	case m.Template != nil:
		w.Type, w.Template = "template", m.Template.wire()
	case m.Media != nil:
		media := &wireMedia{Link: m.Media.Link}
		if m.Media.Type != "audio" {
			media.Caption = m.Media.Caption
		}
		if m.Media.Type == "document" {
			media.Filename = m.Media.Filename
		}
		w.Type = m.Media.Type
		switch m.Media.Type {
		case "image":
			w.Image = media
		case "document":
			w.Document = media
		case "video":
			w.Video = media
		case "audio":
			w.Audio = media
		}
	}
	return w
}

func (t *Template) wire() *wireTemplate {
	w := &wireTemplate{Name: t.Name, Language: wireLanguage{Code: t.Language}}
	if w.Language.Code == "" {
		w.Language.Code = "en_US"
	}
	if len(t.HeaderParameters) > 0 {
		w.Components = append(w.Components, wireComponent{Type: "header", Parameters: textParams(t.HeaderParameters)})
	}
	if len(t.BodyParameters) > 0 {
		w.Components = append(w.Components, wireComponent{Type: "body", Parameters: textParams(t.BodyParameters)})
	}
	for _, b := range t.Buttons {
		p := wireParam{Type: "text", Text: &b.Parameter}
		if b.SubType == "quick_reply" {
			p = wireParam{Type: "payload", Payload: &b.Parameter}
		}
		w.Components = append(w.Components, wireComponent{Type: "button", SubType: b.SubType,
			Index: strconv.Itoa(b.Index), Parameters: []wireParam{p}})
	}
	return w
}

func textParams(values []string) []wireParam {
	out := make([]wireParam, len(values))
	for i := range values {
		out[i] = wireParam{Type: "text", Text: &values[i]}
	}
	return out
}
