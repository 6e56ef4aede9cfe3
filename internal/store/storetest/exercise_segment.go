package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func segmentCases() []exerciseCase {
	return []exerciseCase{
		{"Segment/InsertGetListUpdateDelete", exerciseSegmentCRUD},
		{"Segment/TenantIsolation", exerciseSegmentIsolation},
		{"SegmentCount/MatchesHandComputedAudience", exerciseSegmentMatches},
		{"SegmentRecompute/EnterAndExitAsWindowsPass", exerciseSegmentRecompute},
		{"SegmentRecompute/OneContact", exerciseSegmentRecomputeOne},
		{"SegmentRecompute/ChunksWithCursor", exerciseSegmentChunks},
	}
}

// segmentPeople are the contacts of the matching cases: name → plan,
// email consent, age (days since created) and order.completed events
// (days ago).
var segmentPeople = []struct {
	name    string
	plan    any
	consent string
	orders  []int
	opened  []int
}{
	{"ana", "PRO", domain.SubscriptionSubscribed, []int{1, 5, 20}, []int{1}},
	{"ben", "PRO", domain.SubscriptionSubscribed, []int{3, 40}, nil},
	{"cy", "FREE", domain.SubscriptionSubscribed, []int{1, 2}, nil},
	{"dee", "PRO", domain.SubscriptionUnsubscribed, []int{2, 29}, []int{20}},
	{"eve", 7.0, "", nil, nil},
	{"fay", "PRO", "", []int{10, 11, 12}, []int{2}},
}

func (f *fixture) seedSegmentPeople(t *testing.T, tenantID uuid.UUID, now time.Time) map[string]uuid.UUID {
	t.Helper()
	ids := map[string]uuid.UUID{}
	for _, p := range segmentPeople {
		name, email := p.name, p.name+"@example.com"
		attrs, err := json.Marshal(map[string]any{"plan": p.plan})
		require.NoError(t, err)
		up := &store.ContactUpsertParams{TenantID: tenantID, ExternalID: &name, Email: &email, Name: &name, Attributes: attrs}
		if p.consent != "" {
			up.Subscriptions = map[string]domain.Subscription{"email": {State: p.consent, Source: "api", At: now}}
		}
		c, _ := f.upsertContact(t, up)
		ids[p.name] = c.ID
		var evs []store.EventInsert
		add := func(event string, days []int) {
			for _, d := range days {
				evs = append(evs, store.EventInsert{ContactID: c.ID, Name: event, MessageID: uuid.NewString(),
					OccurredAt: now.Add(-time.Duration(d)*24*time.Hour + time.Minute), ReceivedAt: now})
			}
		}
		add("order.completed", p.orders)
		add("app.opened", p.opened)
		if len(evs) > 0 {
			f.in(t, tenantID, func(tx store.Tx) {
				_, err := tx.EventInsertMany(f.ctx, &store.EventInsertManyParams{TenantID: tenantID, Events: evs})
				require.NoError(t, err)
			})
		}
	}
	return ids
}

func mustSegment(t *testing.T, def string) *store.SegmentCondition {
	t.Helper()
	c, err := store.ParseSegmentDefinition(json.RawMessage(def))
	require.NoError(t, err)
	return c
}

func (f *fixture) segmentNames(t *testing.T, tenantID uuid.UUID, def string, now time.Time) []string {
	t.Helper()
	var names []string
	f.read(t, tenantID, func(tx store.Tx) {
		cond := mustSegment(t, def)
		n, err := tx.SegmentCount(f.ctx, tenantID, cond, now)
		require.NoError(t, err)
		cs, err := tx.SegmentSample(f.ctx, tenantID, cond, now, 100)
		require.NoError(t, err)
		require.Len(t, cs, n, "count and sample agree")
		for _, c := range cs {
			names = append(names, c.Name)
		}
	})
	slices.Sort(names)
	return names
}

