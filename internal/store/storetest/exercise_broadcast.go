package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func broadcastCases() []exerciseCase {
	return []exerciseCase{
		{"Broadcast/InsertGetListSave", exerciseBroadcastCRUD},
		{"BroadcastRecipient/SnapshotDueAndMarkOnce", exerciseBroadcastRecipients},
		{"BroadcastAdvance/OnlyWhileRunningInItsGeneration", exerciseBroadcastAdvance},
	}
}

// newBroadcast stores a scheduled broadcast of segmentID to a new workflow
// version.
func (f *fixture) newBroadcast(t *testing.T, tenantID, segmentID uuid.UUID, name string, startsAt time.Time) *domain.Broadcast {
	t.Helper()
	wf := f.newWorkflow(t, tenantID, name+" journey")
	v := f.newVersion(t, wf)
	var b *domain.Broadcast
	f.in(t, tenantID, func(tx store.Tx) {
		var err error
		b, err = tx.BroadcastInsert(f.ctx, &domain.Broadcast{TenantID: tenantID, Name: name, WorkflowID: wf.ID, VersionID: v.ID, Version: v.Version,
			TriggerNodeID: "start", SegmentID: segmentID, Status: domain.BroadcastScheduled, ScheduleMode: domain.BroadcastAt,
			SendAt: "2030-01-02T09:00:00", Timezone: "Europe/Berlin", StartsAt: startsAt, RatePerSecond: 50})
		require.NoError(t, err)
	})
	return b
}

func exerciseBroadcastCRUD(t *testing.T, f *fixture) {
	at := time.Date(2030, 1, 2, 8, 0, 0, 0, time.UTC)
	seg := domain.NewID()
	first := f.newBroadcast(t, f.tenantA.ID, seg, "January", at)
	require.Equal(t, domain.BroadcastScheduled, first.Status)
	require.Equal(t, 1, first.Generation)
	require.True(t, first.StartsAt.Equal(at))
	require.Equal(t, "2030-01-02T09:00:00", first.SendAt)
	require.Equal(t, "Europe/Berlin", first.Timezone)
	require.Nil(t, first.SnapshotAt)
	second := f.newBroadcast(t, f.tenantA.ID, seg, "February", at)
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		list, err := tx.BroadcastList(f.ctx, f.tenantA.ID, 10)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, second.ID, list[0].ID, "newest first")

		b, err := tx.BroadcastLock(f.ctx, f.tenantA.ID, first.ID)
		require.NoError(t, err)
		now := time.Now().UTC().Truncate(time.Millisecond)
		b.Status, b.Generation, b.Total, b.Started, b.Skipped, b.LastError = domain.BroadcastCompleted, 3, 10, 8, 2, "contact gone"
		b.SnapshotAt, b.FinishedAt = &now, &now
		saved, err := tx.BroadcastSave(f.ctx, b)
		require.NoError(t, err)
		got, err := tx.BroadcastGet(f.ctx, f.tenantA.ID, first.ID)
		require.NoError(t, err)
		for _, x := range []*domain.Broadcast{saved, got} {
			require.Equal(t, domain.BroadcastCompleted, x.Status)
			require.Equal(t, []int{3, 10, 8, 2, 10}, []int{x.Generation, x.Total, x.Started, x.Skipped, x.Done()})
			require.Equal(t, "contact gone", x.LastError)
			require.NotNil(t, x.SnapshotAt)
			require.WithinDuration(t, now, *x.FinishedAt, time.Millisecond)
		}
		_, err = tx.BroadcastGet(f.ctx, f.tenantA.ID, domain.NewID())
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		_, err := tx.BroadcastGet(f.ctx, f.tenantB.ID, first.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "another tenant's broadcast")
		_, err = tx.BroadcastLock(f.ctx, f.tenantB.ID, first.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		list, err := tx.BroadcastList(f.ctx, f.tenantB.ID, 10)
		require.NoError(t, err)
		require.Empty(t, list)
	})
}

