package whatsapp_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
)

// mapBody is the send request as it was built before the typed encoding:
// maps of the fields, encoded by encoding/json (keys sorted). Body must
// write the same bytes.
func mapBody(m whatsapp.Message) ([]byte, error) {
	to, err := whatsapp.NormalizePhone(m.To)
	if err != nil {
		return nil, err
	}
	textParameters := func(values []string) []map[string]any {
		out := make([]map[string]any, len(values))
		for i, v := range values {
			out[i] = map[string]any{"type": "text", "text": v}
		}
		return out
	}
	body := map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
	if m.CallbackData != "" {
		body["biz_opaque_callback_data"] = m.CallbackData
	}
	switch {
	case m.Text != nil:
		body["type"] = "text"
		body["text"] = map[string]any{"preview_url": m.Text.PreviewURL, "body": m.Text.Body}
	case m.Template != nil:
		t := m.Template
		lang := t.Language
		if lang == "" {
			lang = "en_US"
		}
		var components []map[string]any
		if len(t.HeaderParameters) > 0 {
			components = append(components, map[string]any{"type": "header", "parameters": textParameters(t.HeaderParameters)})
		}
		if len(t.BodyParameters) > 0 {
			components = append(components, map[string]any{"type": "body", "parameters": textParameters(t.BodyParameters)})
		}
		for _, b := range t.Buttons {
			param := map[string]any{"type": "text", "text": b.Parameter}
			if b.SubType == "quick_reply" {
				param = map[string]any{"type": "payload", "payload": b.Parameter}
			}
			components = append(components, map[string]any{"type": "button", "sub_type": b.SubType,
				"index": fmt.Sprint(b.Index), "parameters": []map[string]any{param}})
		}
		tpl := map[string]any{"name": t.Name, "language": map[string]any{"code": lang}}
		if len(components) > 0 {
			tpl["components"] = components
		}
		body["type"] = "template"
		body["template"] = tpl
	case m.Media != nil:
		media := map[string]any{"link": m.Media.Link}
		if m.Media.Caption != "" && m.Media.Type != "audio" {
			media["caption"] = m.Media.Caption
		}
		if m.Media.Filename != "" && m.Media.Type == "document" {
			media["filename"] = m.Media.Filename
		}
		body["type"] = m.Media.Type
		body[m.Media.Type] = media
	}
	return json.Marshal(body)
}

func TestBodyWritesWhatTheMapsWrote(t *testing.T) {
	t.Parallel()
	var msgs []whatsapp.Message
	for _, to := range []string{"+49 151 1234-5678", "4915112345678"} {
		for _, cb := range []string{"", "0190-msg <&> \u2028"} {
			msgs = append(msgs,
				whatsapp.Message{To: to, CallbackData: cb, Text: &whatsapp.Text{Body: "Hi <b>Ana</b> & \"co\" https://x.test", PreviewURL: true}},
				whatsapp.Message{To: to, CallbackData: cb, Text: &whatsapp.Text{Body: "plain"}},
				whatsapp.Message{To: to, CallbackData: cb, Template: &whatsapp.Template{Name: "hello_world"}},
				whatsapp.Message{To: to, CallbackData: cb, Template: &whatsapp.Template{Name: "order_update", Language: "de",
					HeaderParameters: []string{"Head", ""}, BodyParameters: []string{"Ana", "#42", ""},
					Buttons: []whatsapp.TemplateButton{{SubType: "quick_reply", Index: 0, Parameter: "yes"},
						{SubType: "url", Index: 1, Parameter: "track/42?a=1&b=<2>"}, {SubType: "quick_reply", Index: 2}}}},
			)
			for _, typ := range []string{"image", "document", "video", "audio"} {
				msgs = append(msgs,
					whatsapp.Message{To: to, CallbackData: cb, Media: &whatsapp.Media{Type: typ, Link: "https://cdn.test/f?a=1&b=2",
						Caption: "A <caption>", Filename: "f.pdf"}},
					whatsapp.Message{To: to, CallbackData: cb, Media: &whatsapp.Media{Type: typ, Link: "https://cdn.test/f"}})
			}
		}
	}
	for i, m := range msgs {
		got, err := m.Body()
		require.NoError(t, err, i)
		want, err := mapBody(m)
		require.NoError(t, err, i)
		require.Equal(t, string(want), string(got), "message %d", i)
	}
}

var phonePattern = regexp.MustCompile(`^\+?[1-9][0-9]{6,14}$`)

// regexpPhone is NormalizePhone as it was written with a regular
// expression.
func regexpPhone(s string) (string, bool) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if !phonePattern.MatchString(clean) {
		return "", false
	}
	return strings.TrimPrefix(clean, "+"), true
}

func TestNormalizePhoneAsTheRegexp(t *testing.T) {
	t.Parallel()
	inputs := []string{"", "+", "+4915112345678", "4915112345678", " +49 (151) 123-45.678 ", "(+49) 151 1234567",
		"-+49151234567", "49+151234567", "++49151234567", "0049151234567", "+0151234567", "123456", "1234567",
		"123456789012345", "1234567890123456", "+1 (555) 010-9999", "\t+15550109999\n", "+1555\t0109999",
		"+1555０109999", "+1555a109999", "١٢٣٤٥٦٧٨"}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789+ -.()a\t"
	for range 20000 {
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		want, ok := regexpPhone(in)
		got, err := whatsapp.NormalizePhone(in)
		require.Equal(t, ok, err == nil, "%q: %v", in, err)
		require.Equal(t, want, got, "%q", in)
	}
}

func BenchmarkBody(b *testing.B) {
	m := whatsapp.Message{To: "+4915112345678", CallbackData: "0190b6a4-7c8e-7d1e-9f00-123456789abc",
		Template: &whatsapp.Template{Name: "order_update", Language: "en_US", BodyParameters: []string{"0190b6a4-7c8e-7d1e-9f00-123456789abc"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Body(); err != nil {
			b.Fatal(err)
		}
	}
}