func exerciseSegmentCRUD(t *testing.T, f *fixture) {
	def := json.RawMessage(`{"attribute":{"key":"plan","op":"eq","value":"PRO"}}`)
	var s *domain.Segment
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		s, err = tx.SegmentInsert(f.ctx, &store.SegmentInsertParams{TenantID: f.tenantA.ID, Name: "Pro", Description: "paying", Definition: def})
		require.NoError(t, err)
		require.Equal(t, "Pro", s.Name)
		require.Nil(t, s.ComputedAt)
		require.JSONEq(t, string(def), string(s.Definition))
	})
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		_, err := tx.SegmentInsert(f.ctx, &store.SegmentInsertParams{TenantID: f.tenantA.ID, Name: "Pro", Definition: def})
		return err
	})
	require.ErrorIs(t, err, store.ErrConflict, "names are unique per tenant")
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.SegmentInsert(f.ctx, &store.SegmentInsertParams{TenantID: f.tenantA.ID, Name: "Active", Definition: def})
		require.NoError(t, err)
		got, err := tx.SegmentGet(f.ctx, f.tenantA.ID, s.ID)
		require.NoError(t, err)
		require.Equal(t, "paying", got.Description)
		list, err := tx.SegmentList(f.ctx, f.tenantA.ID)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "Active", list[0].Name, "by name")
		upd, err := tx.SegmentUpdate(f.ctx, &store.SegmentUpdateParams{TenantID: f.tenantA.ID, ID: s.ID, Name: "Pro plan",
			Definition: json.RawMessage(`{"field":{"field":"email","op":"exists"}}`)})
		require.NoError(t, err)
		require.Equal(t, "Pro plan", upd.Name)
		require.Empty(t, upd.Description)
		require.NoError(t, tx.SegmentDelete(f.ctx, f.tenantA.ID, s.ID))
		_, err = tx.SegmentGet(f.ctx, f.tenantA.ID, s.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, tx.SegmentDelete(f.ctx, f.tenantA.ID, s.ID), store.ErrNotFound)
		_, err = tx.SegmentUpdate(f.ctx, &store.SegmentUpdateParams{TenantID: f.tenantA.ID, ID: s.ID, Name: "x", Definition: def})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func exerciseSegmentIsolation(t *testing.T, f *fixture) {
	now := time.Now().UTC()
	f.seedSegmentPeople(t, f.tenantA.ID, now)
	var s *domain.Segment
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		s, err = tx.SegmentInsert(f.ctx, &store.SegmentInsertParams{TenantID: f.tenantA.ID, Name: "All",
			Definition: json.RawMessage(`{"field":{"field":"email","op":"exists"}}`)})
		require.NoError(t, err)
		ch, err := tx.SegmentRecompute(f.ctx, &store.SegmentRecomputeParams{TenantID: f.tenantA.ID, SegmentID: s.ID, Condition: mustSegment(t, string(s.Definition)), Now: now})
		require.NoError(t, err)
		require.Equal(t, len(segmentPeople), ch.Members)
	})
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		_, err := tx.SegmentGet(f.ctx, f.tenantB.ID, s.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		list, err := tx.SegmentList(f.ctx, f.tenantB.ID)
		require.NoError(t, err)
		require.Empty(t, list)
		require.ErrorIs(t, tx.SegmentDelete(f.ctx, f.tenantB.ID, s.ID), store.ErrNotFound)
		_, err = tx.SegmentRecompute(f.ctx, &store.SegmentRecomputeParams{TenantID: f.tenantB.ID, SegmentID: s.ID, Condition: mustSegment(t, string(s.Definition)), Now: now})
		require.ErrorIs(t, err, store.ErrNotFound)
		n, err := tx.SegmentCount(f.ctx, f.tenantB.ID, mustSegment(t, string(s.Definition)), now)
		require.NoError(t, err)
		require.Zero(t, n, "tenant B has no contacts")
		ids, err := tx.SegmentMemberList(f.ctx, f.tenantB.ID, s.ID, uuid.Nil, 100)
		require.NoError(t, err)
		require.Empty(t, ids)
	})
}

