package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	sqlite "modernc.org/sqlite"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// maxCachedStmts bounds the statements a connection keeps prepared. NextFlow
// and River together issue a few hundred distinct statements.
const maxCachedStmts = 512

// stmtCacheConnector opens modernc.org/sqlite connections that keep every
// data statement prepared, keyed by its SQL text. modernc.org/sqlite parses
// each statement run through a connection's ExecContext or QueryContext
// anew, and parsing costs about as much as running the small statements the
// store and River issue; a cached statement is only bound and stepped.
type stmtCacheConnector struct {
	dsn    string
	driver *sqlite.Driver
	// monitor times and names every statement (see querytrace.go).
	monitor *store.QueryMonitor
}

// Connect opens a connection with an empty statement cache.
func (c *stmtCacheConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &stmtCacheConn{conn: conn.(sqliteConn), stmts: map[string]*cachedStmt{}, monitor: c.monitor}, nil
}

// Driver returns the modernc.org/sqlite driver.
func (c *stmtCacheConnector) Driver() driver.Driver { return c.driver }

// sqliteConn is what modernc.org/sqlite's connection implements.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtCacheConn is a connection with its statement cache. database/sql uses
// a connection from one goroutine at a time, so the cache needs no lock.
type stmtCacheConn struct {
	conn    sqliteConn
	stmts   map[string]*cachedStmt
	monitor *store.QueryMonitor
}

// cachedStmt is a prepared statement; busy while rows read from it are open
// (a query run again meanwhile gets a statement of its own).
type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy atomic.Bool
}

var (
	_ driver.Conn               = (*stmtCacheConn)(nil)
	_ driver.ConnBeginTx        = (*stmtCacheConn)(nil)
	_ driver.ConnPrepareContext = (*stmtCacheConn)(nil)
	_ driver.ExecerContext      = (*stmtCacheConn)(nil)
	_ driver.QueryerContext     = (*stmtCacheConn)(nil)
	_ driver.Pinger             = (*stmtCacheConn)(nil)
	_ driver.SessionResetter    = (*stmtCacheConn)(nil)
	_ driver.Validator          = (*stmtCacheConn)(nil)
)

// cacheable reports whether query is a single data statement worth keeping
// prepared (not DDL, not a PRAGMA, not a transaction statement).
func cacheable(query string) bool {
	q := query
	for {
		q = strings.TrimLeft(q, " \t\r\n")
		if !strings.HasPrefix(q, "--") {
			break
		}
		i := strings.IndexByte(q, '\n')
		if i < 0 {
			return false
		}
		q = q[i+1:]
	}
	end := strings.IndexAny(q, " \t\r\n(")
	if end < 0 {
		return false
	}
	switch strings.ToUpper(q[:end]) {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE":
		return true
	}
	return false
}

// cached returns the prepared statement for query, preparing it on first
// use; nil when query is not cacheable, the cache is full or the statement
// is busy.
func (c *stmtCacheConn) cached(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		if s.busy.Load() {
			return nil, nil
		}
		return s, nil
	}
	if len(c.stmts) >= maxCachedStmts || !cacheable(query) {
		return nil, nil
	}
	ds, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		_ = ds.Close()
		return nil, nil
	}
	s := &cachedStmt{stmt: st}
	c.stmts[query] = s
	return s, nil
}

// ExecContext runs query through its cached statement.
func (c *stmtCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (res driver.Result, err error) {
	start := time.Now()
	defer func() { c.monitor.QueryDone(ctx, query, start, err) }()
	s, err := c.cached(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.conn.ExecContext(ctx, query, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

// QueryContext runs query through its cached statement, which stays busy
// until the rows are closed; the query is timed until then.
func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	start := time.Now()
	rows, err := c.query(ctx, query, args)
	if err != nil {
		c.monitor.QueryDone(ctx, query, start, err)
		return nil, err
	}
	return &timedRows{Rows: rows, done: func(err error) { c.monitor.QueryDone(ctx, query, start, err) }}, nil
}

func (c *stmtCacheConn) query(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.cached(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.conn.QueryContext(ctx, query, args)
	}
	s.busy.Store(true)
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		s.busy.Store(false)
		return nil, err
	}
	return &cachedRows{Rows: rows, stmt: s}, nil
}

// Prepare prepares a statement the caller owns (not cached).
func (c *stmtCacheConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }

// PrepareContext prepares a statement the caller owns (not cached).
func (c *stmtCacheConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.conn.PrepareContext(ctx, query)
}

// Begin starts a transaction.
//
// Deprecated: database/sql calls BeginTx.
func (c *stmtCacheConn) Begin() (driver.Tx, error) { //nolint:staticcheck // required by driver.Conn
	return c.conn.Begin() //nolint:staticcheck // required by driver.Conn
}

// BeginTx starts a transaction.
func (c *stmtCacheConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.BeginTx(ctx, opts)
}

// Ping checks the connection.
func (c *stmtCacheConn) Ping(ctx context.Context) error { return c.conn.Ping(ctx) }

// ResetSession is called before the connection is reused.
func (c *stmtCacheConn) ResetSession(ctx context.Context) error { return c.conn.ResetSession(ctx) }

// IsValid reports whether the connection may be reused.
func (c *stmtCacheConn) IsValid() bool { return c.conn.IsValid() }

// Close finalizes the cached statements and closes the connection.
func (c *stmtCacheConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.conn.Close())
	return errors.Join(errs...)
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

// Close closes the rows (which resets the statement) and frees it.
func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy.Store(false)
	return err
}

// ColumnTypeDatabaseTypeName passes the declared column type through.
func (r *cachedRows) ColumnTypeDatabaseTypeName(index int) string {
	if ct, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return ct.ColumnTypeDatabaseTypeName(index)
	}
	return ""
}
