package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// scratchMaxAge is the age past which a scratch schema is taken for one
// left by a run that was killed, and dropped.
const scratchMaxAge = 6 * time.Hour

// OpenScratch opens a store in a new schema of its own (named prefix, the
// Unix time and a random suffix), migrated, for a benchmark or a tool that
// must not touch the database's other data. drop closes the store and
// drops the schema with everything in it. Schemas of the same prefix older
// than scratchMaxAge, left by runs that were killed, are dropped first.
func OpenScratch(ctx context.Context, databaseURL, prefix string, opts Options) (st *Store, drop func(), err error) {
	conn, err := pgx.Connect(ctx, singleConnURL(databaseURL))
	if err != nil {
		return nil, nil, fmt.Errorf("open scratch schema: connect: %w", err)
	}
	dropStaleScratch(ctx, conn, prefix)
	var b [6]byte
	_, _ = rand.Read(b[:])
	opts.Schema = fmt.Sprintf("%s%d_%s", prefix, time.Now().Unix(), hex.EncodeToString(b[:]))
	if !schemaName.MatchString(opts.Schema) {
		conn.Close(ctx)
		return nil, nil, fmt.Errorf("open scratch schema: prefix %q: want lower-case letters, digits and underscores", prefix)
	}
	ident := pgx.Identifier{opts.Schema}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		conn.Close(ctx)
		return nil, nil, fmt.Errorf("open scratch schema: create %s: %w", opts.Schema, err)
	}
	dropSchema := func() {
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+ident+" CASCADE")
		conn.Close(context.Background())
	}
	if st, err = Open(ctx, databaseURL, opts); err != nil {
		dropSchema()
		return nil, nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		dropSchema()
		return nil, nil, err
	}
	return st, func() { st.Close(); dropSchema() }, nil
}

// dropStaleScratch drops the schemas named prefix<unix time>_… whose time
// is older than scratchMaxAge. Failures are ignored: this is tidying.
func dropStaleScratch(ctx context.Context, conn *pgx.Conn, prefix string) {
	rows, err := conn.Query(ctx, "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", prefix)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		stamp, _, ok := strings.Cut(strings.TrimPrefix(name, prefix), "_")
		unix, err := strconv.ParseInt(stamp, 10, 64)
		if !ok || err != nil || time.Since(time.Unix(unix, 0)) < scratchMaxAge {
			continue
		}
		_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	}
}

// singleConnURL drops the pool settings (pool_max_conns…) that a single
// pgx connection does not accept.
func singleConnURL(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
