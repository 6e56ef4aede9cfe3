package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/expr"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// IncomingEvent is a stored event handed to the engine in the transaction
// that stored it.
type IncomingEvent struct {
	Event domain.Event
	// Contact is the stored contact after the upsert (nil: the execution
	// context's contact holds only its ID).
	Contact *domain.Contact
}

// EventResult says what the events did: the executions they started and
// the waiting executions they resumed. StartedBy and ResumedBy name the
// event (its ID) behind each execution of Started and Resumed, in the same
// order, so a caller that stored the events of several requests together
// can tell each request what its own events did.
type EventResult struct {
	Started   []uuid.UUID
	Resumed   []uuid.UUID
	StartedBy []uuid.UUID
	ResumedBy []uuid.UUID
}

// EventTx starts the journeys whose trigger.event matches each event and
// resumes the wait_for_event steps waiting for it, inside tx (the
// transaction that stores the events), so events and what they cause
// commit together or not at all.
//
// Journeys: the active workflows whose current version has a trigger.event
// node for the event's name, read in tx (so a workflow published or
// activated on another node counts as soon as it commits), whose filter
// (CEL over trigger.event and contact) holds; and those whose
// trigger.segment names the segment of a segment.entered or
// segment.exited event (its segmentId property) and its direction: the
// membership events go through the same claims and starts, with
// trigger.type trigger.segment and the event as trigger.event. A filter
// that fails to compile or evaluate skips that start and is logged; it never fails the
// batch. Each start then claims its journey entry (store
// JourneyEntryClaimMany) under the trigger's re-entry policy: the
// database decides, so concurrent events on several nodes cannot enter a
// contact twice under once or one_at_a_time; a refused claim skips the
// start. A batch that holds several events of one contact for one
// workflow starts it at most once under those policies.
//
// Waits: each event resumes, through ResumeTx, the waits for its name of
// its contact (or of no contact) whose correlation key, if any, names an
// event property equal to the wait's value. Events resume before the
// batch's starts, so an execution an event starts is not resumed by a
// later event of the same batch.
func (e *Engine) EventTx(ctx context.Context, tx store.Tx, evs []IncomingEvent) (EventResult, error) {
	var res EventResult
	// Events of one tenant are handled together, tenants in the order they
	// first appear.
	var tenants []uuid.UUID
	byTenant := map[uuid.UUID][]int{}
	for i := range evs {
		t := evs[i].Event.TenantID
		if _, ok := byTenant[t]; !ok {
			tenants = append(tenants, t)
		}
		byTenant[t] = append(byTenant[t], i)
	}
	for _, tenantID := range tenants {
		if err := e.eventsOfTenant(ctx, tx, tenantID, evs, byTenant[tenantID], &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// eventStart is a start an event asks for, before its entry is claimed.
type eventStart struct {
	trig *eventTrigger
	ev   *IncomingEvent
	view json.RawMessage // the event as trigger.event
	id   uuid.UUID
}

// eventsOfTenant handles the events evs[at] of one tenant: resumes first,
// event by event, then the starts of all of them, claimed and inserted
// together.
func (e *Engine) eventsOfTenant(ctx context.Context, tx store.Tx, tenantID uuid.UUID, evs []IncomingEvent, at []int, res *EventResult) error {
	triggers, versions, err := e.eventTriggers(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	waiting, err := e.waitingKeys(ctx, tx, tenantID, evs, at)
	if err != nil {
		return err
	}
	var starts []eventStart
	for _, i := range at {
		ev := &evs[i]
		trigs := triggers[ev.Event.Name]
		resume := waiting[waitKey{name: ev.Event.Name}] || waiting[waitKey{name: ev.Event.Name, contact: ev.Event.ContactID}]
		if !resume && len(trigs) == 0 {
			continue // most events: nothing to decode
		}
		// The event as trigger.event: its properties are decoded only for
		// what reads them here (a resume's correlation, a segment trigger,
		// a filter); a start alone passes them on as they are.
		var (
			view map[string]any
			raw  json.RawMessage
		)
		decode := func() error {
			if view != nil {
				return nil
			}
			v, err := eventView(&ev.Event)
			if err != nil {
				return err
			}
			view = v
			if raw == nil {
				raw = mustJSON(v)
			}
			return nil
		}
		if !resume {
			raw = rawEventView(&ev.Event)
		}
		if raw == nil {
			if err := decode(); err != nil {
				return err
			}
		}
		if resume {
			resumed, err := e.ResumeTx(ctx, tx, ResumeEvent{
				TenantID: tenantID, EventName: ev.Event.Name, ContactID: &ev.Event.ContactID,
				Correlation: eventCorrelation(view), Payload: raw,
			})
			if err != nil {
				return fmt.Errorf("resume waits for event %s: %w", ev.Event.ID, err)
			}
			res.Resumed = append(res.Resumed, resumed...)
			for range resumed {
				res.ResumedBy = append(res.ResumedBy, ev.Event.ID)
			}
		}

		var activation map[string]any
		for _, trig := range trigs {
			if trig.segmentID != "" {
				if err := decode(); err != nil {
					return err
				}
				if segmentOf(view) != trig.segmentID {
					continue // a trigger.segment of another segment
				}
			}
			if trig.filterErr != nil {
				e.tenantLog.WarnContext(ctx, "trigger.event filter does not compile; no start", "workflow", trig.workflowID,
					"node", trig.nodeID, "error", trig.filterErr)
				continue
			}
			if trig.filter != nil {
				if err := decode(); err != nil {
					return err
				}
				if activation == nil {
					activation = map[string]any{
						"trigger": map[string]any{"type": trig.typ, "event": view},
						"contact": contactVars(ev),
					}
				}
				ok, err := trig.filter.EvalBool(ctx, activation)
				if err != nil {
					e.tenantLog.WarnContext(ctx, "trigger.event filter failed; no start", "workflow", trig.workflowID,
						"node", trig.nodeID, "error", err)
					continue
				}
				if !ok {
					continue
				}
			}
			starts = append(starts, eventStart{trig: trig, ev: ev, view: raw, id: domain.NewID()})
		}
	}
	if len(starts) == 0 {
		return nil
	}
	starts, err = e.claimEntries(ctx, tx, tenantID, starts)
	if err != nil {
		return err
	}
	if len(starts) == 0 {
		return nil
	}
	ps := make([]StartParams, len(starts))
	for i, s := range starts {
		contactID := s.ev.Event.ContactID
		ps[i] = StartParams{
			TenantID: tenantID, ID: s.id, WorkflowID: s.trig.workflowID, VersionID: s.trig.versionID,
			Version: versions[s.trig.versionID], TriggerType: s.trig.typ, TriggerNodeID: s.trig.nodeID, Event: s.view,
			ContactID: &contactID, Contact: contactVars(s.ev),
		}
	}
	execs, err := e.StartManyTx(ctx, tx, ps)
	if err != nil {
		return fmt.Errorf("start %d event journeys: %w", len(ps), err)
	}
	by := make(map[uuid.UUID]uuid.UUID, len(starts))
	for _, s := range starts {
		by[s.id] = s.ev.Event.ID
	}
	for _, x := range execs {
		res.Started = append(res.Started, x.ID)
		res.StartedBy = append(res.StartedBy, by[x.ID])
	}
	return nil
}

// waitingKeys returns which event names and contacts of the batch have
// waits, in one query, so that only their events look for waits one by
// one. The batch's starts come after its resumes, so no wait appears in
// between.
func (e *Engine) waitingKeys(ctx context.Context, tx store.Tx, tenantID uuid.UUID, evs []IncomingEvent, at []int) (map[waitKey]bool, error) {
	var names []string
	var contacts []uuid.UUID
	seenName := map[string]bool{}
	seenContact := map[uuid.UUID]bool{}
	for _, i := range at {
		ev := &evs[i].Event
		if !seenName[ev.Name] {
			seenName[ev.Name] = true
			names = append(names, ev.Name)
		}
		if !seenContact[ev.ContactID] {
			seenContact[ev.ContactID] = true
			contacts = append(contacts, ev.ContactID)
		}
	}
	keys, err := tx.WaitEventContactList(ctx, tenantID, names, contacts)
	if err != nil {
		return nil, fmt.Errorf("find waits for %d events: %w", len(at), err)
	}
	out := make(map[waitKey]bool, len(keys))
	for _, k := range keys {
		key := waitKey{name: k.EventName}
		if k.ContactID != nil {
			key.contact = *k.ContactID
		}
		out[key] = true
	}
	return out, nil
}

// waitKey names the waits for an event name of a contact (zero: of no
// contact).
type waitKey struct {
	name    string
	contact uuid.UUID
}

// claimEntries claims the journey entries of starts and returns the starts
// that may go ahead, in their order. Under once and one_at_a_time only the
// first start of a workflow and contact claims; under always every start
// goes ahead, the first one recording the entry.
func (e *Engine) claimEntries(ctx context.Context, tx store.Tx, tenantID uuid.UUID, starts []eventStart) ([]eventStart, error) {
	type pair struct{ workflow, contact uuid.UUID }
	seen := make(map[pair]bool, len(starts))
	claims := make([]store.JourneyEntryClaim, 0, len(starts))
	var extra []int // always-starts of a pair claimed earlier in the batch
	for i, s := range starts {
		k := pair{s.trig.workflowID, s.ev.Event.ContactID}
		if seen[k] {
			if s.trig.reentry == workflow.ReentryAlways {
				extra = append(extra, i)
			}
			continue
		}
		seen[k] = true
		claims = append(claims, store.JourneyEntryClaim{WorkflowID: k.workflow, ContactID: k.contact, ExecutionID: s.id, Reentry: s.trig.reentry})
	}
	won, err := tx.JourneyEntryClaimMany(ctx, &store.JourneyEntryClaimManyParams{TenantID: tenantID, Starts: claims})
	if err != nil {
		return nil, fmt.Errorf("claim journey entries: %w", err)
	}
	ok := make(map[uuid.UUID]bool, len(won)+len(extra))
	for _, id := range won {
		ok[id] = true
	}
	for _, i := range extra {
		ok[starts[i].id] = true
	}
	return slices.DeleteFunc(starts, func(s eventStart) bool { return !ok[s.id] }), nil
}

// eventView is the event as the execution context holds it (trigger.event,
// a wait's output): name, properties, timestamp, messageId and id.
func eventView(ev *domain.Event) (map[string]any, error) {
	props := map[string]any{}
	if len(ev.Properties) > 0 {
		v, err := toJSONValue(ev.Properties)
		if err != nil {
			return nil, fmt.Errorf("properties of event %s: %w", ev.ID, err)
		}
		if m, ok := v.(map[string]any); ok {
			props = m
		}
	}
	return map[string]any{
		"id":         ev.ID.String(),
		"name":       ev.Name,
		"properties": props,
		"timestamp":  ev.OccurredAt.UTC().Format(time.RFC3339Nano),
		"messageId":  ev.MessageID,
	}, nil
}

// rawEventView is the JSON of eventView(ev) without decoding the
// properties: the same keys (in the order json.Marshal writes a map's),
// the properties as stored (json.Marshal checks and compacts them and
// escapes their strings as it escapes a decoded value's; their keys keep
// their order). Nil when the properties are neither empty nor a JSON
// object: eventView replaces those with an empty object.
func rawEventView(ev *domain.Event) json.RawMessage {
	props := bytes.TrimSpace(ev.Properties)
	if len(props) == 0 {
		props = []byte(`{}`)
	}
	if props[0] != '{' {
		return nil
	}
	data, err := json.Marshal(struct {
		ID         string          `json:"id"`
		MessageID  string          `json:"messageId"`
		Name       string          `json:"name"`
		Properties json.RawMessage `json:"properties"`
		Timestamp  string          `json:"timestamp"`
	}{ev.ID.String(), ev.MessageID, ev.Name, props, ev.OccurredAt.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return nil
	}
	return data
}

// Bounds of the properties an event offers as correlation values.
const (
	maxCorrelationProps = 256
	maxCorrelationLen   = 1024
)

// eventCorrelation returns the event's scalar properties (strings, numbers,
// booleans) as a correlation key would find them at park time
// (correlationValue): property name → value as a string.
func eventCorrelation(view map[string]any) map[string]string {
	props, _ := view["properties"].(map[string]any)
	out := make(map[string]string, min(len(props), maxCorrelationProps))
	for k, v := range props {
		if len(out) >= maxCorrelationProps {
			break
		}
		switch v.(type) {
		case string, float64, bool, json.Number:
		default:
			continue
		}
		if s := scalarString(v); s != "" && len(s) <= maxCorrelationLen {
			out[k] = s
		}
	}
	return out
}

// contactVars is the event's contact as expressions see it (contact.View),
// a fresh map each call since an execution may change its own.
func contactVars(ev *IncomingEvent) map[string]any {
	if ev.Contact == nil {
		return map[string]any{"id": ev.Event.ContactID.String()}
	}
	return contact.View(ev.Contact)
}

// eventTrigger is a trigger.event node of an active workflow's current
// version, or a trigger.segment node: the start on a segment.entered or
// segment.exited event of its segment.
type eventTrigger struct {
	workflowID uuid.UUID
	versionID  uuid.UUID
	nodeID     string
	typ        string // trigger.event or trigger.segment
	event      string
	// segmentID is a trigger.segment's segment: only membership events
	// whose segmentId property names it start the journey.
	segmentID string
	reentry   string
	filter    *expr.Program // nil: none
	filterErr error
}

// eventTriggersKey is the key of a graph's trigger.event nodes in its
// prep cache.
type eventTriggersKey struct{}

// eventTriggers returns the tenant's trigger.event nodes by event name:
// those of the current versions of its active workflows, listed in tx
// (one small query; parsed versions and their triggers are cached), and
// the number of each version by its ID, which the starts take as it is.
func (e *Engine) eventTriggers(ctx context.Context, tx store.Tx, tenantID uuid.UUID) (map[string][]*eventTrigger, map[uuid.UUID]int, error) {
	vs, err := tx.WorkflowActiveVersionList(ctx, tenantID)
	if err != nil {
		return nil, nil, fmt.Errorf("list active workflows: %w", err)
	}
	out := map[string][]*eventTrigger{}
	versions := make(map[uuid.UUID]int, len(vs))
	for _, v := range vs {
		versions[v.VersionID] = v.Version
		g, err := e.graph(ctx, tx, tenantID, v.VersionID)
		if err != nil {
			// A version that does not parse starts nothing; it is not the
			// event's fault.
			e.log.WarnContext(ctx, "workflow version skipped for events", "workflow", v.WorkflowID, "version", v.VersionID, "error", err)
			continue
		}
		for _, t := range e.graphEventTriggers(g, v.WorkflowID) {
			out[t.event] = append(out[t.event], t)
		}
	}
	return out, versions, nil
}

// graphEventTriggers returns g's trigger.event nodes, prepared once per
// parsed version.
func (e *Engine) graphEventTriggers(g *graph, workflowID uuid.UUID) []*eventTrigger {
	if v, ok := g.prep.Load(eventTriggersKey{}); ok {
		return v.([]*eventTrigger)
	}
	var ts []*eventTrigger
	for i := range g.def.Nodes {
		n := &g.def.Nodes[i]
		if n.Type == workflow.TypeTriggerSegment {
			if t := e.segmentTrigger(n, g, workflowID); t != nil {
				ts = append(ts, t)
			}
			continue
		}
		if n.Type != workflow.TypeTriggerEvent {
			continue
		}
		var cfg workflow.TriggerEventConfig
		t := &eventTrigger{workflowID: workflowID, versionID: g.versionID, nodeID: n.ID, typ: workflow.TypeTriggerEvent}
		if err := decodeConfig(n, &cfg); err != nil {
			e.log.Warn("trigger.event config does not decode", "workflow", workflowID, "node", n.ID, "error", err)
			continue
		}
		if cfg.Event == "" {
			continue
		}
		t.event, t.reentry = cfg.Event, knownReentry(cfg.ReentryPolicy())
		if cfg.Filter != "" {
			t.filter, t.filterErr = e.expr.CompileBool(cfg.Filter)
		}
		ts = append(ts, t)
	}
	v, _ := g.prep.LoadOrStore(eventTriggersKey{}, ts)
	return v.([]*eventTrigger)
}

// segmentTrigger prepares a trigger.segment node: a start on the
// membership event of its segment (nil: a config that names none).
func (e *Engine) segmentTrigger(n *workflow.Node, g *graph, workflowID uuid.UUID) *eventTrigger {
	var cfg workflow.TriggerSegmentConfig
	if err := decodeConfig(n, &cfg); err != nil {
		e.log.Warn("trigger.segment config does not decode", "workflow", workflowID, "node", n.ID, "error", err)
		return nil
	}
	id, err := uuid.Parse(cfg.SegmentID)
	if err != nil {
		return nil
	}
	return &eventTrigger{workflowID: workflowID, versionID: g.versionID, nodeID: n.ID, typ: workflow.TypeTriggerSegment,
		event: cfg.Event(), segmentID: id.String(), reentry: knownReentry(cfg.ReentryPolicy())}
}

// knownReentry returns policy, or one_at_a_time for one this server does
// not know.
func knownReentry(policy string) string {
	switch policy {
	case workflow.ReentryOnce, workflow.ReentryOneAtATime, workflow.ReentryAlways:
		return policy
	}
	return workflow.ReentryOneAtATime
}

// segmentOf returns the segmentId property of an event view, lower-case
// as uuid.UUID.String writes it ("" when absent).
func segmentOf(view map[string]any) string {
	props, _ := view["properties"].(map[string]any)
	s, _ := props["segmentId"].(string)
	if id, err := uuid.Parse(s); err == nil {
		return id.String()
	}
	return ""
}
