package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
)

// DefaultPostgresURL is the test database used when
// NEXTFLOW_TEST_DATABASE_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL returns the test database URL (NEXTFLOW_TEST_DATABASE_URL or
// DefaultPostgresURL).
func PostgresURL() string {
	if u := os.Getenv("NEXTFLOW_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// adminPool is this process's pool of connections to the test database for
// administration: creating, emptying and dropping schemas and roles.
var adminPool struct {
	once sync.Once
	pool *pgxpool.Pool
	err  error
}

// postgresAdmin returns the administration pool. An unreachable server
// skips the test, or fails it under CI=true.
func postgresAdmin(t testing.TB) *pgxpool.Pool {
	t.Helper()
	adminPool.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		adminPool.pool, adminPool.err = pgxpool.New(ctx, PostgresURL())
		if adminPool.err == nil {
			adminPool.err = adminPool.pool.Ping(ctx)
		}
		if adminPool.err == nil {
			adminPool.err = holdProcessLock(ctx)
		}
		if adminPool.err == nil {
			sweepStaleSchemas(ctx, adminPool.pool)
		}
	})
	if err := adminPool.err; err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at NEXTFLOW_TEST_DATABASE_URL is unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set NEXTFLOW_TEST_DATABASE_URL): %v", err)
	}
	return adminPool.pool
}

// PostgresConn returns a connection to the test database as its own user
// (a superuser on the test machines), for administration and for tests
// that need raw SQL, and releases it when the test ends. An unreachable
// server skips the test, or fails it under CI=true.
func PostgresConn(t testing.TB) *pgx.Conn {
	t.Helper()
	c, err := postgresAdmin(t).Acquire(context.Background())
	require.NoError(t, err)
	t.Cleanup(c.Release)
	return c.Conn()
}

// adminExec runs sql on the administration pool (also after the test's
// own connections are gone).
func adminExec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := adminPool.pool.Exec(ctx, sql)
	return err
}

// Test schemas and roles are named nftest_<unix seconds>_<process>_<random>
// and nftest_app_<process>_<random>. Each test process holds a session
// advisory lock keyed on its <process> token for as long as it runs, so a
// later process can tell the schemas and roles of a process that died
// before its cleanups ran (its lock is free) and drop them.
const (
	schemaPrefix = "nftest_"
	rolePrefix   = "nftest_app_"
	// staleAfter drops leftovers whose name carries no process token.
	staleAfter = time.Hour
)

// process is this process's token (fixed before any test runs, so that
// parallel tests read it without synchronisation) and the connection that
// holds its lock (kept reachable here so that it stays open until the
// process exits).
var process = struct {
	token string
	conn  *pgx.Conn
}{token: randomHex(4)}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// processLockKey is the advisory lock key of a process token.
func processLockKey(token string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("nextflow.storetest." + token))
	return int64(h.Sum64())
}

func holdProcessLock(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, PostgresURL())
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", processLockKey(process.token)); err != nil {
		_ = conn.Close(ctx)
		return err
	}
	process.conn = conn
	return nil
}

func newSchemaName() string {
	return fmt.Sprintf("%s%d_%s_%s", schemaPrefix, time.Now().Unix(), process.token, randomHex(6))
}

func newRoleName() string {
	return fmt.Sprintf("%s%s_%s", rolePrefix, process.token, randomHex(6))
}

// PostgresSchema creates an empty schema with a random name, drops it (with
// everything in it) when the test ends, and returns its name. It does not
// migrate.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	schema := newSchemaName()
	_, err := postgresAdmin(t).Exec(context.Background(), "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := adminExec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// sweepStaleSchemas drops the test schemas and roles of test processes
// that are gone (killed before their cleanups ran): those whose process
// lock is free, and, for names without a process token, those older than
// staleAfter.
func sweepStaleSchemas(ctx context.Context, pool *pgxpool.Pool) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return
	}
	defer conn.Release()
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'nftest\_%'
		UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE 'nftest\_app\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	alive := map[string]bool{process.token: true}
	isAlive := func(token string) bool {
		if v, ok := alive[token]; ok {
			return v
		}
		// Taking the lock succeeds only when its process is gone.
		var free bool
		key := processLockKey(token)
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&free); err != nil {
			return true
		}
		if free {
			_, _ = conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", key)
		}
		alive[token] = !free
		return !free
	}
	var roles []string
	for _, name := range names {
		if token, ok := strings.CutPrefix(name, rolePrefix); ok {
			if token, _, ok = strings.Cut(token, "_"); ok && !isAlive(token) {
				roles = append(roles, name)
			}
			continue
		}
		parts := strings.Split(strings.TrimPrefix(name, schemaPrefix), "_")
		stale := false
		switch {
		case len(parts) == 3:
			stale = !isAlive(parts[1])
		case len(parts) == 2:
			sec, err := strconv.ParseInt(parts[0], 10, 64)
			stale = err == nil && time.Since(time.Unix(sec, 0)) > staleAfter
		}
		if stale {
			_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE")
		}
	}
	for _, role := range roles {
		_, _ = conn.Exec(ctx, "DROP OWNED BY "+role+"; DROP ROLE IF EXISTS "+role)
	}
}

