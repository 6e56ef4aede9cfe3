// Package httpbench measures starts that arrive over HTTP, through the
// real API server on a loopback port: webhook requests to a three-node
// journey answered on completion (nextflow bench webhook), and batches of
// events posted to /api/v1/events that start a one-step event journey
// (nextflow bench events). Each request is timed from send to answer.
package httpbench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/api"
	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/ingest"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// server is an API server over a store, on a loopback port, with a tenant.
type server struct {
	st     store.Store
	eng    *engine.Engine
	ingest *ingest.Service
	http   *httptest.Server
	client *http.Client
	tenant uuid.UUID
}

// startServer builds an engine with opts and the API over st and serves it
// on a loopback port. workers, when not nil, gets the engine's workers and
// the queue is started (once per store). ingestGroup, when not nil, is the
// events API's group commit (nil: each request in its own transaction).
func startServer(ctx context.Context, st store.Store, workers *river.Workers, opts engine.Options, tenant uuid.UUID,
	ingestGroup *ingest.GroupCommit) (*server, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if opts.Logger == nil {
		opts.Logger = log
	}
	eng := engine.New(st, opts)
	if workers != nil {
		eng.RegisterWorkers(workers)
		if err := st.Queue().Start(ctx); err != nil {
			return nil, fmt.Errorf("start queue: %w", err)
		}
	}
	authSvc, err := auth.New(auth.Options{Store: st, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	ing := &ingest.Service{Store: st, Log: log, Engine: eng}
	if ingestGroup != nil {
		ing.StartGroupCommit(*ingestGroup)
	}
	deps := &api.Deps{Store: st, Logger: log, Registry: workflow.Default(), Engine: eng, Ingest: ing}
	api.NewAccounts(api.AccountsOptions{Service: authSvc, Logger: log}).Install(deps)
	srv := api.New(*deps)
	s := &server{st: st, eng: eng, ingest: ing, http: httptest.NewServer(srv.Handler()), tenant: tenant}
	s.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: time.Minute}
	return s, nil
}

func (s *server) close() {
	s.http.Close()
	s.ingest.Close()
	s.eng.Close()
}

// apiKey creates an API key of tenantID with scopes and returns its secret.
func apiKey(ctx context.Context, st store.Store, tenantID uuid.UUID, scopes ...string) (string, error) {
	key, prefix, hash, err := auth.NewAPIKey()
	if err != nil {
		return "", err
	}
	err = st.InTx(ctx, tenantID, func(tx store.Tx) error {
		_, err := tx.APIKeyInsert(ctx, &store.APIKeyInsertParams{TenantID: tenantID, ID: domain.NewID(), Name: "bench",
			Prefix: prefix, SecretHash: hash, Scopes: scopes})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create API key: %w", err)
	}
	return key, nil
}

// post sends body to path and returns the status and the answer.
func (s *server) post(ctx context.Context, path string, header http.Header, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.http.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// Phase is the outcome of one measured load.
type Phase struct {
	Name string
	// Requests answered as expected, and those that were not.
	Requests, Errors int
	// Items is what the requests carried (executions for webhooks, events
	// for the events API).
	Items   int
	Elapsed time.Duration
	// P50 and P99 are request latencies, send to answer.
	P50, P99 time.Duration
	// FirstError is the first unexpected answer, if any.
	FirstError string
	// Extra holds figures of the phase's kind (e.g. executions started/s).
	Extra []string
}

// PerSecond is Items per second.
func (p Phase) PerSecond() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Items) / p.Elapsed.Seconds()
}

// String renders the phase on one line.
func (p Phase) String() string {
	s := fmt.Sprintf("%-28s %7d req %8.0f/s  p50 %7.1fms  p99 %7.1fms  errors %d", p.Name, p.Requests,
		p.PerSecond(), ms(p.P50), ms(p.P99), p.Errors)
	if len(p.Extra) > 0 {
		s += "  " + strings.Join(p.Extra, "  ")
	}
	if p.FirstError != "" {
		s += "\n    first error: " + p.FirstError
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// load sends n requests from clients goroutines (paced to rate requests/s
// when rate > 0); do sends request i and reports the items it carried or
// an error.
func load(ctx context.Context, name string, n, clients int, rate float64, do func(ctx context.Context, i int) (int, error)) Phase {
	var (
		next     atomic.Int64
		items    atomic.Int64
		mu       sync.Mutex
		lat      = make([]time.Duration, 0, n)
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	begin := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if rate > 0 {
					due := begin.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
				}
				t0 := time.Now()
				k, err := do(ctx, i)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
				items.Add(int64(k))
			}
		})
	}
	wg.Wait()
	p := Phase{Name: name, Requests: len(lat), Errors: errs, Items: int(items.Load()), Elapsed: time.Since(begin), FirstError: firstErr}
	p.P50, p.P99 = percentiles(lat)
	return p
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return d[len(d)/2], d[min(len(d)-1, len(d)*99/100)]
}
