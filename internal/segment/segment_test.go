package segment

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
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

var backends = []struct {
	name string
	open func(t testing.TB, opts ...storetest.Option) store.Store
}{
	{"sqlite", func(t testing.TB, opts ...storetest.Option) store.Store { return storetest.SQLite(t, opts...) }},
	{"postgres", func(t testing.TB, opts ...storetest.Option) store.Store { return storetest.Postgres(t, opts...) }},
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	st     store.Store
	svc    *Service
	eng    *engine.Engine
	hook   *EventHook
	tenant uuid.UUID
	clock  *clock
}

// newHarness runs a real engine and queue over st with the segment jobs.
func newHarness(t *testing.T, open func(t testing.TB, opts ...storetest.Option) store.Store) *harness {
	t.Helper()
	ctx := context.Background()
	workers := river.NewWorkers()
	h := &harness{clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	h.st = open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	h.eng = engine.New(h.st, engine.Options{})
	h.eng.RegisterWorkers(workers)
	h.svc = New(h.st, Options{Engine: h.eng, Now: h.clock.now})
	h.svc.RegisterWorkers(workers)
	h.hook = &EventHook{Next: h.eng}
	require.NoError(t, h.st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanPro})
		h.tenant = tn.ID
		return err
	}))
	require.NoError(t, h.st.Queue().Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.st.Queue().Stop(ctx)
		h.eng.Close()
	})
	return h
}

func (h *harness) contact(t *testing.T, name, plan string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, h.st.InTx(context.Background(), h.tenant, func(tx store.Tx) error {
		attrs := json.RawMessage(fmt.Sprintf(`{"plan":%q}`, plan))
		c, _, err := tx.ContactUpsert(context.Background(), &store.ContactUpsertParams{TenantID: h.tenant, ExternalID: &name, Name: &name, Attributes: attrs})
		if err != nil {
			return err
		}
		id = c.ID
		return nil
	}))
	return id
}

// track stores an event through the hook, as the events API does.
func (h *harness) track(t *testing.T, contactID uuid.UUID, name string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		evs, err := tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: h.tenant, Events: []store.EventInsert{
			{ContactID: contactID, Name: name, MessageID: uuid.NewString(), OccurredAt: at, ReceivedAt: at}}})
		if err != nil {
			return err
		}
		_, err = h.hook.EventTx(ctx, tx, []engine.IncomingEvent{{Event: evs[0]}})
		return err
	}))
}

func (h *harness) segment(t *testing.T) *domain.Segment {
	t.Helper()
	var s *domain.Segment
	require.NoError(t, h.st.Read(context.Background(), h.tenant, func(tx store.Tx) error {
		segs, err := tx.SegmentList(context.Background(), h.tenant)
		if err == nil && len(segs) == 1 {
			s = &segs[0]
		}
		return err
	}))
	return s
}

func (h *harness) membershipEvents(t *testing.T) map[string][]uuid.UUID {
	t.Helper()
	out := map[string][]uuid.UUID{}
	require.NoError(t, h.st.Read(context.Background(), h.tenant, func(tx store.Tx) error {
		for _, name := range []string{EventEntered, EventExited} {
			evs, err := tx.EventList(context.Background(), &store.EventListParams{TenantID: h.tenant, Name: name, Limit: 100})
			if err != nil {
				return err
			}
			for _, ev := range evs {
				out[name] = append(out[name], ev.ContactID)
			}
		}
		return nil
	}))
	return out
}

// publishOnEntered publishes a journey that segment.entered starts for
// this segment only.
func (h *harness) publishOnEntered(t *testing.T, segmentID uuid.UUID) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	def := fmt.Sprintf(`{"nodes":[
	 {"id":"start","type":%q,"config":{"event":%q,"reentry":"always","filter":"trigger.event.properties.segmentId == '%s'"},"position":{"x":0,"y":0}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],
	 "edges":[{"id":"e1","source":"start","target":"done"}]}`, workflow.TypeTriggerEvent, EventEntered, segmentID)
	wfID := domain.NewID()
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: h.tenant, ID: wfID, Name: "welcome to the segment", Definition: json.RawMessage(def)}); err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: h.tenant, ID: domain.NewID(), WorkflowID: wfID, Version: 1, Definition: json.RawMessage(def)})
		if err != nil {
			return err
		}
		if _, err := tx.WorkflowSetCurrentVersion(ctx, h.tenant, wfID, v.ID, v.Version); err != nil {
			return err
		}
		_, err = tx.WorkflowSetActive(ctx, h.tenant, wfID, true)
		return err
	}))
	return wfID
}

