package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

// tx is the store.Tx of a PostgreSQL transaction.
type tx struct {
	tx     pgx.Tx
	q      *dbsqlc.Queries
	client *river.Client[pgx.Tx]
	after  []func(context.Context)
}

// AfterCommit runs fn once the transaction has committed.
func (t *tx) AfterCommit(fn func(context.Context)) { t.after = append(t.after, fn) }

var _ store.Tx = (*tx)(nil)

// Page sizes of the paged lists (audit log, workflows, executions) when
// Limit is zero or negative, and the largest page a caller may ask for; the
// bulk look-ups (waits of an event, active executions of a workflow) allow
// more.
const (
	pageDefault = 50
	pageMax     = 500
	bulkDefault = 1000
	bulkMax     = 10000
)

// limit clamps a requested row count: zero or negative is def, and never
// above maxN.
func limit(n, def, maxN int) int32 {
	if n <= 0 {
		n = def
	}
	return int32(min(n, maxN))
}

// SQLSTATEs translated to store errors.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	// Text the database cannot store: invalid byte sequence (U+0000 or
	// invalid UTF-8), untranslatable character (\u0000 in jsonb), and a
	// value too large for an index row.
	pgCharacterNotInRepertoire = "22021"
	pgUntranslatableCharacter  = "22P05"
	pgProgramLimitExceeded     = "54000"
)

// translate wraps err with what failed, turning "no rows" into
// store.ErrNotFound, unique violations into store.ErrConflict and foreign
// key violations (a referenced row is missing) into store.ErrNotFound.
func translate(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == pgUniqueViolation {
		return fmt.Errorf("%s: %w (%s)", what, store.ErrConflict, pgErr.ConstraintName)
	}
	if errors.As(err, &pgErr) && pgErr.Code == pgForeignKeyViolation {
		return fmt.Errorf("%s: referenced row missing: %w (%s)", what, store.ErrNotFound, pgErr.ConstraintName)
	}
	if errors.As(err, &pgErr) && (pgErr.Code == pgCharacterNotInRepertoire || pgErr.Code == pgUntranslatableCharacter || pgErr.Code == pgProgramLimitExceeded) {
		return fmt.Errorf("%s: %w: %s", what, store.ErrInvalidText, pgErr.Message)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// translateInsert is translate for INSERT … ON CONFLICT DO NOTHING
// RETURNING: no row back means a unique key was taken. Inserting with ON
// CONFLICT keeps the transaction usable after a conflict, as on SQLite.
func translateInsert(err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrConflict)
	}
	return translate(err, format, args...)
}

// affected turns "no row changed" into store.ErrNotFound.
func affected(n int64, err error, format string, args ...any) error {
	if err != nil {
		return translate(err, format, args...)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrNotFound)
	}
	return nil
}

func newID(id uuid.UUID) uuid.UUID {
	if id == uuid.Nil {
		return domain.NewID()
	}
	return id
}

// jsonOrEmpty stores a missing JSON document as {} in NOT NULL columns.
func jsonOrEmpty(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(`{}`)
	}
	return b
}

// rawJSON returns nil for SQL NULL and the document otherwise.
func rawJSON(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}

func utc(t time.Time) time.Time { return t.UTC() }

// microPtr is t in UTC at PostgreSQL's precision (microseconds).
func microPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// before is the exclusive upper bound of an ID-descending page: uuid.Nil
// starts at the newest row (UUIDv7 IDs sort by creation time).
func before(id uuid.UUID) uuid.UUID {
	if id == uuid.Nil {
		return uuid.Max
	}
	return id
}

// likePattern matches s as a substring with ILIKE.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// JobInsert inserts a River job in this transaction.
func (t *tx) JobInsert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := t.client.InsertTx(ctx, t.tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("insert %s job: %w", args.Kind(), err)
	}
	return res, nil
}

// JobInsertMany inserts several River jobs in this transaction.
func (t *tx) JobInsertMany(ctx context.Context, params []river.InsertManyParams) error {
	if len(params) == 0 {
		return nil
	}
	if _, err := t.client.InsertManyTx(ctx, t.tx, params); err != nil {
		return fmt.Errorf("insert %d jobs: %w", len(params), err)
	}
	return nil
}
