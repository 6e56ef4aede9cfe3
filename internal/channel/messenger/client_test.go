package messenger

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testToken = "EAAtokenSECRET123"

// graphStub answers the Send API with status and body, and records the
// last request.
type graphStub struct {
	mu     sync.Mutex
	status int
	body   string
	last   *http.Request
	sent   map[string]any
}

func (g *graphStub) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	g.last = r.Clone(context.Background())
	g.sent = nil
	_ = json.Unmarshal(b, &g.sent)
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(g.status)
	_, _ = io.WriteString(w, g.body)
}

func newStub(t *testing.T, status int, body string) (*graphStub, *Client) {
	t.Helper()
	g := &graphStub{status: status, body: body}
	srv := httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL+"/", "19.0", srv.Client())
	require.NoError(t, err)
	return g, c
}

func TestSendSuccess(t *testing.T) {
	t.Parallel()
	g, c := newStub(t, 200, `{"recipient_id":"1254477777772919","message_id":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"}`)
	res, err := c.Send(context.Background(), "1067280970047460", testToken, Message{
		Recipient: "1254477777772919", MessagingType: Response, Text: "hello", Metadata: "msg-123",
	})
	require.NoError(t, err)
	require.Equal(t, "1254477777772919", res.RecipientID)
	require.True(t, strings.HasPrefix(res.MessageID, "m_"))

	require.Equal(t, http.MethodPost, g.last.Method)
	require.Equal(t, "/v19.0/1067280970047460/messages", g.last.URL.Path)
	require.Equal(t, testToken, g.last.URL.Query().Get("access_token"))
	require.Equal(t, "application/json", g.last.Header.Get("Content-Type"))
	require.Equal(t, map[string]any{
		"recipient":      map[string]any{"id": "1254477777772919"},
		"messaging_type": "RESPONSE",
		"message":        map[string]any{"text": "hello", "metadata": "msg-123"},
	}, g.sent)
}

func TestSendHumanAgentTag(t *testing.T) {
	t.Parallel()
	g, c := newStub(t, 200, `{"recipient_id":"1","message_id":"m_1"}`)
	_, err := c.Send(context.Background(), "9", testToken, Message{Recipient: "1", MessagingType: MessageTag, Tag: TagHumanAgent, Text: "hi"})
	require.NoError(t, err)
	require.Equal(t, "MESSAGE_TAG", g.sent["messaging_type"])
	require.Equal(t, "HUMAN_AGENT", g.sent["tag"])
}

func TestSendErrorsByCode(t *testing.T) {
	t.Parallel()
	envelope := func(code, sub int) string {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{
			"message": "(#x) something " + testToken, "type": "OAuthException", "code": code, "error_subcode": sub, "fbtrace_id": "Axyz",
		}})
		return string(b)
	}
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		retryable bool
		broken    bool
		code      string
		reason    string
	}{
		{"outside window", 400, envelope(10, 2018278), false, false, "10/2018278", "outside the messaging window"},
		{"permission", 403, envelope(10, 0), false, false, "10", "permission"},
		{"unavailable", 400, envelope(551, 1545041), false, false, "551/1545041", "not available"},
		{"rate limit 613", 400, envelope(613, 0), true, false, "613", "rate limit"},
		{"rate limit 4", 400, envelope(4, 0), true, false, "4", "rate limit"},
		{"token", 401, envelope(190, 460), false, true, "190/460", "token"},
		{"service", 500, envelope(2, 0), true, false, "2", "temporary"},
		{"invalid parameter", 400, envelope(100, 2018001), false, false, "100/2018001", "parameter"},
		{"unknown code 4xx", 400, envelope(12345, 0), false, false, "12345", "refused"},
		{"unknown code 5xx", 503, envelope(12345, 0), true, false, "12345", "refused"},
		{"bare 502", 502, `<html>bad gateway</html>`, true, false, "http_502", "HTTP 502"},
		{"bare 429", 429, ``, true, false, "http_429", "HTTP 429"},
		{"bare 400", 400, `nope`, false, false, "http_400", "HTTP 400"},
		{"200 without message id", 200, `{}`, false, false, "http_200", "no message_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c := newStub(t, tc.status, tc.body)
			_, err := c.Send(context.Background(), "9", testToken, Message{Recipient: "1", MessagingType: Update, Text: "hi"})
			e, ok := AsError(err)
			require.True(t, ok, "%T %v", err, err)
			require.Equal(t, tc.retryable, e.Retryable)
			require.Equal(t, tc.broken, e.TokenInvalid)
			require.Equal(t, tc.code, e.ErrorCode())
			require.Contains(t, e.Error(), tc.reason)
			require.NotContains(t, e.Error(), testToken)
		})
	}
}

