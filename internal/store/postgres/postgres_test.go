package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

type noopArgs struct {
	N int `json:"n"`
}

func (noopArgs) Kind() string { return "test_noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// insertTenant inserts through tx (the tests' pool, whose role the row
// policies do not hold back) a tenant with slug, for tests that write the
// rows under test by hand in the same transaction.
func insertTenant(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, slug string) error {
	if _, err := tx.Exec(ctx, "INSERT INTO tenants (id, name, slug, plan) VALUES ($1, $2, $2, 'PRO')", tenantID, slug); err != nil {
		return fmt.Errorf("insert tenant %s: %w", slug, err)
	}
	return nil
}

// insertTenantWorkflow is insertTenant and one workflow of the tenant.
func insertTenantWorkflow(ctx context.Context, tx pgx.Tx, tenantID, workflowID uuid.UUID, slug string) error {
	if err := insertTenant(ctx, tx, tenantID, slug); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO workflows (id, tenant_id, name, definition) VALUES ($1, $2, 'wf', '{}')", workflowID, tenantID); err != nil {
		return fmt.Errorf("insert workflow of %s: %w", slug, err)
	}
	return nil
}

// insertTenantContact is insertTenant and one contact of the tenant.
func insertTenantContact(ctx context.Context, tx pgx.Tx, tenantID, contactID uuid.UUID, slug string) error {
	if err := insertTenant(ctx, tx, tenantID, slug); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO contacts (tenant_id, id) VALUES ($1, $2)", tenantID, contactID); err != nil {
		return fmt.Errorf("insert contact of %s: %w", slug, err)
	}
	return nil
}

// seed creates a tenant with a workflow, a version and an execution.
func seed(t *testing.T, s store.Store, slug string) (tenant *domain.Tenant, wf *domain.Workflow, exec *domain.Execution) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		var err error
		tenant, err = tx.TenantInsert(ctx, &store.TenantInsertParams{Name: slug, Slug: slug, Plan: domain.PlanFree})
		return err
	}))
	require.NoError(t, s.InTx(ctx, tenant.ID, func(tx store.Tx) error {
		var err error
		wf, err = tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{
			TenantID: tenant.ID, Name: "Welcome " + slug, Definition: json.RawMessage(`{"nodes":[],"edges":[]}`),
		})
		if err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{
			TenantID: tenant.ID, WorkflowID: wf.ID, Version: 1, Definition: wf.Definition,
		})
		if err != nil {
			return err
		}
		exec, err = tx.ExecutionInsert(ctx, &store.ExecutionInsertParams{
			TenantID: tenant.ID, WorkflowID: wf.ID, VersionID: v.ID, Version: 1,
			Status: domain.ExecutionPending, TriggerType: "trigger.manual", CurrentNodeID: "start",
		})
		return err
	}))
	return tenant, wf, exec
}

// TestExercise runs the conformance suite on PostgreSQL as the test
// database's (super)user.
func TestExercise(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, func(t *testing.T) store.Store { return storetest.Postgres(t) })
}

// TestExerciseAppRole runs the conformance suite connected as an ordinary
// role, so row-level security applies to every statement: each method must
// run under the right tenant (or system) setting to pass.
func TestExerciseAppRole(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, func(t *testing.T) store.Store { return storetest.PostgresAppRole(t) })
}

// TestExerciseQueueLease runs the job lease cases as the test database's
// user and as an ordinary role.
func TestExerciseQueueLease(t *testing.T) {
	t.Parallel()
	t.Run("Superuser", func(t *testing.T) {
		t.Parallel()
		storetest.ExerciseQueueLease(t, func(t *testing.T, opts ...storetest.Option) store.Store { return storetest.Postgres(t, opts...) })
	})
	t.Run("AppRole", func(t *testing.T) {
		t.Parallel()
		storetest.ExerciseQueueLease(t, func(t *testing.T, opts ...storetest.Option) store.Store { return storetest.PostgresAppRole(t, opts...) })
	})
}

func TestSmoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	workers := river.NewWorkers()
	river.AddWorker(workers, noopWorker{})
	s := storetest.PostgresStore(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	require.Equal(t, store.DialectPostgres, s.Dialect())
	require.NoError(t, s.Ping(ctx))

	st, err := s.MigrationStatus(ctx)
	require.NoError(t, err)
	require.True(t, st.UpToDate, "%+v", st)
	require.True(t, st.RiverOK)
	require.Equal(t, st.Latest, st.Current)
	require.Positive(t, st.Latest)

	tenant, wf, exec := seed(t, s, "acme")

	// Conflicts keep the transaction usable.
	require.NoError(t, s.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		_, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "x", Slug: "acme", Plan: domain.PlanFree})
		require.ErrorIs(t, err, store.ErrConflict)
		_, err = tx.TenantGetBySlug(ctx, "acme")
		return err
	}))

	// Idempotency key, lock, update, stale revision.
	require.NoError(t, s.InTx(ctx, tenant.ID, func(tx store.Tx) error {
		p := &store.ExecutionInsertParams{
			TenantID: tenant.ID, WorkflowID: wf.ID, VersionID: exec.VersionID, Version: 1,
			Status: domain.ExecutionPending, IdempotencyKey: "k1",
		}
		_, err := tx.ExecutionInsert(ctx, p)
		require.NoError(t, err)
		_, err = tx.ExecutionInsert(ctx, p)
		require.ErrorIs(t, err, store.ErrConflict)

		e, err := tx.ExecutionLock(ctx, tenant.ID, exec.ID)
		require.NoError(t, err)
		require.Equal(t, json.RawMessage(`{}`), e.Context)
		now := time.Now()
		require.NoError(t, tx.ExecutionUpdate(ctx, &store.ExecutionUpdateParams{
			TenantID: tenant.ID, ID: exec.ID, Status: domain.ExecutionRunning, Token: 1, StepCount: 1,
			Context: json.RawMessage(`{"vars":{"a":1}}`), StartedAt: &now,
		}))
		_, err = tx.WorkflowUpdateDraft(ctx, &store.WorkflowUpdateDraftParams{
			TenantID: tenant.ID, ID: wf.ID, ExpectedRevision: wf.Revision + 5, Name: "n",
		})
		require.ErrorIs(t, err, store.ErrStale)
		_, err = tx.WorkflowUpdateDraft(ctx, &store.WorkflowUpdateDraftParams{
			TenantID: tenant.ID, ID: uuid.New(), ExpectedRevision: 1, Name: "n",
		})
		require.ErrorIs(t, err, store.ErrNotFound)
		return nil
	}))

	require.NoError(t, s.Read(ctx, tenant.ID, func(tx store.Tx) error {
		e, err := tx.ExecutionGetByID(ctx, tenant.ID, exec.ID)
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionRunning, e.Status)
		require.JSONEq(t, `{"vars":{"a":1}}`, string(e.Context))
		require.Equal(t, time.UTC, e.StartedAt.Location())

		list, err := tx.ExecutionList(ctx, &store.ExecutionListParams{
			TenantID: tenant.ID, Status: []domain.ExecutionStatus{domain.ExecutionRunning},
		})
		require.NoError(t, err)
		require.Len(t, list, 1)

		active := true
		wfs, err := tx.WorkflowList(ctx, &store.WorkflowListParams{TenantID: tenant.ID, Search: "COME", Active: &active})
		require.NoError(t, err)
		require.Empty(t, wfs)
		wfs, err = tx.WorkflowList(ctx, &store.WorkflowListParams{TenantID: tenant.ID, Search: "COME"})
		require.NoError(t, err)
		require.Len(t, wfs, 1)

		// Writes fail in a read-only transaction.
		_, err = tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "y", Slug: "y", Plan: domain.PlanFree})
		require.Error(t, err)
		return nil
	}))

	// A job inserted in a transaction that rolls back is gone with it.
	boom := errors.New("boom")
	var jobID int64
	err = s.InTx(ctx, tenant.ID, func(tx store.Tx) error {
		res, err := tx.JobInsert(ctx, noopArgs{N: 1}, nil)
		require.NoError(t, err)
		jobID = res.Job.ID
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = s.River().JobGet(ctx, jobID)
	require.ErrorIs(t, err, river.ErrNotFound)

	require.NoError(t, s.InTx(ctx, tenant.ID, func(tx store.Tx) error {
		return tx.JobInsertMany(ctx, []river.InsertManyParams{{Args: noopArgs{N: 2}}, {Args: noopArgs{N: 3}}})
	}))
}

func TestQueueWorksJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	workers := river.NewWorkers()
	s := storetest.PostgresStore(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	// Workers may be added after Open and before Start.
	river.AddWorker(workers, noopWorker{})

	events, cancel := s.Queue().Subscribe(river.EventKindJobCompleted)
	defer cancel()
	require.NoError(t, s.Queue().Start(ctx))
	defer func() { require.NoError(t, s.Queue().Stop(ctx)) }()

	require.NoError(t, s.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		_, err := tx.JobInsert(ctx, noopArgs{N: 1}, nil)
		return err
	}))
	_, err := s.Queue().Insert(ctx, noopArgs{N: 2}, nil)
	require.NoError(t, err)
	for range 2 {
		select {
		case ev := <-events:
			require.Equal(t, "test_noop", ev.Job.Kind)
		case <-time.After(20 * time.Second):
			t.Fatal("job not worked")
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := storetest.PostgresSchema(t)

	const n = 3
	stores := make([]*postgres.Store, n)
	for i := range stores {
		s, err := postgres.Open(ctx, storetest.PostgresURL(), postgres.Options{Schema: schema, Queue: store.QueueConfig{WorkNone: true}, SystemTokens: storetest.SystemTokens})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		stores[i] = s
	}
	st, err := stores[0].MigrationStatus(ctx)
	require.NoError(t, err)
	require.False(t, st.UpToDate)
	require.Zero(t, st.Current)

	var wg sync.WaitGroup
	errs := make([]error, n)
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
		require.True(t, st.UpToDate, "%+v", st)
	}
	// Migrating again is a no-op.
	require.NoError(t, stores[0].Migrate(ctx))
}