func exerciseSegmentMatches(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Second)
	f.seedSegmentPeople(t, f.tenantA.ID, now)
	f.seedSegmentPeople(t, f.tenantB.ID, now) // same people elsewhere: never counted
	cases := []struct {
		name, def string
		want      []string
	}{
		{"attribute", `{"attribute":{"key":"plan","op":"eq","value":"PRO"}}`, []string{"ana", "ben", "dee", "fay"}},
		{"number attribute", `{"attribute":{"key":"plan","op":"gte","value":5}}`, []string{"eve"}},
		{"not", `{"not":{"attribute":{"key":"plan","op":"eq","value":"PRO"}}}`, []string{"cy", "eve"}},
		{"consent", `{"subscription":{"channel":"email","state":"subscribed"}}`, []string{"ana", "ben", "cy"}},
		{"never subscribed", `{"subscription":{"channel":"email","state":"never"}}`, []string{"eve", "fay"}},
		// Hand count of order.completed in the last 30 days: ana 3, ben 1,
		// cy 2, dee 2, eve 0, fay 3.
		{"at least 2 in 30 days", `{"performed":{"event":"order.completed","op":"gte","count":2,"withinSeconds":2592000}}`, []string{"ana", "cy", "dee", "fay"}},
		{"PRO and at least 2 in 30 days", `{"all":[{"attribute":{"key":"plan","op":"eq","value":"PRO"}},
			{"performed":{"event":"order.completed","op":"gte","count":2,"withinSeconds":2592000}}]}`, []string{"ana", "dee", "fay"}},
		{"ever, exactly 2", `{"performed":{"event":"order.completed","op":"eq","count":2}}`, []string{"ben", "cy", "dee"}},
		// app.opened in the last 14 days: ana (1 day), fay (2 days).
		{"did not open in 14 days", `{"performed":{"event":"app.opened","op":"eq","count":0,"withinSeconds":1209600}}`, []string{"ben", "cy", "dee", "eve"}},
		{"any", `{"any":[{"attribute":{"key":"plan","op":"eq","value":"FREE"}},{"field":{"field":"name","op":"eq","value":"eve"}}]}`, []string{"cy", "eve"}},
		{"created within a day", `{"time":{"field":"createdAt","withinSeconds":86400}}`, []string{"ana", "ben", "cy", "dee", "eve", "fay"}},
		{"never seen counts as older", `{"time":{"field":"lastSeenAt","olderThanSeconds":60}}`, []string{"ana", "ben", "cy", "dee", "eve", "fay"}},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, f.segmentNames(t, f.tenantA.ID, tc.def, now), tc.name)
	}
}

func exerciseSegmentRecompute(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Second)
	ids := f.seedSegmentPeople(t, f.tenantA.ID, now)
	name := func(id uuid.UUID) string {
		for n, v := range ids {
			if v == id {
				return n
			}
		}
		return id.String()
	}
	names := func(xs []uuid.UUID) []string {
		out := []string{}
		for _, x := range xs {
			out = append(out, name(x))
		}
		slices.Sort(out)
		return out
	}
	def := `{"all":[{"attribute":{"key":"plan","op":"eq","value":"PRO"}},
		{"performed":{"event":"order.completed","op":"gte","count":2,"withinSeconds":2592000}}]}`
	var s *domain.Segment
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		s, err = tx.SegmentInsert(f.ctx, &store.SegmentInsertParams{TenantID: f.tenantA.ID, Name: "Loyal PRO", Definition: json.RawMessage(def)})
		require.NoError(t, err)
	})
	recompute := func(at time.Time) *store.SegmentChange {
		var ch *store.SegmentChange
		f.in(t, f.tenantA.ID, func(tx store.Tx) {
			var err error
			ch, err = tx.SegmentRecompute(f.ctx, &store.SegmentRecomputeParams{TenantID: f.tenantA.ID, SegmentID: s.ID, Condition: mustSegment(t, def), Now: at})
			require.NoError(t, err)
		})
		return ch
	}
	ch := recompute(now)
	require.Equal(t, []string{"ana", "dee", "fay"}, names(ch.Entered))
	require.Empty(t, ch.Exited)
	require.Equal(t, 3, ch.Members)

	again := recompute(now)
	require.Empty(t, again.Entered, "a second computation changes nothing")
	require.Empty(t, again.Exited)

	// Ten days on, orders in the window: ana 3 (11, 15 and 30 days less a
	// minute), fay 3 (20-22), dee 1 (12; the 39-day one fell out): dee
	// leaves.
	later := recompute(now.Add(10 * 24 * time.Hour))
	require.Equal(t, []string{"dee"}, names(later.Exited))
	require.Empty(t, later.Entered)
	require.Equal(t, 2, later.Members)

	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.SegmentGet(f.ctx, f.tenantA.ID, s.ID)
		require.NoError(t, err)
		require.Equal(t, 2, got.MemberCount)
		require.NotNil(t, got.ComputedAt)
		members, err := tx.SegmentMemberList(f.ctx, f.tenantA.ID, s.ID, uuid.Nil, 100)
		require.NoError(t, err)
		require.Equal(t, []string{"ana", "fay"}, names(members))
		first, err := tx.SegmentMemberList(f.ctx, f.tenantA.ID, s.ID, uuid.Nil, 1)
		require.NoError(t, err)
		rest, err := tx.SegmentMemberList(f.ctx, f.tenantA.ID, s.ID, first[0], 100)
		require.NoError(t, err)
		require.Len(t, rest, 1, "pages by contact ID")
		in, err := tx.SegmentIsMember(f.ctx, f.tenantA.ID, s.ID, ids["dee"])
		require.NoError(t, err)
		require.False(t, in)
	})

	// Erasing a member takes it out of the membership.
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.ContactErase(f.ctx, f.tenantA.ID, ids["ana"], now)
		require.NoError(t, err)
		in, err := tx.SegmentIsMember(f.ctx, f.tenantA.ID, s.ID, ids["ana"])
		require.NoError(t, err)
		require.False(t, in)
	})
}

