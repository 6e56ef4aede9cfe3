package broadcast

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

var backends = []struct {
	name string
	open func(t testing.TB, opts ...storetest.Option) store.Store
}{
	{"sqlite", func(t testing.TB, opts ...storetest.Option) store.Store { return storetest.SQLite(t, opts...) }},
	{"postgres", func(t testing.TB, opts ...storetest.Option) store.Store { return storetest.Postgres(t, opts...) }},
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type harness struct {
	st       store.Store
	svc      *Service
	tenant   uuid.UUID
	workflow uuid.UUID
	segment  uuid.UUID
	clock    *clock
}

// newHarness stores a tenant, a published journey and a segment "PRO"
// whose members are the contacts contacts adds; the queue is not worked:
// tests run the broadcast's turns with Step.
func newHarness(t *testing.T, open func(t testing.TB, opts ...storetest.Option) store.Store, contacts map[string]string) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{clock: &clock{t: time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)}}
	workers := river.NewWorkers()
	h.st = open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	eng := engine.New(h.st, engine.Options{})
	t.Cleanup(eng.Close)
	eng.RegisterWorkers(workers)
	h.svc = New(h.st, Options{Engine: eng, Now: h.clock.now})
	h.svc.RegisterWorkers(workers)
	require.NoError(t, h.st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanPro})
		h.tenant = tn.ID
		return err
	}))
	def := json.RawMessage(`{"nodes":[{"id":"hook","type":"trigger.webhook","config":{}},{"id":"start","type":"trigger.manual","config":{}},{"id":"done","type":"end","config":{}}],
	 "edges":[{"id":"e1","source":"start","target":"done"},{"id":"e2","source":"hook","target":"done"}]}`)
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		h.workflow = domain.NewID()
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: h.tenant, ID: h.workflow, Name: "news", Definition: def}); err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: h.tenant, ID: domain.NewID(), WorkflowID: h.workflow, Version: 1, Definition: def})
		if err != nil {
			return err
		}
		if _, err := tx.WorkflowSetCurrentVersion(ctx, h.tenant, h.workflow, v.ID, v.Version); err != nil {
			return err
		}
		for name, tz := range contacts {
			p := &store.ContactUpsertParams{TenantID: h.tenant, ExternalID: &name, Attributes: json.RawMessage(`{"plan":"PRO"}`)}
			if tz != "" {
				p.Timezone = &tz
			}
			if _, _, err := tx.ContactUpsert(ctx, p); err != nil {
				return err
			}
		}
		seg, err := tx.SegmentInsert(ctx, &store.SegmentInsertParams{TenantID: h.tenant, Name: "PRO", Definition: json.RawMessage(`{"attribute":{"key":"plan","op":"eq","value":"PRO"}}`)})
		if err != nil {
			return err
		}
		h.segment = seg.ID
		var cond store.SegmentCondition
		if err := json.Unmarshal(seg.Definition, &cond); err != nil {
			return err
		}
		_, err = tx.SegmentRecompute(ctx, &store.SegmentRecomputeParams{TenantID: h.tenant, SegmentID: seg.ID, Condition: &cond, Now: h.clock.now()})
		return err
	}))
	return h
}

// started maps each contact's external ID to its executions of the
// journey.
func (h *harness) started(t *testing.T) map[string]int {
	t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
		es, err := tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: h.tenant, WorkflowID: &h.workflow, Limit: 500})
		if err != nil {
			return err
		}
		for _, e := range es {
			c, err := tx.ContactGetByID(ctx, h.tenant, *e.ContactID)
			if err != nil {
				return err
			}
			out[*c.ExternalID]++
		}
		return nil
	}))
	return out
}

func (h *harness) create(t *testing.T, in Input) *domain.Broadcast {
	t.Helper()
	in.WorkflowID, in.SegmentID = h.workflow, h.segment
	if in.Name == "" {
		in.Name = "news"
	}
	b, err := h.svc.Create(context.Background(), h.tenant, in, nil)
	require.NoError(t, err)
	return b
}

func (h *harness) step(t *testing.T, b *domain.Broadcast) (time.Duration, bool) {
	t.Helper()
	cur, err := h.svc.Get(context.Background(), h.tenant, b.ID)
	require.NoError(t, err)
	wait, done, err := h.svc.Step(context.Background(), RunArgs{TenantID: h.tenant, BroadcastID: b.ID, Generation: cur.Generation})
	require.NoError(t, err)
	return wait, done
}

