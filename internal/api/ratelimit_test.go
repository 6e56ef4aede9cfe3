package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/cron"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/execlock/execlocktest"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// limiterKind is how a rate-limit test keeps its counts.
type limiterKind struct {
	name string
	make func(t *testing.T) ratelimit.Limiter
}

var limiterKinds = []limiterKind{
	{"memory", func(*testing.T) ratelimit.Limiter { return ratelimit.NewMemory(ratelimit.MemoryOptions{}) }},
	{"redis", func(t *testing.T) ratelimit.Limiter {
		rdb := execlocktest.Redis(t)
		prefix := "nextflow:test:" + uuid.NewString() + ":ratelimit:"
		t.Cleanup(func() {
			ctx := context.Background()
			if keys, err := rdb.Keys(ctx, prefix+"*").Result(); err == nil && len(keys) > 0 {
				rdb.Del(ctx, keys...)
			}
		})
		// A generous timeout: a timed-out call would be decided in process.
		return ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: prefix, Timeout: 30 * time.Second})
	}},
}

// eachLimited runs fn over every backend with each limiter, on the full
// API with the rate limits installed as app.wire installs them.
func eachLimited(t *testing.T, rules config.RateLimits, fn func(t *testing.T, a *testAPI)) {
	t.Helper()
	for _, b := range backends {
		for _, k := range limiterKinds {
			t.Run(b.name+"/"+k.name, func(t *testing.T) {
				t.Parallel()
				fn(t, newLimitedAPI(t, b.open, k.make(t), rules))
			})
		}
	}
}

func newLimitedAPI(t *testing.T, open func(t *testing.T, opts ...storetest.Option) store.Store, l ratelimit.Limiter, rules config.RateLimits) *testAPI {
	t.Helper()
	return newLimitedAPIWith(t, open, l, rules, nil)
}

// countingStore counts the transactions run through it (the credential
// look-ups, when the accounts service is given it).
type countingStore struct {
	store.Store
	reads, writes atomic.Int64
}

func (c *countingStore) Read(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	c.reads.Add(1)
	return c.Store.Read(ctx, tenantID, fn)
}

func (c *countingStore) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	c.writes.Add(1)
	return c.Store.InTx(ctx, tenantID, fn)
}

