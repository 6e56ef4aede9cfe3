package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// ErrAttributesTooLarge: a contact's attributes after a merge would exceed
// the size limit the caller set.
var ErrAttributesTooLarge = errors.New("contact attributes too large")

// ContactStore holds contacts: the people journeys run for.
type ContactStore interface {
	// ContactUpsert creates or updates a contact, matched by external ID,
	// else by email (a contact found by email that has no external ID yet
	// takes p.ExternalID). Fields left nil keep their stored value;
	// attributes merge (top-level keys replace, null deletes); created_at
	// is kept. It reports whether the contact was created. An email that
	// belongs to another contact than the one matched is ErrConflict.
	ContactUpsert(ctx context.Context, p *ContactUpsertParams) (c *domain.Contact, created bool, err error)
	// ContactUpsertMany upserts several contacts of one tenant in order
	// (the events batch and the CSV import); the results are in the order
	// of ps. The first error stops it.
	ContactUpsertMany(ctx context.Context, ps []*ContactUpsertParams) ([]ContactUpsertResult, error)
	ContactGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Contact, error)
	ContactGetByExternalID(ctx context.Context, tenantID uuid.UUID, externalID string) (*domain.Contact, error)
	// ContactGetByEmail matches the normalised (lowercase) email.
	ContactGetByEmail(ctx context.Context, tenantID uuid.UUID, email string) (*domain.Contact, error)
	// ContactGetByPhone returns the contact with the phone (E.164, as
	// stored). Phones are not unique: when several contacts share one,
	// the oldest (created_at, then id) is returned. ErrNotFound when none.
	ContactGetByPhone(ctx context.Context, tenantID uuid.UUID, phone string) (*domain.Contact, error)
	// ContactGetByMessengerPSID returns the contact with the Messenger
	// page-scoped ID; the oldest when several share it, as
	// ContactGetByPhone. ErrNotFound when none.
	ContactGetByMessengerPSID(ctx context.Context, tenantID uuid.UUID, psid string) (*domain.Contact, error)
	// ContactList filters and pages a tenant's contacts, newest first
	// (created_at DESC, id DESC).
	ContactList(ctx context.Context, p *ContactListParams) ([]domain.Contact, error)
	// ContactAttributesMerge merges attributes into a contact (top-level
	// keys replace, null deletes) and returns it (set_attribute on
	// "contact", in the step's transaction).
	ContactAttributesMerge(ctx context.Context, p *ContactAttributesMergeParams) (*domain.Contact, error)
	// ContactErase deletes a contact and its events (by cascade) and
	// anonymises its executions: their non-terminal ones are cancelled,
	// every one loses its contact ID, its context and its steps' inputs
	// and outputs, and its waits are removed; statuses stay, so counts
	// per status do too. ErrNotFound when the tenant has no such contact.
	ContactErase(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (*ContactErasure, error)
	// ContactTimeline lists what happened to a contact, newest first
	// (ties: TimelineOrder, then ID): events, journeys entered (an
	// execution created or started, whichever is earlier) and exited
	// (finished, with the execution's status), and steps.
	ContactTimeline(ctx context.Context, p *ContactTimelineParams) ([]TimelineItem, error)
}

// ContactUpsertParams creates or updates a contact. Nil fields keep the
// stored value (and are empty on a new contact); the caller normalises
// and validates them (package contact).
type ContactUpsertParams struct {
	TenantID uuid.UUID
	// ID of a new contact; zero: generated.
	ID            uuid.UUID
	ExternalID    *string
	Email         *string
	Phone         *string
	MessengerPSID *string
	Name          *string
	Timezone      *string
	Locale        *string
	// Attributes is a JSON object merged into the stored one: top-level
	// keys replace, a null value deletes the key. Nil changes nothing.
	Attributes json.RawMessage
	// Subscriptions replace the stored state of the channels they name.
	Subscriptions map[string]domain.Subscription
	// LastSeenAt moves last_seen_at forward (never back); nil keeps it.
	LastSeenAt *time.Time
	// MaxAttributesBytes, when positive, refuses (ErrAttributesTooLarge) a
	// merge whose result is larger.
	MaxAttributesBytes int
}

// ContactUpsertResult is one contact upserted by ContactUpsertMany.
type ContactUpsertResult struct {
	Contact *domain.Contact
	Created bool
}

