package messenger

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// memStore keeps, in memory, the rows the Messenger channel reads and
// writes (messages, windows, suppressions, templates, contacts, events)
// behind store.Store and store.Tx; any other method panics (nil embedded
// interface). Transactions are serialised and not rolled back: the tests
// look at what was written.
type memStore struct {
	store.Store
	mu sync.Mutex
	tx *memTx
	q  *memQueue
}

type memTx struct {
	store.Tx
	messages     map[uuid.UUID]*domain.Message
	windows      map[string]*domain.MessagingWindow
	suppressions map[string]bool
	templates    map[uuid.UUID]*domain.MessageTemplate
	contacts     map[uuid.UUID]*domain.Contact
	events       []domain.Event
	eventIDs     map[string]bool
}

type memQueue struct {
	store.Queue
	mu   sync.Mutex
	jobs []river.JobArgs
}

func newMemStore() *memStore {
	return &memStore{q: &memQueue{}, tx: &memTx{
		messages: map[uuid.UUID]*domain.Message{}, windows: map[string]*domain.MessagingWindow{},
		suppressions: map[string]bool{}, templates: map[uuid.UUID]*domain.MessageTemplate{},
		contacts: map[uuid.UUID]*domain.Contact{}, eventIDs: map[string]bool{},
	}}
}

func (s *memStore) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(s.tx)
}

func (s *memStore) Read(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	return s.InTx(ctx, tenantID, fn)
}

func (s *memStore) Queue() store.Queue { return s.q }

func (q *memQueue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, args)
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{ID: int64(len(q.jobs))}}, nil
}

func (q *memQueue) inserted() []river.JobArgs {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]river.JobArgs(nil), q.jobs...)
}

// message returns a copy of the message with id.
func (s *memStore) message(t *testing.T, id uuid.UUID) domain.Message {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.tx.messages[id]
	require.True(t, ok, "message %s", id)
	return *m
}

func windowKey(connectionID uuid.UUID, address string) string {
	return connectionID.String() + "/" + address
}

func (t *memTx) MessageInsert(ctx context.Context, p *store.MessageInsertParams) (*domain.Message, bool, error) {
	if m, ok := t.messages[p.ID]; ok {
		return m, false, nil
	}
	status := p.Status
	if status == "" {
		status = domain.MessageQueued
	}
	m := &domain.Message{ID: p.ID, TenantID: p.TenantID, Channel: p.Channel, ConnectionID: p.ConnectionID, ContactID: p.ContactID,
		WorkflowID: p.WorkflowID, WorkflowVersion: p.WorkflowVersion, ExecutionID: p.ExecutionID, NodeID: p.NodeID, TemplateID: p.TemplateID,
		Recipient: p.Recipient, Status: status, ErrorCode: p.ErrorCode, ErrorText: p.ErrorText,
		QueuedAt: p.At}
	t.messages[m.ID] = m
	return m, true, nil
}

func (t *memTx) MessageMarkSent(ctx context.Context, p *store.MessageMarkSentParams) (*domain.Message, error) {
	m, ok := t.messages[p.ID]
	if !ok {
		return nil, store.ErrNotFound
	}
	id := p.ProviderMessageID
	m.ProviderMessageID = &id
	if m.Status == domain.MessageQueued {
		m.Status = domain.MessageSent
	}
	return m, nil
}

func (t *memTx) advance(m *domain.Message, p *store.MessageAdvanceParams) (*domain.Message, bool, error) {
	if !domain.MessageCanMove(m.Status, p.Status) {
		return m, false, nil
	}
	m.Status = p.Status
	if p.Status.Final() {
		m.ErrorCode, m.ErrorText = p.ErrorCode, p.ErrorText
	}
	return m, true, nil
}

func (t *memTx) MessageAdvance(ctx context.Context, p *store.MessageAdvanceParams) (*domain.Message, bool, error) {
	m, ok := t.messages[p.ID]
	if !ok {
		return nil, false, store.ErrNotFound
	}
	return t.advance(m, p)
}