// newLimitedAPIWith is newLimitedAPI behind a trusted proxy (tests name
// the client with X-Forwarded-For; without it the client is 192.0.2.1),
// its accounts service on authStore when set.
func newLimitedAPIWith(t *testing.T, open func(t *testing.T, opts ...storetest.Option) store.Store, l ratelimit.Limiter, rules config.RateLimits, authStore *countingStore) *testAPI {
	t.Helper()
	workers := river.NewWorkers()
	st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	var svcStore store.Store = st
	if authStore != nil {
		authStore.Store = st
		svcStore = authStore
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := live.NewHub()
	eng := engine.New(st, engine.Options{Logger: log, Publisher: hub})
	eng.RegisterWorkers(workers)
	sched := cron.New(st, cron.EngineStart(eng, log), cron.Options{Logger: log})
	sched.RegisterWorkers(workers)
	svc, err := auth.New(auth.Options{Store: svcStore, Logger: log,
		PasswordParams: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	require.NoError(t, err)
	deps := Deps{Store: st, Logger: log, Engine: eng, Live: hub, Scheduler: sched, Lifecycle: sched,
		Config: &config.Config{TrustProxy: true}}
	NewAccounts(AccountsOptions{Service: svc, Logger: log, TrustProxy: true}).Install(&deps)
	NewRateLimiter(l, rules, log).Install(&deps)
	srv := New(deps)
	return &testAPI{t: t, srv: srv, handler: srv.Handler(), svc: svc, st: st, hub: hub}
}

// hookDef is a workflow started by an unsigned webhook.
const hookDef = `{"nodes":[
 {"id":"hook","type":"trigger.webhook","config":{},"position":{"x":0,"y":0}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],
 "edges":[{"id":"e1","source":"hook","target":"done"}]}`

// activeHook creates, publishes and activates a webhook workflow and
// returns its webhook path.
func (a *testAPI) activeHook(acc *account, name string) (path string, workflowID uuid.UUID) {
	a.t.Helper()
	c := creds{Cookie: acc.Cookie}
	w := a.createWorkflow(acc, name, hookDef)
	r := a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/publish", nil, c)
	require.Equal(a.t, http.StatusOK, r.Status, r.short())
	r = a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/activate", nil, c)
	require.Equal(a.t, http.StatusOK, r.Status, r.short())
	return fmt.Sprintf("/webhooks/%s/%s", acc.Me.ActiveTenant.ID, w.ID), w.ID
}

// executions counts a workflow's executions in the store.
func (a *testAPI) executions(tenantID, workflowID uuid.UUID) int {
	a.t.Helper()
	ctx := context.Background()
	n := 0
	require.NoError(a.t, a.st.Read(ctx, tenantID, func(tx store.Tx) error {
		counts, err := tx.ExecutionCountByStatus(ctx, tenantID, workflowID)
		for _, c := range counts {
			n += c
		}
		return err
	}))
	return n
}

// flood posts n unsigned webhooks from 8 clients at once and counts the
// answers by status; every answer must carry the rate-limit headers.
func (a *testAPI) flood(path string, n int) map[int]int {
	a.t.Helper()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	for range 8 {
		wg.Go(func() {
			for range work {
				r := a.do(http.MethodPost, path, []byte(`{"n":1}`), creds{NoOrigin: true})
				mu.Lock()
				statuses[r.Status]++
				mu.Unlock()
				if r.Header.Get("RateLimit-Policy") == "" || r.Header.Get("RateLimit") == "" {
					a.t.Errorf("status %d without rate-limit headers: %v", r.Status, r.Header)
				}
				if r.Status == http.StatusTooManyRequests && r.Header.Get("Retry-After") == "" {
					a.t.Errorf("429 without Retry-After")
				}
			}
		})
	}
	wg.Wait()
	return statuses
}

// TestWebhookFloodLimited: 500 rapid unsigned webhook posts start at most
// the burst of executions; the rest are 429 problems naming the limit,
// answered before the body is read or anything is written. Another
// workflow of the tenant is limited only by the tenant's budget; another
// tenant is unaffected.
func TestWebhookFloodLimited(t *testing.T) {
	t.Parallel()
	rules := config.RateLimits{
		Webhook:       ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 20},
		WebhookTenant: ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 30},
	}
	eachLimited(t, rules, func(t *testing.T, a *testAPI) {
		acme := a.signup("owner@acme.test", "Acme")
		hookA, wfA := a.activeHook(acme, "Orders")
		hookB, wfB := a.activeHook(acme, "Refunds")
		hookD, wfD := a.activeHook(acme, "Returns")
		other := a.signup("owner@other.test", "Other")
		hookC, wfC := a.activeHook(other, "Orders")

		got := a.flood(hookA, 500)
		require.Equal(t, 20, got[http.StatusAccepted], "%v", got)
		require.Equal(t, 480, got[http.StatusTooManyRequests], "%v", got)
		require.Equal(t, 20, a.executions(acme.Me.ActiveTenant.ID, wfA), "executions are bounded by the burst")

		r := a.do(http.MethodPost, hookA, []byte(`{}`), creds{NoOrigin: true})
		require.Equal(t, http.StatusTooManyRequests, r.Status)
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
		require.Contains(t, problemDetail(t, r), `rate limit "webhook" reached`)
		require.Equal(t, `"webhook";q=20;w=72000, "webhook-tenant";q=30;w=108000`, r.Header.Get("RateLimit-Policy"))
		require.Regexp(t, `^"webhook";r=0;t=\d+, "webhook-tenant";r=10;t=\d+$`, r.Header.Get("RateLimit"))
		retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
		require.NoError(t, err)
		require.Greater(t, retry, 3000, "one request an hour: the next in about 3,600 s")

		// A refused post is refused before its body is read: an invalid
		// body gets 429, not 400.
		r = a.do(http.MethodPost, hookA, []byte(`not json`), creds{NoOrigin: true})
		require.Equal(t, http.StatusTooManyRequests, r.Status)
		// … and before authentication: a bogus API key is not looked up.
		r = a.do(http.MethodPost, hookA, []byte(`{}`), creds{Key: "nf_bogus"})
		require.Equal(t, http.StatusTooManyRequests, r.Status, r.short())

		// The tenant's other workflow has its own budget, within the
		// tenant's: 30 - 20 left.
		got = a.flood(hookB, 50)
		require.Equal(t, 10, got[http.StatusAccepted], "%v", got)
		require.Equal(t, 10, a.executions(acme.Me.ActiveTenant.ID, wfB))
		// The tenant's budget is spent: a third workflow, untouched, is
		// refused by the tenant's limit.
		r = a.do(http.MethodPost, hookD, []byte(`{}`), creds{NoOrigin: true})
		require.Equal(t, http.StatusTooManyRequests, r.Status)
		require.Contains(t, problemDetail(t, r), `rate limit "webhook-tenant" reached`)
		require.Regexp(t, `^"webhook";r=20;t=0, "webhook-tenant";r=0;t=\d+$`, r.Header.Get("RateLimit"),
			"all or nothing: the tenant's refusal took nothing from the workflow")
		require.Zero(t, a.executions(acme.Me.ActiveTenant.ID, wfD))

		// Another tenant is unaffected.
		r = a.do(http.MethodPost, hookC, []byte(`{}`), creds{NoOrigin: true})
		require.Equal(t, http.StatusAccepted, r.Status, r.short())
		require.Equal(t, `"webhook";r=19;t=3600, "webhook-tenant";r=29;t=3600`, r.Header.Get("RateLimit"))
		require.Equal(t, 1, a.executions(other.Me.ActiveTenant.ID, wfC))
	})
}

// TestAPIBurstLimited: an API client past its tenant's burst gets 429 with
// Retry-After, other tenants do not, and after waiting it is allowed again.
func TestAPIBurstLimited(t *testing.T) {
	t.Parallel()
	rules := config.RateLimits{
		API:    ratelimit.Rule{Rate: 2, Per: time.Second, Burst: 10},
		Public: ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 4},
	}
	eachLimited(t, rules, func(t *testing.T, a *testAPI) {
		// Signing up is a public call: the first two use 2 of the 4.
		acme := a.signup("owner@acme.test", "Acme")
		other := a.signup("owner@other.test", "Other")
		key := a.apiKey(acme, "full")
		list := Prefix + "/workflows"

		var last *response
		allowed, refused := 0, 0
		start := time.Now()
		for range 30 {
			last = a.do(http.MethodGet, list, nil, creds{Key: key})
			if last.Status == http.StatusOK {
				allowed++
				continue
			}
			require.Equal(t, http.StatusTooManyRequests, last.Status, last.short())
			refused++
			if refused == 10 {
				break
			}
		}
		elapsed := time.Since(start)
		// The key's creation took one unit of the burst of 10; one more
		// comes back every 500 ms.
		require.Equal(t, 10, refused)
		require.GreaterOrEqual(t, allowed, 9)
		require.LessOrEqual(t, allowed, 9+int(elapsed/(500*time.Millisecond))+1)
		require.Equal(t, "1", last.Header.Get("Retry-After"))
		require.Equal(t, `"api";q=10;w=5`, last.Header.Get("RateLimit-Policy"))
		require.Equal(t, `"api";r=0;t=1`, last.Header.Get("RateLimit"))
		require.Contains(t, problemDetail(t, last), `rate limit "api" reached: this workspace takes 2 requests per second (bursts of 10)`)

		// Another workspace has its own budget.
		ok := a.do(http.MethodGet, list, nil, creds{Cookie: other.Cookie})
		require.Equal(t, http.StatusOK, ok.Status, ok.short())
		require.Regexp(t, `^"api";r=\d+;t=\d+$`, ok.Header.Get("RateLimit"))

		// After Retry-After, allowed again.
		time.Sleep(time.Second + 50*time.Millisecond)
		r := a.do(http.MethodGet, list, nil, creds{Key: key})
		require.Equal(t, http.StatusOK, r.Status, r.short())

		// Unauthenticated calls are limited per client IP (2 sign-ups used
		// 2 of 4); sign-in is not limited here.
		for range 2 {
			r = a.do(http.MethodPost, Prefix+"/auth/signup", map[string]string{"email": "bad"}, creds{})
			require.NotEqual(t, http.StatusTooManyRequests, r.Status)
		}
		r = a.do(http.MethodPost, Prefix+"/auth/signup", map[string]string{"email": "bad"}, creds{})
		require.Equal(t, http.StatusTooManyRequests, r.Status, r.short())
		require.Contains(t, problemDetail(t, r), `rate limit "public" reached`)
		for range 6 {
			r = a.do(http.MethodPost, Prefix+"/auth/login", map[string]string{"email": "owner@acme.test", "password": testPassword}, creds{})
			require.Equal(t, http.StatusOK, r.Status, r.short())
		}
	})
}

