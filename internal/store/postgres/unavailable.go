package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// unavailable reports whether err means the database cannot be reached or
// refuses work for now, rather than that the request was wrong: a failed
// connect, a connection lost or refused, the server shutting down (57P01,
// 57P02) or starting up (57P03), too many connections (53300), any
// connection exception (class 08), or a statement that never reached the
// server because its connection had died.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", pgErr.Code == "53300":
			return true
		case strings.HasPrefix(pgErr.Code, "08"):
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr *net.OpError
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case pgconn.SafeToRetry(err):
		// Nothing reached the server: a pooled connection that died with
		// the server ("conn closed"), a write that failed.
		return true
	case errors.Is(err, net.ErrClosed):
		return true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		// The server closed the connection mid-statement.
		return true
	}
	return false
}

// markUnavailable wraps err with store.ErrUnavailable when the database is
// out of reach (see unavailable), so the API answers 503. A deadline that
// ran out while ctx itself is still live (a connect or acquire timeout) counts
// too; the caller's own deadline does not.
func markUnavailable(ctx context.Context, err error) error {
	if unavailable(err) || (errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}
