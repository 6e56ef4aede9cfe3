package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/messenger"
	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// hookConnections serves one Messenger connection.
type hookConnections struct{ conn *messenger.Connection }

func (c hookConnections) Get(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*messenger.Connection, error) {
	return c.Lookup(ctx, id)
}

func (c hookConnections) Lookup(ctx context.Context, id uuid.UUID) (*messenger.Connection, error) {
	if id != c.conn.ID {
		return nil, fmt.Errorf("connection %s: %w", id, messenger.ErrNoConnection)
	}
	return c.conn, nil
}

func (c hookConnections) MarkFailing(context.Context, store.Tx, uuid.UUID, uuid.UUID, string) error {
	return nil
}

// hookStore records the jobs the endpoint stores; nothing else of the
// store is used.
type hookStore struct {
	store.Store
	q hookQueue
}

type hookQueue struct {
	store.Queue
	mu   sync.Mutex
	jobs []river.JobArgs
}

func (s *hookStore) Queue() store.Queue { return &s.q }

func (s *hookQueue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs = append(s.jobs, args)
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{ID: int64(len(s.jobs))}}, nil
}

func (s *hookQueue) stored() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

func TestMessengerHooks(t *testing.T) {
	t.Parallel()
	conn := &messenger.Connection{ID: uuid.New(), TenantID: uuid.New(), PageID: "1067280970047460",
		AppSecret: "app-secret", VerifyToken: "verify-me"}
	st := &hookStore{}
	s := &Server{mux: http.NewServeMux(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.MountMessengerHooks(&messenger.Inbound{Store: st, Connections: hookConnections{conn: conn}})
	srv := httptest.NewServer(s.mux)
	t.Cleanup(srv.Close)

	path := "/hooks/messenger/" + conn.ID.String()
	body := []byte(`{"object":"page","entry":[{"id":"1067280970047460","time":1458692752478,"messaging":[` +
		`{"sender":{"id":"1254477777772919"},"recipient":{"id":"1067280970047460"},"timestamp":1458692752478,"message":{"mid":"m_1","text":"hi"}}]}]}`)
	signed := metawebhook.Sign([]byte(conn.AppSecret), body)
	notPage := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	large := bytes.Repeat([]byte(" "), messenger.MaxWebhookBody+1)

	for _, tc := range []struct {
		name      string
		method    string
		target    string
		body      []byte
		signature string
		status    int
		want      string
		stored    int // jobs stored after the request
	}{
		{"handshake", http.MethodGet, path + "?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", nil, "", 200, "1158201444", 0},
		{"handshake wrong token", http.MethodGet, path + "?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", nil, "", 403, "verify token", 0},
		{"handshake wrong mode", http.MethodGet, path + "?hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1", nil, "", 403, "subscribe", 0},
		{"handshake unknown connection", http.MethodGet, "/hooks/messenger/" + uuid.NewString() + "?hub.mode=subscribe", nil, "", 404, "no Messenger connection", 0},
		{"handshake bad connection ID", http.MethodGet, "/hooks/messenger/42", nil, "", 404, "UUID", 0},
		{"signature missing", http.MethodPost, path, body, "", 401, "missing", 0},
		{"signature forged", http.MethodPost, path, body, metawebhook.Sign([]byte("guess"), body), 401, "does not match", 0},
		{"signature malformed", http.MethodPost, path, body, "sha1=abc", 401, "does not match", 0},
		{"body too large", http.MethodPost, path, large, metawebhook.Sign([]byte(conn.AppSecret), large), 413, "too large", 0},
		{"not a page webhook", http.MethodPost, path, notPage, metawebhook.Sign([]byte(conn.AppSecret), notPage), 400, "page", 0},
		{"unknown connection", http.MethodPost, "/hooks/messenger/" + uuid.NewString(), body, signed, 404, "no Messenger connection", 0},
		{"signed delivery", http.MethodPost, path, body, signed, 200, `"received":true`, 1},
		{"replayed delivery is stored again, processing dedupes", http.MethodPost, path, body, signed, 200, `"received":true`, 2},
	} {
		req, err := http.NewRequest(tc.method, srv.URL+tc.target, bytes.NewReader(tc.body))
		require.NoError(t, err)
		if tc.signature != "" {
			req.Header.Set(metawebhook.SignatureHeader, tc.signature)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, tc.name)
		got, _ := io.ReadAll(resp.Body)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, tc.status, resp.StatusCode, "%s: %s", tc.name, got)
		require.Contains(t, string(got), tc.want, tc.name)
		require.Equal(t, tc.stored, st.q.stored(), tc.name)
		if tc.status >= 400 {
			require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json"), tc.name)
		}
	}
	args := st.q.jobs[0].(messenger.InboundArgs)
	require.Equal(t, conn.TenantID, args.TenantID)
	require.Equal(t, conn.ID, args.ConnectionID)
}
