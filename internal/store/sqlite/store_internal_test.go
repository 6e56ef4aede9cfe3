package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// openTest opens a store on a fresh file; migrate says whether to migrate it.
func openTest(t *testing.T, cfg store.QueueConfig, migrate bool) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "test.db"), Options{Queue: cfg})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	if migrate {
		require.NoError(t, s.Migrate(ctx))
	}
	return s
}

func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	require.NoError(t, db.QueryRow("PRAGMA "+name).Scan(&v))
	return v
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openTest(t, store.QueueConfig{}, false)
	for _, db := range []*sql.DB{s.writer, s.reader} {
		require.Equal(t, "wal", pragma(t, db, "journal_mode"))
		require.Equal(t, "1", pragma(t, db, "foreign_keys"))
		require.Equal(t, "10000", pragma(t, db, "busy_timeout"))
		require.Equal(t, "1", pragma(t, db, "synchronous"), "NORMAL")
	}
	require.Equal(t, "0", pragma(t, s.writer, "query_only"))
	require.Equal(t, "1", pragma(t, s.reader, "query_only"))
	require.Equal(t, 1, s.writer.Stats().MaxOpenConnections)
}

func TestMigrationStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, store.QueueConfig{}, false)

	st, err := s.MigrationStatus(ctx)
	require.NoError(t, err)
	require.Zero(t, st.Current)
	require.Positive(t, st.Latest)
	require.False(t, st.RiverOK)
	require.False(t, st.UpToDate)

	require.NoError(t, s.Migrate(ctx))
	st, err = s.MigrationStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, st.Latest, st.Current)
	require.True(t, st.RiverOK)
	require.True(t, st.UpToDate)
}

// Times are stored as UTC text that sorts in time order, whatever the
// location of the time written.
func TestTimesAreSortableUTCText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, store.QueueConfig{}, true)
	tokyo := time.FixedZone("JST", 9*3600)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, tokyo)
	user := domain.NewID()
	require.NoError(t, s.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		if _, err := tx.UserInsert(ctx, &store.UserInsertParams{ID: user, Email: "a@example.com", Name: "A", PasswordHash: "h"}); err != nil {
			return err
		}
		// Fractions of different lengths, including none.
		for i, d := range []time.Duration{0, 500 * time.Millisecond, 123456 * time.Microsecond, time.Second} {
			if _, err := tx.SessionInsert(ctx, &store.SessionInsertParams{
				UserID: user, TokenHash: []byte{byte(i)}, ExpiresAt: base.Add(d),
			}); err != nil {
				return err
			}
		}
		return nil
	}))
	rows, err := s.reader.Query(`SELECT CAST(expires_at AS TEXT) FROM sessions ORDER BY expires_at`)
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v string
		require.NoError(t, rows.Scan(&v))
		got = append(got, v)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{
		"2026-03-01 03:00:00+00:00",
		"2026-03-01 03:00:00.123456+00:00",
		"2026-03-01 03:00:00.5+00:00",
		"2026-03-01 03:00:01+00:00",
	}, got)

	require.NoError(t, s.Read(ctx, uuid.Nil, func(tx store.Tx) error {
		sess, err := tx.SessionGetByTokenHash(ctx, []byte{2}, base.Add(123455*time.Microsecond))
		require.NoError(t, err)
		require.Equal(t, base.Add(123456*time.Microsecond).UTC(), sess.ExpiresAt)
		_, err = tx.SessionGetByTokenHash(ctx, []byte{2}, base.Add(123456*time.Microsecond))
		require.ErrorIs(t, err, store.ErrNotFound)
		return nil
	}))
}

