package sendprep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/uuid"
)

// Bounds of a Requests: a generation starts over once it holds this many
// requests or this many bytes of encoded requests, and the one before it
// is dropped then, so a Requests holds at most twice each.
const (
	MaxKeptRequests     = 2048
	MaxKeptRequestBytes = 4 << 20
)

// Requests keeps, for a short while, the requests a sender's Prepare
// built in this process, decoded, beside their encoded form, so that the
// same process's Admit, Perform and RecordResult(s) for that step use
// them without decoding the stored request again (a send's Perform made
// right after its start's commit decoded what it had just encoded).
//
// A kept request is used only when the request given is byte for byte
// the one it was kept with: a request read back from the outbox (another
// process, a retry after a restart), or one prepared again after a
// rollback, is decoded as before. Entries are keyed by execution and
// node; a step whose Prepare rolled back, or whose call is made
// elsewhere, leaves its entry until its generation is dropped.
//
// What Get returns is shared: callers must not modify it. Safe for
// concurrent use.
type Requests[T any] struct {
	maxCount, maxBytes int

	mu       sync.Mutex
	cur, old map[requestKey]keptRequest[T]
	curBytes int
}

type requestKey struct {
	executionID uuid.UUID
	nodeID      string
}

type keptRequest[T any] struct {
	raw json.RawMessage
	v   *T
}

// NewRequests returns an empty Requests with the default bounds.
func NewRequests[T any]() *Requests[T] {
	return newRequests[T](MaxKeptRequests, MaxKeptRequestBytes)
}

func newRequests[T any](maxCount, maxBytes int) *Requests[T] {
	return &Requests[T]{maxCount: maxCount, maxBytes: maxBytes, cur: map[requestKey]keptRequest[T]{}}
}

// Keep records v, the request raw encodes, as the one prepared for the
// execution's node (replacing one kept before for it). Neither may be
// modified afterwards.
func (r *Requests[T]) Keep(executionID uuid.UUID, nodeID string, raw json.RawMessage, v *T) {
	k := requestKey{executionID, nodeID}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cur) >= r.maxCount || r.curBytes+len(raw) > r.maxBytes {
		r.old, r.cur, r.curBytes = r.cur, make(map[requestKey]keptRequest[T], len(r.cur)), 0
	}
	if prev, ok := r.cur[k]; ok {
		r.curBytes -= len(prev.raw)
	}
	r.cur[k] = keptRequest[T]{raw: raw, v: v}
	r.curBytes += len(raw)
}

// Get returns the request kept for the execution's node if raw is the
// one it was kept with, else nil.
func (r *Requests[T]) Get(executionID uuid.UUID, nodeID string, raw json.RawMessage) *T {
	k := requestKey{executionID, nodeID}
	r.mu.Lock()
	e, ok := r.cur[k]
	if !ok {
		e, ok = r.old[k]
	}
	r.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return nil
	}
	return e.v
}

// Decode returns the request kept for the execution's node if raw is the
// one it was kept with, else raw decoded (not kept).
func (r *Requests[T]) Decode(executionID uuid.UUID, nodeID string, raw json.RawMessage) (*T, error) {
	if v := r.Get(executionID, nodeID, raw); v != nil {
		return v, nil
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	return v, nil
}

// MessageID returns the messageId of the request raw: read by idOf from
// the request kept for the execution's node if raw is the one it was kept
// with, else decoded from raw (that field only, not the rest of the
// request); uuid.Nil when raw holds none.
func (r *Requests[T]) MessageID(executionID uuid.UUID, nodeID string, raw json.RawMessage, idOf func(*T) uuid.UUID) uuid.UUID {
	if v := r.Get(executionID, nodeID, raw); v != nil {
		return idOf(v)
	}
	var m struct {
		MessageID uuid.UUID `json:"messageId"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return uuid.Nil
	}
	return m.MessageID
}

// Forget drops the request kept for the execution's node (its outcome is
// recorded).
func (r *Requests[T]) Forget(executionID uuid.UUID, nodeID string) {
	k := requestKey{executionID, nodeID}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.cur[k]; ok {
		r.curBytes -= len(e.raw)
		delete(r.cur, k)
	}
	delete(r.old, k)
}

// Len is the number of requests kept.
func (r *Requests[T]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.cur) + len(r.old)
}
