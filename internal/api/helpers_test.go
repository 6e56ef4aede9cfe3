package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/broadcast"
	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/contactimport"
	"github.com/nextflow-dev/nextflow/internal/cron"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/segment"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/usage"
)

const (
	testHost     = "nextflow.test"
	testOrigin   = "http://" + testHost
	testPassword = "correct horse battery"
)

// testAPI is the whole API in process, with accounts installed.
type testAPI struct {
	t       *testing.T
	srv     *Server
	handler http.Handler
	svc     *auth.Service
	st      store.Store
	hub     *live.Hub // set by newFullAPI
}

// backend is how a test gets its store: testStores opens one with a job
// bundle the API's engine and scheduler register their workers in.
type backend struct {
	name string
	open func(t *testing.T, opts ...storetest.Option) store.Store
}

var backends = []backend{
	{"sqlite", func(t *testing.T, opts ...storetest.Option) store.Store { return storetest.SQLite(t, opts...) }},
	{"postgres", func(t *testing.T, opts ...storetest.Option) store.Store { return storetest.Postgres(t, opts...) }},
	// An ordinary role: row-level security applies, as in production.
	{"postgres-rls", func(t *testing.T, opts ...storetest.Option) store.Store { return storetest.PostgresAppRole(t, opts...) }},
}

// eachFull runs fn on both backends with the full API (engine, scheduler,
// live stream and accounts) in process.
func eachFull(t *testing.T, fn func(t *testing.T, a *testAPI)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			fn(t, newFullAPI(t, b.open))
		})
	}
}

// newFullAPI builds every route production serves: the same services as
// app.wire, over a fresh store of the given backend.
func newFullAPI(t *testing.T, open func(t *testing.T, opts ...storetest.Option) store.Store, mutate ...func(*AccountsOptions, *auth.Options)) *testAPI {
	t.Helper()
	workers := river.NewWorkers()
	st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	log := storetest.Logger(t)
	hub := live.NewHub()
	creds := testCredentials(t, st)
	meter := usage.New(st, usage.Options{})
	eng := engine.New(st, engine.Options{Logger: log, Publisher: hub, Secrets: creds, ExecutionQuota: meter.Executions})
	eng.RegisterWorkers(workers)
	sched := cron.New(st, cron.EngineStart(eng, log), cron.Options{Logger: log})
	sched.RegisterWorkers(workers)
	contactimport.New(st, contactimport.Options{Logger: log}).RegisterWorkers(workers)
	channels := channel.New(st, creds.Keyring(), channel.Options{PublicURL: "https://nf.example.com", Logger: log})
	aiFactory, err := ai.NewFactory(ai.NetOptions{})
	require.NoError(t, err)
	segments := segment.New(st, segment.Options{Engine: eng, Logger: log})
	segments.RegisterWorkers(workers)
	broadcasts := broadcast.New(st, broadcast.Options{Engine: eng, Logger: log})
	broadcasts.RegisterWorkers(workers)
	hooks := []func(huma.API){
		(&ChannelRoutes{Store: st, Channels: channels, Logger: log}).Register,
		(&AIRoutes{Store: st, AI: ai.NewService(creds.Keyring(), aiFactory), Logger: log}).Register,
		(&PlanRoutes{Store: st, Meter: meter, Logger: log, BillingToken: testBillingToken}).Register,
		(&SegmentRoutes{Store: st, Segments: segments, Logger: log}).Register,
		(&BroadcastRoutes{Store: st, Broadcasts: broadcasts, Logger: log}).Register,
	}
	a := newTestAPIDeps(t, st, Deps{Engine: eng, Live: hub, Scheduler: sched, Lifecycle: sched, Credentials: creds, Hooks: hooks, Usage: meter}, mutate...)
	a.hub = hub
	return a
}

func newTestAPI(t *testing.T, st store.Store, mutate ...func(*AccountsOptions, *auth.Options)) *testAPI {
	t.Helper()
	return newTestAPIDeps(t, st, Deps{}, mutate...)
}

func newTestAPIDeps(t *testing.T, st store.Store, deps Deps, mutate ...func(*AccountsOptions, *auth.Options)) *testAPI {
	t.Helper()
	log := storetest.Logger(t)
	ao := auth.Options{
		Store: st, Logger: log,
		PasswordParams: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	}
	acco := AccountsOptions{Logger: log}
	for _, m := range mutate {
		m(&acco, &ao)
	}
	svc, err := auth.New(ao)
	require.NoError(t, err)
	acco.Service = svc
	deps.Store, deps.Logger = st, log
	if deps.Queries == nil {
		deps.Queries = failOnRepeat(t, log)
	}
	if deps.Credentials == nil {
		deps.Credentials = testCredentials(t, st)
	}
	NewAccounts(acco).Install(&deps)
	srv := New(deps)
	return &testAPI{t: t, srv: srv, handler: srv.Handler(), svc: svc, st: st}
}

