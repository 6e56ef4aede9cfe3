package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// signupDef is the journey: trigger.event(user.signed_up) →
// wait_for_event(user.activated, correlated by signup_id, 1h timeout) →
// condition on contact.attributes → end. reentry is the trigger's policy.
func signupDef(reentry string) string {
	return fmt.Sprintf(`{"nodes": [
  {"id": "start", "type": "trigger.event", "config": {"event": "user.signed_up", "filter": "trigger.event.properties.?source.orValue('') != 'spam' && contact.externalId != ''", "reentry": %q}},
  {"id": "activated", "type": "wait_for_event", "config": {"event": "user.activated", "timeout": "1h", "correlationKey": "signup_id"}},
  {"id": "pro", "type": "condition", "config": {"expression": "contact.attributes.plan == 'pro'"}},
  {"id": "tag", "type": "set_attribute", "config": {"target": "vars", "attributes": {"tier": "'pro'", "activatedWith": "steps.activated.output.event.properties.signup_id"}}},
  {"id": "nudge", "type": "set_attribute", "config": {"target": "vars", "attributes": {"nudged": "true"}}},
  {"id": "done", "type": "end"}],
 "edges": [
  {"id": "e1", "source": "start", "target": "activated"},
  {"id": "e2", "source": "activated", "sourceHandle": "event", "target": "pro"},
  {"id": "e3", "source": "activated", "sourceHandle": "timeout", "target": "nudge"},
  {"id": "e4", "source": "pro", "sourceHandle": "true", "target": "tag"},
  {"id": "e5", "source": "pro", "sourceHandle": "false", "target": "done"},
  {"id": "e6", "source": "tag", "target": "done"},
  {"id": "e7", "source": "nudge", "target": "done"}]}`, reentry)
}

// newContact upserts a contact with an external ID and attributes.
func (b *bundle) newContact(t *testing.T, externalID, attributes string) *domain.Contact {
	t.Helper()
	ctx := context.Background()
	var c *domain.Contact
	require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
		var err error
		c, _, err = tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: b.tenant, ExternalID: &externalID, Attributes: json.RawMessage(attributes)})
		return err
	}))
	return c
}

// event builds an incoming event of contact c.
func (b *bundle) event(c *domain.Contact, name, props string) IncomingEvent {
	id := domain.NewID()
	now := time.Now().UTC()
	return IncomingEvent{Contact: c, Event: domain.Event{ID: id, TenantID: b.tenant, ContactID: c.ID, Name: name,
		Properties: json.RawMessage(props), OccurredAt: now, ReceivedAt: now, MessageID: "m-" + id.String()}}
}

// send hands evs to EventTx in one transaction.
func (b *bundle) send(t *testing.T, evs ...IncomingEvent) EventResult {
	t.Helper()
	ctx := context.Background()
	var res EventResult
	require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
		var err error
		res, err = b.eng.EventTx(ctx, tx, evs)
		return err
	}))
	return res
}

func TestEventJourneyResumesOnCorrelatedEventOnly(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		wf := b.publish(t, signupDef(""))
		// A workflow whose filter fails at run time starts nothing and fails
		// nothing else.
		b.publish(t, `{"nodes": [{"id": "s", "type": "trigger.event", "config": {"event": "user.signed_up", "filter": "trigger.event.properties.nope.deeper == 1", "reentry": "always"}},
		  {"id": "done", "type": "end"}], "edges": [{"id": "e1", "source": "s", "target": "done"}]}`)
		ann := b.newContact(t, "ann", `{"plan": "pro"}`)
		bob := b.newContact(t, "bob", `{"plan": "free"}`)

		res := b.send(t, b.event(ann, "user.signed_up", `{"signup_id": "s1"}`), b.event(bob, "user.signed_up", `{"signup_id": "s1", "source": "spam"}`))
		require.Len(t, res.Started, 1, "bob's spam signup is filtered out")
		require.Empty(t, res.Resumed)
		exec, _ := b.waitFor(t, res.Started[0], domain.ExecutionWaiting)
		require.Equal(t, wf, exec.WorkflowID)
		require.Equal(t, &ann.ID, exec.ContactID)
		require.Equal(t, "trigger.event", exec.TriggerType)
		ctxm := contextOf(t, exec)
		trig := ctxm["trigger"].(map[string]any)
		require.Equal(t, "user.signed_up", trig["event"].(map[string]any)["name"])
		require.Equal(t, "ann", ctxm["contact"].(map[string]any)["externalId"])

		// one_at_a_time: no second entry while ann's execution waits.
		require.Empty(t, b.send(t, b.event(ann, "user.signed_up", `{"signup_id": "s2"}`)).Started)

		// Wrong correlation value, other contact, other property name:
		// nothing resumes.
		require.Empty(t, b.send(t, b.event(ann, "user.activated", `{"signup_id": "s2"}`)).Resumed)
		require.Empty(t, b.send(t, b.event(bob, "user.activated", `{"signup_id": "s1"}`)).Resumed)
		require.Empty(t, b.send(t, b.event(ann, "user.activated", `{"other_id": "s1"}`)).Resumed)
		still, _ := b.get(t, exec.ID)
		require.Equal(t, domain.ExecutionWaiting, still.Status)

		res = b.send(t, b.event(ann, "user.activated", `{"signup_id": "s1", "via": "email"}`))
		require.Equal(t, []uuid.UUID{exec.ID}, res.Resumed)
		require.Empty(t, res.Started)
		done, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "activated", "pro", "tag", "done"}, nodeIDs(steps), describe(steps))
		require.Equal(t, "event", steps[1].Handle)
		vars := contextOf(t, done)["vars"].(map[string]any)
		require.Equal(t, "pro", vars["tier"])
		require.Equal(t, "s1", vars["activatedWith"])

		// The same event again resumes nothing; ann may enter again now.
		require.Empty(t, b.send(t, b.event(ann, "user.activated", `{"signup_id": "s1"}`)).Resumed)
		again := b.send(t, b.event(ann, "user.signed_up", `{"signup_id": "s3"}`))
		require.Len(t, again.Started, 1)
		require.NotEqual(t, exec.ID, again.Started[0])
	})
}