func exerciseSegmentRecomputeOne(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Second)
	ids := f.seedSegmentPeople(t, f.tenantA.ID, now)
	def := `{"performed":{"event":"order.completed","op":"gte","count":3,"withinSeconds":2592000}}`
	var s *domain.Segment
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		s, err = tx.SegmentInsert(f.ctx, &store.SegmentInsertParams{TenantID: f.tenantA.ID, Name: "Three orders", Definition: json.RawMessage(def)})
		require.NoError(t, err)
		ch, err := tx.SegmentRecompute(f.ctx, &store.SegmentRecomputeParams{TenantID: f.tenantA.ID, SegmentID: s.ID, Condition: mustSegment(t, def), Now: now})
		require.NoError(t, err)
		require.ElementsMatch(t, []uuid.UUID{ids["ana"], ids["fay"]}, ch.Entered)
	})
	// cy orders a third time; re-evaluating only cy adds only cy, even
	// though a full run at this time would also have other changes to make.
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.EventInsertMany(f.ctx, &store.EventInsertManyParams{TenantID: f.tenantA.ID, Events: []store.EventInsert{
			{ContactID: ids["cy"], Name: "order.completed", MessageID: uuid.NewString(), OccurredAt: now, ReceivedAt: now}}})
		require.NoError(t, err)
		ch, err := tx.SegmentRecompute(f.ctx, &store.SegmentRecomputeParams{TenantID: f.tenantA.ID, SegmentID: s.ID,
			Condition: mustSegment(t, def), Now: now.Add(25 * 24 * time.Hour), ContactIDs: []uuid.UUID{ids["cy"], ids["eve"]}})
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{ids["cy"]}, ch.Entered)
		require.Empty(t, ch.Exited, "ana and fay were not looked at")
		require.Equal(t, 3, ch.Members)
	})
	// Stale segments: computed before the horizon, or never.
	var fresh *domain.Segment
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		var err error
		fresh, err = tx.SegmentInsert(f.ctx, &store.SegmentInsertParams{TenantID: f.tenantB.ID, Name: "New", Definition: json.RawMessage(def)})
		require.NoError(t, err)
	})
	f.system(t, func(tx store.Tx) {
		stale, err := tx.SegmentListStale(f.ctx, now, 10)
		require.NoError(t, err)
		require.Len(t, stale, 1, "never computed, across tenants")
		require.Equal(t, fresh.ID, stale[0].ID)
		// Re-evaluating some contacts is not a computation of the whole
		// segment: it stays as stale as its last whole computation.
		stale, err = tx.SegmentListStale(f.ctx, now.Add(time.Second), 10)
		require.NoError(t, err)
		require.Len(t, stale, 2)
		require.Equal(t, fresh.ID, stale[0].ID, "never computed first")
	})
}

