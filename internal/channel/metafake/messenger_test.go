package metafake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
)

// pageHook records the kinds of the messaging events of verified
// deliveries ("delivery", "read", "echo", "message").
type pageHook struct {
	secret []byte
	mu     sync.Mutex
	kinds  []string
	raw    [][]byte
}

func (h *pageHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := metawebhook.ReadSigned(r, h.secret, 0)
	if err != nil {
		http.Error(w, err.Error(), metawebhook.Status(err))
		return
	}
	var env struct {
		Object string `json:"object"`
		Entry  []struct {
			Messaging []map[string]json.RawMessage `json:"messaging"`
		} `json:"entry"`
	}
	if json.Unmarshal(body, &env) != nil || env.Object != "page" {
		http.Error(w, "not a page webhook", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.raw = append(h.raw, body)
	for _, e := range env.Entry {
		for _, ev := range e.Messaging {
			switch {
			case ev["delivery"] != nil:
				h.kinds = append(h.kinds, "delivery")
			case ev["read"] != nil:
				h.kinds = append(h.kinds, "read")
			case ev["message"] != nil && strings.Contains(string(ev["message"]), `"is_echo":true`):
				h.kinds = append(h.kinds, "echo")
			case ev["message"] != nil:
				h.kinds = append(h.kinds, "message")
			}
		}
	}
}

func (h *pageHook) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.kinds...)
}

func startMessenger(t *testing.T, opts metafake.Options, h *pageHook, page metafake.MessengerPage) (*metafake.Server, *metafake.Messenger) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	fake := metafake.New(opts)
	t.Cleanup(fake.Close)
	m := metafake.NewMessenger(fake)
	page.PageID, page.Token, page.AppSecret, page.WebhookURL = "PAGE1", "ptok", h.secret, srv.URL
	m.AddPage(page)
	return fake, m
}

func messengerSend(t *testing.T, fake *metafake.Server, token, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(fake.URL()+"/v21.0/PAGE1/messages?access_token="+url.QueryEscape(token), "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

const okSend = `{"recipient":{"id":"777"},"messaging_type":"UPDATE","message":{"text":"hi","metadata":"nf-1"}}`

func TestMessengerSendThenDeliveryAndRead(t *testing.T) {
	t.Parallel()
	h := &pageHook{secret: []byte("s")}
	fake, m := startMessenger(t, metafake.Options{Duplicate: true, Reorder: true}, h, metafake.MessengerPage{Echo: true})
	status, out := messengerSend(t, fake, "ptok", okSend)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "777", out["recipient_id"])
	require.NotEmpty(t, out["message_id"])
	require.Eventually(t, func() bool { return len(h.got()) == 6 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"echo", "echo", "read", "read", "delivery", "delivery"}, h.got())
	sends := m.Sends()
	require.Len(t, sends, 1)
	require.Equal(t, metafake.MessengerSend{PageID: "PAGE1", Recipient: "777", MessagingType: "UPDATE", Text: "hi", Metadata: "nf-1",
		MessageID: out["message_id"].(string), Body: sends[0].Body, At: sends[0].At}, sends[0])
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Contains(t, string(h.raw[0]), `"metadata":"nf-1"`)
	require.Contains(t, string(h.raw[len(h.raw)-1]), `"mids":["`+out["message_id"].(string)+`"]`)
}

func TestMessengerWatermarkOnlyDelivery(t *testing.T) {
	t.Parallel()
	h := &pageHook{secret: []byte("s")}
	fake, _ := startMessenger(t, metafake.Options{}, h, metafake.MessengerPage{WatermarkOnly: true})
	status, _ := messengerSend(t, fake, "ptok", okSend)
	require.Equal(t, http.StatusOK, status)
	require.Eventually(t, func() bool { return len(h.got()) == 2 }, 5*time.Second, 10*time.Millisecond)
	h.mu.Lock()
	defer h.mu.Unlock()
	require.NotContains(t, string(h.raw[0]), `"mids"`)
	require.Contains(t, string(h.raw[0]), `"watermark"`)
}

func TestMessengerScriptedErrors(t *testing.T) {
	t.Parallel()
	h := &pageHook{secret: []byte("s")}
	fake, m := startMessenger(t, metafake.Options{}, h, metafake.MessengerPage{})
	m.Script("777", metafake.MessengerScript{ErrorCode: 613, Times: 1})
	m.Script("888", metafake.MessengerScript{ErrorCode: 10, ErrorSubcode: 2018278})

	status, out := messengerSend(t, fake, "ptok", okSend)
	require.Equal(t, http.StatusBadRequest, status)
	require.EqualValues(t, 613, out["error"].(map[string]any)["code"])
	status, _ = messengerSend(t, fake, "ptok", okSend)
	require.Equal(t, http.StatusOK, status, "the script refuses once")

	status, out = messengerSend(t, fake, "ptok", strings.ReplaceAll(okSend, "777", "888"))
	require.Equal(t, http.StatusBadRequest, status)
	e := out["error"].(map[string]any)
	require.EqualValues(t, 10, e["code"])
	require.EqualValues(t, 2018278, e["error_subcode"])

	status, out = messengerSend(t, fake, "wrong", okSend)
	require.Equal(t, http.StatusUnauthorized, status)
	require.EqualValues(t, 190, out["error"].(map[string]any)["code"])

	status, _ = messengerSend(t, fake, "ptok", `{"recipient":{"id":"777"},"messaging_type":"MESSAGE_TAG","message":{"text":"hi"}}`)
	require.Equal(t, http.StatusBadRequest, status, "MESSAGE_TAG needs a tag")

	sends := m.Sends()
	require.Len(t, sends, 3)
	require.Equal(t, 613, sends[0].ErrorCode)
	require.Empty(t, sends[0].MessageID)
	require.Equal(t, 2018278, sends[2].ErrorSubcode)
}

func TestMessengerInboundSigned(t *testing.T) {
	t.Parallel()
	h := &pageHook{secret: []byte("s")}
	_, m := startMessenger(t, metafake.Options{}, h, metafake.MessengerPage{})
	mid, status, err := m.SendInbound(context.Background(), "PAGE1", metafake.MessengerInbound{PSID: "777", Text: "hello", QuickReply: "YES"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{"message"}, h.got())
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Contains(t, string(h.raw[0]), `"mid":"`+mid+`"`)
	require.Contains(t, string(h.raw[0]), `"payload":"YES"`)

	_, _, err = m.SendInbound(context.Background(), "NOPE", metafake.MessengerInbound{PSID: "777", Text: "x"})
	require.Error(t, err)
}