// TestRateLimitsOff: disabled rules send no headers and limit nothing.
func TestRateLimitsOff(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, backends[0].open, ratelimit.NewMemory(ratelimit.MemoryOptions{}), config.RateLimits{})
	acme := a.signup("owner@acme.test", "Acme")
	hook, wf := a.activeHook(acme, "Orders")
	for range 30 {
		r := a.do(http.MethodPost, hook, []byte(`{}`), creds{NoOrigin: true})
		require.Equal(t, http.StatusAccepted, r.Status, r.short())
		require.Empty(t, r.Header.Get("RateLimit-Policy"))
	}
	require.Equal(t, 30, a.executions(acme.Me.ActiveTenant.ID, wf))
}

// from names the client address of a test request (the API trusts the
// proxy in newLimitedAPIWith).
func from(ip string) []string { return []string{"X-Forwarded-For", ip} }

// TestWebhookRandomIDsOneSource: one source posting to random workflow
// IDs of a tenant spends its own per-address budget, not the tenant's:
// other sources still get the workflow's whole budget. A post one limit
// refuses is counted against none of the others.
func TestWebhookRandomIDsOneSource(t *testing.T) {
	t.Parallel()
	rules := config.RateLimits{
		WebhookIP:     ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 10},
		Webhook:       ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 20},
		WebhookTenant: ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 30},
	}
	eachLimited(t, rules, func(t *testing.T, a *testAPI) {
		acme := a.signup("owner@acme.test", "Acme")
		hook, wf := a.activeHook(acme, "Orders")
		hookB, wfB := a.activeHook(acme, "Refunds")
		tenant := acme.Me.ActiveTenant.ID

		statuses := map[int]int{}
		for range 300 {
			r := a.do(http.MethodPost, fmt.Sprintf("/webhooks/%s/%s", tenant, uuid.New()), []byte(`{}`), creds{NoOrigin: true}, from("203.0.113.7")...)
			statuses[r.Status]++
			if r.Status == http.StatusTooManyRequests {
				require.Contains(t, problemDetail(t, r), `rate limit "webhook-ip" reached`)
				require.NotEmpty(t, r.Header.Get("Retry-After"))
			}
		}
		require.Equal(t, map[int]int{http.StatusNotFound: 10, http.StatusTooManyRequests: 290}, statuses)

		// Two other sources use the real workflow's whole budget of 20
		// (the tenant had 30 - 10 left).
		for _, ip := range []string{"198.51.100.1", "198.51.100.2"} {
			for range 10 {
				r := a.do(http.MethodPost, hook, []byte(`{"n":1}`), creds{NoOrigin: true}, from(ip)...)
				require.Equal(t, http.StatusAccepted, r.Status, r.short())
			}
		}
		require.Equal(t, 20, a.executions(tenant, wf))

		// The tenant's budget is now spent: a fourth source's post to
		// another workflow is refused by the tenant's limit and takes
		// nothing from its own address or that workflow.
		for range 5 {
			r := a.do(http.MethodPost, hookB, []byte(`{}`), creds{NoOrigin: true}, from("198.51.100.3")...)
			require.Equal(t, http.StatusTooManyRequests, r.Status, r.short())
			require.Contains(t, problemDetail(t, r), `rate limit "webhook-tenant" reached`)
			require.Equal(t, `"webhook-ip";q=10;w=36000, "webhook";q=20;w=72000, "webhook-tenant";q=30;w=108000`, r.Header.Get("RateLimit-Policy"))
			require.Regexp(t, `^"webhook-ip";r=10;t=0, "webhook";r=20;t=0, "webhook-tenant";r=0;t=\d+$`, r.Header.Get("RateLimit"))
		}
		require.Zero(t, a.executions(tenant, wfB))
	})
}

