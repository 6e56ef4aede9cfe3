package messenger

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
	"github.com/nextflow-dev/nextflow/internal/domain"
)

func TestHandshake(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
	ctx := context.Background()
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {testVerify}, "hub.challenge": {"1158201444"}}
	got, err := h.inbound.Handshake(ctx, h.conn.ID, q)
	require.NoError(t, err)
	require.Equal(t, "1158201444", got)
	q.Set("hub.verify_token", "wrong")
	_, err = h.inbound.Handshake(ctx, h.conn.ID, q)
	require.ErrorIs(t, err, ErrVerifyToken)
	_, err = h.inbound.Handshake(ctx, uuid.New(), q)
	require.ErrorIs(t, err, ErrNoConnection)
}

func TestReceiveChecksTheSignature(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
	ctx := context.Background()
	body := h.page.Envelope(testPage, map[string]any{"sender": map[string]any{"id": testPSID},
		"recipient": map[string]any{"id": testPage}, "message": map[string]any{"mid": "m_1", "text": "hi"}})
	require.ErrorIs(t, h.inbound.Receive(ctx, h.conn.ID, body, ""), metawebhook.ErrSignatureMissing)
	require.ErrorIs(t, h.inbound.Receive(ctx, h.conn.ID, body, metawebhook.Sign([]byte("forged"), body)), metawebhook.ErrSignatureInvalid)
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = ' '
	require.ErrorIs(t, h.inbound.Receive(ctx, h.conn.ID, tampered, metawebhook.Sign([]byte(testSecret), body)), metawebhook.ErrSignatureInvalid)
	require.ErrorIs(t, h.inbound.Receive(ctx, uuid.New(), body, metawebhook.Sign([]byte(testSecret), body)), ErrNoConnection)
	wa := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	require.ErrorIs(t, h.inbound.Receive(ctx, h.conn.ID, wa, metawebhook.Sign([]byte(testSecret), wa)), ErrNotPageBody)
	require.Empty(t, h.store.q.inserted(), "nothing refused is stored")

	require.NoError(t, h.inbound.Receive(ctx, h.conn.ID, body, metawebhook.Sign([]byte(testSecret), body)))
	jobs := h.store.q.inserted()
	require.Len(t, jobs, 1)
	args := jobs[0].(InboundArgs)
	require.Equal(t, h.tenant, args.TenantID)
	require.Equal(t, h.conn.ID, args.ConnectionID)
	require.JSONEq(t, string(body), string(args.Body))
}

func TestInboundMessageStartsAJourneyOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{Duplicate: true}, metafake.MessengerPage{})
	ctx := context.Background()
	mid, status, err := h.page.SendInbound(ctx, testPage, metafake.MessengerInbound{PSID: testPSID, Text: "Do you ship to Lisbon?",
		QuickReply: "SHIPPING", Timestamp: h.now.Add(-time.Minute)})
	require.NoError(t, err)
	require.Equal(t, 200, status)
	require.Len(t, h.store.q.inserted(), 2, "Meta's duplicate is stored too")

	res := h.processQueued(t)
	require.Equal(t, 1, res.Messages, "the duplicate is the same mid: one event")
	require.Len(t, res.Started, 1)
	require.Len(t, h.engine.events, 1)
	ev := h.engine.events[0]
	require.Equal(t, EventMessageReceived, ev.Event.Name)
	require.Equal(t, "messenger:"+mid, ev.Event.MessageID)
	var props map[string]any
	require.NoError(t, json.Unmarshal(ev.Event.Properties, &props))
	require.Equal(t, "Do you ship to Lisbon?", props["text"])
	require.Equal(t, "SHIPPING", props["quickReply"])
	require.Equal(t, testPSID, props["psid"])
	require.Equal(t, h.conn.ID.String(), props["connectionId"])

	// The contact was created with the PSID and the window opened.
	require.NotNil(t, ev.Contact)
	require.Equal(t, testPSID, *ev.Contact.MessengerPSID)
	w, err := h.store.tx.MessagingWindowGet(ctx, h.tenant, h.conn.ID, testPSID)
	require.NoError(t, err)
	require.Equal(t, ev.Contact.ID, *w.ContactID)
	require.WithinDuration(t, h.now.Add(-time.Minute), w.LastInboundAt, time.Second)

	// A second message from the same PSID finds the same contact.
	_, _, err = h.page.SendInbound(ctx, testPage, metafake.MessengerInbound{PSID: testPSID, Text: "hello again"})
	require.NoError(t, err)
	res = h.processQueued(t)
	require.Equal(t, 1, res.Messages)
	require.Len(t, h.store.tx.contacts, 1)
	require.Equal(t, ev.Contact.ID, h.engine.events[1].Contact.ID)
}

func TestInboundEchoesAreNotInbound(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
	body := h.page.Envelope(testPage, map[string]any{"sender": map[string]any{"id": testPage}, "recipient": map[string]any{"id": testPSID},
		"message": map[string]any{"mid": "m_echo", "text": "our own", "is_echo": true, "metadata": uuid.NewString()}})
	_, err := h.page.Post(context.Background(), testPage, body)
	require.NoError(t, err)
	res := h.processQueued(t)
	require.Zero(t, res.Messages)
	require.Empty(t, h.store.tx.contacts)
	require.Empty(t, h.store.tx.windows)
}

// sendOne sends a message through the sender and returns its ID once the
// fake's webhooks (echo, delivery, read) have all been stored.
func sendOne(t *testing.T, h *harness, webhooks int) uuid.UUID {
	t.Helper()
	contactID := uuid.New()
	h.store.tx.contacts[contactID] = &domain.Contact{ID: contactID, TenantID: h.tenant}
	h.openWindow(t, testPSID, time.Hour, contactID)
	req, err := h.prepare(t, `{"text":"Your order shipped"}`, contactData(contactID, testPSID, nil))
	require.NoError(t, err)
	// The harness's clock is before the watermark the fake stamps (the
	// real time), so the watermark covers the message.
	_, err = h.perform(t, req, false)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(h.store.q.inserted()) == webhooks }, 5*time.Second, 10*time.Millisecond)
	return messageIDOf(t, req)
}

func TestDeliveryAndReadMoveForwardOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		opts     metafake.Options
		page     metafake.MessengerPage
		webhooks int
	}{
		{"in order", metafake.Options{}, metafake.MessengerPage{}, 2},
		{"reordered and duplicated", metafake.Options{Reorder: true, Duplicate: true}, metafake.MessengerPage{Echo: true}, 6},
		{"watermark only", metafake.Options{Reorder: true}, metafake.MessengerPage{WatermarkOnly: true}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tc.opts, tc.page)
			id := sendOne(t, h, tc.webhooks)
			require.Equal(t, domain.MessageSent, h.store.message(t, id).Status)
			res := h.processQueued(t)
			require.Zero(t, res.Pending)
			require.Equal(t, domain.MessageRead, h.store.message(t, id).Status)
			require.Zero(t, h.processQueued(t).Moved)
		})
	}
}

func TestDeliveryOfAnUnknownMidIsPending(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
	body := h.page.Envelope(testPage, metafake.DeliveryEvent(testPage, testPSID, []string{"m_unknown"}, time.Now()))
	_, err := h.page.Post(context.Background(), testPage, body)
	require.NoError(t, err)
	require.Equal(t, 1, h.processQueued(t).Pending)
}