// exerciseBroadcastAdvance: a turn adds to the counters of a broadcast
// running in its generation and may end it; a broadcast scheduled,
// ended, or of another generation is left alone (ErrConflict).
func exerciseBroadcastAdvance(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	b := f.newBroadcast(t, f.tenantA.ID, domain.NewID(), "Advance", now)
	advance := func(p store.BroadcastAdvanceParams) (*domain.Broadcast, error) {
		var out *domain.Broadcast
		err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
			var err error
			p.TenantID, p.ID = f.tenantA.ID, b.ID
			out, err = tx.BroadcastAdvance(f.ctx, &p)
			return err
		})
		return out, err
	}
	_, err := advance(store.BroadcastAdvanceParams{Generation: 1, Started: 1})
	require.ErrorIs(t, err, store.ErrConflict, "not running yet")
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		b.Status, b.Total = domain.BroadcastRunning, 10
		_, err := tx.BroadcastSave(f.ctx, b)
		require.NoError(t, err)
	})
	got, err := advance(store.BroadcastAdvanceParams{Generation: 1, Started: 3, Skipped: 1, LastError: "contact gone"})
	require.NoError(t, err)
	require.Equal(t, []int{3, 1}, []int{got.Started, got.Skipped})
	require.Equal(t, domain.BroadcastRunning, got.Status)
	require.Equal(t, "contact gone", got.LastError)
	require.Nil(t, got.FinishedAt)
	got, err = advance(store.BroadcastAdvanceParams{Generation: 1, Started: 2})
	require.NoError(t, err)
	require.Equal(t, []int{5, 1}, []int{got.Started, got.Skipped})
	require.Equal(t, "contact gone", got.LastError, "kept when the turn has none")
	_, err = advance(store.BroadcastAdvanceParams{Generation: 2, Started: 1})
	require.ErrorIs(t, err, store.ErrConflict, "another generation")
	got, err = advance(store.BroadcastAdvanceParams{Generation: 1, Started: 4, End: domain.BroadcastCompleted, EndedAt: now})
	require.NoError(t, err)
	require.Equal(t, domain.BroadcastCompleted, got.Status)
	require.Equal(t, 9, got.Started)
	require.NotNil(t, got.FinishedAt)
	require.WithinDuration(t, now, *got.FinishedAt, time.Millisecond)
	_, err = advance(store.BroadcastAdvanceParams{Generation: 1, Started: 1})
	require.ErrorIs(t, err, store.ErrConflict, "ended")
	err = f.s.InTx(f.ctx, f.tenantB.ID, func(tx store.Tx) error {
		_, err := tx.BroadcastAdvance(f.ctx, &store.BroadcastAdvanceParams{TenantID: f.tenantB.ID, ID: b.ID, Generation: 1})
		return err
	})
	require.ErrorIs(t, err, store.ErrConflict, "another tenant's broadcast")
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		cur, err := tx.BroadcastGet(f.ctx, f.tenantA.ID, b.ID)
		require.NoError(t, err)
		require.Equal(t, []int{9, 1}, []int{cur.Started, cur.Skipped})
	})
}

