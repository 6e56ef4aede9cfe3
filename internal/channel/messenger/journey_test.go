package messenger

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// dbHarness is a Messenger page on the fake Graph API whose webhooks reach
// an Inbound over a real store (SQLite or PostgreSQL) with a real engine
// and queue running.
type dbHarness struct {
	st     store.Store
	tenant uuid.UUID
	conn   *Connection
	page   *metafake.Messenger
	in     *Inbound
}

func newDBHarness(t *testing.T, open func(opts ...storetest.Option) store.Store) *dbHarness {
	t.Helper()
	ctx := context.Background()
	workers := river.NewWorkers()
	h := &dbHarness{in: &Inbound{}}
	h.in.RegisterWorkers(workers)
	h.st = open(storetest.WithQueue(store.QueueConfig{Workers: workers}))
	require.NoError(t, h.st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanPro})
		if err != nil {
			return err
		}
		h.tenant = tn.ID
		return nil
	}))
	h.conn = &Connection{ID: uuid.New(), TenantID: h.tenant, PageID: testPage, PageToken: "page-token", AppSecret: testSecret, VerifyToken: testVerify}
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		_, err := tx.ChannelInsert(ctx, &store.ChannelInsertParams{TenantID: h.tenant, ID: h.conn.ID, Kind: domain.ChannelMessenger,
			Name: "page", Config: json.RawMessage(`{}`), Ciphertext: []byte("sealed"), KeyID: "k1"})
		return err
	}))
	conns := &memConnections{conns: map[uuid.UUID]*Connection{h.conn.ID: h.conn}, failing: map[uuid.UUID]string{}}

	fake := metafake.New(metafake.Options{Duplicate: true, Reorder: true})
	t.Cleanup(fake.Close)
	client, err := NewClient(fake.URL(), "v21.0", nil)
	require.NoError(t, err)
	sender, err := NewSender(SenderOptions{Client: client, Connections: conns, Store: h.st,
		Limiter: ratelimit.NewMemory(ratelimit.MemoryOptions{})})
	require.NoError(t, err)
	eng := engine.New(h.st, engine.Options{SideEffects: []engine.SideEffect{sender}})
	eng.RegisterWorkers(workers)
	*h.in = Inbound{Store: h.st, Connections: conns, Engine: eng}
	hook := httptest.NewServer(httpHandlerFunc(func(body []byte, sig string) int {
		if err := h.in.Receive(context.Background(), h.conn.ID, body, sig); err != nil {
			return 401
		}
		return 200
	}))
	t.Cleanup(hook.Close)
	h.page = metafake.NewMessenger(fake)
	h.page.AddPage(metafake.MessengerPage{PageID: testPage, Token: "page-token", AppSecret: []byte(testSecret), WebhookURL: hook.URL})
	require.NoError(t, h.st.Queue().Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.st.Queue().Stop(ctx)
		eng.Close()
	})
	return h
}

// publishReply publishes an active journey that a
// messenger.message_received event starts, replying with text.
func (h *dbHarness) publishReply(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	def := fmt.Sprintf(`{"nodes":[
	 {"id":"start","type":%q,"config":{"event":%q,"reentry":"always"},"position":{"x":0,"y":0}},
	 {"id":"reply","type":%q,"config":{"text":"Hi {{ contact.name }}, you said: {{ trigger.event.properties.text }}"},"position":{"x":0,"y":100}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
	 "edges":[{"id":"e1","source":"start","target":"reply"},{"id":"e2","source":"reply","target":"done"}]}`,
		workflow.TypeTriggerEvent, EventMessageReceived, workflow.TypeMessengerSend)
	wfID := domain.NewID()
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
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
}

// waitReply waits for the one Messenger message of the tenant to reach
// want or a later status: the fake page reports delivery and read on its
// own, so a fast database can move the reply past want before a poll,
// and before the engine's group commit records Meta's mid: the wait is
// for that too.
func (h *dbHarness) waitReply(t *testing.T, want domain.MessageStatus) domain.Message {
	t.Helper()
	ctx := context.Background()
	var reply domain.Message
	require.Eventually(t, func() bool {
		var msgs []domain.Message
		require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
			var err error
			msgs, err = tx.MessageList(ctx, &store.MessageListParams{TenantID: h.tenant, Channel: domain.ChannelMessenger, Limit: 10})
			return err
		}))
		if len(msgs) != 1 {
			return false
		}
		reply = msgs[0]
		return !reply.Status.Final() && domain.MessageStatusRank(reply.Status) >= domain.MessageStatusRank(want) &&
			reply.ProviderMessageID != nil
	}, 30*time.Second, 20*time.Millisecond, "reply: %+v", reply)
	return reply
}

