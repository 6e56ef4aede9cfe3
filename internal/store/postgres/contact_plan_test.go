package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// An events batch (contact upserts, then the events) keeps finding its
// contacts through their indexes on a connection that first ran it while
// contacts was nearly empty (a fresh database: the bench's contacts are
// created by its first events), after the table grew to 20,000 contacts
// without being analyzed. Its statements are prepared, and PostgreSQL
// weighs a generic plan for a prepared statement after five runs: made at
// that first moment and kept, it filtered id = ANY($array) on a
// sequential scan of the tenant's contacts per statement (bench events:
// 41 and 19 ms a statement at 10,000 contacts, a third of the throughput
// until autovacuum analyzed contacts). customPlanOnly keeps them planned
// at each call.
func TestEventBatchFindsContactsByIndexAsContactsGrow(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	g, err := postgres.Open(ctx, storetest.PostgresURL()+"&pool_max_conns=1",
		postgres.Options{Schema: searchPath(t, s), SystemTokens: storetest.SystemTokens})
	require.NoError(t, err)
	t.Cleanup(func() { _ = g.Close() })

	tenantID := uuid.New()
	for _, sql := range []string{
		"ALTER TABLE contacts SET (autovacuum_enabled = false)",
		fmt.Sprintf("INSERT INTO tenants (id, name, slug, plan) VALUES ('%s', 'Plans', 'contact-plans', 'PRO')", tenantID),
		fmt.Sprintf("INSERT INTO contacts (id, tenant_id, external_id, email) VALUES (gen_random_uuid(), '%s', 'c0', 'c0@example.com')", tenantID),
		"ANALYZE contacts",
	} {
		_, err := s.Pool().Exec(ctx, sql)
		require.NoError(t, err, sql)
	}

	// batch upserts contacts c<from>… (renamed: an update), stores one
	// event for each and returns the contact scans it started.
	batch := func(round, from, n int) (seq, idx int64) {
		require.NoError(t, g.InTx(ctx, tenantID, func(tx store.Tx) error {
			ps := make([]*store.ContactUpsertParams, n)
			for i := range ps {
				ext, email, name := fmt.Sprintf("c%d", from+i), fmt.Sprintf("c%d@example.com", from+i), fmt.Sprintf("round %d", round)
				ps[i] = &store.ContactUpsertParams{TenantID: tenantID, ExternalID: &ext, Email: &email, Name: &name}
			}
			// The backend's counts not reported yet include earlier
			// transactions': count from here.
			seq0, idx0, err := postgres.TxContactScans(ctx, tx)
			if err != nil {
				return err
			}
			res, err := tx.ContactUpsertMany(ctx, ps)
			if err != nil {
				return err
			}
			evs := make([]store.EventInsert, n)
			for i, r := range res {
				evs[i] = store.EventInsert{ContactID: r.Contact.ID, Name: "seen", MessageID: fmt.Sprintf("r%d-%d", round, i)}
			}
			if _, err := tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: tenantID, Events: evs}); err != nil {
				return err
			}
			seq, idx, err = postgres.TxContactScans(ctx, tx)
			seq, idx = seq-seq0, idx-idx0
			return err
		}))
		return seq, idx
	}
	// Six runs on one or two contacts (c0 updated, c1 inserted, then both
	// updated): past the five PostgreSQL plans before it weighs a generic
	// plan.
	for round := 1; round <= 6; round++ {
		batch(round, 0, 2)
	}

	_, err = s.Pool().Exec(ctx, `INSERT INTO contacts (id, tenant_id, external_id, email)
SELECT gen_random_uuid(), $1, 'c' || g, 'c' || g || '@example.com' FROM generate_series(2, 20001) g`, tenantID)
	require.NoError(t, err)

	seq, idx := batch(7, 1000, 100)
	require.Zero(t, seq, "sequential scans of contacts in a batch of 100 events")
	require.NotZero(t, idx)
}