// migratedSchemas is this process's pool of migrated, empty schemas.
// Migrating a schema takes a second or more (dozens of DDL statements, each
// writing files), emptying one a few milliseconds, so a test's schema is
// emptied and handed to the next test instead of being dropped. Schemas
// still pooled when the process exits are dropped by the next test
// process's sweep.
var migratedSchemas struct {
	mu   sync.Mutex
	free []string
}

// migratedSchema returns a migrated schema with no rows for the test's
// exclusive use. When the test ends its rows are deleted and the schema
// goes back to the pool (or is dropped if that fails).
func migratedSchema(t testing.TB) string {
	t.Helper()
	admin := postgresAdmin(t)
	ctx := context.Background()

	migratedSchemas.mu.Lock()
	var schema string
	if n := len(migratedSchemas.free); n > 0 {
		schema = migratedSchemas.free[n-1]
		migratedSchemas.free = migratedSchemas.free[:n-1]
	}
	migratedSchemas.mu.Unlock()

	if schema == "" {
		schema = newSchemaName()
		_, err := admin.Exec(ctx, "CREATE SCHEMA "+schema)
		require.NoError(t, err)
		s, err := postgres.Open(ctx, PostgresURL(), postgres.Options{Schema: schema, Queue: store.QueueConfig{WorkNone: true}, SystemTokens: SystemTokens})
		require.NoError(t, err)
		err = s.Migrate(ctx)
		_ = s.Close()
		if err != nil {
			_ = adminExec("DROP SCHEMA " + schema + " CASCADE")
		}
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		if err := resetSchema(schema); err != nil {
			t.Logf("empty schema %s: %v; dropping it", schema, err)
			_ = adminExec("DROP SCHEMA " + schema + " CASCADE")
			return
		}
		migratedSchemas.mu.Lock()
		migratedSchemas.free = append(migratedSchemas.free, schema)
		migratedSchemas.mu.Unlock()
	})
	return schema
}

// resetSchema deletes every row of a test schema but the migration
// records. Deleting tenants and users cascades to everything they own; the
// other tables (River's) are emptied one by one.
func resetSchema(schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := adminPool.pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = $1 AND table_type = 'BASE TABLE'
		  AND table_name NOT IN ('goose_db_version', 'river_migration', 'tenants', 'users')
		ORDER BY table_name`, schema)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var sql strings.Builder
	for _, table := range append([]string{"tenants", "users"}, tables...) {
		fmt.Fprintf(&sql, "DELETE FROM %s;", pgx.Identifier{schema, table}.Sanitize())
	}
	_, err = adminPool.pool.Exec(ctx, sql.String())
	return err
}

// Postgres returns a store on a migrated PostgreSQL schema of its own with
// no rows, closed when the test ends. An unreachable server skips the test,
// or fails it under CI=true.
func Postgres(t testing.TB, opts ...Option) store.Store {
	t.Helper()
	return PostgresStore(t, opts...)
}

// SystemTokens is the system token of every test store on PostgreSQL (see
// postgres.Options.SystemTokens): test schemas are migrated by one store
// and used by others, as the processes of one deployment share a key.
var SystemTokens = []string{postgres.SystemToken([]byte("nextflow storetest system key, not a secret"))}

// PostgresStore is Postgres returning the concrete store, for tests of the
// backend itself.
func PostgresStore(t testing.TB, opts ...Option) *postgres.Store {
	t.Helper()
	o := buildOptions(opts)
	schema := migratedSchema(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, PostgresURL(), postgres.Options{Queue: o.Queue, Schema: schema, SystemTokens: SystemTokens, Monitor: o.Monitor})
	require.NoError(t, err)
	// Registered after the schema's cleanup, so it runs before it.
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))
	return s
}

// PostgresAppRole is PostgresStore connected as an ordinary role (LOGIN
// NOSUPERUSER NOBYPASSRLS, created for the test and dropped after it) that
// may only read and write the schema's tables, as NextFlow runs in
// production. Row-level security applies to it, which a superuser skips;
// the schema is migrated by the test database's own user.
func PostgresAppRole(t testing.TB, opts ...Option) *postgres.Store {
	t.Helper()
	o := buildOptions(opts)
	schema := migratedSchema(t)
	role := PostgresRole(t, schema)
	u, err := url.Parse(PostgresURL())
	require.NoError(t, err)
	u.User = url.User(role)
	s, err := postgres.Open(context.Background(), u.String(), postgres.Options{Queue: o.Queue, Schema: schema, SystemTokens: SystemTokens, Monitor: o.Monitor})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// PostgresRole creates a login role without superuser or BYPASSRLS that may
// use the schema and read and write its tables, drops it when the test
// ends, and returns its name.
func PostgresRole(t testing.TB, schema string) string {
	t.Helper()
	admin := postgresAdmin(t)
	ctx := context.Background()
	role := newRoleName()
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN NOSUPERUSER NOBYPASSRLS",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
		// As the postgres package documents: the system-token hashes stay the owner's.
		"REVOKE ALL ON " + schema + ".nextflow_system_tokens FROM " + role,
		"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " + schema + " TO " + role,
	} {
		_, err := admin.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	t.Cleanup(func() {
		// DROP OWNED revokes the role's privileges so the role can go.
		if err := adminExec("DROP OWNED BY " + role + "; DROP ROLE " + role); err != nil {
			t.Logf("drop role %s: %v", role, err)
		}
	})
	return role
}