// failOnRepeat is the query monitor of every test API: a query repeated
// past store.DefaultQueryRepeatLimit in one request (an N+1 suspicion)
// fails the test, naming the route and the query.
func failOnRepeat(t interface {
	Errorf(format string, args ...any)
}, log *slog.Logger) *store.QueryMonitor {
	return &store.QueryMonitor{Logger: log, OnRepeat: func(_ context.Context, scope *store.QueryScope, r store.QueryRepeat) {
		t.Errorf("N+1 suspicion: %s ran query %s %d times (limit %d)", scope.Name(), r.Name, r.Count, store.DefaultQueryRepeatLimit)
	}}
}

// creds is how a test request authenticates.
type creds struct {
	Cookie string // session token
	Key    string // API key
	// NoOrigin leaves the Origin header out of cookie writes.
	NoOrigin bool
	Origin   string
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// short is the body cut for failure messages.
func (r *response) short() string {
	if len(r.Body) > 400 {
		return string(r.Body[:400]) + "…"
	}
	return string(r.Body)
}

func (r *response) JSON(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), string(r.Body))
}

func (r *response) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (a *testAPI) do(method, path string, body any, c creds, headers ...string) *response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(a.t, err)
		rd = bytes.NewReader(raw)
	}
	// Streams (SSE) end when the request's context does.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, method, testOrigin+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Cookie != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.Cookie})
	}
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	switch {
	case c.Origin != "":
		req.Header.Set("Origin", c.Origin)
	case !c.NoOrigin && method != http.MethodGet:
		req.Header.Set("Origin", testOrigin)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(deadlineRecorder{rec}, req)
	return &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// deadlineRecorder is a recorder with the write deadline a server's
// writer has: without it huma's event streams print "write deadline not
// supported" on every message, hundreds of lines in a test run's output.
type deadlineRecorder struct{ *httptest.ResponseRecorder }

// SetWriteDeadline implements huma's sse write deadline (a no-op).
func (deadlineRecorder) SetWriteDeadline(time.Time) error { return nil }

// account is a signed-up user with their workspace.
type account struct {
	Email  string
	Cookie string
	Me     MeDTO
}

func (a *testAPI) signup(email, workspace string) *account {
	a.t.Helper()
	r := a.do(http.MethodPost, Prefix+"/auth/signup", map[string]string{
		"email": email, "password": testPassword, "name": "User " + email, "workspaceName": workspace,
	}, creds{})
	require.Equal(a.t, http.StatusCreated, r.Status, string(r.Body))
	c := r.cookie(SessionCookie)
	require.NotNil(a.t, c)
	acc := &account{Email: email, Cookie: c.Value}
	r.JSON(a.t, &acc.Me)
	return acc
}

func (a *testAPI) apiKey(acc *account, scopes ...string) string {
	a.t.Helper()
	r := a.do(http.MethodPost, Prefix+"/api-keys", map[string]any{"name": "key", "scopes": scopes}, creds{Cookie: acc.Cookie})
	require.Equal(a.t, http.StatusCreated, r.Status, string(r.Body))
	var out APIKeyCreatedDTO
	r.JSON(a.t, &out)
	return out.Key
}

// revokeAPIKey revokes key (as apiKey returned it) as acc, through the
// API: the key listed by its prefix, then deleted (204).
func (a *testAPI) revokeAPIKey(acc *account, key string) {
	a.t.Helper()
	var keys []APIKeyDTO
	a.do(http.MethodGet, Prefix+"/api-keys", nil, creds{Cookie: acc.Cookie}).JSON(a.t, &keys)
	revoked := false
	for _, k := range keys {
		if strings.HasPrefix(key, "nf_"+k.Prefix+"_") {
			r := a.do(http.MethodDelete, Prefix+"/api-keys/"+k.ID.String(), nil, creds{Cookie: acc.Cookie})
			require.Equal(a.t, http.StatusNoContent, r.Status, r.short())
			revoked = true
		}
	}
	require.True(a.t, revoked, "key %s… is not listed", key[:min(len(key), 12)])
}

func (a *testAPI) invite(acc *account, email, role string) InvitationCreatedDTO {
	a.t.Helper()
	r := a.do(http.MethodPost, Prefix+"/invitations", map[string]any{"email": email, "role": role}, creds{Cookie: acc.Cookie})
	require.Equal(a.t, http.StatusCreated, r.Status, string(r.Body))
	var out InvitationCreatedDTO
	r.JSON(a.t, &out)
	return out
}

func tokenOf(acceptURL string) string {
	u, err := url.Parse(acceptURL)
	if err != nil {
		return ""
	}
	return u.Query().Get("token")
}

func (a *testAPI) accept(inv InvitationCreatedDTO, name string) *account {
	a.t.Helper()
	r := a.do(http.MethodPost, Prefix+"/invitations/accept", map[string]any{
		"token": tokenOf(inv.AcceptURL), "name": name, "password": testPassword,
	}, creds{})
	require.Equal(a.t, http.StatusOK, r.Status, string(r.Body))
	c := r.cookie(SessionCookie)
	require.NotNil(a.t, c)
	acc := &account{Email: inv.Email, Cookie: c.Value}
	r.JSON(a.t, &acc.Me)
	return acc
}

func problemDetail(t *testing.T, r *response) string {
	t.Helper()
	var p struct {
		Detail string `json:"detail"`
	}
	r.JSON(t, &p)
	return p.Detail
}