func TestEventWaitTimeoutTakesTimeoutHandle(t *testing.T) {
	t.Parallel()
	// The engine's clock runs two hours behind while the execution parks,
	// so its one-hour timeout is already past when the clock is set right.
	eachBackend(t, func(t *testing.T, open storeOpener) {
		var offset atomic.Int64
		offset.Store(int64(-2 * time.Hour))
		clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		workers := river.NewWorkers()
		st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
		b := newBundle(t, st, workers, func(o *Options) { o.Clock = clock })
		b.publish(t, signupDef("once"))
		cat := b.newContact(t, "cat", `{"plan": "pro"}`)
		res := b.send(t, b.event(cat, "user.signed_up", `{"signup_id": 7}`))
		require.Len(t, res.Started, 1)
		exec, _ := b.waitFor(t, res.Started[0], domain.ExecutionWaiting)
		require.NotNil(t, exec.WakeAt, "a one-hour timeout is kept on the row")

		n, err := b.eng.SweepWakeups(context.Background())
		require.NoError(t, err)
		require.Zero(t, n, "not due yet by the engine's clock")
		offset.Store(0)
		n, err = b.eng.SweepWakeups(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		done, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "activated", "nudge", "done"}, nodeIDs(steps), describe(steps))
		require.Equal(t, "timeout", steps[1].Handle)
		require.Equal(t, true, contextOf(t, done)["vars"].(map[string]any)["nudged"])

		// A late activation resumes nothing, and `once` lets cat in no more.
		require.Empty(t, b.send(t, b.event(cat, "user.activated", `{"signup_id": 7}`)).Resumed)
		require.Empty(t, b.send(t, b.event(cat, "user.signed_up", `{"signup_id": 8}`)).Started)
	})
}

func TestEventReentryPolicies(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		always := b.publish(t, signupDef("always"))
		dan := b.newContact(t, "dan", `{}`)
		// Three signups of dan in one batch: `always` starts three.
		res := b.send(t, b.event(dan, "user.signed_up", `{"signup_id": "a"}`), b.event(dan, "user.signed_up", `{"signup_id": "b"}`),
			b.event(dan, "user.signed_up", `{"signup_id": "c"}`))
		require.Len(t, res.Started, 3)
		// Deactivated, it starts nothing; the index sees it at once.
		ctx := context.Background()
		require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			_, err := tx.WorkflowSetActive(ctx, b.tenant, always, false)
			return err
		}))
		require.Empty(t, b.send(t, b.event(dan, "user.signed_up", `{"signup_id": "d"}`)).Started)

		// one_at_a_time in one batch: one start.
		b.publish(t, signupDef("one_at_a_time"))
		res = b.send(t, b.event(dan, "user.signed_up", `{"signup_id": "e"}`), b.event(dan, "user.signed_up", `{"signup_id": "f"}`))
		require.Len(t, res.Started, 1)
		var entry *domain.JourneyEntry
		require.NoError(t, b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
			exec, err := tx.ExecutionGetByID(ctx, b.tenant, res.Started[0])
			if err != nil {
				return err
			}
			entry, err = tx.JourneyEntryGet(ctx, b.tenant, exec.WorkflowID, dan.ID)
			return err
		}))
		require.Equal(t, &res.Started[0], entry.ExecutionID)
		require.Equal(t, "one_at_a_time", entry.Reentry)
	})
}