// TestRowLevelSecurity proves the policies with an ordinary role (superusers
// bypass row-level security): a transaction scoped to tenant A sees and
// changes only A's rows even without a tenant filter, and the store works
// end to end when it connects as that role.
func TestRowLevelSecurity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin := storetest.PostgresConn(t)
	s := storetest.PostgresStore(t)
	schema := searchPath(t, s)

	a, wfA, _ := seed(t, s, "tenant-a")
	b, wfB, _ := seed(t, s, "tenant-b")

	role := storetest.PostgresRole(t, schema)

	var superuser, bypass bool
	require.NoError(t, admin.QueryRow(ctx, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", role).Scan(&superuser, &bypass))
	require.False(t, superuser)
	require.False(t, bypass)

	// Raw SQL as the role, no tenant filter in the statements.
	asRole := func(tenant string, fn func(tx pgx.Tx)) {
		tx, err := admin.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback(ctx) }()
		_, err = tx.Exec(ctx, "SET LOCAL ROLE "+role)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "SELECT set_config('search_path', $1, true), set_config('nextflow.tenant_id', $2, true)", schema, tenant)
		require.NoError(t, err)
		fn(tx)
	}
	asRole(a.ID.String(), func(tx pgx.Tx) {
		rows, err := tx.Query(ctx, "SELECT id, tenant_id FROM workflows")
		require.NoError(t, err)
		type row struct{ ID, TenantID uuid.UUID }
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		require.NoError(t, err)
		require.Equal(t, []row{{wfA.ID, a.ID}}, got)

		var n int
		require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM workflow_executions").Scan(&n))
		require.Equal(t, 1, n)

		tag, err := tx.Exec(ctx, "UPDATE workflows SET name = 'pwned' WHERE id = $1", wfB.ID)
		require.NoError(t, err)
		require.Zero(t, tag.RowsAffected())
		tag, err = tx.Exec(ctx, "UPDATE workflows SET name = 'pwned'")
		require.NoError(t, err)
		require.EqualValues(t, 1, tag.RowsAffected())
		tag, err = tx.Exec(ctx, "DELETE FROM workflows WHERE tenant_id = $1", b.ID)
		require.NoError(t, err)
		require.Zero(t, tag.RowsAffected())

		_, err = tx.Exec(ctx, "SAVEPOINT before_insert")
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "INSERT INTO workflows (id, tenant_id, name, definition) VALUES ($1, $2, 'evil', '{}')", uuid.New(), b.ID)
		var pgErr *pgconn.PgError
		require.ErrorAs(t, err, &pgErr)
		require.Equal(t, "42501", pgErr.Code, "row-level security violation")
	})
	asRole("", func(tx pgx.Tx) {
		var n int
		require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM workflows").Scan(&n))
		require.Zero(t, n, "no tenant set: no rows")
	})

	// The system scope is not a setting the role can switch on by itself:
	// 'on' (as before migration 00011) or a made-up token is refused, and
	// the role can neither register a token nor replace the check.
	for _, forged := range []string{"on", "true", strings.Repeat("0", 64)} {
		asRole("", func(tx pgx.Tx) {
			_, err := tx.Exec(ctx, "SELECT set_config('nextflow.system', $1, true)", forged)
			require.NoError(t, err)
			var n int
			require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM workflows").Scan(&n))
			require.Zero(t, n, "nextflow.system = %q opened other tenants' rows", forged)
		})
	}
	asRole("", func(tx pgx.Tx) {
		_, err := tx.Exec(ctx, "SAVEPOINT forge")
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "INSERT INTO nextflow_system_tokens (token_hash) VALUES (sha256('mine'))")
		require.Error(t, err, "the role registers a token of its own")
		_, err = tx.Exec(ctx, "ROLLBACK TO SAVEPOINT forge")
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "CREATE OR REPLACE FUNCTION nextflow_system_on() RETURNS boolean LANGUAGE sql AS 'SELECT true'")
		require.Error(t, err, "the role replaces the system check")
	})

	// B's workflow is untouched.
	var name string
	require.NoError(t, admin.QueryRow(ctx, "SELECT name FROM "+schema+".workflows WHERE id = $1", wfB.ID).Scan(&name))
	require.Equal(t, wfB.Name, name)

	// The store itself, connected as the role.
	u, err := url.Parse(storetest.PostgresURL())
	require.NoError(t, err)
	u.User = url.User(role)
	rs, err := postgres.Open(ctx, u.String(), postgres.Options{Schema: schema, Queue: store.QueueConfig{WorkNone: true}, SystemTokens: storetest.SystemTokens})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rs.Close() })

	require.NoError(t, rs.Read(ctx, a.ID, func(tx store.Tx) error {
		got, err := tx.WorkflowGetByID(ctx, a.ID, wfA.ID)
		require.NoError(t, err)
		require.Equal(t, wfA.ID, got.ID)
		// Asking for B's row by B's tenant ID from A's transaction: the
		// policy hides it even though the query filters on B.
		_, err = tx.WorkflowGetByID(ctx, b.ID, wfB.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		list, err := tx.WorkflowList(ctx, &store.WorkflowListParams{TenantID: b.ID})
		require.NoError(t, err)
		require.Empty(t, list)
		return nil
	}))
	err = rs.InTx(ctx, a.ID, func(tx store.Tx) error {
		_, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: b.ID, Name: "evil"})
		return err
	})
	require.Error(t, err, "writing B's row from A's transaction")
	require.NoError(t, rs.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		// System transactions reach across tenants, for look-ups by token.
		_, err := tx.WorkflowGetByID(ctx, b.ID, wfB.ID)
		return err
	}))
}