// TestBogusCredentialsLimited: 200 random, well-formed API keys from one
// address each cost a credential look-up only until the failed-credential
// limit; past it they are answered 429 with Retry-After before any store
// read, as are random session cookies (on public routes too). Other
// addresses, and valid credentials, are unaffected; successes are not
// counted.
func TestBogusCredentialsLimited(t *testing.T) {
	t.Parallel()
	rules := config.RateLimits{AuthFailures: ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 50}}
	for _, b := range backends {
		for _, k := range limiterKinds {
			t.Run(b.name+"/"+k.name, func(t *testing.T) {
				t.Parallel()
				cs := &countingStore{}
				a := newLimitedAPIWith(t, b.open, k.make(t), rules, cs)
				acme := a.signup("owner@acme.test", "Acme")
				key := a.apiKey(acme, "full")
				list := Prefix + "/workflows"
				attacker := from("203.0.113.9")

				var unauthorized, limited int
				var readsAtLimit int64
				for range 200 {
					bogus, _, _, err := auth.NewAPIKey()
					require.NoError(t, err)
					r := a.do(http.MethodGet, list, nil, creds{Key: bogus}, attacker...)
					switch r.Status {
					case http.StatusUnauthorized:
						require.Zero(t, limited, "no 401 after the limit")
						unauthorized++
					case http.StatusTooManyRequests:
						if limited == 0 {
							readsAtLimit = cs.reads.Load()
						}
						limited++
						retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
						require.NoError(t, err)
						require.Greater(t, retry, 3000)
						require.Equal(t, `"auth-failures";q=50;w=180000`, r.Header.Get("RateLimit-Policy"))
						require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
						require.Contains(t, problemDetail(t, r), `rate limit "auth-failures" reached`)
					default:
						t.Fatalf("status %d: %s", r.Status, r.short())
					}
				}
				require.Equal(t, 50, unauthorized)
				require.Equal(t, 150, limited)
				require.Equal(t, readsAtLimit, cs.reads.Load(), "no credential look-up after the limit")

				// Random session cookies, on protected and public routes,
				// and even the valid key, are refused there without a read.
				token, _, err := auth.NewToken()
				require.NoError(t, err)
				for _, r := range []*response{
					a.do(http.MethodGet, list, nil, creds{Cookie: token}, attacker...),
					a.do(http.MethodGet, "/healthz", nil, creds{Cookie: token}, attacker...),
					a.do(http.MethodGet, list, nil, creds{Key: key}, attacker...),
				} {
					require.Equal(t, http.StatusTooManyRequests, r.Status, r.short())
				}
				require.Equal(t, readsAtLimit, cs.reads.Load())
				// Without a credential there is nothing to look up: not limited.
				r := a.do(http.MethodGet, "/healthz", nil, creds{}, attacker...)
				require.Equal(t, http.StatusOK, r.Status, r.short())

				// Another address is unaffected; 100 successes there count
				// nothing against it.
				for range 100 {
					r := a.do(http.MethodGet, list, nil, creds{Key: key}, from("198.51.100.20")...)
					require.Equal(t, http.StatusOK, r.Status, r.short())
				}
				r = a.do(http.MethodGet, list, nil, creds{Cookie: acme.Cookie}, from("198.51.100.20")...)
				require.Equal(t, http.StatusOK, r.Status, r.short())

				// Random session cookies on a public route count too: a
				// third address gets 50 answers, then 429.
				for i := range 60 {
					token, _, err := auth.NewToken()
					require.NoError(t, err)
					r := a.do(http.MethodGet, "/healthz", nil, creds{Cookie: token}, from("198.51.100.30")...)
					if i < 50 {
						require.Equal(t, http.StatusOK, r.Status, r.short())
					} else {
						require.Equal(t, http.StatusTooManyRequests, r.Status, r.short())
					}
				}
			})
		}
	}
}

