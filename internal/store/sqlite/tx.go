package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

// tx is a store.Tx over one *sql.Tx of the writer or the reader pool.
type tx struct {
	store    *Store
	tx       *sql.Tx
	q        *dbsqlc.Queries
	readOnly bool
	after    []func(context.Context)
}

// AfterCommit runs fn once the transaction has committed.
func (t *tx) AfterCommit(fn func(context.Context)) { t.after = append(t.after, fn) }

var _ store.Tx = (*tx)(nil)

// errReadOnly is returned by job inserts in a Read transaction.
var errReadOnly = errors.New("read-only transaction")

// JobInsert inserts a River job in this transaction.
func (t *tx) JobInsert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if t.readOnly {
		return nil, fmt.Errorf("insert job %s: %w", args.Kind(), errReadOnly)
	}
	res, err := t.store.queue.client.InsertTx(ctx, t.tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("insert job %s: %w", args.Kind(), err)
	}
	return res, nil
}

// JobInsertMany inserts several River jobs in this transaction.
func (t *tx) JobInsertMany(ctx context.Context, params []river.InsertManyParams) error {
	if t.readOnly {
		return fmt.Errorf("insert %d jobs: %w", len(params), errReadOnly)
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := t.store.queue.client.InsertManyTx(ctx, t.tx, params); err != nil {
		return fmt.Errorf("insert %d jobs: %w", len(params), err)
	}
	return nil
}

// translate maps SQLite errors to the store's sentinels: no rows is
// ErrNotFound, a unique or primary key violation ErrConflict, a foreign key
// violation (a referenced row missing, or of another tenant) ErrNotFound.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("referenced row missing: %w: %w", store.ErrNotFound, err)
		}
	}
	return err
}

// wrap translates err and names the operation that failed.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), translate(err))
}

// affected turns an :execrows result into ErrNotFound when no row matched.
func affected(n int64, err error, format string, args ...any) error {
	if err != nil {
		return wrap(err, format, args...)
	}
	if n == 0 {
		return store.NotFoundf(format, args...)
	}
	return nil
}

// now is the store's clock: UTC, truncated to microseconds (the precision
// PostgreSQL keeps, so both backends return equal times).
func now() time.Time { return utc(time.Now()) }

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: utc(*t), Valid: true}
}

func uuidPtr(u uuid.NullUUID) *uuid.UUID {
	if !u.Valid {
		return nil
	}
	v := u.UUID
	return &v
}

func nullUUID(u *uuid.UUID) uuid.NullUUID {
	if u == nil {
		return uuid.NullUUID{}
	}
	return uuid.NullUUID{UUID: *u, Valid: true}
}

// jsonText stores a JSON document as text; an empty document is NULL.
func jsonText(raw json.RawMessage) sql.NullString {
	if len(raw) == 0 {
		return sql.NullString{}
	}
	return sql.NullString{String: string(raw), Valid: true}
}

// jsonRaw reads a nullable JSON text column.
func jsonRaw(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	return json.RawMessage(s.String)
}

// jsonRequired is the text of a NOT NULL JSON column; an empty document is
// stored as an empty object.
func jsonRequired(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}

// limit clamps a page size: zero or negative is def, and never above max.
func limit(n, def, maxN int) int64 {
	if n <= 0 {
		n = def
	}
	return int64(min(n, maxN))
}

// before is the exclusive upper bound of an ID-descending page: uuid.Nil
// starts at the newest row.
func before(id uuid.UUID) uuid.UUID {
	if id == uuid.Nil {
		return uuid.Max
	}
	return id
}

// errorf wraps a sentinel with a message.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), sentinel)
}

// rowChunks are the row counts of the multi-row INSERT statements the
// batch inserts use, largest first: a handful of statement texts, which
// the connection's statement cache keeps prepared.
var rowChunks = []int{16, 8, 4, 2, 1}

// chunkSize is the largest of rowChunks that fits in remaining rows.
func chunkSize(remaining int) int {
	for _, c := range rowChunks {
		if c <= remaining {
			return c
		}
	}
	return rowChunks[len(rowChunks)-1]
}

// multiRowInserts builds, for each of rowChunks n, the statement head +
// " VALUES " + n rows of cols placeholders + tail.
func multiRowInserts(head string, cols int, tail string) map[int]string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	out := make(map[int]string, len(rowChunks))
	for _, n := range rowChunks {
		out[n] = head + " VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") + tail
	}
	return out
}

// returnedIDs runs an insert … RETURNING id and collects the IDs.
func (t *tx) returnedIDs(ctx context.Context, query string, args []any) (map[uuid.UUID]bool, error) {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[uuid.UUID]bool{}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// eachOfOneTenant checks that ps belong to one tenant and applies one to
// each, stopping at the first error.
func eachOfOneTenant[P any](ctx context.Context, what string, ps []P, tenant func(P) uuid.UUID, one func(context.Context, P) error) error {
	if err := store.OneTenant(ps, tenant); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, p := range ps {
		if err := one(ctx, p); err != nil {
			return err
		}
	}
	return nil
}
