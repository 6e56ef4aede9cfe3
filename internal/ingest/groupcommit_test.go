package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/ingest"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// signupJourney starts on every user.signed_up event and ends.
const signupJourney = `{"nodes": [
  {"id": "start", "type": "trigger.event", "config": {"event": "user.signed_up", "reentry": "always"}},
  {"id": "done", "type": "end"}],
 "edges": [{"id": "e1", "source": "start", "target": "done"}]}`

func publishJourney(t *testing.T, st store.Store, tenant uuid.UUID, def string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	wfID := domain.NewID()
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, ID: wfID, Name: "signup", Definition: json.RawMessage(def)}); err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenant, ID: domain.NewID(),
			WorkflowID: wfID, Version: 1, Definition: json.RawMessage(def)})
		if err != nil {
			return err
		}
		if _, err := tx.WorkflowSetCurrentVersion(ctx, tenant, wfID, v.ID, v.Version); err != nil {
			return err
		}
		_, err = tx.WorkflowSetActive(ctx, tenant, wfID, true)
		return err
	}))
	return wfID
}

// gate holds the group commit's first batch until every other request is
// waiting for a runner, so they form one batch behind it, and counts the
// batches and their sizes.
type gate struct {
	release chan struct{}
	once    sync.Once
	batches atomic.Int32
	largest atomic.Int32
}

const (
	testTimeout = 10 * time.Second
	pollEvery   = 10 * time.Millisecond
)

// waitOffered gives the requests started behind a held runner the moment
// they need to reach the collector; nothing shows that they have, and a
// request that arrives later only runs in a batch of its own.
func waitOffered() { time.Sleep(200 * time.Millisecond) }

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) before(n int) {
	if g.batches.Add(1) == 1 {
		<-g.release
	}
	for {
		cur := g.largest.Load()
		if int32(n) <= cur || g.largest.CompareAndSwap(cur, int32(n)) {
			return
		}
	}
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// runTogether runs n calls of f at once behind g: the first one's batch
// waits until the others have been offered (given time to queue).
func runTogether(t *testing.T, g *gate, n int, f func(i int)) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	// The others block offering to the one runner held by the gate;
	// release it once they are all waiting (polling the goroutines is not
	// possible, so wait for the first batch and then give them a moment).
	require.Eventually(t, func() bool { return g.batches.Load() >= 1 }, testTimeout, pollEvery)
	waitOffered()
	g.open()
	wg.Wait()
}

func TestGroupCommitKeepsEachRequestsResult(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			tenant := newTenant(t, st)
			wf := publishJourney(t, st, tenant, signupJourney)
			eng := engine.New(st, engine.Options{})
			t.Cleanup(eng.Close)
			g := newGate()
			svc := &ingest.Service{Store: st, Engine: eng}
			svc.StartGroupCommit(ingest.GroupCommit{Runners: 1, BeforeBatch: g.before})
			t.Cleanup(svc.Close)

			// Request i sends i+1 events of its own contact (one of them a
			// repeat of its first), one bad item, and request 0's first
			// message ID (stored once, by whichever request of the batch
			// comes first).
			const n = 8
			results := make([]ingest.Result, n)
			errs := make([]error, n)
			runTogether(t, g, n, func(i int) {
				items := []ingest.Item{{Contact: contactOf("shared"), Name: "user.signed_up", MessageID: "shared-0"}}
				for j := range i + 1 {
					items = append(items, ingest.Item{Contact: contactOf(fmt.Sprintf("u%d", i)), Name: "user.signed_up",
						MessageID: fmt.Sprintf("r%d-%d", i, j)})
				}
				items = append(items, ingest.Item{Contact: contactOf(fmt.Sprintf("u%d", i)), Name: "user.signed_up", MessageID: fmt.Sprintf("r%d-0", i)})
				items = append(items, ingest.Item{Contact: contactOf(fmt.Sprintf("u%d", i)), Timestamp: "yesterday", Name: "x"})
				results[i], errs[i] = svc.Ingest(context.Background(), tenant, items, ingest.SourceAPI)
			})
			require.Greater(t, g.largest.Load(), int32(1), "requests shared a batch")

			sharedStored := 0
			var started []uuid.UUID
			for i, res := range results {
				require.NoError(t, errs[i])
				require.Equal(t, i+3, res.Accepted, "request %d", i)
				require.Len(t, res.Errors, 1, "request %d", i)
				require.Equal(t, i+3, res.Errors[0].Index, "request %d: its own bad item, by its own index", i)
				require.Equal(t, "timestamp", res.Errors[0].Field)
				require.Equal(t, 2, res.Contacts, "request %d", i)
				own := i + 1
				stored := len(res.Events)
				if stored == own+1 {
					sharedStored++
				} else {
					require.Equal(t, own, stored, "request %d", i)
				}
				require.Equal(t, i+3-stored, res.Duplicates, "request %d", i)
				require.Len(t, res.Started, stored, "request %d: one execution per event it stored", i)
				started = append(started, res.Started...)
				for _, ev := range res.Events {
					if ev.MessageID != "shared-0" {
						require.Contains(t, ev.MessageID, fmt.Sprintf("r%d-", i), "request %d got another's event", i)
					}
				}
			}
			require.Equal(t, 1, sharedStored, "the message ID sent by every request is stored once")
			total := 1 + n*(n+1)/2
			require.Len(t, events(t, st, tenant), total)
			require.Len(t, started, total)
			var count int
			require.NoError(t, st.Read(context.Background(), tenant, func(tx store.Tx) error {
				by, err := tx.ExecutionCountByStatus(context.Background(), tenant, wf)
				for _, c := range by {
					count += c
				}
				return err
			}))
			require.Equal(t, total, count)
		})
	}
}