// exerciseSegmentChunks computes a membership in chunks of two contacts,
// each in its own transaction with the cursor recorded as a crash would
// leave it, and checks it equals the whole computation, then that a later
// chunked run diffs against the stored membership.
func exerciseSegmentChunks(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Second)
	ids := f.seedSegmentPeople(t, f.tenantA.ID, now)
	def := `{"all":[{"attribute":{"key":"plan","op":"eq","value":"PRO"}},
		{"performed":{"event":"order.completed","op":"gte","count":2,"withinSeconds":2592000}}]}`
	var s *domain.Segment
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		s, err = tx.SegmentInsert(f.ctx, &store.SegmentInsertParams{TenantID: f.tenantA.ID, Name: "Loyal PRO", Definition: json.RawMessage(def)})
		require.NoError(t, err)
	})
	run := func(at time.Time) (entered, exited []uuid.UUID, chunks, members int) {
		for {
			end := false
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				seg, err := tx.SegmentLock(f.ctx, f.tenantA.ID, s.ID)
				require.NoError(t, err)
				began := at
				if seg.ComputeStartedAt != nil {
					began = *seg.ComputeStartedAt
				} else {
					require.Equal(t, uuid.Nil, seg.ComputeCursor)
				}
				ch, err := tx.SegmentRecompute(f.ctx, &store.SegmentRecomputeParams{TenantID: f.tenantA.ID, SegmentID: s.ID,
					Condition: mustSegment(t, def), Now: at, Chunk: &store.SegmentChunk{After: seg.ComputeCursor, Limit: 2}})
				require.NoError(t, err)
				entered, exited, chunks = append(entered, ch.Entered...), append(exited, ch.Exited...), chunks+1
				for _, id := range append(slices.Clone(ch.Entered), ch.Exited...) {
					require.Greater(t, id.String(), seg.ComputeCursor.String(), "after the cursor")
					if !ch.End {
						require.LessOrEqual(t, id.String(), ch.Last.String(), "up to the chunk's last contact")
					}
				}
				if ch.End {
					members, err = tx.SegmentComputeFinish(f.ctx, f.tenantA.ID, s.ID, began)
					require.NoError(t, err)
					end = true
					return
				}
				require.NotEqual(t, uuid.Nil, ch.Last)
				require.NoError(t, tx.SegmentComputeProgress(f.ctx, f.tenantA.ID, s.ID, began, ch.Last))
			})
			if end {
				return entered, exited, chunks, members
			}
		}
	}
	entered, exited, chunks, members := run(now)
	require.ElementsMatch(t, []uuid.UUID{ids["ana"], ids["dee"], ids["fay"]}, entered)
	require.Empty(t, exited)
	require.Equal(t, 3, members)
	require.GreaterOrEqual(t, chunks, 3, "six contacts, two a chunk (the last chunk may be empty)")
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.SegmentGet(f.ctx, f.tenantA.ID, s.ID)
		require.NoError(t, err)
		require.Nil(t, got.ComputeStartedAt, "no computation in progress")
		require.Equal(t, uuid.Nil, got.ComputeCursor)
		require.NotNil(t, got.ComputedAt)
		require.True(t, got.ComputedAt.Equal(now))
		require.Equal(t, 3, got.MemberCount)
	})

	// Ten days on, dee's older order falls out of the window: a chunked
	// run takes only dee out.
	entered, exited, _, members = run(now.Add(10 * 24 * time.Hour))
	require.Empty(t, entered)
	require.Equal(t, []uuid.UUID{ids["dee"]}, exited)
	require.Equal(t, 2, members)

	// An edit starts a computation in progress over.
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		require.NoError(t, tx.SegmentComputeProgress(f.ctx, f.tenantA.ID, s.ID, now, ids["ana"]))
		got, err := tx.SegmentUpdate(f.ctx, &store.SegmentUpdateParams{TenantID: f.tenantA.ID, ID: s.ID, Name: "Loyal PRO", Definition: json.RawMessage(def)})
		require.NoError(t, err)
		require.Nil(t, got.ComputeStartedAt)
		require.Equal(t, uuid.Nil, got.ComputeCursor)
	})

	// A chunk's limit is bounded.
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.SegmentRecompute(f.ctx, &store.SegmentRecomputeParams{TenantID: f.tenantA.ID, SegmentID: s.ID,
			Condition: mustSegment(t, def), Now: now, Chunk: &store.SegmentChunk{Limit: store.SegmentMaxChunk + 1}})
		require.Error(t, err)
	})
}
