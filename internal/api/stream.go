package api

import (
	"context"
	"errors"
	"time"

	"github.com/danielgtaylor/huma/v2/sse"

	"github.com/nextflow-dev/nextflow/internal/auth"
)

// DefaultStreamRecheck is how often an open stream rechecks its principal
// against the database: a revocation on any node ends the stream within
// this interval (plus one lookup).
const DefaultStreamRecheck = 5 * time.Second

// streamPing is how often a stream sends a ping event: the dashboard
// shows "reconnecting" when none has arrived for a few of these.
const streamPing = 5 * time.Second

// StreamInput filters the executions stream.
type StreamInput struct {
	WorkflowID  string `query:"workflowId" maxLength:"36"`
	ExecutionID string `query:"executionId" maxLength:"36"`
}

// revokedEvent is the last event of a stream whose credentials no longer
// stand.
type revokedEvent struct {
	Reason string    `json:"reason" enum:"unauthenticated,forbidden" doc:"unauthenticated: the session or key was revoked or the member removed; forbidden: the role or key no longer reads executions"`
	At     time.Time `json:"at"`
}

// streamExecutions sends the caller's tenant's live events until the
// client goes, the server closes its streams (CloseStreams), or a recheck
// finds the caller's credentials revoked.
func (s *Server) streamExecutions(ctx context.Context, in *StreamInput, send sse.Sender) {
	c, ok := CallerFrom(ctx)
	if !ok {
		return
	}
	p := auth.FromContext(ctx)
	if p == nil && s.deps.Recheck != nil {
		return // nothing to recheck against: refuse rather than stream unchecked
	}
	if s.streams.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.streams, cancel)
	defer stop()

	events, unsubscribe, err := s.deps.Live.Subscribe(ctx, c.TenantID)
	if err != nil {
		s.log.WarnContext(ctx, "stream subscribe", "err", err)
		return
	}
	defer unsubscribe()
	ping := time.NewTicker(streamPing)
	defer ping.Stop()
	every := s.deps.StreamRecheck
	if every <= 0 {
		every = DefaultStreamRecheck
	}
	recheck := time.NewTicker(every)
	defer recheck.Stop()
	_ = send.Data(pingEvent{At: time.Now().UTC()})
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			if err := send.Data(pingEvent{At: time.Now().UTC()}); err != nil {
				return
			}
		case <-recheck.C:
			if s.deps.Recheck == nil {
				continue
			}
			err := s.deps.Recheck(ctx, p, PermExecutionsRead)
			if err == nil {
				continue
			}
			reason := "forbidden"
			switch {
			case ctx.Err() != nil:
				return
			case errors.Is(err, auth.ErrUnauthenticated), errors.Is(err, auth.ErrNoWorkspace):
				reason = "unauthenticated"
			case !isPermissionError(err):
				// The database is unreachable: keep the stream and try at
				// the next tick rather than end every stream at once.
				s.log.WarnContext(ctx, "stream recheck", "err", err)
				continue
			}
			s.log.InfoContext(ctx, "stream ended: credentials revoked", "tenant_id", c.TenantID, "reason", reason)
			_ = send.Data(revokedEvent{Reason: reason, At: time.Now().UTC()})
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.TenantID != c.TenantID ||
				(in.WorkflowID != "" && ev.WorkflowID.String() != in.WorkflowID) ||
				(in.ExecutionID != "" && ev.ExecutionID.String() != in.ExecutionID) {
				continue
			}
			if err := send.Data(ev); err != nil {
				return
			}
		}
	}
}

func isPermissionError(err error) bool {
	var pe *auth.PermissionError
	return errors.As(err, &pe)
}