func TestGroupCommitRefusesOnlyTheConflictingItem(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			tenant := newTenant(t, st)
			svc0 := &ingest.Service{Store: st}
			_, err := svc0.Ingest(context.Background(), tenant, []ingest.Item{
				{Contact: json.RawMessage(`{"externalId":"ada","email":"ada@example.com"}`), Name: "seen"},
			}, ingest.SourceAPI)
			require.NoError(t, err)

			g := newGate()
			svc := &ingest.Service{Store: st, Engine: &recorder{}}
			svc.StartGroupCommit(ingest.GroupCommit{Runners: 1, BeforeBatch: g.before})
			t.Cleanup(svc.Close)
			const n = 6
			results := make([]ingest.Result, n)
			errs := make([]error, n)
			runTogether(t, g, n, func(i int) {
				items := []ingest.Item{{Contact: contactOf(fmt.Sprintf("u%d", i)), Name: "seen"}}
				if i == 3 {
					// Another contact with Ada's email: only this item is refused.
					items = append(items, ingest.Item{Contact: json.RawMessage(`{"externalId":"bob","email":"ada@example.com"}`), Name: "seen"})
				}
				results[i], errs[i] = svc.Ingest(context.Background(), tenant, items, ingest.SourceAPI)
			})
			for i, res := range results {
				require.NoError(t, errs[i])
				require.Equal(t, 1, res.Accepted, "request %d", i)
				if i == 3 {
					require.Len(t, res.Errors, 1)
					require.Equal(t, 1, res.Errors[0].Index)
					require.Contains(t, res.Errors[0].Message, "belongs to another contact")
				} else {
					require.Empty(t, res.Errors, "request %d", i)
				}
			}
			require.Len(t, events(t, st, tenant), 1+n)
		})
	}
}

func TestGroupCommitStoresAMessageIDOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			tenant := newTenant(t, st)
			publishJourney(t, st, tenant, signupJourney)
			eng := engine.New(st, engine.Options{})
			t.Cleanup(eng.Close)
			// Two services over one store stand for two nodes; each groups
			// its own requests.
			var svcs [2]*ingest.Service
			for i := range svcs {
				svcs[i] = &ingest.Service{Store: st, Engine: eng}
				svcs[i].StartGroupCommit(ingest.GroupCommit{})
				t.Cleanup(svcs[i].Close)
			}
			const n = 50
			var wg sync.WaitGroup
			var stored, dups atomic.Int32
			for i := range n {
				wg.Go(func() {
					res, err := svcs[i%2].Ingest(context.Background(), tenant, []ingest.Item{
						{Contact: contactOf("ada"), Name: "user.signed_up", MessageID: "once"},
						{Contact: contactOf(fmt.Sprintf("u%d", i)), Name: "other", MessageID: fmt.Sprintf("m%d", i)},
					}, ingest.SourceAPI)
					require.NoError(t, err)
					require.Equal(t, 2, res.Accepted)
					stored.Add(int32(len(res.Events)))
					dups.Add(int32(res.Duplicates))
					for _, ev := range res.Events {
						if ev.MessageID == "once" {
							require.Len(t, res.Started, 1)
						}
					}
				})
			}
			wg.Wait()
			require.EqualValues(t, n+1, stored.Load())
			require.EqualValues(t, n-1, dups.Load())
			require.Len(t, events(t, st, tenant), n+1)
		})
	}
}