func searchPath(t *testing.T, s *postgres.Store) string {
	t.Helper()
	var sp string
	require.NoError(t, s.Pool().QueryRow(context.Background(), "SHOW search_path").Scan(&sp))
	return sp
}

// TestExecutionLockSerializes shows ExecutionLock is a row lock: a second
// transaction locking the same execution waits for the first to end and
// then reads the state it committed.
func TestExecutionLockSerializes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.PostgresStore(t)
	tenant, _, exec := seed(t, s, "lock")

	locked := make(chan struct{})
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.InTx(ctx, tenant.ID, func(tx store.Tx) error {
			e, err := tx.ExecutionLock(ctx, tenant.ID, exec.ID)
			if err != nil {
				return err
			}
			close(locked)
			<-release
			return tx.ExecutionUpdate(ctx, &store.ExecutionUpdateParams{
				TenantID: tenant.ID, ID: e.ID, Status: domain.ExecutionRunning, Token: e.Token + 1,
				StepCount: e.StepCount, Context: e.Context, CurrentNodeID: "next",
			})
		})
	}()
	<-locked

	second := make(chan *domain.Execution, 1)
	secondErr := make(chan error, 1)
	go func() {
		secondErr <- s.InTx(ctx, tenant.ID, func(tx store.Tx) error {
			e, err := tx.ExecutionLock(ctx, tenant.ID, exec.ID)
			second <- e
			return err
		})
	}()
	// Wait until the second transaction is blocked on the row lock: a
	// waiter for a row holds the heavyweight tuple lock of the row.
	require.Eventually(t, func() bool {
		var n int
		err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_locks
			WHERE locktype = 'tuple' AND relation = 'workflow_executions'::regclass`).Scan(&n)
		return err == nil && n > 0
	}, 20*time.Second, 10*time.Millisecond)
	select {
	case <-second:
		t.Fatal("second lock returned while the first transaction held the row")
	default:
	}
	close(release)
	require.NoError(t, <-first)
	require.NoError(t, <-secondErr)
	got := <-second
	require.Equal(t, exec.Token+1, got.Token)
	require.Equal(t, "next", got.CurrentNodeID)
}

func TestOpenRejectsBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := postgres.Open(ctx, storetest.PostgresURL(), postgres.Options{Schema: "Robert'); DROP TABLE students;--"})
	require.ErrorContains(t, err, "schema")
	_, err = postgres.Open(ctx, "postgres://u:secret@[::1", postgres.Options{})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret")
}
