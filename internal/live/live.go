// Package live carries change events of executions and steps to whoever
// watches them (the dashboard's SSE stream). The engine publishes after its
// transactions commit; the API subscribes per tenant. Hub works within one
// process; Redis fans events out across every NextFlow process.
//
// Delivery is best effort: a slow subscriber loses events rather than
// slowing the engine down. Clients reconcile by re-reading the API.
package live

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Kind is what an event is about.
type Kind string

// Event kinds.
const (
	KindExecution Kind = "execution"
	KindStep      Kind = "step"
)

// Event is a change of an execution or of one of its steps.
type Event struct {
	TenantID    uuid.UUID `json:"tenantId"`
	Kind        Kind      `json:"kind"`
	ExecutionID uuid.UUID `json:"executionId"`
	WorkflowID  uuid.UUID `json:"workflowId"`
	// Status is the execution's or the step's new status.
	Status string    `json:"status"`
	StepID uuid.UUID `json:"stepId,omitzero"`
	NodeID string    `json:"nodeId,omitempty"`
	At     time.Time `json:"at"`

	// NodeType is a step event's node type (for metrics; not sent to
	// subscribers).
	NodeType string `json:"-"`
	// Started marks an execution event that left PENDING: the execution
	// has started (for metrics; not sent to subscribers).
	Started bool `json:"-"`
	// Took is, on a step event with a final status, the time from the
	// step's start (for metrics; not sent to subscribers).
	Took time.Duration `json:"-"`
}

// Publisher sends events to subscribers. Publish must not block for long:
// it is called by the engine after each commit.
type Publisher interface {
	Publish(ctx context.Context, events ...Event) error
}

// Subscriber delivers a tenant's events. The returned function ends the
// subscription and closes the channel; it is also ended when ctx ends.
type Subscriber interface {
	Subscribe(ctx context.Context, tenantID uuid.UUID) (<-chan Event, func(), error)
}

// Nop is a Publisher that drops every event.
type Nop struct{}

// Publish drops events.
func (Nop) Publish(context.Context, ...Event) error { return nil }

// DefaultBuffer is the channel capacity of a Hub subscription.
const DefaultBuffer = 256

// Hub is an in-process Publisher and Subscriber. The zero value is not
// usable; call NewHub.
type Hub struct {
	mu     sync.RWMutex
	subs   map[uuid.UUID]map[*subscription]struct{}
	buffer int
}

type subscription struct {
	ch     chan Event
	once   sync.Once
	closed bool // guarded by Hub.mu
}

// NewHub returns an empty in-process hub.
func NewHub() *Hub {
	return &Hub{subs: make(map[uuid.UUID]map[*subscription]struct{}), buffer: DefaultBuffer}
}

// Publish hands each event to the tenant's subscribers without waiting: a
// subscriber whose buffer is full misses the event.
func (h *Hub) Publish(_ context.Context, events ...Event) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, ev := range events {
		for s := range h.subs[ev.TenantID] {
			if s.closed {
				continue
			}
			select {
			case s.ch <- ev:
			default:
			}
		}
	}
	return nil
}

// Subscribe registers a subscriber for tenantID's events.
func (h *Hub) Subscribe(ctx context.Context, tenantID uuid.UUID) (<-chan Event, func(), error) {
	s := &subscription{ch: make(chan Event, h.buffer)}
	h.mu.Lock()
	m := h.subs[tenantID]
	if m == nil {
		m = make(map[*subscription]struct{})
		h.subs[tenantID] = m
	}
	m[s] = struct{}{}
	h.mu.Unlock()

	done := make(chan struct{})
	cancel := func() {
		s.once.Do(func() {
			close(done)
			h.mu.Lock()
			s.closed = true
			delete(h.subs[tenantID], s)
			if len(h.subs[tenantID]) == 0 {
				delete(h.subs, tenantID)
			}
			close(s.ch)
			h.mu.Unlock()
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			cancel()
		case <-done:
		}
	}()
	return s.ch, cancel, nil
}

// Subscribers returns the number of subscriptions of a tenant (for tests
// and metrics).
func (h *Hub) Subscribers(tenantID uuid.UUID) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs[tenantID])
}