// ContactAttributesMergeParams merges attributes into a contact.
type ContactAttributesMergeParams struct {
	TenantID uuid.UUID
	ID       uuid.UUID
	// Attributes is a JSON object: top-level keys replace, null deletes.
	Attributes         json.RawMessage
	MaxAttributesBytes int
}

// AttributeOp compares a contact attribute with a value.
type AttributeOp string

// Attribute operators.
const (
	AttrEq     AttributeOp = "eq"
	AttrNe     AttributeOp = "ne"
	AttrLt     AttributeOp = "lt"
	AttrLte    AttributeOp = "lte"
	AttrGt     AttributeOp = "gt"
	AttrGte    AttributeOp = "gte"
	AttrExists AttributeOp = "exists"
)

// Valid reports whether o is a known operator.
func (o AttributeOp) Valid() bool {
	switch o {
	case AttrEq, AttrNe, AttrLt, AttrLte, AttrGt, AttrGte, AttrExists:
		return true
	}
	return false
}

// AttributeKeyPattern is what an attribute key in a filter must look like:
// the key is passed to the database as a JSON path parameter, and dots
// address nested objects ("address.city").
var AttributeKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// AttributeFilter keeps contacts whose attribute Key compares with Value
// by Op. Value is a string, a float64 or a bool (ignored for AttrExists).
// Numbers compare as numbers and strings as strings; an attribute of
// another type than Value does not match (ne included: it matches only
// attributes of Value's type that differ, or none when absent).
type AttributeFilter struct {
	Key   string
	Op    AttributeOp
	Value any
}

// Validate checks the key and the operator-value combination.
func (f AttributeFilter) Validate() error {
	if !AttributeKeyPattern.MatchString(f.Key) {
		return fmt.Errorf("attribute key %q: want 1-64 characters of A-Z a-z 0-9 _ . -", f.Key)
	}
	if !f.Op.Valid() {
		return fmt.Errorf("attribute operator %q: want eq, ne, lt, lte, gt, gte or exists", f.Op)
	}
	if f.Op == AttrExists {
		return nil
	}
	switch f.Value.(type) {
	case string, float64:
	case bool:
		if f.Op != AttrEq && f.Op != AttrNe {
			return fmt.Errorf("attribute %q: a boolean compares with eq or ne only", f.Key)
		}
	default:
		return fmt.Errorf("attribute %q: value must be a string, a number or a boolean", f.Key)
	}
	return nil
}

// SubscriptionFilter keeps contacts whose state on Channel is State
// (domain.SubscriptionNever also matches a channel never recorded).
type SubscriptionFilter struct {
	Channel string
	State   string
}

// ContactCursor is the last contact of the previous page.
type ContactCursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// ContactListParams filters and pages a tenant's contacts.
type ContactListParams struct {
	TenantID uuid.UUID
	// Search matches email, name or external ID case-insensitively as a
	// substring.
	Search         string
	Attributes     []AttributeFilter
	Subscriptions  []SubscriptionFilter
	CreatedAfter   *time.Time
	CreatedBefore  *time.Time
	LastSeenAfter  *time.Time
	LastSeenBefore *time.Time
	// Segment keeps the members of this segment's stored membership (as
	// last computed); nil: no such filter.
	Segment *uuid.UUID
	// After continues a listing after this contact; nil starts at the
	// newest.
	After *ContactCursor
	Limit int
}

// ContactErasure is what erasing a contact changed besides the contact.
type ContactErasure struct {
	// Executions is how many executions were anonymised, Cancelled how
	// many of them were still running or waiting and were cancelled.
	Executions int
	Cancelled  int
}

// Timeline item kinds.
const (
	TimelineEvent          = "event"
	TimelineJourneyEntered = "journey.entered"
	TimelineJourneyExited  = "journey.exited"
	TimelineStep           = "step"
)

// TimelineOrder ranks items of the same time, newest first: a journey's
// exit, then its steps, then its entry, then events.
func TimelineOrder(kind string) int {
	switch kind {
	case TimelineJourneyExited:
		return 3
	case TimelineStep:
		return 2
	case TimelineJourneyEntered:
		return 1
	}
	return 0
}

