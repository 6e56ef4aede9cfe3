package messenger

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const sampleWebhook = `{"object":"page","entry":[
 {"id":"PAGE1","time":1458692752478,"messaging":[
  {"sender":{"id":"111"},"recipient":{"id":"PAGE1"},"timestamp":1458692752478,
   "message":{"mid":"m_abc","text":"hi","quick_reply":{"payload":"YES"},"reply_to":{"mid":"m_prev"}}},
  {"sender":{"id":"111"},"recipient":{"id":"PAGE1"},"timestamp":1458692752479,
   "message":{"mid":"m_att","attachments":[{"type":"image","payload":{"url":"https://cdn.example/i.png"}},{"type":"location","payload":{"coordinates":{"lat":1,"long":2}}}]}},
  {"sender":{"id":"PAGE1"},"recipient":{"id":"111"},"timestamp":1458692752480,
   "message":{"mid":"m_echo","text":"our send","is_echo":true,"app_id":1517776481860111,"metadata":"nf-msg-1"}},
  {"sender":{"id":"111"},"recipient":{"id":"PAGE1"},"timestamp":1458692752481,
   "postback":{"mid":"m_pb","title":"Buy","payload":"BUY_1"}}
 ]},
 {"id":"PAGE1","time":1458692752500,"messaging":[
  {"sender":{"id":"111"},"recipient":{"id":"PAGE1"},"delivery":{"mids":["m_1","m_2"],"watermark":1458668856253}},
  {"sender":{"id":"222"},"recipient":{"id":"PAGE1"},"delivery":{"watermark":1458668856254}},
  {"sender":{"id":"111"},"recipient":{"id":"PAGE1"},"timestamp":1458668856463,"read":{"watermark":1458668856255}},
  {"sender":{"id":"111"},"recipient":{"id":"PAGE1"},"optin":{"ref":"x"}},
  {"recipient":{"id":"PAGE1"},"message":{"mid":"m_nosender","text":"x"}},
  {"sender":{"id":"111"},"recipient":{"id":"PAGE1"},"delivery":{}}
 ]}]}`

func TestParseWebhook(t *testing.T) {
	t.Parallel()
	evs, err := ParseWebhook([]byte(sampleWebhook))
	require.NoError(t, err)
	require.Len(t, evs, 7)
	ms := func(v int64) time.Time { return time.UnixMilli(v).UTC() }

	require.Equal(t, Event{Kind: KindMessage, PageID: "PAGE1", Sender: "111", Recipient: "PAGE1", Time: ms(1458692752478),
		Message: &InboundMessage{MID: "m_abc", Text: "hi", QuickReply: "YES", ReplyTo: "m_prev"}}, evs[0])
	require.True(t, evs[0].Inbound())
	require.Equal(t, "111", evs[0].PSID())

	require.Equal(t, []Attachment{{Type: "image", URL: "https://cdn.example/i.png"}, {Type: "location"}}, evs[1].Message.Attachments)

	require.Equal(t, KindEcho, evs[2].Kind)
	require.False(t, evs[2].Inbound())
	require.Equal(t, "111", evs[2].PSID())
	require.Equal(t, "nf-msg-1", evs[2].Message.Metadata)

	require.Equal(t, KindPostback, evs[3].Kind)
	require.Equal(t, &Postback{MID: "m_pb", Title: "Buy", Payload: "BUY_1"}, evs[3].Postback)
	require.True(t, evs[3].Inbound())

	require.Equal(t, &Delivery{MIDs: []string{"m_1", "m_2"}, Watermark: ms(1458668856253)}, evs[4].Delivery)
	require.Equal(t, &Delivery{Watermark: ms(1458668856254)}, evs[5].Delivery)
	require.Equal(t, "222", evs[5].PSID())
	require.Equal(t, KindRead, evs[6].Kind)
	require.Equal(t, &Read{Watermark: ms(1458668856255)}, evs[6].Read)
}

func TestParseWebhookRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		notPage    bool
	}{
		{"not json", `{"object":`, false},
		{"whatsapp", `{"object":"whatsapp_business_account","entry":[]}`, true},
		{"array", `[]`, true},
		{"empty", ``, false},
	} {
		_, err := ParseWebhook([]byte(tc.body))
		require.Error(t, err, tc.name)
		if tc.notPage {
			require.ErrorIs(t, err, ErrNotPage, tc.name)
		}
	}
}

func TestParseWebhookTolerantFields(t *testing.T) {
	t.Parallel()
	// Numeric IDs, a string timestamp and a field of the wrong type do not
	// cost the event.
	evs, err := ParseWebhook([]byte(`{"object":"page","entry":[{"id":42,"messaging":[
		{"sender":{"id":111},"recipient":{"id":42},"timestamp":"1458692752478","message":{"mid":"m_1","text":"hi","is_echo":"no"}}]}]}`))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, "111", evs[0].Sender)
	require.Equal(t, "42", evs[0].PageID)
	require.Equal(t, time.UnixMilli(1458692752478).UTC(), evs[0].Time)
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(sampleWebhook))
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"sender":{"id":1e400},"recipient":{"id":"-"},"timestamp":-1,"delivery":{"mids":[null,1],"watermark":"NaN"}}]}]}`))
	f.Add([]byte(`{"object":"page","entry":null}`))
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"sender":{},"read":{"watermark":1e300}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := ParseWebhook(body)
		if err != nil {
			require.Empty(t, evs)
			return
		}
		for _, ev := range evs {
			require.NotEmpty(t, ev.Sender)
			require.NotEmpty(t, ev.Recipient)
			switch ev.Kind {
			case KindMessage:
				require.NotNil(t, ev.Message)
				require.NotEmpty(t, ev.Message.MID)
			case KindEcho:
				require.NotNil(t, ev.Message)
			case KindPostback:
				require.NotNil(t, ev.Postback)
			case KindDelivery:
				require.NotNil(t, ev.Delivery)
				require.True(t, len(ev.Delivery.MIDs) > 0 || !ev.Delivery.Watermark.IsZero())
			case KindRead:
				require.NotNil(t, ev.Read)
				require.False(t, ev.Read.Watermark.IsZero())
			default:
				t.Fatalf("unknown kind %q", ev.Kind)
			}
			_, err := json.Marshal(ev)
			require.NoError(t, err)
		}
	})
}
