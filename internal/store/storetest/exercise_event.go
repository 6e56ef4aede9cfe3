package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// eventContact upserts a contact with the external ID for the event cases.
func eventContact(t *testing.T, f *fixture, tenantID uuid.UUID, externalID string) *domain.Contact {
	t.Helper()
	var c *domain.Contact
	f.in(t, tenantID, func(tx store.Tx) {
		var err error
		c, _, err = tx.ContactUpsert(f.ctx, &store.ContactUpsertParams{TenantID: tenantID, ExternalID: &externalID})
		require.NoError(t, err)
	})
	return c
}

// insertEvents stores events in a transaction of their tenant and returns
// those stored.
func insertEvents(t *testing.T, f *fixture, tenantID uuid.UUID, evs ...store.EventInsert) []domain.Event {
	t.Helper()
	var out []domain.Event
	f.in(t, tenantID, func(tx store.Tx) {
		var err error
		out, err = tx.EventInsertMany(f.ctx, &store.EventInsertManyParams{TenantID: tenantID, Events: evs})
		require.NoError(t, err)
	})
	return out
}

func eventCases() []exerciseCase {
	return []exerciseCase{
		{"EventInsertManyStoresAMessageIDOnce", func(t *testing.T, f *fixture) {
			c := eventContact(t, f, f.tenantA.ID, "u1")
			at := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
			got := insertEvents(t, f, f.tenantA.ID,
				store.EventInsert{ContactID: c.ID, Name: "order.completed", Properties: json.RawMessage(`{"total":12.5,"cart_id":"c1"}`),
					OccurredAt: at, MessageID: "m1"},
				store.EventInsert{ContactID: c.ID, Name: "order.completed", MessageID: "m1"}, // a repeat in the same batch
				store.EventInsert{ContactID: c.ID, Name: "page.viewed", MessageID: "m2"},
			)
			require.Len(t, got, 2)
			require.Equal(t, "m1", got[0].MessageID)
			require.Equal(t, "order.completed", got[0].Name)
			require.Equal(t, at.Truncate(time.Microsecond), got[0].OccurredAt)
			require.JSONEq(t, `{"total":12.5,"cart_id":"c1"}`, string(got[0].Properties))
			require.Equal(t, f.tenantA.ID, got[0].TenantID)
			require.Equal(t, c.ID, got[0].ContactID)
			require.NotEqual(t, uuid.Nil, got[0].ID)
			require.Equal(t, "m2", got[1].MessageID)
			require.JSONEq(t, `{}`, string(got[1].Properties))
			require.Equal(t, got[1].ReceivedAt, got[1].OccurredAt, "no timestamp: occurred when received")

			// A later delivery of the same messages stores nothing.
			again := insertEvents(t, f, f.tenantA.ID,
				store.EventInsert{ContactID: c.ID, Name: "order.completed", MessageID: "m1"},
				store.EventInsert{ContactID: c.ID, Name: "page.viewed", MessageID: "m2"},
				store.EventInsert{ContactID: c.ID, Name: "page.viewed", MessageID: "m3"},
			)
			require.Len(t, again, 1)
			require.Equal(t, "m3", again[0].MessageID)

			// Message IDs are per tenant.
			cb := eventContact(t, f, f.tenantB.ID, "u1")
			require.Len(t, insertEvents(t, f, f.tenantB.ID, store.EventInsert{ContactID: cb.ID, Name: "x", MessageID: "m1"}), 1)

			// The listing shows what was stored: the first copy of m1.
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				list, err := tx.EventList(f.ctx, &store.EventListParams{TenantID: f.tenantA.ID})
				require.NoError(t, err)
				require.Len(t, list, 3)
				for _, e := range list {
					if e.MessageID == "m1" {
						// PostgreSQL keeps properties as jsonb: equal JSON,
						// not the same text.
						require.JSONEq(t, string(got[0].Properties), string(e.Properties))
						e.Properties = got[0].Properties
						require.Equal(t, got[0], e)
					}
				}
			})

			// An event of a contact that is not the tenant's is refused.
			err := f.s.InTx(f.ctx, f.tenantB.ID, func(tx store.Tx) error {
				_, err := tx.EventInsertMany(f.ctx, &store.EventInsertManyParams{TenantID: f.tenantB.ID,
					Events: []store.EventInsert{{ContactID: c.ID, Name: "x", MessageID: "m9"}}})
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
		}},
		{"EventInsertManyConcurrentCopiesStoreOnce", func(t *testing.T, f *fixture) {
			c := eventContact(t, f, f.tenantA.ID, "u1")
			const copies = 8
			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				stored int
				errs   []error
			)
			start := make(chan struct{})
			for i := range copies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
						evs, err := tx.EventInsertMany(f.ctx, &store.EventInsertManyParams{TenantID: f.tenantA.ID, Events: []store.EventInsert{
							{ContactID: c.ID, Name: "signed_up", MessageID: "same"},
							{ContactID: c.ID, Name: "own", MessageID: fmt.Sprintf("own-%d", i)},
						}})
						if err != nil {
							return err
						}
						mu.Lock()
						for _, e := range evs {
							if e.MessageID == "same" {
								stored++
							}
						}
						mu.Unlock()
						return nil
					})
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}()
			}
			close(start)
			wg.Wait()
			require.Empty(t, errs)
			require.Equal(t, 1, stored, "one transaction stores the message; the others skip it")
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				list, err := tx.EventList(f.ctx, &store.EventListParams{TenantID: f.tenantA.ID, Limit: 100})
				require.NoError(t, err)
				require.Len(t, list, copies+1)
			})
		}},
		{"EventInsertManyContactErasedMeanwhileTakesTheEvents", func(t *testing.T, f *fixture) {
			// A contact erased while a transaction stores its events waits
			// for that transaction and takes the events with it: none is
			// left without its contact.
			c := eventContact(t, f, f.tenantA.ID, "u1")
			early := f.eraseWhileStoring(t, c.ID, func(tx store.Tx) error {
				_, err := tx.EventInsertMany(f.ctx, &store.EventInsertManyParams{TenantID: f.tenantA.ID,
					Events: []store.EventInsert{{ContactID: c.ID, Name: "x", MessageID: "m1"}}})
				return err
			})
			require.False(t, early, "the erasure did not wait for the events' transaction")
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				evs, err := tx.EventList(f.ctx, &store.EventListParams{TenantID: f.tenantA.ID, Limit: 10})
				require.NoError(t, err)
				require.Empty(t, evs)
			})
		}},
		{"EventListFiltersAndPages", func(t *testing.T, f *fixture) {
			c1 := eventContact(t, f, f.tenantA.ID, "u1")
			c2 := eventContact(t, f, f.tenantA.ID, "u2")
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var evs []store.EventInsert
			for i := range 10 {
				c, name := c1, "a"
				if i%2 == 1 {
					c, name = c2, "b"
				}
				evs = append(evs, store.EventInsert{ContactID: c.ID, Name: name, OccurredAt: base.Add(time.Duration(i) * time.Hour),
					MessageID: fmt.Sprintf("m%d", i)})
			}
			// Two events at the same moment: the cursor breaks the tie by ID.
			evs = append(evs, store.EventInsert{ContactID: c1.ID, Name: "a", OccurredAt: base.Add(4 * time.Hour), MessageID: "tie"})
			insertEvents(t, f, f.tenantA.ID, evs...)
			cb := eventContact(t, f, f.tenantB.ID, "u1")
			insertEvents(t, f, f.tenantB.ID, store.EventInsert{ContactID: cb.ID, Name: "a", OccurredAt: base, MessageID: "b0"})

			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				list := func(p store.EventListParams) []domain.Event {
					p.TenantID = f.tenantA.ID
					out, err := tx.EventList(f.ctx, &p)
					require.NoError(t, err)
					return out
				}
				all := list(store.EventListParams{Limit: 100})
				require.Len(t, all, 11)
				for i := 1; i < len(all); i++ {
					prev, cur := all[i-1], all[i]
					require.True(t, prev.OccurredAt.After(cur.OccurredAt) ||
						(prev.OccurredAt.Equal(cur.OccurredAt) && prev.ID.String() > cur.ID.String()), "newest first")
				}
				// Pages of 3 walk the same order without gaps or repeats.
				var paged []domain.Event
				var after *store.EventCursor
				for {
					page := list(store.EventListParams{Limit: 3, After: after})
					paged = append(paged, page...)
					if len(page) < 3 {
						break
					}
					last := page[len(page)-1]
					after = &store.EventCursor{OccurredAt: last.OccurredAt, ID: last.ID}
				}
				require.Equal(t, all, paged)

				byName := list(store.EventListParams{Name: "b"})
				require.Len(t, byName, 5)
				for _, e := range byName {
					require.Equal(t, "b", e.Name)
					require.Equal(t, c2.ID, e.ContactID)
				}
				require.Len(t, list(store.EventListParams{ContactID: &c1.ID}), 6)
				from, to := base.Add(2*time.Hour), base.Add(5*time.Hour)
				ranged := list(store.EventListParams{From: &from, To: &to})
				require.Len(t, ranged, 4, "02:00, 03:00 and the two at 04:00; 05:00 is excluded")
				require.Empty(t, list(store.EventListParams{Name: "nope"}))
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				out, err := tx.EventList(f.ctx, &store.EventListParams{TenantID: f.tenantB.ID})
				require.NoError(t, err)
				require.Len(t, out, 1)
				require.Equal(t, "b0", out[0].MessageID)
			})
		}},
		{"EventNameList", func(t *testing.T, f *fixture) {
			c := eventContact(t, f, f.tenantA.ID, "u1")
			var evs []store.EventInsert
			for i, n := range []string{"order.completed", "signed_up", "order.completed", "added_to_cart", "signed_up"} {
				evs = append(evs, store.EventInsert{ContactID: c.ID, Name: n, MessageID: fmt.Sprintf("m%d", i)})
			}
			insertEvents(t, f, f.tenantA.ID, evs...)
			cb := eventContact(t, f, f.tenantB.ID, "u1")
			insertEvents(t, f, f.tenantB.ID, store.EventInsert{ContactID: cb.ID, Name: "b_only", MessageID: "m0"})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				names, err := tx.EventNameList(f.ctx, f.tenantA.ID, 100)
				require.NoError(t, err)
				require.Equal(t, []string{"added_to_cart", "order.completed", "signed_up"}, names)
				names, err = tx.EventNameList(f.ctx, f.tenantA.ID, 2)
				require.NoError(t, err)
				require.Equal(t, []string{"added_to_cart", "order.completed"}, names)
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				names, err := tx.EventNameList(f.ctx, f.tenantB.ID, 100)
				require.NoError(t, err)
				require.Equal(t, []string{"b_only"}, names)
			})
		}},
		{"EventDeleteBefore", func(t *testing.T, f *fixture) {
			old := time.Now().Add(-100 * 24 * time.Hour)
			for _, tenant := range []*domain.Tenant{f.tenantA, f.tenantB} {
				c := eventContact(t, f, tenant.ID, "u1")
				var evs []store.EventInsert
				for i := range 5 {
					evs = append(evs, store.EventInsert{ContactID: c.ID, Name: "old", OccurredAt: old.Add(time.Duration(i) * time.Minute),
						MessageID: fmt.Sprintf("old%d", i)})
				}
				evs = append(evs, store.EventInsert{ContactID: c.ID, Name: "new", MessageID: "new"})
				insertEvents(t, f, tenant.ID, evs...)
			}
			cutoff := time.Now().Add(-90 * 24 * time.Hour)
			total := 0
			for {
				var n int
				f.system(t, func(tx store.Tx) {
					var err error
					n, err = tx.EventDeleteBefore(f.ctx, cutoff, 3)
					require.NoError(t, err)
				})
				require.LessOrEqual(t, n, 3)
				if n == 0 {
					break
				}
				total += n
			}
			require.Equal(t, 10, total, "the old events of both tenants")
			for _, tenant := range []*domain.Tenant{f.tenantA, f.tenantB} {
				f.read(t, tenant.ID, func(tx store.Tx) {
					out, err := tx.EventList(f.ctx, &store.EventListParams{TenantID: tenant.ID})
					require.NoError(t, err)
					require.Len(t, out, 1)
					require.Equal(t, "new", out[0].Name)
				})
			}
		}},
	}
}

// eraseWhileStoring runs store in a transaction of tenant A that stays
// open, erases contact id from another transaction meanwhile, then lets
// the first commit; both must succeed. It reports whether the erasure
// finished before the storing transaction ended (early: it did not wait
// for the lock store took on the contact).
func (f *fixture) eraseWhileStoring(t *testing.T, id uuid.UUID, storeFn func(tx store.Tx) error) (early bool) {
	t.Helper()
	inserted, release := make(chan struct{}), make(chan struct{})
	stored := make(chan error, 1)
	go func() {
		stored <- f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
			err := storeFn(tx)
			close(inserted)
			<-release
			return err
		})
	}()
	<-inserted
	erased := make(chan error, 1)
	go func() {
		erased <- f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
			_, err := tx.ContactErase(f.ctx, f.tenantA.ID, id, ts())
			return err
		})
	}()
	select {
	case err := <-erased:
		early = true
		erased <- err
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-stored)
	require.NoError(t, <-erased)
	return early
}
