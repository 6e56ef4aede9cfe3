package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestExecutionViewShowsEffectAttempts: the execution view says, for a
// side-effect step, under which idempotency key its call was made and how
// many times it was attempted; other steps carry no effect.
func TestExecutionViewShowsEffectAttempts(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int64
			var key atomic.Value
			sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				key.Store(r.Header.Get("Idempotency-Key"))
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"ok":true}`))
			}))
			t.Cleanup(sink.Close)

			workers := river.NewWorkers()
			st := b.open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			hub := live.NewHub()
			eng := engine.New(st, engine.Options{Logger: log, Publisher: hub,
				HTTP: engine.HTTPOptions{Allow: []string{"127.0.0.1"}, AnyPort: true}})
			eng.RegisterWorkers(workers)
			a := newTestAPIDeps(t, st, Deps{Engine: eng, Live: hub})
			require.NoError(t, st.Queue().Start(context.Background()))
			t.Cleanup(func() { _ = st.Queue().Stop(context.Background()) })

			owner := a.signup("owner@example.com", "Acme")
			oc := creds{Cookie: owner.Cookie}
			w := a.createWorkflow(owner, "Calls", fmt.Sprintf(`{"nodes":[
			 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
			 {"id":"call","type":"http.request","config":{"method":"POST","url":"%s/hook","timeout":"5s"},"position":{"x":0,"y":100}},
			 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
			 "edges":[{"id":"e1","source":"start","target":"call"},{"id":"e2","source":"call","target":"done"}]}`, sink.URL))
			require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/publish", nil, oc).Status)
			r := a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/executions", map[string]any{"input": map[string]any{}}, oc)
			require.Equal(t, http.StatusAccepted, r.Status, r.short())
			var started ExecutionDTO
			r.JSON(t, &started)

			var got ExecutionDTO
			require.Eventually(t, func() bool {
				r := a.do(http.MethodGet, Prefix+"/executions/"+started.ID.String(), nil, oc)
				if r.Status != http.StatusOK {
					return false
				}
				got = ExecutionDTO{}
				r.JSON(t, &got)
				return got.Status == "COMPLETED"
			}, 20*time.Second, 50*time.Millisecond)
			require.EqualValues(t, 1, calls.Load())
			var effects int
			for _, s := range got.Steps {
				if s.NodeID != "call" {
					require.Nil(t, s.Effect, "step %s is no side effect", s.NodeID)
					continue
				}
				effects++
				require.NotNil(t, s.Effect)
				require.Equal(t, key.Load(), s.Effect.IdempotencyKey)
				require.Equal(t, 1, s.Effect.Attempts)
				require.EqualValues(t, "DONE", s.Effect.Status)
				require.NotNil(t, s.Effect.LastAttemptAt)
			}
			require.Equal(t, 1, effects)
		})
	}
}