// TestBogusCredentialsConcurrent: 200 random API keys sent by 8 clients at
// once from one address are looked up at most the burst plus the requests
// in flight when it ran out.
func TestBogusCredentialsConcurrent(t *testing.T) {
	t.Parallel()
	rules := config.RateLimits{AuthFailures: ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 50}}
	for _, k := range limiterKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			cs := &countingStore{}
			a := newLimitedAPIWith(t, backends[0].open, k.make(t), rules, cs)
			before := cs.reads.Load()
			var unauthorized, limited atomic.Int64
			var wg sync.WaitGroup
			work := make(chan struct{}, 200)
			for range 200 {
				work <- struct{}{}
			}
			close(work)
			for range 8 {
				wg.Go(func() {
					for range work {
						bogus, _, _, _ := auth.NewAPIKey()
						r := a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Key: bogus}, from("203.0.113.10")...)
						switch r.Status {
						case http.StatusUnauthorized:
							unauthorized.Add(1)
						case http.StatusTooManyRequests:
							limited.Add(1)
						}
					}
				})
			}
			wg.Wait()
			require.EqualValues(t, 200, unauthorized.Load()+limited.Load())
			require.GreaterOrEqual(t, unauthorized.Load(), int64(50))
			require.LessOrEqual(t, unauthorized.Load(), int64(50+8))
			require.LessOrEqual(t, cs.reads.Load()-before, int64(50+8))
		})
	}
}