// TimelineItem is one thing that happened to a contact.
type TimelineItem struct {
	Kind string
	At   time.Time
	// ID is the event's, the execution's (journey items) or the step's.
	ID          uuid.UUID
	ExecutionID *uuid.UUID
	WorkflowID  *uuid.UUID
	// Name is the event name, the workflow name (journey items) or a
	// step's node type.
	Name string
	// NodeID is a step's node.
	NodeID string
	// Status is the execution's (journey.exited) or the step's.
	Status string
	// Data is the event's properties; nil for other kinds.
	Data json.RawMessage
}

// TimelineCursor is the last item of the previous page.
type TimelineCursor struct {
	At   time.Time
	Kind string
	ID   uuid.UUID
}

// ContactTimelineParams pages through a contact's timeline.
type ContactTimelineParams struct {
	TenantID  uuid.UUID
	ContactID uuid.UUID
	// Before continues after this item; nil starts at the newest.
	Before *TimelineCursor
	Limit  int
}

// MergeContactAttributes merges patch into stored (both JSON objects; nil
// or empty stored is {}): top-level keys of patch replace, null values
// delete. The result keeps stored's keys in sorted order. max, when
// positive, refuses a result larger than max bytes.
func MergeContactAttributes(stored, patch json.RawMessage, max int) (json.RawMessage, error) {
	cur := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(stored)) > 0 {
		if err := json.Unmarshal(stored, &cur); err != nil {
			return nil, fmt.Errorf("stored attributes: %w", err)
		}
		if cur == nil {
			cur = map[string]json.RawMessage{}
		}
	}
	if len(bytes.TrimSpace(patch)) > 0 {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(patch, &p); err != nil {
			return nil, fmt.Errorf("attributes must be a JSON object: %w", err)
		}
		for k, v := range p {
			if string(bytes.TrimSpace(v)) == "null" {
				delete(cur, k)
				continue
			}
			cur[k] = v
		}
	}
	out, err := json.Marshal(cur)
	if err != nil {
		return nil, fmt.Errorf("encode attributes: %w", err)
	}
	if max > 0 && len(out) > max {
		return nil, fmt.Errorf("%d bytes, limit %d: %w", len(out), max, ErrAttributesTooLarge)
	}
	return out, nil
}

// ContactApply applies an upsert to c, the matched contact (nil for a new
// one), and returns the row to write; both backends share it so a merge
// means the same on each. Empty phone and PSID values clear the field.
func ContactApply(c *domain.Contact, p *ContactUpsertParams, now time.Time) (*domain.Contact, error) {
	out := &domain.Contact{TenantID: p.TenantID, ID: p.ID, CreatedAt: now, Attributes: json.RawMessage(`{}`)}
	if out.ID == uuid.Nil {
		out.ID = domain.NewID()
	}
	if c != nil {
		cp := *c
		out = &cp
	}
	out.UpdatedAt = now
	setOpt := func(dst **string, v *string) {
		if v == nil {
			return
		}
		if *v == "" {
			*dst = nil
			return
		}
		s := *v
		*dst = &s
	}
	if p.ExternalID != nil && *p.ExternalID != "" {
		setOpt(&out.ExternalID, p.ExternalID)
	}
	if p.Email != nil && *p.Email != "" {
		setOpt(&out.Email, p.Email)
	}
	setOpt(&out.Phone, p.Phone)
	setOpt(&out.MessengerPSID, p.MessengerPSID)
	if p.Name != nil {
		out.Name = *p.Name
	}
	if p.Timezone != nil {
		out.Timezone = *p.Timezone
	}
	if p.Locale != nil {
		out.Locale = *p.Locale
	}
	if p.Attributes != nil {
		attrs, err := MergeContactAttributes(out.Attributes, p.Attributes, p.MaxAttributesBytes)
		if err != nil {
			return nil, err
		}
		out.Attributes = attrs
	}
	if len(p.Subscriptions) > 0 {
		subs := make(map[string]domain.Subscription, len(out.Subscriptions)+len(p.Subscriptions))
		for k, v := range out.Subscriptions {
			subs[k] = v
		}
		for k, v := range p.Subscriptions {
			v.At = v.At.UTC().Truncate(time.Microsecond)
			subs[k] = v
		}
		out.Subscriptions = subs
	}
	if out.Subscriptions == nil {
		out.Subscriptions = map[string]domain.Subscription{}
	}
	if p.LastSeenAt != nil && (out.LastSeenAt == nil || p.LastSeenAt.After(*out.LastSeenAt)) {
		t := p.LastSeenAt.UTC().Truncate(time.Microsecond)
		out.LastSeenAt = &t
	}
	return out, nil
}

