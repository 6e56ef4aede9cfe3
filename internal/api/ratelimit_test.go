package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

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
		return ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: prefix})
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
	workers := river.NewWorkers()
	st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := live.NewHub()
	eng := engine.New(st, engine.Options{Logger: log, Publisher: hub})
	eng.RegisterWorkers(workers)
	sched := cron.New(st, cron.EngineStart(eng, log), cron.Options{Logger: log})
	sched.RegisterWorkers(workers)
	svc, err := auth.New(auth.Options{Store: st, Logger: log,
		PasswordParams: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	require.NoError(t, err)
	deps := Deps{Store: st, Logger: log, Engine: eng, Live: hub, Scheduler: sched, Lifecycle: sched}
	NewAccounts(AccountsOptions{Service: svc, Logger: log}).Install(&deps)
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
		require.Regexp(t, `^"webhook";r=0;t=\d+$`, r.Header.Get("RateLimit"))
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
		require.Regexp(t, `^"webhook";r=19;t=3600, "webhook-tenant";r=0;t=\d+$`, r.Header.Get("RateLimit"))
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
