package metawebhook

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const waInbound = `{"object":"whatsapp_business_account","entry":[
 {"id":"WABA","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
  "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
  "contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],
  "messages":[
   {"from":"16505551234","id":"wamid.text","timestamp":"1749416383","type":"text","text":{"body":"Another color?"}},
   {"from":"16505551234","id":"wamid.btn","timestamp":"1749416384","type":"button","button":{"payload":"YES","text":"Yes please"},"context":{"id":"wamid.out"}},
   {"from":"16505551234","id":"wamid.list","timestamp":"1749416385","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"row-2","title":"Blue"}}},
   {"from":"16505551234","id":"wamid.img","timestamp":"1749416386","type":"image","image":{"id":"media-1","mime_type":"image/jpeg","sha256":"abc","caption":"this one"}},
   {"from":"16505551234","id":"wamid.loc","timestamp":"1749416387","type":"location","location":{"latitude":1.5,"longitude":-2.25,"name":"Shop"}},
   {"from":"16505551234","id":"wamid.new","timestamp":"x","type":"hologram"},
   {"from":"","id":"wamid.nofrom","type":"text"}
  ]}},
  {"field":"account_update","value":{"messages":[{"from":"1","id":"ignored","type":"text"}]}}]},
 {"id":"WABA","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},
  "statuses":[
   {"id":"wamid.out","status":"delivered","timestamp":"1698903217","recipient_id":"16505551234","biz_opaque_callback_data":"msg-1"},
   {"id":"wamid.out2","status":"failed","timestamp":"1698903218","recipient_id":"16505551234",
    "errors":[{"code":131047,"title":"Re-engagement message","message":"More than 24 hours","error_data":{"details":"window"}}]},
   {"id":"","status":"sent"}
  ]}}]}]}`

func TestParseWhatsApp(t *testing.T) {
	t.Parallel()
	d, err := ParseWhatsApp([]byte(waInbound))
	require.NoError(t, err)
	require.Len(t, d.Messages, 6)
	m := d.Messages[0]
	require.Equal(t, WhatsAppMessage{PhoneNumberID: "106540352242922", ID: "wamid.text", From: "16505551234",
		ProfileName: "Sheena", Timestamp: time.Unix(1749416383, 0).UTC(), Type: WhatsAppTypeText, Text: "Another color?"}, m)
	require.Equal(t, "Yes please", d.Messages[1].Text)
	require.Equal(t, "YES", d.Messages[1].Payload)
	require.Equal(t, "wamid.out", d.Messages[1].ReplyTo)
	require.Equal(t, "Blue", d.Messages[2].Text)
	require.Equal(t, "row-2", d.Messages[2].Payload)
	require.Equal(t, &WhatsAppMedia{ID: "media-1", MimeType: "image/jpeg", SHA256: "abc", Caption: "this one"}, d.Messages[3].Media)
	require.Equal(t, "this one", d.Messages[3].Text)
	require.Equal(t, &WhatsAppLocation{Latitude: 1.5, Longitude: -2.25, Name: "Shop"}, d.Messages[4].Location)
	require.Equal(t, "hologram", d.Messages[5].Type)
	require.True(t, d.Messages[5].Timestamp.IsZero())

	require.Len(t, d.Statuses, 2)
	require.Equal(t, WhatsAppStatus{PhoneNumberID: "106540352242922", ID: "wamid.out", Status: WhatsAppStatusDelivered,
		Timestamp: time.Unix(1698903217, 0).UTC(), RecipientID: "16505551234", CallbackData: "msg-1"}, d.Statuses[0])
	require.Equal(t, []WhatsAppError{{Code: 131047, Title: "Re-engagement message", Message: "More than 24 hours", Details: "window"}},
		d.Statuses[1].Errors)
}

func TestParseWhatsAppRefuses(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `{`, `[]`, `{"object":"page","entry":[]}`, `{"object":"whatsapp_business_account","entry":"x"}`} {
		_, err := ParseWhatsApp([]byte(body))
		require.Error(t, err, body)
	}
}

func FuzzParseWhatsApp(f *testing.F) {
	f.Add([]byte(waInbound))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"id":"1","from":"2","type":"image"}]}}]}]}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"id":"1","status":"failed","errors":[{}]}]}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseWhatsApp(body)
		if err == nil {
			for _, m := range d.Messages {
				if m.ID == "" || m.From == "" {
					t.Fatalf("message without ID or sender: %+v", m)
				}
			}
		}
	})
}

func FuzzCheckSignature(f *testing.F) {
	f.Add([]byte("secret"), []byte("{}"), "sha256=00")
	f.Add([]byte("secret"), []byte("{}"), Sign([]byte("secret"), []byte("{}")))
	f.Fuzz(func(t *testing.T, secret, body []byte, header string) {
		err := CheckSignature(secret, body, header)
		if err == nil && header != Sign(secret, body) && len(secret) > 0 {
			// Only whitespace around the exact signature may pass.
			if Sign(secret, body) != strings.TrimSpace(header) {
				t.Fatalf("accepted %q for a body signed %q", header, Sign(secret, body))
			}
		}
	})
}
