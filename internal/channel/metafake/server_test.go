package metafake_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
)

// hook records the statuses of verified deliveries; it answers 500 to the
// first failFirst requests.
type hook struct {
	secret    []byte
	failFirst int32
	calls     atomic.Int32
	mu        sync.Mutex
	statuses  []string
	messages  []metawebhook.WhatsAppMessage
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.calls.Add(1) <= h.failFirst {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	body, err := metawebhook.ReadSigned(r, h.secret, 0)
	if err != nil {
		http.Error(w, err.Error(), metawebhook.Status(err))
		return
	}
	d, err := metawebhook.ParseWhatsApp(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range d.Statuses {
		h.statuses = append(h.statuses, s.Status)
	}
	h.messages = append(h.messages, d.Messages...)
}

func (h *hook) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.statuses...)
}

func start(t *testing.T, opts metafake.Options, h *hook) *metafake.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	fake := metafake.New(opts)
	t.Cleanup(fake.Close)
	fake.AddWhatsAppNumber(metafake.WhatsAppNumber{PhoneNumberID: "111", Token: "tok", AppSecret: h.secret, WebhookURL: srv.URL})
	return fake
}

func send(t *testing.T, fake *metafake.Server) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fake.URL()+"/v21.0/111/messages",
		stringsReader(`{"messaging_product":"whatsapp","to":"16505551234","type":"text","text":{"body":"hi"}}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestDeliveriesDuplicatedAndReordered(t *testing.T) {
	t.Parallel()
	h := &hook{secret: []byte("s")}
	fake := start(t, metafake.Options{Duplicate: true, Reorder: true}, h)
	send(t, fake)
	require.Eventually(t, func() bool { return len(h.got()) == 6 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"read", "read", "delivered", "delivered", "sent", "sent"}, h.got())
}

func TestDeliveriesRetriedAfterNon200(t *testing.T) {
	t.Parallel()
	h := &hook{secret: []byte("s"), failFirst: 2}
	fake := start(t, metafake.Options{Attempts: 3}, h)
	send(t, fake)
	require.Eventually(t, func() bool { return len(h.got()) == 3 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"sent", "delivered", "read"}, h.got())
	// The fake records an attempt after reading its answer, so the last
	// one can lag the hook's count of what it received.
	require.Eventually(t, func() bool { return len(fake.Deliveries()) == 5 }, 5*time.Second, 10*time.Millisecond)
	d := fake.Deliveries()
	require.Equal(t, []int{500, 500, 200, 200, 200}, []int{d[0].Status, d[1].Status, d[2].Status, d[3].Status, d[4].Status})
}

func TestInboundSigned(t *testing.T) {
	t.Parallel()
	h := &hook{secret: []byte("s")}
	fake := start(t, metafake.Options{}, h)
	id, status, err := fake.SendWhatsAppInbound(context.Background(), "111",
		metafake.WhatsAppInbound{From: "16505551234", ProfileName: "Sheena", Text: "Another color?"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Len(t, h.messages, 1)
	require.Equal(t, id, h.messages[0].ID)
	require.Equal(t, "Sheena", h.messages[0].ProfileName)
	require.Equal(t, "Another color?", h.messages[0].Text)
	require.Equal(t, "111", h.messages[0].PhoneNumberID)
}

func TestUnknownObjectAndWrongToken(t *testing.T) {
	t.Parallel()
	fake := start(t, metafake.Options{}, &hook{secret: []byte("s")})
	for _, tc := range []struct {
		path, token string
		status      int
	}{
		{"/v21.0/999/messages", "tok", http.StatusBadRequest},
		{"/v21.0/111/messages", "wrong", http.StatusUnauthorized},
		{"/nope", "tok", http.StatusNotFound},
	} {
		req, err := http.NewRequest(http.MethodPost, fake.URL()+tc.path, stringsReader(`{}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, tc.status, resp.StatusCode, tc.path)
	}
	require.Empty(t, fake.WhatsAppSends())
}