// Concurrent writers queue on the single writer connection instead of
// failing with SQLITE_BUSY, and ExecutionLock makes read-modify-write safe.
func TestConcurrentWritersSerialise(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, store.QueueConfig{}, true)

	var e *domain.Execution
	tenant := domain.NewID()
	require.NoError(t, s.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		if _, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenant, Name: "T", Slug: "t", Plan: domain.PlanFree}); err != nil {
			return err
		}
		wf, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, Name: "W", Definition: json.RawMessage(`{}`)})
		if err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenant, WorkflowID: wf.ID, Version: 1, Definition: json.RawMessage(`{}`)})
		if err != nil {
			return err
		}
		e, err = tx.ExecutionInsert(ctx, &store.ExecutionInsertParams{
			TenantID: tenant, WorkflowID: wf.ID, VersionID: v.ID, Version: 1, Status: domain.ExecutionRunning, Context: json.RawMessage(`{}`),
		})
		return err
	}))

	const writers, rounds = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*2)
	for range writers {
		wg.Go(func() {
			for range rounds {
				errs <- s.InTx(ctx, tenant, func(tx store.Tx) error {
					cur, err := tx.ExecutionLock(ctx, tenant, e.ID)
					if err != nil {
						return err
					}
					return tx.ExecutionUpdate(ctx, &store.ExecutionUpdateParams{
						TenantID: tenant, ID: e.ID, Status: cur.Status, Context: cur.Context,
						Token: cur.Token + 1, StepCount: cur.StepCount + 1,
					})
				})
				errs <- s.Read(ctx, tenant, func(tx store.Tx) error {
					_, err := tx.ExecutionGetByID(ctx, tenant, e.ID)
					return err
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, s.Read(ctx, tenant, func(tx store.Tx) error {
		got, err := tx.ExecutionGetByID(ctx, tenant, e.ID)
		require.NoError(t, err)
		require.EqualValues(t, writers*rounds, got.Token, "no update was lost")
		return nil
	}))
}

type pingArgs struct{}

func (pingArgs) Kind() string { return "sqlite_test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	done chan struct{}
}

func (w *pingWorker) Work(context.Context, *river.Job[pingArgs]) error {
	close(w.done)
	return nil
}

// Workers added to the bundle after Open and before Start are worked.
func TestWorkersAddedAfterOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	workers := river.NewWorkers()
	s := openTest(t, store.QueueConfig{Workers: workers}, true)
	w := &pingWorker{done: make(chan struct{})}
	river.AddWorker(workers, w)
	require.NoError(t, s.Queue().Start(ctx))
	_, err := s.Queue().Insert(ctx, pingArgs{}, nil)
	require.NoError(t, err)
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		t.Fatal("job not worked")
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, s.Queue().Stop(stopCtx))
}

// An insert-only queue inserts jobs and has nothing to start.
func TestWorkNone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, store.QueueConfig{WorkNone: true}, true)
	require.NoError(t, s.Queue().Start(ctx))
	_, err := s.Queue().Insert(ctx, pingArgs{}, nil)
	require.NoError(t, err)
	require.NoError(t, s.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		_, err := tx.JobInsert(ctx, pingArgs{}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		return err
	}))
	var n int
	require.NoError(t, s.reader.QueryRow(`SELECT count(*) FROM river_job`).Scan(&n))
	require.Equal(t, 2, n)
	require.NoError(t, s.Queue().Stop(ctx))
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	require.ErrorIs(t, translate(sql.ErrNoRows), store.ErrNotFound)
	require.NoError(t, translate(nil))
	other := errors.New("other")
	require.Equal(t, other, translate(other))

	ctx := context.Background()
	s := openTest(t, store.QueueConfig{}, true)
	err := s.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		_, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "A", Slug: "a", Plan: domain.PlanFree})
		require.NoError(t, err)
		_, err = tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "B", Slug: "a", Plan: domain.PlanFree})
		require.ErrorIs(t, err, store.ErrConflict)
		require.True(t, strings.Contains(err.Error(), `insert tenant "a"`), err.Error())
		// SQLite keeps the transaction usable after a failed statement.
		_, err = tx.TenantGetBySlug(ctx, "a")
		return err
	})
	require.NoError(t, err)
}

// Two stores (as two processes would) migrating one file at once both
// succeed.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	var stores []*Store
	for range 2 {
		s, err := Open(ctx, path, Options{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		stores = append(stores, s)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	for _, s := range stores {
		st, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		require.True(t, st.UpToDate)
	}
}

func TestOpenRefusesMemory(t *testing.T) {
	t.Parallel()
	_, err := Open(context.Background(), ":memory:", Options{})
	require.Error(t, err)
}

// Workflow search ignores case beyond ASCII.
func TestWorkflowSearchUnicode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, store.QueueConfig{}, true)
	tenant := domain.NewID()
	require.NoError(t, s.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		if _, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenant, Name: "T", Slug: "t", Plan: domain.PlanFree}); err != nil {
			return err
		}
		for _, name := range []string{"Über uns", "ÉTÉ promo", "Plain"} {
			if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, Name: name, Definition: json.RawMessage(`{}`)}); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, s.Read(ctx, tenant, func(tx store.Tx) error {
		for search, want := range map[string]string{"über": "Über uns", "été": "ÉTÉ promo", "ÜBER": "Über uns"} {
			got, err := tx.WorkflowList(ctx, &store.WorkflowListParams{TenantID: tenant, Search: search})
			require.NoError(t, err)
			require.Len(t, got, 1, search)
			require.Equal(t, want, got[0].Name)
		}
		return nil
	}))
}