// TestContactLocalTime: 09:00 on 2030-06-02 in each contact's timezone —
// Tokyo (UTC+9) first, then the broadcast's Europe/Berlin (UTC+2 in June)
// for contacts with none or an unknown one, then New York (UTC-4) — each
// contact started once, at its time, from the manual trigger.
func TestContactLocalTime(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, b.open, map[string]string{"tokyo": "Asia/Tokyo", "ny": "America/New_York", "none": "", "mars": "Mars/Olympus", "berlin": "Europe/Berlin"})
			bc := h.create(t, Input{ScheduleMode: "contact_local", SendAt: "2030-06-02T09:00", Timezone: "Europe/Berlin", RatePerSecond: 1000})
			require.Equal(t, domain.BroadcastScheduled, bc.Status)
			require.True(t, bc.StartsAt.Equal(time.Date(2030, 6, 1, 19, 0, 0, 0, time.UTC)), "09:00 at UTC+14: %v", bc.StartsAt)

			wait, done := h.step(t, bc)
			require.False(t, done)
			require.Equal(t, 19*time.Hour, wait, "not before the earliest local time")
			require.Empty(t, h.started(t))

			at := func(hour int) time.Time { return time.Date(2030, 6, 2, hour, 0, 0, 0, time.UTC) }
			h.clock.set(bc.StartsAt)
			wait, done = h.step(t, bc)
			require.False(t, done)
			require.Equal(t, at(0).Sub(bc.StartsAt), wait, "Tokyo's 09:00 is 00:00 UTC")
			got, err := h.svc.Get(context.Background(), h.tenant, bc.ID)
			require.NoError(t, err)
			require.Equal(t, domain.BroadcastRunning, got.Status)
			require.Equal(t, 5, got.Total)

			h.clock.set(at(0))
			wait, _ = h.step(t, bc)
			require.Equal(t, map[string]int{"tokyo": 1}, h.started(t))
			require.Equal(t, 7*time.Hour, wait, "Berlin's 09:00 is 07:00 UTC")
			h.clock.set(at(7))
			wait, _ = h.step(t, bc)
			require.Equal(t, map[string]int{"tokyo": 1, "none": 1, "mars": 1, "berlin": 1}, h.started(t))
			require.Equal(t, 6*time.Hour, wait, "New York's 09:00 is 13:00 UTC")
			h.clock.set(at(13))
			_, done = h.step(t, bc)
			require.True(t, done)
			require.Equal(t, map[string]int{"tokyo": 1, "none": 1, "mars": 1, "berlin": 1, "ny": 1}, h.started(t))
			got, err = h.svc.Get(context.Background(), h.tenant, bc.ID)
			require.NoError(t, err)
			require.Equal(t, domain.BroadcastCompleted, got.Status)
			require.Equal(t, []int{5, 5, 0}, []int{got.Total, got.Started, got.Skipped})
		})
	}
}

// TestRateAndExactlyOnce: a rate of 3 per second takes 3 recipients a
// turn and waits about a second between turns; turns run at once from
// several goroutines (as jobs on several nodes would) still start every
// contact exactly once; a pause ends the job's generation, a resume
// continues where it stopped.
func TestRateAndExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			people := map[string]string{}
			for i := range 20 {
				people[fmt.Sprintf("c%02d", i)] = ""
			}
			h := newHarness(t, b.open, people)
			ctx := context.Background()
			bc := h.create(t, Input{RatePerSecond: 3})
			wait, done := h.step(t, bc)
			require.False(t, done)
			require.InDelta(t, float64(time.Second), float64(wait), float64(500*time.Millisecond))
			require.Len(t, h.started(t), 3, "a second's worth")

			_, err := h.svc.Pause(ctx, h.tenant, bc.ID, nil)
			require.NoError(t, err)
			_, done, err = h.svc.Step(ctx, RunArgs{TenantID: h.tenant, BroadcastID: bc.ID, Generation: 1})
			require.NoError(t, err)
			require.True(t, done, "paused")
			_, err = h.svc.Resume(ctx, h.tenant, bc.ID, nil)
			require.NoError(t, err)
			_, done, err = h.svc.Step(ctx, RunArgs{TenantID: h.tenant, BroadcastID: bc.ID, Generation: 1})
			require.NoError(t, err)
			require.True(t, done, "the generation before the resume ends")
			require.Len(t, h.started(t), 3)

			var wg sync.WaitGroup
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						_, done, err := h.svc.Step(ctx, RunArgs{TenantID: h.tenant, BroadcastID: bc.ID, Generation: 2})
						if err != nil {
							// SQLite's busy writer or a serialization retry: try again.
							continue
						}
						if done {
							return
						}
					}
				}()
			}
			wg.Wait()
			got := h.started(t)
			require.Len(t, got, 20)
			for c, n := range got {
				require.Equal(t, 1, n, c)
			}
			final, err := h.svc.Get(ctx, h.tenant, bc.ID)
			require.NoError(t, err)
			require.Equal(t, domain.BroadcastCompleted, final.Status)
			require.Equal(t, []int{20, 20, 20}, []int{final.Total, final.Started, final.Done()})
		})
	}
}

