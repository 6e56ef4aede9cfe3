// Package opsui serves River's web UI (riverqueue.com/riverui) to operators:
// every tenant's jobs, queues and workers, so it is guarded by an operator
// token (NEXTFLOW_OPERATOR_TOKEN) that is not a tenant credential. Tenant
// sessions and API keys never open it.
package opsui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"riverqueue.com/riverui"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// Prefix is the path the UI is mounted at.
const Prefix = "/admin/river"

// MinTokenLength is the shortest operator token accepted.
const MinTokenLength = 32

// realm names the credential a browser asks for.
const realm = `Basic realm="NextFlow operators (River UI)", charset="UTF-8"`

// New starts River's UI over q's River client and returns it behind the
// operator token: `Authorization: Bearer <token>`, or HTTP Basic with any
// user name and the token as password (so a browser can open it). The UI's
// background work stops when ctx ends.
func New(ctx context.Context, q store.Queue, token string, log *slog.Logger) (http.Handler, error) {
	if len(token) < MinTokenLength {
		return nil, fmt.Errorf("operator token: must be at least %d characters", MinTokenLength)
	}
	qui, ok := q.(store.QueueUI)
	if !ok {
		return nil, errors.New("river ui: this store's queue does not support it")
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints:                qui.UIEndpoints(),
		JobListHideArgsByDefault: true, // job args hold tenant and execution IDs, not secrets; hidden to keep lists readable
		Logger:                   log,
		Prefix:                   Prefix,
	})
	if err != nil {
		return nil, fmt.Errorf("river ui: %w", err)
	}
	if err := h.Start(ctx); err != nil {
		return nil, fmt.Errorf("start river ui: %w", err)
	}
	return Guard(h, token), nil
}

// Guard lets through only requests that carry token, and answers 401 with
// a Basic challenge to the rest.
func Guard(next http.Handler, token string) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r, want) {
			w.Header().Set("WWW-Authenticate", realm)
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "operator token required (NEXTFLOW_OPERATOR_TOKEN): tenant sessions and API keys do not open the River UI", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// authorized compares the presented token's digest with want in constant
// time (digests, so the token's length does not leak either).
func authorized(r *http.Request, want [32]byte) bool {
	var got string
	if _, pass, ok := r.BasicAuth(); ok {
		got = pass
	} else if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		got = strings.TrimSpace(h[7:])
	}
	if got == "" {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
}
