package storetest

import (
	"time"

	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func outboxCases() []exerciseCase {
	return []exerciseCase{
		{"OutboxAttempt/CountsEachAttemptInItsOwnCommit", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			st := f.newStep(t, c.e, 1, "send", domain.StepRunning)
			var entry *domain.OutboxEntry
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				entry, _, err = tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: c.e.ID, StepID: st.ID, IdempotencyKey: "k-1", Kind: "http.request",
				})
				require.NoError(t, err)
				require.Zero(t, entry.Attempts)
				require.Nil(t, entry.AttemptedAt)
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