func (t *memTx) MessageAdvanceByProviderID(ctx context.Context, p *store.MessageAdvanceParams) (*domain.Message, bool, error) {
	for _, m := range t.messages {
		if m.Channel == p.Channel && m.ProviderMessageID != nil && *m.ProviderMessageID == p.ProviderMessageID {
			return t.advance(m, p)
		}
	}
	return nil, false, store.ErrNotFound
}

func (t *memTx) MessageList(ctx context.Context, p *store.MessageListParams) ([]domain.Message, error) {
	var out []domain.Message
	for _, m := range t.messages {
		if (p.ContactID == nil || (m.ContactID != nil && *m.ContactID == *p.ContactID)) &&
			(p.Channel == "" || m.Channel == p.Channel) && (p.Status == "" || m.Status == p.Status) {
			out = append(out, *m)
		}
	}
	return out, nil
}

func (t *memTx) MessagingWindowTouch(ctx context.Context, p *store.MessagingWindowTouchParams) (*domain.MessagingWindow, error) {
	k := windowKey(p.ConnectionID, p.Address)
	w := t.windows[k]
	if w == nil {
		w = &domain.MessagingWindow{TenantID: p.TenantID, ConnectionID: p.ConnectionID, Channel: p.Channel, Address: p.Address}
		t.windows[k] = w
	}
	if p.At.After(w.LastInboundAt) {
		w.LastInboundAt = p.At
	}
	if p.ContactID != nil {
		w.ContactID = p.ContactID
	}
	return w, nil
}

func (t *memTx) MessagingWindowGet(ctx context.Context, tenantID, connectionID uuid.UUID, address string) (*domain.MessagingWindow, error) {
	w := t.windows[windowKey(connectionID, address)]
	if w == nil {
		return nil, store.ErrNotFound
	}
	cp := *w
	return &cp, nil
}

func (t *memTx) SuppressionGet(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, address string) (*domain.Suppression, error) {
	if !t.suppressions[string(channel)+"/"+address] {
		return nil, store.ErrNotFound
	}
	return &domain.Suppression{TenantID: tenantID, Channel: channel, Address: address, Reason: domain.SuppressionManual}, nil
}

func (t *memTx) SuppressionGetMany(ctx context.Context, tenantID uuid.UUID, channel domain.ChannelKind, addresses []string) ([]*domain.Suppression, error) {
	var out []*domain.Suppression
	for _, a := range addresses {
		if s, err := t.SuppressionGet(ctx, tenantID, channel, a); err == nil {
			out = append(out, s)
		}
	}
	return out, nil
}

func (t *memTx) MessageInsertMany(ctx context.Context, ps []*store.MessageInsertParams) error {
	for _, p := range ps {
		if _, _, err := t.MessageInsert(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (t *memTx) MessageTemplateGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.MessageTemplate, error) {
	tp := t.templates[id]
	if tp == nil {
		return nil, store.ErrNotFound
	}
	return tp, nil
}

func (t *memTx) ContactGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Contact, error) {
	c := t.contacts[id]
	if c == nil {
		return nil, store.ErrNotFound
	}
	return c, nil
}

func (t *memTx) ContactGetByMessengerPSID(ctx context.Context, tenantID uuid.UUID, psid string) (*domain.Contact, error) {
	var found *domain.Contact
	for _, c := range t.contacts {
		if c.TenantID == tenantID && c.MessengerPSID != nil && *c.MessengerPSID == psid &&
			(found == nil || c.CreatedAt.Before(found.CreatedAt)) {
			found = c
		}
	}
	if found == nil {
		return nil, store.ErrNotFound
	}
	return found, nil
}

func (t *memTx) ContactUpsert(ctx context.Context, p *store.ContactUpsertParams) (*domain.Contact, bool, error) {
	c, err := store.ContactApply(nil, p, time.Now())
	if err != nil {
		return nil, false, err
	}
	t.contacts[c.ID] = c
	return c, true, nil
}

func (t *memTx) EventInsertMany(ctx context.Context, p *store.EventInsertManyParams) ([]domain.Event, error) {
	var out []domain.Event
	for _, ev := range store.EventsToInsert(p, time.Now()) {
		if t.eventIDs[ev.MessageID] {
			continue
		}
		t.eventIDs[ev.MessageID] = true
		t.events = append(t.events, ev)
		out = append(out, ev)
	}
	return out, nil
}

// memConnections serves Messenger connections from memory.
type memConnections struct {
	mu      sync.Mutex
	conns   map[uuid.UUID]*Connection
	failing map[uuid.UUID]string
}

func (c *memConnections) Get(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*Connection, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		if conn.TenantID == tenantID && (id == uuid.Nil || conn.ID == id) {
			cp := *conn
			return &cp, nil
		}
	}
	return nil, fmt.Errorf("connection %s: %w", id, ErrNoConnection)
}