// TestMembershipFollowsEventsAndTime: a segment "PRO and at least 2
// orders in the last 30 days" is computed when created (no events for
// its first members); a second order moves a contact in within the
// event's own job and starts the journey listening for segment.entered;
// 31 days on, the periodic refresh moves both out (segment.exited).
func TestMembershipFollowsEventsAndTime(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, b.open)
			ctx := context.Background()
			now := h.clock.now()
			ana, ben, cy := h.contact(t, "ana", "PRO"), h.contact(t, "ben", "PRO"), h.contact(t, "cy", "FREE")
			for _, c := range []uuid.UUID{ana, ana, ben, cy, cy} {
				h.track(t, c, "order.completed", now.Add(-time.Hour))
			}
			seg, err := h.svc.Create(ctx, h.tenant, Input{Name: "Loyal PRO", Definition: json.RawMessage(`{"all":[
				{"attribute":{"key":"plan","op":"eq","value":"PRO"}},
				{"performed":{"event":"order.completed","op":"gte","count":2,"withinSeconds":2592000}}]}`)}, nil)
			require.NoError(t, err)
			require.Eventually(t, func() bool {
				s := h.segment(t)
				return s.ComputedAt != nil && s.MemberCount == 1
			}, 20*time.Second, 20*time.Millisecond, "first computation: ana")
			require.Empty(t, h.membershipEvents(t), "the first computation records no events")

			wf := h.publishOnEntered(t, seg.ID)
			h.track(t, ben, "order.completed", now)
			require.Eventually(t, func() bool { return h.segment(t).MemberCount == 2 }, 20*time.Second, 20*time.Millisecond, "ben enters")
			require.Equal(t, []uuid.UUID{ben}, h.membershipEvents(t)[EventEntered])
			require.Eventually(t, func() bool {
				var n int
				require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
					es, err := tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: h.tenant, WorkflowID: &wf, Limit: 10})
					for _, e := range es {
						if e.Status == domain.ExecutionCompleted && e.ContactID != nil && *e.ContactID == ben {
							n++
						}
					}
					return err
				}))
				return n == 1
			}, 20*time.Second, 20*time.Millisecond, "the journey ran for ben")

			h.clock.add(31 * 24 * time.Hour)
			require.NoError(t, h.svc.Refresh(ctx, time.Hour))
			require.Eventually(t, func() bool { return h.segment(t).MemberCount == 0 }, 20*time.Second, 20*time.Millisecond, "the window passed")
			require.ElementsMatch(t, []uuid.UUID{ana, ben}, h.membershipEvents(t)[EventExited])
		})
	}
}

// TestInputRefusedWithReason: bad definitions are refused with what is
// wrong and write nothing.
func TestInputRefusedWithReason(t *testing.T) {
	t.Parallel()
	h := newHarness(t, backends[0].open)
	ctx := context.Background()
	cases := []struct{ name, def, want string }{
		{"Empty", `{}`, "exactly one of"},
		{"Bad op", `{"attribute":{"key":"plan","op":"like","value":"x"}}`, `attribute operator "like"`},
		{"Deep", `{"not":{"not":{"not":{"not":{"not":{"not":{"field":{"field":"email","op":"exists"}}}}}}}}`, "deeper than 5"},
		{"Window", `{"performed":{"event":"x","op":"gte","count":1,"withinSeconds":-5}}`, "all.performed"},
		{"Not JSON", `[`, "invalid segment"},
		{"", `{"field":{"field":"email","op":"exists"}}`, "name is required"},
	}
	for _, tc := range cases {
		_, err := h.svc.Create(ctx, h.tenant, Input{Name: tc.name, Definition: json.RawMessage(tc.def)}, nil)
		require.ErrorIs(t, err, ErrInvalid, tc.name)
		if tc.name != "Window" {
			require.ErrorContains(t, err, tc.want, tc.name)
		}
	}
	require.Nil(t, h.segment(t), "nothing written")
	n, sample, err := h.svc.Preview(ctx, h.tenant, json.RawMessage(`{"field":{"field":"email","op":"exists"}}`), 5)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Empty(t, sample)
}
