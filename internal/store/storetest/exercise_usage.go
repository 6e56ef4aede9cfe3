package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func usageCases() []exerciseCase {
	const period = "2026-12"
	add := func(t *testing.T, f *fixture, n, limit int64) (int64, bool) {
		t.Helper()
		var (
			used    int64
			allowed bool
		)
		f.in(t, f.tenantA.ID, func(tx store.Tx) {
			var err error
			used, allowed, err = tx.UsageAdd(f.ctx, &store.UsageAddParams{
				TenantID: f.tenantA.ID, Period: period, Counter: store.UsageExecutions, N: n, Limit: limit,
			})
			require.NoError(t, err)
		})
		return used, allowed
	}
	list := func(t *testing.T, f *fixture, tenantID uuid.UUID, period string) map[store.UsageCounter]int64 {
		t.Helper()
		var got map[store.UsageCounter]int64
		f.read(t, tenantID, func(tx store.Tx) {
			var err error
			got, err = tx.UsageListByPeriod(f.ctx, tenantID, period)
			require.NoError(t, err)
		})
		return got
	}
	return []exerciseCase{
		{"UsageAdd/StopsAtTheLimit", func(t *testing.T, f *fixture) {
			used, ok := add(t, f, 2, 3)
			require.True(t, ok)
			require.EqualValues(t, 2, used)
			used, ok = add(t, f, 1, 3)
			require.True(t, ok)
			require.EqualValues(t, 3, used)
			used, ok = add(t, f, 1, 3)
			require.False(t, ok, "past the limit")
			require.EqualValues(t, 3, used, "a refusal reports the count as it stands")
			used, ok = add(t, f, 0, 3)
			require.True(t, ok, "adding nothing at the limit is allowed")
			require.EqualValues(t, 3, used)
			used, ok = add(t, f, 5, -1)
			require.True(t, ok, "a negative limit is no limit")
			require.EqualValues(t, 8, used)
			require.Equal(t, map[store.UsageCounter]int64{store.UsageExecutions: 8}, list(t, f, f.tenantA.ID, period))
			require.Empty(t, list(t, f, f.tenantA.ID, "2027-01"), "another month starts at zero")
		}},
		{"UsageAdd/MoreThanTheLimitAtOnceWritesNothing", func(t *testing.T, f *fixture) {
			used, ok := add(t, f, 4, 3)
			require.False(t, ok)
			require.Zero(t, used)
			require.Empty(t, list(t, f, f.tenantA.ID, period), "no row for a refused first add")
		}},
		{"UsageAdd/RolledBackAddIsNotCounted", func(t *testing.T, f *fixture) {
			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, ok, err := tx.UsageAdd(f.ctx, &store.UsageAddParams{TenantID: f.tenantA.ID, Period: period, Counter: store.UsageMessages, N: 2, Limit: 5})
				require.NoError(t, err)
				require.True(t, ok)
				return store.ErrConflict
			})
			require.ErrorIs(t, err, store.ErrConflict)
			require.Empty(t, list(t, f, f.tenantA.ID, period))
		}},
		{"UsageAdd/ConcurrentAddsPassExactlyTheLimit", func(t *testing.T, f *fixture) {
			const limit, callers = 5, 16
			var passed atomic.Int64
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
						_, ok, err := tx.UsageAdd(f.ctx, &store.UsageAddParams{TenantID: f.tenantA.ID, Period: period, Counter: store.UsageExecutions, N: 1, Limit: limit})
						if ok {
							passed.Add(1)
						}
						return err
					})
					require.NoError(t, err)
				})
			}
			wg.Wait()
			require.EqualValues(t, limit, passed.Load())
			require.Equal(t, map[store.UsageCounter]int64{store.UsageExecutions: limit}, list(t, f, f.tenantA.ID, period))
		}},
		{"UsageListByPeriod/OtherTenantIsNotSeen", func(t *testing.T, f *fixture) {
			add(t, f, 2, -1)
			require.Empty(t, list(t, f, f.tenantB.ID, period))
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				used, ok, err := tx.UsageAdd(f.ctx, &store.UsageAddParams{TenantID: f.tenantB.ID, Period: period, Counter: store.UsageExecutions, N: 1, Limit: 1})
				require.NoError(t, err)
				require.True(t, ok, "tenant B's counter is its own")
				require.EqualValues(t, 1, used)
			})
			require.Equal(t, map[store.UsageCounter]int64{store.UsageExecutions: 2}, list(t, f, f.tenantA.ID, period))
		}},
		{"UsageCount/CountsTheRowsThatExist", func(t *testing.T, f *fixture) {
			count := func(tenantID uuid.UUID, c store.UsageCounter) int64 {
				var n int64
				f.in(t, tenantID, func(tx store.Tx) {
					require.NoError(t, tx.UsageLock(f.ctx, tenantID, c), "the lock row can be taken again and again")
					var err error
					n, err = tx.UsageCount(f.ctx, tenantID, c, time.Now())
					require.NoError(t, err)
				})
				return n
			}
			w1 := f.newWorkflow(t, f.tenantA.ID, "one")
			f.newWorkflow(t, f.tenantA.ID, "two")
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.WorkflowSetActive(f.ctx, f.tenantA.ID, w1.ID, true)
				require.NoError(t, err)
				_, _, err = tx.ContactUpsert(f.ctx, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("c-1")})
				require.NoError(t, err)
				_, err = tx.MembershipInsert(f.ctx, &store.MembershipInsertParams{TenantID: f.tenantA.ID, UserID: f.user.ID, Role: domain.RoleOwner})
				require.NoError(t, err)
				for i, exp := range []time.Duration{time.Hour, -time.Hour} {
					_, err = tx.InvitationInsert(f.ctx, &store.InvitationInsertParams{
						TenantID: f.tenantA.ID, ID: domain.NewID(), Email: "x@example.com", Role: domain.RoleViewer,
						TokenHash: []byte{byte(i), 9}, InvitedBy: f.user.ID, ExpiresAt: time.Now().Add(exp),
					})
					require.NoError(t, err)
				}
			})
			require.EqualValues(t, 2, count(f.tenantA.ID, store.UsageWorkflows))
			require.EqualValues(t, 1, count(f.tenantA.ID, store.UsageActiveWorkflows))
			require.EqualValues(t, 1, count(f.tenantA.ID, store.UsageContacts))
			require.EqualValues(t, 2, count(f.tenantA.ID, store.UsageMembers), "the member and the open invitation, not the expired one")
			require.Zero(t, count(f.tenantB.ID, store.UsageWorkflows))
			require.Zero(t, count(f.tenantB.ID, store.UsageMembers))
			require.Empty(t, list(t, f, f.tenantA.ID, period), "lock rows are not monthly counters")
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.UsageCount(f.ctx, f.tenantA.ID, store.UsageExecutions, time.Now())
				require.ErrorContains(t, err, "not a counted quantity")
			})
		}},
	}
}
