package storetest_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// monitorRecord collects what a QueryMonitor reports.
type monitorRecord struct {
	mu       sync.Mutex
	log      bytes.Buffer
	queries  map[string]int
	jobs     []string
	messages []string
	tokens   [2]int64
}

func (r *monitorRecord) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.Write(p)
}

func (r *monitorRecord) logText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

func (r *monitorRecord) observed(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queries[name]
}

func newMonitor(rec *monitorRecord) *store.QueryMonitor {
	rec.queries = map[string]int{}
	return &store.QueryMonitor{
		Logger: slog.New(slog.NewJSONHandler(rec, nil)),
		Slow:   time.Nanosecond, // every query is slow
		Observe: func(name string, _ time.Duration, _ bool) {
			rec.mu.Lock()
			rec.queries[name]++
			rec.mu.Unlock()
		},
		ObserveMessage: func(channel, status string) {
			rec.mu.Lock()
			rec.messages = append(rec.messages, channel+"/"+status)
			rec.mu.Unlock()
		},
		ObserveAITokens: func(in, out int64) {
			rec.mu.Lock()
			rec.tokens[0] += in
			rec.tokens[1] += out
			rec.mu.Unlock()
		},
		ObserveJob: func(kind string, _, _ time.Duration, err error) {
			rec.mu.Lock()
			if err == nil {
				rec.jobs = append(rec.jobs, kind)
			}
			rec.mu.Unlock()
		},
	}
}

// repeatArgs is a job that reads its tenant Times times.
type repeatArgs struct {
	TenantID uuid.UUID `json:"tenantId"`
	Times    int       `json:"times"`
}

func (repeatArgs) Kind() string { return "storetest_query_repeat" }

type repeatWorker struct {
	river.WorkerDefaults[repeatArgs]
	s store.Store
}

func (w *repeatWorker) Work(ctx context.Context, job *river.Job[repeatArgs]) error {
	for range job.Args.Times {
		if err := w.s.Read(ctx, job.Args.TenantID, func(tx store.Tx) error {
			_, err := tx.TenantGetByID(ctx, job.Args.TenantID)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func TestQueryMonitor(t *testing.T) {
	t.Parallel()
	for _, backend := range []struct {
		name string
		open func(t testing.TB, opts ...storetest.Option) store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			rec := &monitorRecord{}
			workers := river.NewWorkers()
			worker := &repeatWorker{}
			river.AddWorker(workers, worker)
			s := backend.open(t, storetest.WithMonitor(newMonitor(rec)), storetest.WithQueue(store.QueueConfig{Workers: workers}))
			worker.s = s
			m := newMonitor(rec)
			ctx := context.Background()
			var tenant *domain.Tenant
			require.NoError(t, s.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
				var err error
				tenant, err = tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Monitored", Slug: "monitored-" + uuid.NewString()[:8], Plan: domain.PlanFree})
				return err
			}))

			t.Run("RequestScope", func(t *testing.T) {
				scope := store.NewQueryScope(store.ScopeRequest, "GET /api/v1/monitored")
				scope.SetID("req-monitored")
				scope.SetTenant(tenant.ID)
				rctx := store.WithQueryScope(ctx, scope)
				for range 12 {
					require.NoError(t, s.Read(rctx, tenant.ID, func(tx store.Tx) error {
						_, err := tx.TenantGetByID(rctx, tenant.ID)
						return err
					}))
				}
				// A hand-written statement is named by its verb and table.
				require.NoError(t, s.Read(rctx, tenant.ID, func(tx store.Tx) error {
					_, err := tx.ContactGetByExternalID(rctx, tenant.ID, "nobody")
					require.ErrorIs(t, err, store.ErrNotFound)
					return nil
				}))
				require.Equal(t, 12, scope.Count("TenantGetByID"))
				require.Equal(t, 1, scope.Count("sql:select contacts"))
				require.Equal(t, 0, scope.Count("sql:begin"))
				require.GreaterOrEqual(t, rec.observed("TenantGetByID"), 12)

				reps := m.CheckScope(ctx, scope)
				require.Equal(t, []store.QueryRepeat{{Name: "TenantGetByID", Count: 12}}, reps)
				logs := rec.logText()
				require.Contains(t, logs, `"msg":"slow query","query":"TenantGetByID"`)
				require.Contains(t, logs, `"tenant_id":"`+tenant.ID.String()+`","route":"GET /api/v1/monitored","request_id":"req-monitored"`)
				require.Contains(t, logs, `"msg":"N+1 suspicion: one query repeated in one unit of work","query":"TenantGetByID","count":12,"limit":10`)
			})

			t.Run("MessagesAndTokensOnCommit", func(t *testing.T) {
				boom := errors.New("boom")
				for _, commit := range []bool{false, true} {
					err := s.InTx(ctx, tenant.ID, func(tx store.Tx) error {
						_, created, err := tx.MessageInsert(ctx, &store.MessageInsertParams{TenantID: tenant.ID, Channel: domain.ChannelEmail,
							Recipient: "a@example.com"})
						require.NoError(t, err)
						require.True(t, created)
						inserted, err := tx.AIUsageInsert(ctx, &store.AIUsageInsertParams{TenantID: tenant.ID, Kind: "generate",
							Provider: "openai", Model: "m", Calls: 1, TokensIn: 12, TokensOut: 30})
						require.NoError(t, err)
						require.True(t, inserted)
						if !commit {
							return boom
						}
						return nil
					})
					if !commit {
						require.ErrorIs(t, err, boom)
						continue
					}
					require.NoError(t, err)
				}
				rec.mu.Lock()
				defer rec.mu.Unlock()
				require.Equal(t, []string{"email/queued"}, rec.messages) // the rolled-back one is not counted
				require.Equal(t, [2]int64{12, 30}, rec.tokens)
			})

			t.Run("JobScope", func(t *testing.T) {
				done, cancel := s.Queue().Subscribe(river.EventKindJobCompleted)
				defer cancel()
				require.NoError(t, s.Queue().Start(ctx))
				t.Cleanup(func() { _ = s.Queue().Stop(context.Background()) })
				_, err := s.Queue().Insert(ctx, repeatArgs{TenantID: tenant.ID, Times: 11}, nil)
				require.NoError(t, err)
				select {
				case ev := <-done:
					require.Equal(t, "storetest_query_repeat", ev.Job.Kind)
				case <-time.After(10 * time.Second):
					t.Fatal("job not completed")
				}
				require.Eventually(t, func() bool {
					rec.mu.Lock()
					defer rec.mu.Unlock()
					return len(rec.jobs) == 1 && rec.jobs[0] == "storetest_query_repeat"
				}, 5*time.Second, 10*time.Millisecond)
				logs := rec.logText()
				require.Contains(t, logs, `"query":"TenantGetByID","count":11,"limit":10,"tenant_id":"`+tenant.ID.String()+`","job_kind":"storetest_query_repeat","job_id":"`)
			})
		})
	}
}