// TestOpenAPIDeclaresLimits: every operation declares the 429 and 503 it
// can answer, with Retry-After, and keeps the ones it declared itself.
func TestOpenAPIDeclaresLimits(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, backends[0].open, ratelimit.NewMemory(ratelimit.MemoryOptions{}), config.RateLimits{})
	n := 0
	for path, item := range a.srv.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch} {
			if op == nil {
				continue
			}
			n++
			for _, code := range []string{"429", "503"} {
				resp := op.Responses[code]
				require.NotNil(t, resp, "%s %s: no %s", op.Method, path, code)
				require.NotNil(t, resp.Headers["Retry-After"], "%s %s %s", op.Method, path, code)
				require.NotNil(t, resp.Content["application/problem+json"], "%s %s %s", op.Method, path, code)
			}
			require.NotNil(t, op.Responses["429"].Headers["RateLimit"])
		}
	}
	require.Greater(t, n, 40)
	raw, err := json.Marshal(a.srv.OpenAPI())
	require.NoError(t, err)
	require.Contains(t, string(raw), `"Retry-After"`)
}

// TestClientKey: X-Forwarded-For names the client only behind a trusted
// proxy (else a client could pick a fresh address per request), and IPv6
// clients are keyed by their /64.
func TestClientKey(t *testing.T) {
	t.Parallel()
	op := &huma.Operation{Method: http.MethodPost, Path: "/webhooks/{tenantId}/{id}"}
	ctxFor := func(remote, xff string) huma.Context {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/x/y", nil)
		r.RemoteAddr = remote
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		return humago.NewContext(op, r, httptest.NewRecorder())
	}
	direct := NewRateLimiter(ratelimit.NewMemory(ratelimit.MemoryOptions{}), config.RateLimits{}, nil)
	proxied := NewRateLimiter(ratelimit.NewMemory(ratelimit.MemoryOptions{}), config.RateLimits{}, nil)
	proxied.Install(&Deps{Config: &config.Config{TrustProxy: true}})
	for _, c := range []struct {
		rl          *RateLimiter
		remote, xff string
		want        string
	}{
		{direct, "203.0.113.5:4000", "198.51.100.9", "203.0.113.5"},
		{proxied, "10.0.0.2:4000", "1.2.3.4, 198.51.100.9", "198.51.100.9"},
		{proxied, "10.0.0.2:4000", "not an address", "10.0.0.2"},
		{direct, "[2001:db8:1:2:3:4:5:6]:4000", "", "2001:db8:1:2::/64"},
		{direct, "[::ffff:203.0.113.5]:4000", "", "203.0.113.5"},
	} {
		require.Equal(t, c.want, c.rl.clientKey(ctxFor(c.remote, c.xff)), "%s %s", c.remote, c.xff)
	}
}

// TestAuthFailuresNotCountedForRefusals: a valid session refused for
// another reason (a cross-site write, 403) is no failed credential, so a
// hostile page cannot get its visitors' address blocked; nor is a
// request without any credential looked at.
func TestAuthFailuresNotCountedForRefusals(t *testing.T) {
	t.Parallel()
	rules := config.RateLimits{AuthFailures: ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 3}}
	a := newLimitedAPIWith(t, backends[0].open, ratelimit.NewMemory(ratelimit.MemoryOptions{}), rules, nil)
	acme := a.signup("owner@acme.test", "Acme")
	victim := from("198.51.100.40")
	for range 20 {
		r := a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": "x"}, creds{Cookie: acme.Cookie, Origin: "https://evil.example"}, victim...)
		require.Equal(t, http.StatusForbidden, r.Status, r.short())
		r = a.do(http.MethodGet, Prefix+"/workflows", nil, creds{}, victim...)
		require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
	}
	r := a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Cookie: acme.Cookie}, victim...)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	// Three wrong keys, then the address is refused.
	for range 3 {
		bogus, _, _, err := auth.NewAPIKey()
		require.NoError(t, err)
		r = a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Key: bogus}, victim...)
		require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
	}
	r = a.do(http.MethodGet, Prefix+"/workflows", nil, creds{Cookie: acme.Cookie}, victim...)
	require.Equal(t, http.StatusTooManyRequests, r.Status, r.short())
}
