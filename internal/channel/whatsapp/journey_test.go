package whatsapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// TestJourneyRepliesToInboundMessage runs the whole loop on a real
// engine: a signed inbound message from the fake starts a trigger.event
// journey for whatsapp.message_received, which replies with text (the
// window it opened allows it); the fake's status webhooks, duplicated and
// reordered, leave the reply at read. A status webhook finds the reply
// by its callback data and can reach read before the engine's group
// commit records Meta's message ID, so the wait is for both.
func TestJourneyRepliesToInboundMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	workers := river.NewWorkers()
	in := &whatsapp.Inbound{}
	in.RegisterWorkers(workers)
	st := storetest.SQLite(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	h := newInboundHarness(t, st)

	fake := metafake.New(metafake.Options{Duplicate: true, Reorder: true})
	t.Cleanup(fake.Close)
	client, err := whatsapp.NewClient(whatsapp.ClientOptions{BaseURL: fake.URL()})
	require.NoError(t, err)
	conns := &staticConnections{conn: h.conn}
	sender, err := whatsapp.NewSender(whatsapp.SenderOptions{Client: client, Connections: conns, Store: st,
		Limiter: ratelimit.NewMemory(ratelimit.MemoryOptions{})})
	require.NoError(t, err)
	eng := engine.New(st, engine.Options{SideEffects: []engine.SideEffect{sender}})
	eng.RegisterWorkers(workers)
	*in = whatsapp.Inbound{Store: st, Connections: conns, Engine: eng}
	hook := newHookServer(t, func(body []byte, sig string) error { return in.Receive(ctx, h.conn.ID, body, sig) })
	fake.AddWhatsAppNumber(metafake.WhatsAppNumber{PhoneNumberID: phoneID, Token: token, AppSecret: []byte(h.conn.AppSecret), WebhookURL: hook})
	require.NoError(t, st.Queue().Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = st.Queue().Stop(ctx)
		eng.Close()
	})

	def := fmt.Sprintf(`{"nodes":[
	 {"id":"start","type":%q,"config":{"event":%q,"reentry":"always"},"position":{"x":0,"y":0}},
	 {"id":"reply","type":%q,"config":{"text":"Hi {{ contact.name }}, you said: {{ trigger.event.properties.text }}"},"position":{"x":0,"y":100}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
	 "edges":[{"id":"e1","source":"start","target":"reply"},{"id":"e2","source":"reply","target":"done"}]}`,
		workflow.TypeTriggerEvent, whatsapp.EventMessageReceived, workflow.TypeWhatsAppSend)
	wfID := domain.NewID()
	require.NoError(t, st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: h.tenant, ID: wfID, Name: "reply", Definition: json.RawMessage(def)}); err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: h.tenant, ID: domain.NewID(), WorkflowID: wfID, Version: 1, Definition: json.RawMessage(def)})
		if err != nil {
			return err
		}
		if _, err := tx.WorkflowSetCurrentVersion(ctx, h.tenant, wfID, v.ID, v.Version); err != nil {
			return err
		}
		_, err = tx.WorkflowSetActive(ctx, h.tenant, wfID, true)
		return err
	}))

	_, status, err := fake.SendWhatsAppInbound(ctx, phoneID, metafake.WhatsAppInbound{From: "16505551234", ProfileName: "Sheena", Text: "Another color?"})
	require.NoError(t, err)
	require.Equal(t, 200, status)

	var reply domain.Message
	require.Eventually(t, func() bool {
		var msgs []domain.Message
		require.NoError(t, st.Read(ctx, h.tenant, func(tx store.Tx) error {
			var err error
			msgs, err = tx.MessageList(ctx, &store.MessageListParams{TenantID: h.tenant, Channel: domain.ChannelWhatsApp, Limit: 10})
			return err
		}))
		if len(msgs) != 1 {
			return false
		}
		reply = msgs[0]
		return reply.Status == domain.MessageRead && reply.ProviderMessageID != nil
	}, 30*time.Second, 20*time.Millisecond, "reply: %+v", reply)

	sends := fake.WhatsAppSends()
	require.Len(t, sends, 1)
	require.Equal(t, "Hi Sheena, you said: Another color?", sends[0].Text)
	require.Equal(t, "16505551234", reply.Recipient)
	require.NotNil(t, reply.ContactID)
	require.Equal(t, sends[0].MessageID, *reply.ProviderMessageID)
	require.Equal(t, reply.ID.String(), sends[0].CallbackData)
}