func (c *memConnections) Lookup(ctx context.Context, id uuid.UUID) (*Connection, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	conn := c.conns[id]
	if conn == nil {
		return nil, fmt.Errorf("connection %s: %w", id, ErrNoConnection)
	}
	cp := *conn
	return &cp, nil
}

func (c *memConnections) MarkFailing(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID, message string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failing[id] = message
	return nil
}

// recordingEngine records the events handed to it and "starts" one
// execution per event.
type recordingEngine struct {
	mu     sync.Mutex
	events []engine.IncomingEvent
}

func (e *recordingEngine) EventTx(ctx context.Context, tx store.Tx, evs []engine.IncomingEvent) (engine.EventResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, evs...)
	var res engine.EventResult
	for range evs {
		res.Started = append(res.Started, uuid.New())
	}
	return res, nil
}

// harness is a Messenger page on the fake Graph API, its connection, and
// the sender and inbound side over an in-memory store.
type harness struct {
	tenant  uuid.UUID
	conn    *Connection
	fake    *metafake.Server
	page    *metafake.Messenger
	store   *memStore
	conns   *memConnections
	sender  *Sender
	inbound *Inbound
	engine  *recordingEngine
	now     time.Time
}

const (
	testPage   = "1067280970047460"
	testPSID   = "1254477777772919"
	testSecret = "app-secret"
	testVerify = "verify-me"
)

