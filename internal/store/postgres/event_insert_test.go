package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// An event insert is plain, not a speculative insertion: counted by
// EXPLAIN (ANALYZE, WAL) in one transaction, 64 events write at least one
// record fewer each (the confirmation ON CONFLICT writes after each row)
// than through the statement with ON CONFLICT, which EventInsertMany runs
// only after a concurrent copy failed the plain one.
func TestEventInsertIsNotSpeculative(t *testing.T) {
	const n = 64
	requirePlainSavesWAL(t, "events", n, postgres.EventInsertManySQL, postgres.EventInsertManyPlainSQL,
		func(ctx context.Context, tx pgx.Tx, sql string, tenantID, contactID uuid.UUID) int64 {
			ids, contacts := make([]uuid.UUID, n), make([]uuid.UUID, n)
			names, props, msgIDs := make([]string, n), make([]string, n), make([]string, n)
			at := make([]time.Time, n)
			for i := range ids {
				ids[i], contacts[i], names[i], props[i] = domain.NewID(), contactID, "page.viewed", `{"path":"/"}`
				msgIDs[i], at[i] = fmt.Sprintf("%s-%d", ids[i], i), time.Now().UTC()
			}
			return explainWAL(t, ctx, tx, sql, tenantID, ids, contacts, names, props, at, at, msgIDs)
		})
}

// requirePlainSavesWAL writes n rows through speculativeSQL, then n more
// through plainSQL, by insert in one transaction with a tenant and a
// contact, and requires the plain statement to write at least one WAL
// record fewer per row.
func requirePlainSavesWAL(t *testing.T, what string, n int64, speculativeSQL, plainSQL string,
	insert func(ctx context.Context, tx pgx.Tx, sql string, tenantID, contactID uuid.UUID) int64) {
	t.Helper()
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, contactID := uuid.New(), uuid.New()
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if err := insertTenantContact(ctx, tx, tenantID, contactID, "wal-"+what); err != nil {
			return err
		}
		speculative := insert(ctx, tx, speculativeSQL, tenantID, contactID)
		plain := insert(ctx, tx, plainSQL, tenantID, contactID)
		t.Logf("WAL records of %d %s: plain %d, with ON CONFLICT %d", n, what, plain, speculative)
		require.LessOrEqual(t, plain, speculative-n, "WAL records of %d %s: plain %d, with ON CONFLICT %d", n, what, plain, speculative)
		return nil
	})
	require.NoError(t, err)
}

// A copy of an event that another transaction commits while
// EventInsertMany waits on its message ID fails the plain insert with a
// unique violation; the savepoint is rolled back and the copy skipped as
// a duplicate, the rest of the batch stored, and the transaction goes on.
func TestEventInsertSkipsACopyCommittedMeanwhile(t *testing.T) {
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenantID, contactID := uuid.New(), uuid.New()
	require.NoError(t, pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		return insertTenantContact(ctx, tx, tenantID, contactID, "copies")
	}))
	other, err := s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = other.Rollback(ctx) }()
	_, err = other.Exec(ctx, `INSERT INTO events (tenant_id, id, contact_id, name, properties, occurred_at, received_at, message_id)
VALUES ($1, $2, $3, 'signed_up', '{}', now(), now(), 'same')`, tenantID, domain.NewID(), contactID)
	require.NoError(t, err)

	type result struct {
		stored []domain.Event
		after  int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.err = s.InTx(ctx, tenantID, func(tx store.Tx) error {
			var err error
			r.stored, err = tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: tenantID, Events: []store.EventInsert{
				{ContactID: contactID, Name: "signed_up", MessageID: "same"},
				{ContactID: contactID, Name: "own", MessageID: "own"},
			}})
			if err != nil {
				return err
			}
			// The transaction is still usable.
			list, err := tx.EventList(ctx, &store.EventListParams{TenantID: tenantID})
			r.after = len(list)
			return err
		})
		done <- r
	}()
	// Commit the copy once the insert waits for it.
	require.Eventually(t, func() bool {
		var waiting int
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'transactionid'`).Scan(&waiting))
		return waiting > 0
	}, 10*time.Second, 5*time.Millisecond, "the insert waits on the uncommitted copy")
	require.NoError(t, other.Commit(ctx))
	r := <-done
	require.NoError(t, r.err)
	require.Len(t, r.stored, 1)
	require.Equal(t, "own", r.stored[0].MessageID)
	require.Equal(t, 2, r.after, "the copy committed meanwhile and the batch's own event")
}

// walPlan is a node of EXPLAIN (ANALYZE, WAL, FORMAT JSON).
type walPlan struct {
	NodeType   string    `json:"Node Type"`
	WALRecords int64     `json:"WAL Records"`
	Plans      []walPlan `json:"Plans"`
}

// written is the WAL written by the row-writing nodes under p (inserts,
// updates, row locks), each counted once: a data-modifying CTE that the
// statement's result does not read runs after the rest, and its WAL is
// not in the top node's.
func (p walPlan) written() int64 {
	if p.NodeType == "ModifyTable" || p.NodeType == "LockRows" {
		return p.WALRecords
	}
	var n int64
	for _, c := range p.Plans {
		n += c.written()
	}
	return n
}

// explainWALWritten runs sql under EXPLAIN (ANALYZE, WAL) and returns the
// WAL records its row-writing nodes wrote.
func explainWALWritten(t *testing.T, ctx context.Context, tx pgx.Tx, sql string, args ...any) int64 {
	t.Helper()
	var plan []struct{ Plan walPlan }
	require.NoError(t, tx.QueryRow(ctx, "EXPLAIN (ANALYZE, WAL, FORMAT JSON) "+sql, args...).Scan(&plan))
	require.Len(t, plan, 1)
	return plan[0].Plan.written()
}

// A batch of messages is a plain insert too: 64 messages write at least
// one WAL record fewer each than the same statement with ON CONFLICT on
// the key in place of its probe of the key (as before).
func TestMessageInsertIsNotSpeculative(t *testing.T) {
	const probe = "\n      AND (SELECT 1 FROM messages x WHERE x.tenant_id = $1 AND x.id = u.id LIMIT 1) IS NULL"
	require.Contains(t, postgres.MessageInsertManySQL, probe)
	speculativeSQL := strings.Replace(postgres.MessageInsertManySQL, probe, "\n    ON CONFLICT (tenant_id, id) DO NOTHING", 1)
	const n = 64
	requirePlainSavesWAL(t, "messages", n, speculativeSQL, postgres.MessageInsertManySQL,
		func(ctx context.Context, tx pgx.Tx, sql string, tenantID, contactID uuid.UUID) int64 {
			ids, versions := make([]uuid.UUID, n), make([]int32, n)
			channels, nodes, recipients, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			codes, texts, providerIDs := make([]string, n), make([]string, n), make([]*string, n)
			conns, contacts, workflows, execs, steps, templates := make([]*uuid.UUID, n), make([]*uuid.UUID, n),
				make([]*uuid.UUID, n), make([]*uuid.UUID, n), make([]*uuid.UUID, n), make([]*uuid.UUID, n)
			ats := make([]time.Time, n)
			for i := range ids {
				ids[i], channels[i], contacts[i], recipients[i] = domain.NewID(), "whatsapp", &contactID, "4915112345678"
				statuses[i], ats[i] = "queued", time.Now().UTC()
			}
			return explainWALWritten(t, ctx, tx, sql, tenantID, ids, channels, conns, contacts, workflows, versions, execs, steps,
				nodes, templates, recipients, providerIDs, statuses, codes, texts, ats)
		})
}
