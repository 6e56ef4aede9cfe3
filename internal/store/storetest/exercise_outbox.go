package storetest

import (
	"time"

	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func outboxCases() []exerciseCase {
	return []exerciseCase{
		{"OutboxAttempt/CountsEachAttemptInItsOwnCommit", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			st := f.newStep(t, c.e, 1, "send", domain.StepRunning)
			st2 := f.newStep(t, c.e, 2, "send", domain.StepRunning)
			var entry *domain.OutboxEntry
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				entry, _, err = tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: c.e.ID, StepID: st.ID, IdempotencyKey: "k-1", Kind: "http.request",
				})
				require.NoError(t, err)
				require.Zero(t, entry.Attempts)
				require.Nil(t, entry.AttemptedAt)
				// Counted: the first attempt with the insert.
				counted, created, err := tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: c.e.ID, StepID: st2.ID, IdempotencyKey: "k-2", Kind: "email.send", Counted: true,
				})
				require.NoError(t, err)
				require.True(t, created)
				require.Equal(t, 1, counted.Attempts)
				require.NotNil(t, counted.AttemptedAt)
			})
			before := ts()
			for want := 1; want <= 2; want++ {
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					n, err := tx.OutboxAttempt(f.ctx, f.tenantA.ID, entry.ID)
					require.NoError(t, err)
					require.Equal(t, want, n)
				})
			}
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.OutboxGetByKey(f.ctx, f.tenantA.ID, "k-1")
				require.NoError(t, err)
				require.Equal(t, 2, got.Attempts)
				require.Equal(t, domain.OutboxPending, got.Status, "an attempt is not a result")
				require.NotNil(t, got.AttemptedAt)
				require.False(t, got.AttemptedAt.Before(before.Add(-time.Second)), "attempted at %s, test began %s", got.AttemptedAt, before)
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				require.NoError(t, tx.OutboxUpdate(f.ctx, &store.OutboxUpdateParams{
					TenantID: f.tenantA.ID, ID: entry.ID, Status: domain.OutboxDone, Attempts: 2, Response: json.RawMessage(`{"ok":true}`),
				}))
				got, err := tx.OutboxGetByKey(f.ctx, f.tenantA.ID, "k-1")
				require.NoError(t, err)
				require.Equal(t, 2, got.Attempts)
				require.NotNil(t, got.AttemptedAt)
			})
		}},
		{"OutboxAttempt/OtherTenantsEntryIsNotFound", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantB.ID)
			st := f.newStep(t, c.e, 1, "send", domain.StepRunning)
			var entry *domain.OutboxEntry
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				var err error
				entry, _, err = tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
					TenantID: f.tenantB.ID, ExecutionID: c.e.ID, StepID: st.ID, IdempotencyKey: "k-b", Kind: "http.request",
				})
				require.NoError(t, err)
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.OutboxAttempt(f.ctx, f.tenantA.ID, entry.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				got, err := tx.OutboxGetByKey(f.ctx, f.tenantB.ID, "k-b")
				require.NoError(t, err)
				require.Zero(t, got.Attempts)
			})
		}},
		{"OutboxInsertMany/AsInsertEachTakenKeyConflicts", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			s1, s2 := f.newStep(t, c.e, 1, "send", domain.StepRunning), f.newStep(t, c.e, 2, "send", domain.StepRunning)
			s3 := f.newStep(t, c.e, 3, "send", domain.StepRunning)
			before := ts()
			ps := []*store.OutboxInsertParams{
				{TenantID: f.tenantA.ID, ID: domain.NewID(), ExecutionID: c.e.ID, StepID: s1.ID, IdempotencyKey: "many-1", Kind: "email.send",
					Request: json.RawMessage(`{"to":"a@example.com"}`)},
				{TenantID: f.tenantA.ID, ID: domain.NewID(), ExecutionID: c.e.ID, StepID: s2.ID, IdempotencyKey: "many-2", Kind: "whatsapp.send"},
				{TenantID: f.tenantA.ID, ID: domain.NewID(), ExecutionID: c.e.ID, StepID: s3.ID, IdempotencyKey: "many-3", Kind: "email.send",
					Counted: true},
			}
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				require.NoError(t, tx.OutboxInsertMany(f.ctx, ps))
				require.NoError(t, tx.OutboxInsertMany(f.ctx, nil))
			})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				for _, p := range ps {
					got, err := tx.OutboxGetByKey(f.ctx, f.tenantA.ID, p.IdempotencyKey)
					require.NoError(t, err)
					require.Equal(t, p.ID, got.ID)
					require.Equal(t, p.StepID, got.StepID)
					require.Equal(t, p.Kind, got.Kind)
					require.Equal(t, domain.OutboxPending, got.Status)
					if p.Counted {
						require.Equal(t, 1, got.Attempts, "counted with the insert")
						require.NotNil(t, got.AttemptedAt)
						require.False(t, got.AttemptedAt.Before(before.Add(-time.Second)))
					} else {
						require.Zero(t, got.Attempts)
						require.Nil(t, got.AttemptedAt)
					}
					if p.Request == nil {
						require.Empty(t, got.Request)
					} else {
						require.JSONEq(t, string(p.Request), string(got.Request))
					}
				}
			})
			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				return tx.OutboxInsertMany(f.ctx, []*store.OutboxInsertParams{
					{TenantID: f.tenantA.ID, ID: domain.NewID(), ExecutionID: c.e.ID, StepID: s1.ID, IdempotencyKey: "many-1", Kind: "email.send"},
				})
			})
			require.ErrorIs(t, err, store.ErrConflict)
		}},
		{"OutboxAttemptMany/CountsEachInOrderAndUpdateManyRecordsEach", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			entries := make([]*domain.OutboxEntry, 3)
			for i := range entries {
				st := f.newStep(t, c.e, i+1, "send", domain.StepRunning)
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					var err error
					entries[i], _, err = tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
						TenantID: f.tenantA.ID, ExecutionID: c.e.ID, StepID: st.ID, IdempotencyKey: "m-" + st.ID.String(), Kind: "email.send",
					})
					require.NoError(t, err)
				})
			}
			// The first entry had an attempt already: counts are per entry.
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.OutboxAttempt(f.ctx, f.tenantA.ID, entries[0].ID)
				require.NoError(t, err)
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				n, err := tx.OutboxAttemptMany(f.ctx, f.tenantA.ID, []uuid.UUID{entries[2].ID, entries[0].ID, entries[1].ID})
				require.NoError(t, err)
				require.Equal(t, []int{1, 2, 1}, n, "in the order asked")
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				require.NoError(t, tx.OutboxUpdateMany(f.ctx, []*store.OutboxUpdateParams{
					{TenantID: f.tenantA.ID, ID: entries[0].ID, Status: domain.OutboxDone, Attempts: 2, Response: json.RawMessage(`{"id":"a"}`)},
					{TenantID: f.tenantA.ID, ID: entries[1].ID, Status: domain.OutboxFailed, Attempts: 1, Response: json.RawMessage(`{"code":550}`), Error: "550 no such user"},
				}))
			})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.OutboxListByExecution(f.ctx, f.tenantA.ID, c.e.ID)
				require.NoError(t, err)
				byID := map[uuid.UUID]*domain.OutboxEntry{}
				for _, o := range got {
					byID[o.ID] = o
				}
				a, b, c := byID[entries[0].ID], byID[entries[1].ID], byID[entries[2].ID]
				require.Equal(t, domain.OutboxDone, a.Status)
				require.Equal(t, 2, a.Attempts)
				require.JSONEq(t, `{"id":"a"}`, string(a.Response))
				require.NotNil(t, a.AttemptedAt)
				require.Equal(t, domain.OutboxFailed, b.Status)
				require.Equal(t, "550 no such user", b.Error)
				require.JSONEq(t, `{"code":550}`, string(b.Response))
				require.Equal(t, domain.OutboxPending, c.Status, "not in the update")
				require.Equal(t, 1, c.Attempts)
			})
			// Another tenant's entry is not found, and nothing is written.
			other := f.newChain(t, f.tenantB.ID)
			sB := f.newStep(t, other.e, 1, "send", domain.StepRunning)
			var entryB *domain.OutboxEntry
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				var err error
				entryB, _, err = tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
					TenantID: f.tenantB.ID, ExecutionID: other.e.ID, StepID: sB.ID, IdempotencyKey: "m-b", Kind: "email.send",
				})
				require.NoError(t, err)
			})
			require.ErrorIs(t, f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.OutboxAttemptMany(f.ctx, f.tenantA.ID, []uuid.UUID{entries[2].ID, entryB.ID})
				return err
			}), store.ErrNotFound)
			require.ErrorIs(t, f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				return tx.OutboxUpdateMany(f.ctx, []*store.OutboxUpdateParams{
					{TenantID: f.tenantA.ID, ID: entries[2].ID, Status: domain.OutboxDone, Attempts: 1},
					{TenantID: f.tenantA.ID, ID: entryB.ID, Status: domain.OutboxDone, Attempts: 1},
				})
			}), store.ErrNotFound)
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				got, err := tx.OutboxGetByKey(f.ctx, f.tenantB.ID, "m-b")
				require.NoError(t, err)
				require.Zero(t, got.Attempts)
				require.Equal(t, domain.OutboxPending, got.Status)
			})
		}},
		{"OutboxListByExecution/OwnEntriesOldestFirst", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			s1 := f.newStep(t, c.e, 1, "a", domain.StepCompleted)
			s2 := f.newStep(t, c.e, 2, "b", domain.StepRunning)
			e2 := f.newExecution(t, c.v, nil)
			s3 := f.newStep(t, e2, 1, "a", domain.StepRunning)
			other := f.newChain(t, f.tenantB.ID)
			sB := f.newStep(t, other.e, 1, "a", domain.StepRunning)
			insert := func(tenant, exec, step [16]byte, key string) {
				f.in(t, tenant, func(tx store.Tx) {
					_, _, err := tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
						TenantID: tenant, ExecutionID: exec, StepID: step, IdempotencyKey: key, Kind: "http.request",
					})
					require.NoError(t, err)
				})
			}
			insert(f.tenantA.ID, c.e.ID, s1.ID, "k-1")
			insert(f.tenantA.ID, c.e.ID, s2.ID, "k-2")
			insert(f.tenantA.ID, e2.ID, s3.ID, "k-3")
			insert(f.tenantB.ID, other.e.ID, sB.ID, "k-1")
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.OutboxListByExecution(f.ctx, f.tenantA.ID, c.e.ID)
				require.NoError(t, err)
				require.Len(t, got, 2)
				require.Equal(t, "k-1", got[0].IdempotencyKey)
				require.Equal(t, s1.ID, got[0].StepID)
				require.Equal(t, "k-2", got[1].IdempotencyKey)
				// Another tenant's execution lists nothing.
				none, err := tx.OutboxListByExecution(f.ctx, f.tenantA.ID, other.e.ID)
				require.NoError(t, err)
				require.Empty(t, none)
			})
		}},
	}
}