func TestSendNetworkErrorIsRetryableWithoutToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, "v19.0", &http.Client{Timeout: 20 * time.Millisecond})
	require.NoError(t, err)
	_, err = c.Send(context.Background(), "9", testToken, Message{Recipient: "1", MessagingType: Update, Text: "hi"})
	e, ok := AsError(err)
	require.True(t, ok)
	require.True(t, e.Retryable)
	require.Equal(t, "network", e.ErrorCode())
	require.NotContains(t, e.Error(), testToken)
	require.NotContains(t, e.Error(), "access_token")

	srv.Close()
	_, err = c.Send(context.Background(), "9", testToken, Message{Recipient: "1", MessagingType: Update, Text: "hi"})
	e, ok = AsError(err)
	require.True(t, ok)
	require.True(t, e.Retryable)
	require.NotContains(t, e.Error(), testToken)
}

func TestSendRefusesBadMessagesBeforeTheCall(t *testing.T) {
	t.Parallel()
	g, c := newStub(t, 200, `{"recipient_id":"1","message_id":"m_1"}`)
	for _, tc := range []struct {
		name string
		msg  Message
		want string
	}{
		{"no psid", Message{MessagingType: Update, Text: "x"}, "no Messenger PSID"},
		{"psid not digits", Message{Recipient: "12a", MessagingType: Update, Text: "x"}, "not all digits"},
		{"empty text", Message{Recipient: "1", MessagingType: Update, Text: "  "}, "empty"},
		{"text too long", Message{Recipient: "1", MessagingType: Update, Text: strings.Repeat("é", MaxTextLen+1)}, "2001 characters"},
		{"unknown type", Message{Recipient: "1", MessagingType: "NOW", Text: "x"}, "messaging_type"},
		{"tag without MESSAGE_TAG", Message{Recipient: "1", MessagingType: Response, Tag: TagHumanAgent, Text: "x"}, "tag goes with"},
		{"unconfirmed tag", Message{Recipient: "1", MessagingType: MessageTag, Tag: "POST_PURCHASE_UPDATE", Text: "x"}, "only HUMAN_AGENT"},
		{"MESSAGE_TAG without tag", Message{Recipient: "1", MessagingType: MessageTag, Text: "x"}, "needs a tag"},
		{"metadata too long", Message{Recipient: "1", MessagingType: Update, Text: "x", Metadata: strings.Repeat("m", MaxMetadataLen+1)}, "metadata"},
	} {
		_, err := c.Send(context.Background(), "9", testToken, tc.msg)
		e, ok := AsError(err)
		require.True(t, ok, tc.name)
		require.False(t, e.Retryable, tc.name)
		require.Contains(t, e.Error(), tc.want, tc.name)
		require.Equal(t, "invalid", e.ErrorCode(), tc.name)
	}
	require.Nil(t, g.last, "no call was made")
	// Exactly MaxTextLen characters go.
	_, err := c.Send(context.Background(), "9", testToken, Message{Recipient: "1", MessagingType: Update, Text: strings.Repeat("é", MaxTextLen)})
	require.NoError(t, err)
}

func TestGetPage(t *testing.T) {
	t.Parallel()
	g, c := newStub(t, 200, `{"id":"9","name":"Acme"}`)
	p, err := c.GetPage(context.Background(), "9", testToken)
	require.NoError(t, err)
	require.Equal(t, Page{ID: "9", Name: "Acme"}, p)
	require.Equal(t, http.MethodGet, g.last.Method)
	require.Equal(t, "/v19.0/9", g.last.URL.Path)

	_, c = newStub(t, 400, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
	_, err = c.GetPage(context.Background(), "9", testToken)
	e, ok := AsError(err)
	require.True(t, ok)
	require.True(t, e.TokenInvalid)
	require.Contains(t, e.Error(), "expired or invalid")
}

func TestNewClientRefusesBadBaseURL(t *testing.T) {
	t.Parallel()
	_, err := NewClient("ftp://x", "", nil)
	require.ErrorContains(t, err, "not an absolute http(s) URL")
	c, err := NewClient("", "", nil)
	require.NoError(t, err)
	require.Equal(t, DefaultBaseURL, c.BaseURL)
	require.Equal(t, DefaultVersion, c.Version)
}
