package whatsapp_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

var stores = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"sqlite", func(t testing.TB) store.Store { return storetest.SQLite(t) }},
	{"postgres", func(t testing.TB) store.Store { return storetest.Postgres(t) }},
}

// recorder stands in for the engine: it keeps the events it is handed.
type recorder struct {
	mu  sync.Mutex
	evs []engine.IncomingEvent
}

func (r *recorder) EventTx(_ context.Context, _ store.Tx, evs []engine.IncomingEvent) (engine.EventResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, evs...)
	return engine.EventResult{}, nil
}

type inboundHarness struct {
	st     store.Store
	in     *whatsapp.Inbound
	rec    *recorder
	conn   whatsapp.Connection
	tenant uuid.UUID
	now    time.Time
}

func newInboundHarness(t *testing.T, st store.Store) *inboundHarness {
	t.Helper()
	ctx := context.Background()
	h := &inboundHarness{st: st, rec: &recorder{}, now: time.Now().UTC().Truncate(time.Second)}
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanPro})
		h.tenant = tn.ID
		return err
	}))
	h.conn = whatsapp.Connection{ID: uuid.New(), TenantID: h.tenant, PhoneNumberID: phoneID, AccessToken: token,
		AppSecret: "app-secret", VerifyToken: "verify"}
	require.NoError(t, st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		_, err := tx.ChannelInsert(ctx, &store.ChannelInsertParams{TenantID: h.tenant, ID: h.conn.ID, Kind: domain.ChannelWhatsApp,
			Name: "wa", Config: json.RawMessage(`{}`), Ciphertext: []byte("sealed"), KeyID: "k1"})
		return err
	}))
	h.in = &whatsapp.Inbound{Store: st, Connections: &staticConnections{conn: h.conn}, Engine: h.rec,
		Now: func() time.Time { return h.now }}
	return h
}

func (h *inboundHarness) process(t *testing.T, body []byte) whatsapp.ProcessResult {
	t.Helper()
	res, err := h.in.Process(context.Background(), whatsapp.InboundArgs{TenantID: h.tenant, ConnectionID: h.conn.ID,
		Body: body, ReceivedAt: h.now})
	require.NoError(t, err)
	return res
}

func inboundBody(id, from, name, text string, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": "WABA", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
			"metadata": map[string]any{"phone_number_id": phoneID},
			"contacts": []any{map[string]any{"profile": map[string]any{"name": name}, "wa_id": from}},
			"messages": []any{map[string]any{"from": from, "id": id, "timestamp": itoa64(at.Unix()), "type": "text",
				"text": map[string]any{"body": text}}},
		}}}}}})
	return b
}

func statusBody(wamid, status, callback string, code int) []byte {
	st := map[string]any{"id": wamid, "status": status, "timestamp": itoa64(time.Now().Unix()), "recipient_id": "16505551234"}
	if callback != "" {
		st["biz_opaque_callback_data"] = callback
	}
	if code != 0 {
		st["errors"] = []any{map[string]any{"code": code, "title": "Re-engagement message", "error_data": map[string]any{"details": "window closed"}}}
	}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"changes": []any{map[string]any{"field": "messages", "value": map[string]any{
			"metadata": map[string]any{"phone_number_id": phoneID}, "statuses": []any{st}}}}}}})
	return b
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func TestInboundMessageBecomesEventOnce(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newInboundHarness(t, b.open(t))
			ctx := context.Background()
			body := inboundBody("wamid.in1", "16505551234", "Sheena", "Another color?", h.now.Add(-time.Minute))
			res := h.process(t, body)
			require.Equal(t, 1, res.Messages)

			// A replayed delivery, and a second message from the same number.
			require.Equal(t, 0, h.process(t, body).Messages)
			require.Equal(t, 1, h.process(t, inboundBody("wamid.in2", "16505551234", "Sheena", "Blue", h.now)).Messages)

			h.rec.mu.Lock()
			evs := append([]engine.IncomingEvent(nil), h.rec.evs...)
			h.rec.mu.Unlock()
			require.Len(t, evs, 2)
			ev := evs[0]
			require.Equal(t, whatsapp.EventMessageReceived, ev.Event.Name)
			var props map[string]any
			require.NoError(t, json.Unmarshal(ev.Event.Properties, &props))
			require.Equal(t, "Another color?", props["text"])
			require.Equal(t, "text", props["type"])
			require.Equal(t, "wamid.in1", props["messageId"])
			require.Equal(t, "Sheena", props["profileName"])
			require.NotNil(t, ev.Contact)
			require.Equal(t, "+16505551234", *ev.Contact.Phone)
			require.Equal(t, ev.Contact.ID, evs[1].Contact.ID, "the second message finds the same contact")

			require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
				w, err := tx.MessagingWindowGet(ctx, h.tenant, h.conn.ID, "16505551234")
				require.NoError(t, err)
				require.Equal(t, ev.Contact.ID, *w.ContactID)
				require.WithinDuration(t, h.now, w.LastInboundAt, time.Second)
				return nil
			}))
		})
	}
}

