package whatsapp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// memTx is a store.Tx holding only the rows whatsapp.send touches:
// messages, suppressions and messaging windows. Other methods panic
// (the embedded nil interface), which a test would show at once.
type memTx struct {
	store.Tx
	mu          sync.Mutex
	messages    map[uuid.UUID]*domain.Message
	suppressed  map[string]bool
	windows     map[string]time.Time
	failingConn map[uuid.UUID]string
}

func newMemTx() *memTx {
	return &memTx{messages: map[uuid.UUID]*domain.Message{}, suppressed: map[string]bool{},
		windows: map[string]time.Time{}, failingConn: map[uuid.UUID]string{}}
}

func (m *memTx) MessageInsert(_ context.Context, p *store.MessageInsertParams) (*domain.Message, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	status := p.Status
	if status == "" {
		status = domain.MessageQueued
	}
	msg := &domain.Message{ID: p.ID, TenantID: p.TenantID, Channel: p.Channel, ContactID: p.ContactID,
		Recipient: p.Recipient, Status: status, ErrorCode: p.ErrorCode, ErrorText: p.ErrorText, NodeID: p.NodeID}
	m.messages[p.ID] = msg
	return msg, true, nil
}

func (m *memTx) MessageInsertMany(ctx context.Context, ps []*store.MessageInsertParams) error {
	for _, p := range ps {
		if _, _, err := m.MessageInsert(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (m *memTx) SuppressionGetMany(_ context.Context, _ uuid.UUID, _ domain.ChannelKind, addresses []string) ([]*domain.Suppression, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*domain.Suppression
	for _, a := range addresses {
		if m.suppressed[a] {
			out = append(out, &domain.Suppression{Address: a})
		}
	}
	return out, nil
}

func (m *memTx) MessageAdvance(_ context.Context, p *store.MessageAdvanceParams) (*domain.Message, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	msg, ok := m.messages[p.ID]
	if !ok {
		return nil, false, store.ErrNotFound
	}
	if msg.Status.Final() || domain.MessageStatusRank(p.Status) <= domain.MessageStatusRank(msg.Status) {
		return msg, false, nil
	}
	msg.Status, msg.ErrorCode, msg.ErrorText = p.Status, p.ErrorCode, p.ErrorText
	return msg, true, nil
}

func (m *memTx) MessageMarkSent(_ context.Context, p *store.MessageMarkSentParams) (*domain.Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	msg, ok := m.messages[p.ID]
	if !ok {
		return nil, store.ErrNotFound
	}
	pid := p.ProviderMessageID
	msg.ProviderMessageID = &pid
	if msg.Status == domain.MessageQueued {
		msg.Status = domain.MessageSent
	}
	return msg, nil
}

func (m *memTx) SuppressionGet(_ context.Context, _ uuid.UUID, _ domain.ChannelKind, address string) (*domain.Suppression, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.suppressed[address] {
		return &domain.Suppression{Address: address}, nil
	}
	return nil, store.ErrNotFound
}

func (m *memTx) MessagingWindowGet(_ context.Context, tenantID, connectionID uuid.UUID, address string) (*domain.MessagingWindow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	at, ok := m.windows[address]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &domain.MessagingWindow{TenantID: tenantID, ConnectionID: connectionID, Address: address, LastInboundAt: at}, nil
}

func (m *memTx) message(id uuid.UUID) domain.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return *m.messages[id]
}

// memStore runs Read over one memTx.
type memStore struct {
	store.Store
	tx *memTx
}

func (s *memStore) Read(_ context.Context, _ uuid.UUID, fn func(store.Tx) error) error {
	return fn(s.tx)
}

// staticConnections serves one connection.
type staticConnections struct {
	conn whatsapp.Connection
}

func (c *staticConnections) Get(_ context.Context, _ store.Tx, tenantID, id uuid.UUID) (*whatsapp.Connection, error) {
	if tenantID != c.conn.TenantID || (id != uuid.Nil && id != c.conn.ID) {
		return nil, whatsapp.ErrNoConnection
	}
	conn := c.conn
	return &conn, nil
}

func (c *staticConnections) Lookup(_ context.Context, id uuid.UUID) (*whatsapp.Connection, error) {
	if id != c.conn.ID {
		return nil, whatsapp.ErrNoConnection
	}
	conn := c.conn
	return &conn, nil
}

func (c *staticConnections) MarkFailing(_ context.Context, tx store.Tx, _, id uuid.UUID, message string) error {
	m := tx.(*memTx)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failingConn[id] = message
	return nil
}

// newHookServer serves fn as a webhook endpoint: 200 when it returns nil,
// 401 otherwise.
func newHookServer(t *testing.T, fn func(body []byte, sig string) error) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = fn(body, r.Header.Get(metawebhook.SignatureHeader))
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
