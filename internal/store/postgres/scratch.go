package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	neturl "net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// OpenScratch opens a store in a new schema of its own (named prefix and a
// random suffix), migrated, for a benchmark or a tool that must not touch
// the database's other data. drop closes the store and drops the schema
// with everything in it.
func OpenScratch(ctx context.Context, databaseURL, prefix string, opts Options) (st *Store, drop func(), err error) {
	conn, err := pgx.Connect(ctx, singleConnURL(databaseURL))
	if err != nil {
		return nil, nil, fmt.Errorf("open scratch schema: connect: %w", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	opts.Schema = prefix + hex.EncodeToString(b[:])
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