// TestContactLocalTimeAlreadyPassed: created at 08:00 UTC on 2030-06-02
// for 09:00 that day, Tokyo's 09:00 (00:00 UTC) and Berlin's (07:00 UTC)
// had passed: those contacts get 09:00 on the next day, not a start at
// once; New York's (13:00 UTC) is still ahead and stays that day.
func TestContactLocalTimeAlreadyPassed(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, b.open, map[string]string{"tokyo": "Asia/Tokyo", "ny": "America/New_York", "berlin": "Europe/Berlin"})
			h.clock.set(time.Date(2030, 6, 2, 8, 0, 0, 0, time.UTC))
			bc := h.create(t, Input{ScheduleMode: "contact_local", SendAt: "2030-06-02T09:00", Timezone: "Europe/Berlin", RatePerSecond: 1000})
			wait, done := h.step(t, bc)
			require.False(t, done)
			require.Empty(t, h.started(t), "no one is started at once")
			require.Equal(t, 5*time.Hour, wait, "New York's 09:00 (13:00 UTC) comes first")

			h.clock.set(time.Date(2030, 6, 2, 13, 0, 0, 0, time.UTC))
			wait, _ = h.step(t, bc)
			require.Equal(t, map[string]int{"ny": 1}, h.started(t))
			require.Equal(t, 11*time.Hour, wait, "Tokyo's 09:00 on June 3 is 00:00 UTC")
			h.clock.set(time.Date(2030, 6, 3, 0, 0, 0, 0, time.UTC))
			wait, _ = h.step(t, bc)
			require.Equal(t, map[string]int{"ny": 1, "tokyo": 1}, h.started(t))
			require.Equal(t, 7*time.Hour, wait, "Berlin's 09:00 on June 3 is 07:00 UTC")
			h.clock.set(time.Date(2030, 6, 3, 7, 0, 0, 0, time.UTC))
			_, done = h.step(t, bc)
			require.True(t, done)
			require.Equal(t, map[string]int{"ny": 1, "tokyo": 1, "berlin": 1}, h.started(t))
		})
	}
}

// TestFailedWhenWorkflowDeleted: a broadcast whose workflow is deleted
// mid-run ends failed with the reason at its next turn, starting no one
// more; a failed broadcast cannot be cancelled or resumed.
func TestFailedWhenWorkflowDeleted(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			people := map[string]string{}
			for i := range 6 {
				people[fmt.Sprintf("c%02d", i)] = ""
			}
			h := newHarness(t, b.open, people)
			ctx := context.Background()
			bc := h.create(t, Input{RatePerSecond: 3})
			_, done := h.step(t, bc)
			require.False(t, done)
			require.Len(t, h.started(t), 3)
			require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
				return tx.WorkflowDelete(ctx, h.tenant, h.workflow)
			}))
			_, done = h.step(t, bc)
			require.True(t, done)
			got, err := h.svc.Get(ctx, h.tenant, bc.ID)
			require.NoError(t, err)
			require.Equal(t, 3, got.Started, "no one more")
			require.Equal(t, domain.BroadcastFailed, got.Status)
			require.Equal(t, "the workflow was deleted", got.LastError)
			require.NotNil(t, got.FinishedAt)
			_, err = h.svc.Cancel(ctx, h.tenant, bc.ID, nil)
			require.ErrorIs(t, err, ErrState)
			_, err = h.svc.Resume(ctx, h.tenant, bc.ID, nil)
			require.ErrorIs(t, err, ErrState)
		})
	}
}
