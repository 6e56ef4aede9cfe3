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

// nodeCases cover the heartbeats of nodes that make calls after start and
// the recovery of a dead node's calls.
func nodeCases() []exerciseCase {
	return []exerciseCase{
		{"NodeListLapsed/ByHeartbeatAge", func(t *testing.T, f *fixture) {
			f.in(t, uuid.Nil, func(tx store.Tx) {
				require.NoError(t, tx.NodeRenew(f.ctx, "a"))
				require.NoError(t, tx.NodeRenew(f.ctx, "b"))
			})
			lapsed := func(self string, expiry time.Duration) []string {
				var ids []string
				f.in(t, uuid.Nil, func(tx store.Tx) {
					nodes, err := tx.NodeListLapsed(f.ctx, self, expiry)
					require.NoError(t, err)
					for _, n := range nodes {
						require.False(t, n.RenewedAt.IsZero())
						ids = append(ids, n.ID)
					}
				})
				return ids
			}
			require.Empty(t, lapsed("a", time.Hour), "renewed just now")
			time.Sleep(100 * time.Millisecond)
			require.Equal(t, []string{"b"}, lapsed("a", 50*time.Millisecond), "not self")
			require.Equal(t, []string{"a", "b"}, lapsed("c", 50*time.Millisecond))
			require.Equal(t, []string{"a"}, lapsed("b", 0), "every other node without an expiry")
			f.in(t, uuid.Nil, func(tx store.Tx) { require.NoError(t, tx.NodeRenew(f.ctx, "b")) })
			require.Equal(t, []string{"a"}, lapsed("c", 50*time.Millisecond), "b renewed")
			f.in(t, uuid.Nil, func(tx store.Tx) {
				require.NoError(t, tx.NodeDelete(f.ctx, "a"))
				require.NoError(t, tx.NodeDelete(f.ctx, "gone"), "deleting none is no error")
			})
			require.Equal(t, []string{"b"}, lapsed("c", 0))
		}},
		{"ExecutionRecoverCalls/OnlyTheNodesRecoveryTimes", func(t *testing.T, f *fixture) {
			now := ts()
			a, b := f.newChain(t, f.tenantA.ID), f.newChain(t, f.tenantB.ID)
			at := func(d time.Duration) *time.Time { w := now.Add(d); return &w }
			called := func(node string, wake *time.Time) func(p *store.ExecutionInsertParams) {
				return func(p *store.ExecutionInsertParams) {
					p.Status, p.Token, p.WakeAt, p.CallNode = domain.ExecutionRunning, 2, wake, node
				}
			}
			dead := f.newExecution(t, a.v, called("dead", at(210*time.Second)))
			live := f.newExecution(t, a.v, called("live", at(210*time.Second)))
			far := f.newExecution(t, a.v, called("dead", at(time.Hour)))
			none := f.newExecution(t, a.v, called("", at(3*time.Minute)))
			// Updated after its start (its call recorded, then a timer kept
			// on the row): the update cleared its node.
			timer := f.newExecution(t, a.v, called("dead", at(210*time.Second)))
			timers := f.newExecution(t, a.v, called("dead", at(210*time.Second)))
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				up := func(e *domain.Execution) *store.ExecutionUpdateParams {
					return &store.ExecutionUpdateParams{TenantID: e.TenantID, ID: e.ID, Status: domain.ExecutionWaiting,
						Context: json.RawMessage(`{}`), CurrentNodeID: "delay", Token: 3, WakeAt: at(3 * time.Minute)}
				}
				require.NoError(t, tx.ExecutionUpdate(f.ctx, up(timer)))
				require.NoError(t, tx.ExecutionUpdateMany(f.ctx, []*store.ExecutionUpdateParams{up(timers)}))
			})
			// Another tenant's, inserted in a batch.
			var deadB *domain.Execution
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				p := &store.ExecutionInsertParams{TenantID: f.tenantB.ID, WorkflowID: b.wf.ID, VersionID: b.v.ID, Version: b.v.Version,
					TriggerType: "trigger.manual", Context: json.RawMessage(`{}`), CurrentNodeID: "send"}
				called("dead", at(3*time.Minute))(p)
				execs, err := tx.ExecutionInsertMany(f.ctx, []*store.ExecutionInsertParams{p})
				require.NoError(t, err)
				deadB = execs[0]
			})

			recoverDead := func() int {
				var n int
				f.in(t, uuid.Nil, func(tx store.Tx) {
					var err error
					n, err = tx.ExecutionRecoverCalls(f.ctx, &store.ExecutionRecoverCallsParams{
						NodeID: "dead", Before: now.Add(4 * time.Minute), At: now})
					require.NoError(t, err)
				})
				return n
			}
			require.Equal(t, 2, recoverDead())
			for _, e := range []*domain.Execution{dead, deadB} {
				f.in(t, e.TenantID, func(tx store.Tx) {
					got, err := tx.ExecutionGetByID(f.ctx, e.TenantID, e.ID)
					require.NoError(t, err)
					require.Equal(t, now, *got.WakeAt, "recovery time moved to now")
					require.EqualValues(t, 3, got.Token, "token moved on: the dead node's check refuses its call")
					require.Equal(t, domain.ExecutionRunning, got.Status)
				})
			}
			for _, e := range []*domain.Execution{live, far, none, timer, timers} {
				f.in(t, e.TenantID, func(tx store.Tx) {
					got, err := tx.ExecutionGetByID(f.ctx, e.TenantID, e.ID)
					require.NoError(t, err)
					require.True(t, got.WakeAt.After(now), "%s untouched", e.ID)
				})
			}
			require.Zero(t, recoverDead(), "recovered once: the node is cleared")
			f.in(t, uuid.Nil, func(tx store.Tx) {
				due, err := tx.ExecutionClaimWakeups(f.ctx, now.Add(time.Second), now.Add(time.Second), 10)
				require.NoError(t, err)
				require.Len(t, due, 2, "due at once")
				for _, w := range due {
					require.Contains(t, []uuid.UUID{dead.ID, deadB.ID}, w.ExecutionID)
					require.EqualValues(t, 3, w.Token)
				}
			})
		}},
		{"ExecutionClaimWakeups/CallRecoveryTimesOnlyWhenDue", func(t *testing.T, f *fixture) {
			// A call's recovery time within the timer horizon stays on its
			// row until due, so a dead node's slow call is still found by
			// ExecutionRecoverCalls; other timers are taken a horizon ahead.
			now := ts()
			c := f.newChain(t, f.tenantA.ID)
			at := func(d time.Duration) *time.Time { w := now.Add(d); return &w }
			call := f.newExecution(t, c.v, func(p *store.ExecutionInsertParams) {
				p.Status, p.Token, p.WakeAt, p.CallNode = domain.ExecutionRunning, 2, at(time.Minute), "slow"
			})
			timer := f.newExecution(t, c.v, func(p *store.ExecutionInsertParams) {
				p.Status, p.Token, p.WakeAt = domain.ExecutionWaiting, 2, at(time.Minute)
			})
			claim := func(callsBefore time.Time) []uuid.UUID {
				var ids []uuid.UUID
				f.in(t, uuid.Nil, func(tx store.Tx) {
					due, err := tx.ExecutionClaimWakeups(f.ctx, now.Add(2*time.Minute), callsBefore, 10)
					require.NoError(t, err)
					for _, w := range due {
						ids = append(ids, w.ExecutionID)
					}
				})
				return ids
			}
			require.Equal(t, []uuid.UUID{timer.ID}, claim(now), "the call's recovery time is not due yet")
			f.in(t, uuid.Nil, func(tx store.Tx) {
				n, err := tx.ExecutionRecoverCalls(f.ctx, &store.ExecutionRecoverCallsParams{
					NodeID: "slow", Before: now.Add(4 * time.Minute), At: now.Add(time.Second)})
				require.NoError(t, err)
				require.Equal(t, 1, n, "still on its row when its node dies")
			})
			require.Equal(t, []uuid.UUID{call.ID}, claim(now.Add(time.Second)), "recovered: due now")
			require.Empty(t, claim(now.Add(time.Hour)))
		}},
	}
}