// ContactEncodeSubscriptions is the stored form of a contact's
// subscriptions (a JSON object, {} when none).
func ContactEncodeSubscriptions(subs map[string]domain.Subscription) ([]byte, error) {
	if len(subs) == 0 {
		return []byte(`{}`), nil
	}
	b, err := json.Marshal(subs)
	if err != nil {
		return nil, fmt.Errorf("encode subscriptions: %w", err)
	}
	return b, nil
}

// ContactDecodeSubscriptions reads stored subscriptions.
func ContactDecodeSubscriptions(b []byte) (map[string]domain.Subscription, error) {
	subs := map[string]domain.Subscription{}
	if len(b) == 0 {
		return subs, nil
	}
	if err := json.Unmarshal(b, &subs); err != nil {
		return nil, fmt.Errorf("decode subscriptions: %w", err)
	}
	if subs == nil {
		subs = map[string]domain.Subscription{}
	}
	return subs, nil
}

// ContactListLimit clamps a listing's page size (default 50, at most 500).
func ContactListLimit(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, 500)
}

// AttributePath splits a filter key at its dots ("address.city" →
// ["address", "city"]).
func AttributePath(key string) []string {
	return strings.Split(key, ".")
}

// ContactAddressID is the ID of a contact created for a channel address
// (kind "phone" or "messenger_psid", and the value as stored): derived
// from the tenant, the kind and the value, so two first messages of a new
// sender processed at the same moment insert the same primary key and
// the later one fails (ErrConflict) instead of creating a second contact.
func ContactAddressID(tenantID uuid.UUID, kind, value string) uuid.UUID {
	return uuid.NewSHA1(tenantID, []byte(kind+":"+value))
}

// ContactSeenStep is how far an upsert must move a contact's last_seen_at
// to be written when it changes nothing else: last_seen_at may lag the
// contact's latest event by up to this much. Most events come in bursts
// (a session's page views and clicks), and each write of a contact costs
// a new row version, its WAL and a lock the event's insert then takes
// again; an upsert that only moves last_seen_at by less is not written.
const ContactSeenStep = time.Minute

// ContactUnchanged reports whether next, what an upsert made of cur, needs
// no write: every field equal (attributes as JSON values) except
// updated_at, and last_seen_at moved forward by less than ContactSeenStep.
// The caller then keeps cur, updated_at included.
func ContactUnchanged(cur, next *domain.Contact) bool {
	if cur == nil || next == nil || cur.ID != next.ID {
		return false
	}
	if !equalOpt(cur.ExternalID, next.ExternalID) || !equalOpt(cur.Email, next.Email) ||
		!equalOpt(cur.Phone, next.Phone) || !equalOpt(cur.MessengerPSID, next.MessengerPSID) ||
		cur.Name != next.Name || cur.Timezone != next.Timezone || cur.Locale != next.Locale {
		return false
	}
	if !seenWithinStep(cur.LastSeenAt, next.LastSeenAt) || !equalSubscriptions(cur.Subscriptions, next.Subscriptions) {
		return false
	}
	return equalAttributes(cur.Attributes, next.Attributes)
}

func equalOpt(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// seenWithinStep reports whether next is cur or less than ContactSeenStep
// after it.
func seenWithinStep(cur, next *time.Time) bool {
	if cur == nil || next == nil {
		return cur == next
	}
	return !next.Before(*cur) && next.Sub(*cur) < ContactSeenStep
}

func equalSubscriptions(a, b map[string]domain.Subscription) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok || x.State != y.State || x.Source != y.Source || !x.At.Equal(y.At) {
			return false
		}
	}
	return true
}

// equalAttributes compares two JSON objects as values (numbers by their
// text), so that a merge re-encoded with another key order or spacing than
// the stored one is still equal.
func equalAttributes(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	x, errX := decodeAttributes(a)
	y, errY := decodeAttributes(b)
	return errX == nil && errY == nil && reflect.DeepEqual(x, y)
}

func decodeAttributes(raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode attributes: %w", err)
	}
	return v, nil
}