// exerciseBroadcastRecipients: the segment's members become recipients
// due at the start; a timezone's recipients move to their local time;
// due recipients come by due time then ID, in batches; a recipient is
// marked once (a second mark is a conflict and changes nothing); a
// contact erased is no longer a recipient.
func exerciseBroadcastRecipients(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Second)
	ids := f.seedSegmentPeople(t, f.tenantA.ID, now)
	f.seedSegmentPeople(t, f.tenantB.ID, now)
	tokyo := "Asia/Tokyo"
	name := "cy"
	f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: &name, Timezone: &tokyo})
	var seg *domain.Segment
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		seg, err = tx.SegmentInsert(f.ctx, &store.SegmentInsertParams{TenantID: f.tenantA.ID, Name: "PRO",
			Definition: json.RawMessage(`{"attribute":{"key":"plan","op":"eq","value":"PRO"}}`)})
		require.NoError(t, err)
		_, err = tx.SegmentRecompute(f.ctx, &store.SegmentRecomputeParams{TenantID: f.tenantA.ID, SegmentID: seg.ID,
			Condition: mustSegment(t, string(seg.Definition)), Now: now})
		require.NoError(t, err)
	})
	pro := []uuid.UUID{ids["ana"], ids["ben"], ids["dee"], ids["fay"]}
	b := f.newBroadcast(t, f.tenantA.ID, seg.ID, "PRO news", now)
	later := now.Add(time.Hour)
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		n, err := tx.BroadcastRecipientSnapshot(f.ctx, f.tenantA.ID, b.ID, seg.ID, now)
		require.NoError(t, err)
		require.Equal(t, 4, n, "the segment's stored members")
		n, err = tx.BroadcastRecipientSnapshot(f.ctx, f.tenantA.ID, b.ID, seg.ID, now)
		require.NoError(t, err)
		require.Zero(t, n, "taken once")
		tzs, err := tx.BroadcastRecipientTimezones(f.ctx, f.tenantA.ID, b.ID)
		require.NoError(t, err)
		require.Equal(t, []string{""}, tzs, "cy (Tokyo) is not PRO")
	})
	// fay moves to Tokyo: her recipient is due an hour later.
	fay := "fay"
	f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: &fay, Timezone: &tokyo})
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		tzs, err := tx.BroadcastRecipientTimezones(f.ctx, f.tenantA.ID, b.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"", tokyo}, tzs)
		n, err := tx.BroadcastRecipientSetDue(f.ctx, f.tenantA.ID, b.ID, tokyo, later)
		require.NoError(t, err)
		require.Equal(t, 1, n)

		due, err := tx.BroadcastRecipientDue(f.ctx, f.tenantA.ID, b.ID, now, 2)
		require.NoError(t, err)
		first3 := sortedIDs(pro[:3])
		require.Equal(t, first3[:2], recipientIDs(due), "due now, by contact ID, in batches")
		for _, r := range due {
			require.NotNil(t, r.Contact, "with its contact")
			require.Equal(t, r.ContactID, r.Contact.ID)
			require.JSONEq(t, `{"plan":"PRO"}`, string(r.Contact.Attributes))
		}
		exec := domain.NewID()
		require.NoError(t, tx.BroadcastRecipientMark(f.ctx, f.tenantA.ID, b.ID, []store.BroadcastMark{
			{ContactID: due[0].ContactID, ExecutionID: &exec}, {ContactID: due[1].ContactID}}))
		due, err = tx.BroadcastRecipientDue(f.ctx, f.tenantA.ID, b.ID, now, 10)
		require.NoError(t, err)
		require.Equal(t, first3[2:], recipientIDs(due), "the marked ones are not due again")
		next, err := tx.BroadcastRecipientNextDue(f.ctx, f.tenantA.ID, b.ID)
		require.NoError(t, err)
		require.True(t, next.Equal(now), "%v", next)
		pending, started, skipped, err := tx.BroadcastRecipientCount(f.ctx, f.tenantA.ID, b.ID)
		require.NoError(t, err)
		require.Equal(t, []int{2, 1, 1}, []int{pending, started, skipped})
	})
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		return tx.BroadcastRecipientMark(f.ctx, f.tenantA.ID, b.ID, []store.BroadcastMark{{ContactID: sortedIDs(pro[:3])[0]}})
	})
	require.ErrorIs(t, err, store.ErrConflict, "a recipient is handled once")
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		require.NoError(t, tx.BroadcastRecipientMark(f.ctx, f.tenantA.ID, b.ID, []store.BroadcastMark{{ContactID: sortedIDs(pro[:3])[2]}}))
		due, err := tx.BroadcastRecipientDue(f.ctx, f.tenantA.ID, b.ID, later, 10)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{ids["fay"]}, recipientIDs(due), "fay at her local time")
		next, err := tx.BroadcastRecipientNextDue(f.ctx, f.tenantA.ID, b.ID)
		require.NoError(t, err)
		require.True(t, next.Equal(later))
		_, err = tx.ContactErase(f.ctx, f.tenantA.ID, ids["fay"], later)
		require.NoError(t, err)
		next, err = tx.BroadcastRecipientNextDue(f.ctx, f.tenantA.ID, b.ID)
		require.NoError(t, err)
		require.Nil(t, next, "an erased contact is no recipient")
	})
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		due, err := tx.BroadcastRecipientDue(f.ctx, f.tenantB.ID, b.ID, later, 10)
		require.NoError(t, err)
		require.Empty(t, due, "another tenant's recipients")
		n, err := tx.BroadcastRecipientSnapshot(f.ctx, f.tenantB.ID, b.ID, seg.ID, now)
		require.NoError(t, err)
		require.Zero(t, n, "another tenant's segment has no members here")
	})
}

func recipientIDs(rs []store.BroadcastRecipient) []uuid.UUID {
	var out []uuid.UUID
	for _, r := range rs {
		out = append(out, r.ContactID)
	}
	return out
}

func sortedIDs(ids []uuid.UUID) []uuid.UUID {
	out := append([]uuid.UUID(nil), ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].String() < out[i].String() {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