func newHarness(t *testing.T, opts metafake.Options, page metafake.MessengerPage) *harness {
	t.Helper()
	h := &harness{tenant: uuid.New(), store: newMemStore(), engine: &recordingEngine{},
		now: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	h.inbound = &Inbound{Store: h.store, Engine: h.engine, Now: func() time.Time { return h.now }}
	hook := httptest.NewServer(httpHandlerFunc(func(body []byte, sig string) int {
		if err := h.inbound.Receive(context.Background(), h.conn.ID, body, sig); err != nil {
			return 401
		}
		return 200
	}))
	t.Cleanup(hook.Close)
	h.conn = &Connection{ID: uuid.New(), TenantID: h.tenant, PageID: testPage, PageToken: "page-token", AppSecret: testSecret, VerifyToken: testVerify}
	h.conns = &memConnections{conns: map[uuid.UUID]*Connection{h.conn.ID: h.conn}, failing: map[uuid.UUID]string{}}
	h.inbound.Connections = h.conns
	h.fake = metafake.New(opts)
	t.Cleanup(h.fake.Close)
	h.page = metafake.NewMessenger(h.fake)
	page.PageID, page.Token, page.AppSecret, page.WebhookURL = testPage, "page-token", []byte(testSecret), hook.URL
	h.page.AddPage(page)
	client, err := NewClient(h.fake.URL(), "v21.0", nil)
	require.NoError(t, err)
	h.sender, err = NewSender(SenderOptions{Client: client, Connections: h.conns, Store: h.store, Now: func() time.Time { return h.now }})
	require.NoError(t, err)
	return h
}

// openWindow records the person's last message at ago before now.
func (h *harness) openWindow(t *testing.T, psid string, ago time.Duration, contactID uuid.UUID) {
	t.Helper()
	require.NoError(t, h.store.InTx(context.Background(), h.tenant, func(tx store.Tx) error {
		_, err := tx.MessagingWindowTouch(context.Background(), &store.MessagingWindowTouchParams{TenantID: h.tenant,
			ConnectionID: h.conn.ID, Channel: domain.ChannelMessenger, Address: psid, ContactID: &contactID, At: h.now.Add(-ago)})
		return err
	}))
}

// data is an execution context for a contact with psid.
func contactData(contactID uuid.UUID, psid string, extra map[string]any) map[string]any {
	c := map[string]any{"id": contactID.String(), "messengerPsid": psid, "name": "Ana", "subscriptions": map[string]any{}}
	for k, v := range extra {
		c[k] = v
	}
	return map[string]any{"contact": c, "trigger": map[string]any{}, "steps": map[string]any{}, "vars": map[string]any{},
		"execution": map[string]any{"workflowId": uuid.New().String(), "version": float64(3)}}
}

// prepare runs Prepare in a transaction of the in-memory store.
func (h *harness) prepare(t *testing.T, config string, data map[string]any) (json.RawMessage, error) {
	t.Helper()
	var req json.RawMessage
	var perr error
	require.NoError(t, h.store.InTx(context.Background(), h.tenant, func(tx store.Tx) error {
		req, perr = h.sender.Prepare(context.Background(), engine.PrepareInput{TenantID: h.tenant, ExecutionID: uuid.New(),
			NodeID: "send", Config: json.RawMessage(config), Data: data, Tx: tx})
		return nil
	}))
	return req, perr
}

// perform runs Perform and RecordResult as the engine would.
func (h *harness) perform(t *testing.T, req json.RawMessage, retry bool) (json.RawMessage, error) {
	t.Helper()
	out, err := h.sender.Perform(context.Background(), engine.EffectRequest{TenantID: h.tenant, Request: req, Attempt: 1})
	res := engine.EffectResult{TenantID: h.tenant, Request: req, Output: out, Err: err, Retry: retry}
	if ee, ok := err.(*engine.EffectError); ok && out == nil {
		res.Output = ee.Output
	}
	require.NoError(t, h.store.InTx(context.Background(), h.tenant, func(tx store.Tx) error {
		return h.sender.RecordResult(context.Background(), tx, res)
	}))
	return out, err
}

func messageIDOf(t *testing.T, req json.RawMessage) uuid.UUID {
	t.Helper()
	var r sendRequest
	require.NoError(t, json.Unmarshal(req, &r))
	return r.MessageID
}

// httpHandlerFunc serves a webhook: the raw body and its signature in,
// the status out.
type httpHandlerFunc func(body []byte, signature string) int

func (f httpHandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.WriteHeader(f(body, r.Header.Get(metawebhook.SignatureHeader)))
}

// processQueued processes every delivery Receive stored, in order, and
// returns the summed result.
func (h *harness) processQueued(t *testing.T) ProcessResult {
	t.Helper()
	var sum ProcessResult
	for _, job := range h.store.q.inserted() {
		args, ok := job.(InboundArgs)
		require.True(t, ok, "%T", job)
		res, err := h.inbound.Process(context.Background(), args)
		require.NoError(t, err)
		sum.Messages += res.Messages
		sum.Moved += res.Moved
		sum.Pending += res.Pending
		sum.Started = append(sum.Started, res.Started...)
	}
	h.store.q.mu.Lock()
	h.store.q.jobs = nil
	h.store.q.mu.Unlock()
	return sum
}