// TestJourneyRepliesToInboundMessage runs the whole loop on a real engine
// and database: a signed inbound message from the fake page starts a
// trigger.event journey for messenger.message_received, which replies
// with text inside the window the message opened; the reply reaches
// sent with Meta's mid.
func TestJourneyRepliesToInboundMessage(t *testing.T) {
	t.Parallel()
	for _, b := range dbStores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newDBHarness(t, func(opts ...storetest.Option) store.Store { return b.open(t, opts...) })
			h.publishReply(t)
			ctx := context.Background()

			_, status, err := h.page.SendInbound(ctx, testPage, metafake.MessengerInbound{PSID: testPSID, Text: "Another color?"})
			require.NoError(t, err)
			require.Equal(t, 200, status)

			reply := h.waitReply(t, domain.MessageSent)
			sends := h.page.Sends()
			require.Len(t, sends, 1)
			require.Equal(t, "Hi , you said: Another color?", sends[0].Text)
			require.Equal(t, testPSID, sends[0].Recipient)
			require.Equal(t, string(Response), sends[0].MessagingType)
			require.Equal(t, testPSID, reply.Recipient)
			require.NotNil(t, reply.ContactID)
			require.Equal(t, sends[0].MessageID, *reply.ProviderMessageID)

			require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
				c, err := tx.ContactGetByMessengerPSID(ctx, h.tenant, testPSID)
				require.NoError(t, err)
				require.Equal(t, c.ID, *reply.ContactID)
				return nil
			}))
		})
	}
}

// TestInboundMessageFindsContactByPSID: a contact the events API created
// with a PSID (ContactUpsertMany, as the events batch does) writes to the
// page; the journey starts for that contact, the event lands on it, and no
// second contact is made.
func TestInboundMessageFindsContactByPSID(t *testing.T) {
	t.Parallel()
	for _, b := range dbStores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newDBHarness(t, func(opts ...storetest.Option) store.Store { return b.open(t, opts...) })
			h.publishReply(t)
			ctx := context.Background()
			var known *domain.Contact
			require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
				ext, psid, name := "user-42", testPSID, "Ana"
				rs, err := tx.ContactUpsertMany(ctx, []*store.ContactUpsertParams{{TenantID: h.tenant, ExternalID: &ext, MessengerPSID: &psid, Name: &name}})
				if err != nil {
					return err
				}
				known = rs[0].Contact
				return nil
			}))

			_, status, err := h.page.SendInbound(ctx, testPage, metafake.MessengerInbound{PSID: testPSID, Text: "Hello"})
			require.NoError(t, err)
			require.Equal(t, 200, status)

			reply := h.waitReply(t, domain.MessageSent)
			require.Equal(t, known.ID, *reply.ContactID)
			require.Equal(t, "Hi Ana, you said: Hello", h.page.Sends()[0].Text)
			require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
				cs, err := tx.ContactList(ctx, &store.ContactListParams{TenantID: h.tenant, Limit: 100})
				require.NoError(t, err)
				require.Len(t, cs, 1, "one contact")
				evs, err := tx.EventList(ctx, &store.EventListParams{TenantID: h.tenant, Name: EventMessageReceived, Limit: 10})
				require.NoError(t, err)
				require.Len(t, evs, 1)
				require.Equal(t, known.ID, evs[0].ContactID)
				return nil
			}))
		})
	}
}

// TestInboundFirstMessagesAtOnceMakeOneContact: two deliveries from a new
// PSID processed at the same moment create one contact, and both events
// land on it.
func TestInboundFirstMessagesAtOnceMakeOneContact(t *testing.T) {
	t.Parallel()
	for _, b := range dbStores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newDBHarness(t, func(opts ...storetest.Option) store.Store { return b.open(t, opts...) })
			ctx := context.Background()
			now := time.Now().UTC()
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				body := h.page.Envelope(testPage, map[string]any{"sender": map[string]any{"id": "2400000000000009"},
					"recipient": map[string]any{"id": testPage}, "timestamp": now.UnixMilli(),
					"message": map[string]any{"mid": fmt.Sprintf("m_race%d", i), "text": "hi"}})
				wg.Go(func() {
					_, errs[i] = h.in.Process(ctx, InboundArgs{TenantID: h.tenant, ConnectionID: h.conn.ID, Body: body, ReceivedAt: now})
				})
			}
			wg.Wait()
			require.NoError(t, errs[0])
			require.NoError(t, errs[1])
			require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
				cs, err := tx.ContactList(ctx, &store.ContactListParams{TenantID: h.tenant, Limit: 100})
				require.NoError(t, err)
				require.Len(t, cs, 1, "one contact")
				evs, err := tx.EventList(ctx, &store.EventListParams{TenantID: h.tenant, Name: EventMessageReceived, Limit: 10})
				require.NoError(t, err)
				require.Len(t, evs, 2)
				for _, ev := range evs {
					require.Equal(t, cs[0].ID, ev.ContactID)
				}
				return nil
			}))
		})
	}
}

// dbStores are the real backends the journey tests run on.
var dbStores = []struct {
	name string
	open func(t testing.TB, opts ...storetest.Option) store.Store
}{
	{"sqlite", func(t testing.TB, opts ...storetest.Option) store.Store { return storetest.SQLite(t, opts...) }},
	{"postgres", func(t testing.TB, opts ...storetest.Option) store.Store { return storetest.Postgres(t, opts...) }},
}
