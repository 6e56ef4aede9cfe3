package postgres

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The system scope of row-level security (migration 00011): a system
// transaction sets nextflow.system to this process's token, and the
// policies accept it only when its sha256 is one the schema owner
// registered. A session of the application role that sets the setting to
// anything else sees its own tenant's rows and no others.

// SystemToken derives the token a process proves its system transactions
// with from a secret key (NEXTFLOW_SECRET_KEY): processes that share the
// key share the token.
func SystemToken(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("nextflow row-level-security system scope"))
	return hex.EncodeToString(mac.Sum(nil))
}

// systemTokenForm keeps tokens safe to inline into the transaction's
// opening statement.
var systemTokenForm = regexp.MustCompile(`^[0-9a-f]{32,128}$`)

// systemTokens validates opts' tokens, or draws one for a store that
// stands alone (a bench, a single test).
func systemTokens(given []string) ([]string, error) {
	for _, t := range given {
		if !systemTokenForm.MatchString(t) {
			return nil, errors.New("open postgres: a system token must be 32 to 128 lower-case hex characters")
		}
	}
	if len(given) > 0 {
		return given, nil
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	return []string{hex.EncodeToString(b[:])}, nil
}

// registerSystemTokens makes the database accept this store's tokens. When
// the first is accepted already (registered by another process with the
// same key, or an earlier start) it writes nothing, so a role that is not
// the schema's owner may call it. Otherwise it adds the tokens' hashes to
// nextflow_system_tokens (older ones stay, so nodes still on a previous key
// keep working during a rotation) and rewrites nextflow_system_on() with
// every registered hash, which needs the owner.
func (s *Store) registerSystemTokens(ctx context.Context) error {
	accepted, err := s.systemAccepted(ctx)
	if err != nil {
		return err
	}
	if accepted {
		return nil
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO nextflow_system_tokens (token_hash)
SELECT sha256(convert_to(t, 'UTF8')) FROM unnest($1::text[]) AS t ON CONFLICT DO NOTHING`, s.systemTokens); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT encode(token_hash, 'hex') FROM nextflow_system_tokens ORDER BY token_hash")
		if err != nil {
			return err
		}
		hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		lits := make([]string, len(hashes))
		for i, h := range hashes {
			lits[i] = `'\x` + h + `'::bytea` // hex from encode(): safe to inline
		}
		_, err = tx.Exec(ctx, `CREATE OR REPLACE FUNCTION nextflow_system_on() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    SELECT sha256(convert_to(coalesce(current_setting('nextflow.system', true), ''), 'UTF8'))
        = ANY (ARRAY[`+strings.Join(lits, ", ")+`])
$fn$`)
		return err
	})
	if err != nil {
		return fmt.Errorf("register the system token (run `nextflow migrate up` once as the schema's owner with this NEXTFLOW_SECRET_KEY): %w", err)
	}
	return nil
}

// systemAccepted reports whether the database accepts this store's first
// system token.
func (s *Store) systemAccepted(ctx context.Context) (bool, error) {
	var accepted bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config('nextflow.system', $1, true)", s.systemTokens[0]); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT nextflow_system_on()").Scan(&accepted)
	})
	if err != nil {
		return false, markUnavailable(ctx, fmt.Errorf("check the system token: %w", err))
	}
	return accepted, nil
}