// TestEventConcurrentOneAtATime sends 50 copies of one event (different
// message IDs) from goroutines through two engines on one PostgreSQL
// store: exactly one execution starts under one_at_a_time.
func TestEventConcurrentOneAtATime(t *testing.T) {
	t.Parallel()
	workers := river.NewWorkers()
	st := storetest.Postgres(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	b := newBundle(t, st, workers)
	other := New(st, Options{})
	t.Cleanup(other.Close)
	wf := b.publish(t, signupDef(""))
	eve := b.newContact(t, "eve", `{}`)
	ctx := context.Background()
	var (
		wg      sync.WaitGroup
		started atomic.Int64
	)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eng := b.eng
			if i%2 == 1 {
				eng = other
			}
			ev := b.event(eve, "user.signed_up", `{"signup_id": "s1"}`)
			err := st.InTx(ctx, b.tenant, func(tx store.Tx) error {
				res, err := eng.EventTx(ctx, tx, []IncomingEvent{ev})
				if err == nil {
					started.Add(int64(len(res.Started)))
				}
				return err
			})
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	require.EqualValues(t, 1, started.Load())
	var n int
	require.NoError(t, st.Read(ctx, b.tenant, func(tx store.Tx) error {
		execs, err := tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: b.tenant, WorkflowID: &wf})
		n = len(execs)
		return err
	}))
	require.Equal(t, 1, n)
}

// TestEventResumesManualStartByInputCorrelation: a wait of an execution
// started by hand (no contact) correlates on a field of its input; any
// contact's event with that property value resumes it, numbers compared as
// they print.
func TestEventResumesManualStartByInputCorrelation(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		// waitDef reads the event's total under properties, as an event
		// stored through EventTx holds it.
		def := strings.Replace(fmt.Sprintf(waitDef, "1h"), "steps.paid.output.event.total", "steps.paid.output.event.properties.total", 1)
		wf := b.publish(t, def)
		exec := b.start(t, wf, `{"order_id": 42}`)
		b.waitFor(t, exec.ID, domain.ExecutionWaiting)
		fay := b.newContact(t, "fay", `{}`)
		require.Empty(t, b.send(t, b.event(fay, "order.paid", `{"order_id": 43, "total": 1}`)).Resumed)
		require.Empty(t, b.send(t, b.event(fay, "order.shipped", `{"order_id": 42}`)).Resumed)
		res := b.send(t, b.event(fay, "order.paid", `{"order_id": 42.0, "total": 5}`))
		require.Equal(t, []uuid.UUID{exec.ID}, res.Resumed)
		done, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "paid", "thanks", "done"}, nodeIDs(steps))
		require.EqualValues(t, 5, contextOf(t, done)["vars"].(map[string]any)["paid"])
		require.Contains(t, string(steps[1].Output), `"name":"order.paid"`)
	})
}

// TestEventStartPinsCurrentVersion: an event starts the current version,
// with its number as the active versions list it (the start does not read
// the version row), also after a newer version is published.
func TestEventStartPinsCurrentVersion(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		def := `{"nodes": [{"id": "start", "type": "trigger.event", "config": {"event": "order.paid", "reentry": "always"}},
  {"id": "done", "type": "end"}], "edges": [{"id": "e1", "source": "start", "target": "done"}]}`
		wf := b.publish(t, def)
		ada := b.newContact(t, "ada", `{}`)
		version := func(id uuid.UUID) (uuid.UUID, int) {
			ctx := context.Background()
			var exec *domain.Execution
			require.NoError(t, b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
				var err error
				exec, err = tx.ExecutionGetByID(ctx, b.tenant, id)
				return err
			}))
			require.Equal(t, domain.ExecutionCompleted, exec.Status)
			return exec.VersionID, exec.Version
		}
		res := b.send(t, b.event(ada, "order.paid", `{}`))
		require.Len(t, res.Started, 1)
		_, n := version(res.Started[0])
		require.Equal(t, 1, n)

		v3 := b.publishVersion(t, wf, 3, def)
		res = b.send(t, b.event(ada, "order.paid", `{}`), b.event(ada, "order.paid", `{}`))
		require.Len(t, res.Started, 2)
		for _, id := range res.Started {
			vid, n := version(id)
			require.Equal(t, v3, vid)
			require.Equal(t, 3, n)
		}
	})
}

// TestRawEventViewIsEventView checks that the event a start receives
// without its properties being decoded is the event eventView gives: the
// same JSON value (byte for byte where the properties' keys are already in
// order), and that properties eventView would replace are left to it.
func TestRawEventViewIsEventView(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 10, 0, 0, 123456000, time.FixedZone("x", 3600))
	for _, props := range []string{
		``,
		`{}`,
		`{"a":1,"b":"<x & y>","c":[1,2.5,{"d":null}],"e":true}`,
		`{"z": 1, "a": {"y": "é\u00e9", "b": 12345678}}`,
		"  {\"spaced\" : [ 1 , 2 ] }\n",
	} {
		ev := &domain.Event{ID: domain.NewID(), Name: "order.completed", Properties: json.RawMessage(props),
			OccurredAt: at, MessageID: "m<1>"}
		view, err := eventView(ev)
		require.NoError(t, err)
		want := mustJSON(view)
		got := rawEventView(ev)
		require.NotNil(t, got, props)
		require.JSONEq(t, string(want), string(got), props)
		if !strings.Contains(props, `"z"`) {
			require.Equal(t, string(want), string(got), props)
		}
	}
	for _, props := range []string{`null`, `[1]`, `"s"`, `{"a":`} {
		require.Nil(t, rawEventView(&domain.Event{ID: domain.NewID(), Name: "n", Properties: json.RawMessage(props)}), props)
	}
}