func TestInboundStatusesMoveForwardOnly(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newInboundHarness(t, b.open(t))
			ctx := context.Background()
			insert := func(wamid string) uuid.UUID {
				id := uuid.Must(uuid.NewV7())
				require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
					if _, _, err := tx.MessageInsert(ctx, &store.MessageInsertParams{TenantID: h.tenant, ID: id, Channel: domain.ChannelWhatsApp,
						ConnectionID: &h.conn.ID, Recipient: "16505551234"}); err != nil {
						return err
					}
					if wamid == "" {
						return nil
					}
					_, err := tx.MessageMarkSent(ctx, &store.MessageMarkSentParams{TenantID: h.tenant, ID: id, ProviderMessageID: wamid, At: h.now})
					return err
				}))
				return id
			}
			get := func(id uuid.UUID) *domain.Message {
				var m *domain.Message
				require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
					var err error
					m, err = tx.MessageGetByID(ctx, h.tenant, id)
					return err
				}))
				return m
			}

			// Duplicated and reordered: read first, then delivered, sent, read.
			a := insert("wamid.a")
			for _, st := range []string{"read", "delivered", "sent", "read", "delivered"} {
				h.process(t, statusBody("wamid.a", st, "", 0))
			}
			require.Equal(t, domain.MessageRead, get(a).Status)

			// Failed later, with its code.
			f := insert("wamid.f")
			h.process(t, statusBody("wamid.f", "sent", "", 0))
			res := h.process(t, statusBody("wamid.f", "failed", "", 131047))
			require.Equal(t, 1, res.Moved)
			m := get(f)
			require.Equal(t, domain.MessageFailed, m.Status)
			require.Equal(t, "131047", m.ErrorCode)
			require.Equal(t, "window closed", m.ErrorText)

			// A status before the send recorded Meta's ID: found by our ID
			// in biz_opaque_callback_data.
			q := insert("")
			require.Equal(t, 1, h.process(t, statusBody("wamid.q", "delivered", q.String(), 0)).Moved)
			require.Equal(t, domain.MessageDelivered, get(q).Status)

			// Unknown message: pending, for the job to retry.
			require.Equal(t, 1, h.process(t, statusBody("wamid.unknown", "delivered", "", 0)).Pending)
		})
	}
}

func TestInboundReceiveAgainstTheFake(t *testing.T) {
	t.Parallel()
	workers := river.NewWorkers()
	worked := &whatsapp.Inbound{}
	worked.RegisterWorkers(workers)
	h := newInboundHarness(t, storetest.SQLite(t, storetest.WithQueue(store.QueueConfig{Workers: workers})))
	*worked = *h.in // the job runs with the harness's inbound
	ctx := context.Background()
	for _, tc := range []struct {
		sig string
		err error
	}{
		{"", metawebhook.ErrSignatureMissing},
		{metawebhook.Sign([]byte("forged"), []byte("{}")), metawebhook.ErrSignatureInvalid},
	} {
		require.ErrorIs(t, h.in.Receive(ctx, h.conn.ID, inboundBody("w", "16505551234", "", "hi", h.now), tc.sig), tc.err)
	}
	require.ErrorIs(t, h.in.Receive(ctx, uuid.New(), []byte("{}"), "sha256=00"), whatsapp.ErrNoConnection)

	// The fake's signed delivery is accepted and stored as a job.
	fake := metafake.New(metafake.Options{})
	t.Cleanup(fake.Close)
	hook := make(chan error, 4)
	srv := newHookServer(t, func(body []byte, sig string) error {
		err := h.in.Receive(ctx, h.conn.ID, body, sig)
		hook <- err
		return err
	})
	fake.AddWhatsAppNumber(metafake.WhatsAppNumber{PhoneNumberID: phoneID, Token: token, AppSecret: []byte("app-secret"), WebhookURL: srv})
	_, status, err := fake.SendWhatsAppInbound(ctx, phoneID, metafake.WhatsAppInbound{From: "16505551234", Text: "hi"})
	require.NoError(t, err)
	require.NoError(t, <-hook)
	require.Equal(t, 200, status)

	// The stored delivery is processed by its job.
	require.NoError(t, h.st.Queue().Start(ctx))
	t.Cleanup(func() { _ = h.st.Queue().Stop(context.Background()) })
	require.Eventually(t, func() bool {
		h.rec.mu.Lock()
		defer h.rec.mu.Unlock()
		return len(h.rec.evs) == 1
	}, 10*time.Second, 20*time.Millisecond)

	challenge, err := h.in.Handshake(ctx, h.conn.ID, map[string][]string{"hub.mode": {"subscribe"}, "hub.verify_token": {"verify"}, "hub.challenge": {"42"}})
	require.NoError(t, err)
	require.Equal(t, "42", challenge)
	_, err = h.in.Handshake(ctx, h.conn.ID, map[string][]string{"hub.mode": {"subscribe"}, "hub.verify_token": {"guess"}})
	require.ErrorIs(t, err, whatsapp.ErrVerifyToken)
}
