package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// SegmentStore keeps segments and their memberships.
type SegmentStore interface {
	SegmentInsert(ctx context.Context, p *SegmentInsertParams) (*domain.Segment, error)
	SegmentGet(ctx context.Context, tenantID, id uuid.UUID) (*domain.Segment, error)
	// SegmentList lists a tenant's segments by name.
	SegmentList(ctx context.Context, tenantID uuid.UUID) ([]domain.Segment, error)
	// SegmentUpdate replaces a segment's name, description and definition;
	// the membership stays until the next computation.
	SegmentUpdate(ctx context.Context, p *SegmentUpdateParams) (*domain.Segment, error)
	// SegmentDelete deletes a segment and its membership.
	SegmentDelete(ctx context.Context, tenantID, id uuid.UUID) error
	// SegmentCount counts the contacts a condition matches at now, without
	// touching any membership (the editor's live count).
	SegmentCount(ctx context.Context, tenantID uuid.UUID, cond *SegmentCondition, now time.Time) (int, error)
	// SegmentSample lists up to limit contacts a condition matches at now,
	// newest first.
	SegmentSample(ctx context.Context, tenantID uuid.UUID, cond *SegmentCondition, now time.Time, limit int) ([]domain.Contact, error)
	// SegmentRecompute brings a segment's membership to what its condition
	// matches at now, set-based, and returns the contacts that entered and
	// exited. With neither p.ContactIDs nor p.Chunk it evaluates every
	// contact and records the count and time on the segment (one
	// transaction: for tests and small tenants). With p.ContactIDs set,
	// only those contacts are re-evaluated (events or attribute changes
	// arrived for them); with p.Chunk, only the chunk's contacts (a slice
	// of a whole computation, see SegmentComputeProgress). Both adjust the
	// member count by the change and leave the computation time alone.
	SegmentRecompute(ctx context.Context, p *SegmentRecomputeParams) (*SegmentChange, error)
	// SegmentLock reads a segment and holds its row until the transaction
	// ends (PostgreSQL: FOR UPDATE; SQLite's single writer holds every
	// row), so computations of one segment queue up.
	SegmentLock(ctx context.Context, tenantID, id uuid.UUID) (*domain.Segment, error)
	// SegmentComputeProgress records a whole computation in progress: when
	// it began and the last contact ID it has evaluated (uuid.Nil: none
	// yet), so it resumes there after a crash.
	SegmentComputeProgress(ctx context.Context, tenantID, id uuid.UUID, startedAt time.Time, cursor uuid.UUID) error
	// SegmentComputeFinish ends a whole computation: the segment is
	// computed as of computedAt, its member count is counted afresh, and
	// no computation is in progress. It returns the count.
	SegmentComputeFinish(ctx context.Context, tenantID, id uuid.UUID, computedAt time.Time) (int, error)
	// SegmentMemberList pages a segment's members by contact ID.
	SegmentMemberList(ctx context.Context, tenantID, segmentID uuid.UUID, after uuid.UUID, limit int) ([]uuid.UUID, error)
	// SegmentListStale lists, across tenants, the segments last computed
	// before before (or never), never computed first, then oldest. Call
	// it in a system transaction.
	SegmentListStale(ctx context.Context, before time.Time, limit int) ([]domain.Segment, error)
	// SegmentIsMember reports whether a contact is in a segment's stored
	// membership.
	SegmentIsMember(ctx context.Context, tenantID, segmentID, contactID uuid.UUID) (bool, error)
}

// SegmentInsertParams creates a segment.
type SegmentInsertParams struct {
	TenantID    uuid.UUID
	ID          uuid.UUID // zero: generated
	Name        string
	Description string
	Definition  json.RawMessage
}

// SegmentUpdateParams replaces a segment's editable fields.
type SegmentUpdateParams struct {
	TenantID    uuid.UUID
	ID          uuid.UUID
	Name        string
	Description string
	Definition  json.RawMessage
}

// SegmentRecomputeParams asks for a membership computation.
type SegmentRecomputeParams struct {
	TenantID  uuid.UUID
	SegmentID uuid.UUID
	Condition *SegmentCondition
	Now       time.Time
	// ContactIDs limits the computation to these contacts (empty: all; at
	// most SegmentMaxContacts).
	ContactIDs []uuid.UUID
	// Chunk limits the computation to a slice of the contacts by ID.
	Chunk *SegmentChunk
}

// SegmentChunk is one slice of a whole computation: the contacts whose ID
// is after After, in ID order, at most Limit (1 to SegmentMaxChunk).
type SegmentChunk struct {
	After uuid.UUID
	Limit int
}

// SegmentChange is what a computation changed.
type SegmentChange struct {
	Entered []uuid.UUID
	Exited  []uuid.UUID
	// Members is the membership's size afterwards.
	Members int
	// Chunk mode: Last is the last contact ID the chunk covered and End
	// whether the chunk reached the last contact (the computation is
	// complete).
	Last uuid.UUID
	End  bool
}

// Segment condition bounds: a tree deeper or wider than these is refused,
// so a tenant's definition stays a query the database answers quickly.
const (
	SegmentMaxDepth      = 5
	SegmentMaxConditions = 50
	// SegmentMaxWindow is the longest relative window (about ten years).
	SegmentMaxWindow = 10 * 365 * 24 * 60 * 60
	// SegmentSampleLimit bounds SegmentSample.
	SegmentSampleLimit = 100
	// SegmentMaxContacts bounds SegmentRecomputeParams.ContactIDs.
	SegmentMaxContacts = 1000
	// SegmentMaxChunk bounds SegmentChunk.Limit.
	SegmentMaxChunk = 100_000
)

// SegmentCondition is one node of a segment's condition tree: exactly one
// of its fields is set. All and Any combine children; Not negates one;
// the rest are leaves over the contact's fields, attributes, consent and
// event history.
type SegmentCondition struct {
	All []SegmentCondition `json:"all,omitempty"`
	Any []SegmentCondition `json:"any,omitempty"`
	Not *SegmentCondition  `json:"not,omitempty"`

	// Attribute compares a contact attribute (AttributeFilter's rules).
	Attribute *SegmentAttribute `json:"attribute,omitempty"`
	// Field tests one of the contact's own fields.
	Field *SegmentField `json:"field,omitempty"`
	// Subscription tests the consent on one channel.
	Subscription *SegmentSubscription `json:"subscription,omitempty"`
	// Performed counts the contact's events of one name, optionally in a
	// window ending now ("did order.completed at least 2 times in the last
	// 30 days", "did not do app.opened in 14 days": count eq 0).
	Performed *SegmentPerformed `json:"performed,omitempty"`
	// Time tests created_at or last_seen_at against a window ending now.
	Time *SegmentTime `json:"time,omitempty"`
}

// SegmentAttribute is AttributeFilter in a segment definition.
type SegmentAttribute struct {
	Key   string      `json:"key"`
	Op    AttributeOp `json:"op"`
	Value any         `json:"value,omitempty"`
}

// Filter returns the attribute test as an AttributeFilter.
func (a *SegmentAttribute) Filter() AttributeFilter {
	return AttributeFilter{Key: a.Key, Op: a.Op, Value: a.Value}
}

// Contact fields a segment can test.
const (
	FieldEmail         = "email"
	FieldPhone         = "phone"
	FieldMessengerPSID = "messengerPsid"
	FieldExternalID    = "externalId"
	FieldName          = "name"
	FieldTimezone      = "timezone"
	FieldLocale        = "locale"
)

// SegmentFieldColumns maps a segment field to its contacts column.
var SegmentFieldColumns = map[string]string{
	FieldEmail: "email", FieldPhone: "phone", FieldMessengerPSID: "messenger_psid", FieldExternalID: "external_id",
	FieldName: "name", FieldTimezone: "timezone", FieldLocale: "locale",
}

// SegmentField tests a contact field: Op is exists (set and not empty),
// eq or ne (with Value).
type SegmentField struct {
	Field string      `json:"field"`
	Op    AttributeOp `json:"op"`
	Value string      `json:"value,omitempty"`
}

// SegmentSubscription matches contacts whose state on Channel is State.
type SegmentSubscription struct {
	Channel string `json:"channel"`
	State   string `json:"state"`
}

// SegmentPerformed compares the count of a contact's events named Event
// (in the last WithinSeconds, or ever when 0) with Count by Op (eq, ne,
// lt, lte, gt, gte).
type SegmentPerformed struct {
	Event         string      `json:"event"`
	Op            AttributeOp `json:"op"`
	Count         int         `json:"count"`
	WithinSeconds int64       `json:"withinSeconds,omitempty"`
}

// Contact time fields a segment can test.
const (
	TimeCreatedAt  = "createdAt"
	TimeLastSeenAt = "lastSeenAt"
)

// SegmentTime keeps contacts whose Field is within the last WithinSeconds
// (WithinSeconds > 0) or older than OlderThanSeconds (never seen counts as
// older for lastSeenAt).
type SegmentTime struct {
	Field            string `json:"field"`
	WithinSeconds    int64  `json:"withinSeconds,omitempty"`
	OlderThanSeconds int64  `json:"olderThanSeconds,omitempty"`
}

var (
	channelPattern   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	eventNamePattern = regexp.MustCompile(`^[^\x00-\x1f]{1,200}$`)
)

// ErrSegmentDefinition wraps every reason a definition is refused.
var ErrSegmentDefinition = errors.New("invalid segment definition")

// ParseSegmentDefinition decodes and validates a stored or submitted
// definition.
func ParseSegmentDefinition(raw json.RawMessage) (*SegmentCondition, error) {
	var c SegmentCondition
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSegmentDefinition, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks the tree's shape, bounds and every leaf; the error
// names the path of the offending node ("all[1].performed").
func (c *SegmentCondition) Validate() error {
	n := 0
	return c.validate("", 1, &n)
}

func (c *SegmentCondition) validate(path string, depth int, n *int) error {
	fail := func(format string, args ...any) error {
		at := path
		if at == "" {
			at = "the root"
		}
		return fmt.Errorf("%w: %s: %s", ErrSegmentDefinition, at, fmt.Sprintf(format, args...))
	}
	if depth > SegmentMaxDepth {
		return fail("nested deeper than %d levels", SegmentMaxDepth)
	}
	set := 0
	for _, ok := range []bool{c.All != nil, c.Any != nil, c.Not != nil, c.Attribute != nil, c.Field != nil, c.Subscription != nil, c.Performed != nil, c.Time != nil} {
		if ok {
			set++
		}
	}
	if set != 1 {
		return fail("a condition has exactly one of all, any, not, attribute, field, subscription, performed, time (found %d)", set)
	}
	join := func(p string) string {
		if path == "" {
			return p
		}
		return path + "." + p
	}
	group := func(name string, kids []SegmentCondition) error {
		if len(kids) == 0 {
			return fail("%s needs at least one condition", name)
		}
		for i := range kids {
			if err := kids[i].validate(fmt.Sprintf("%s[%d]", join(name), i), depth+1, n); err != nil {
				return err
			}
		}
		return nil
	}
	switch {
	case c.All != nil:
		return group("all", c.All)
	case c.Any != nil:
		return group("any", c.Any)
	case c.Not != nil:
		return c.Not.validate(join("not"), depth+1, n)
	}
	*n++
	if *n > SegmentMaxConditions {
		return fail("more than %d conditions", SegmentMaxConditions)
	}
	window := func(name string, s int64) error {
		if s < 0 || s > SegmentMaxWindow {
			return fail("%s must be between 0 and %d seconds", name, SegmentMaxWindow)
		}
		return nil
	}
	switch {
	case c.Attribute != nil:
		if err := c.Attribute.Filter().Validate(); err != nil {
			return fail("%v", err)
		}
	case c.Field != nil:
		if _, ok := SegmentFieldColumns[c.Field.Field]; !ok {
			return fail("field %q: want email, phone, messengerPsid, externalId, name, timezone or locale", c.Field.Field)
		}
		if c.Field.Op != AttrExists && c.Field.Op != AttrEq && c.Field.Op != AttrNe {
			return fail("field %s: operator %q, want exists, eq or ne", c.Field.Field, c.Field.Op)
		}
	case c.Subscription != nil:
		if !channelPattern.MatchString(c.Subscription.Channel) {
			return fail("subscription channel %q: want a channel name such as email", c.Subscription.Channel)
		}
		switch c.Subscription.State {
		case domain.SubscriptionSubscribed, domain.SubscriptionUnsubscribed, domain.SubscriptionNever:
		default:
			return fail("subscription state %q: want subscribed, unsubscribed or never", c.Subscription.State)
		}
	case c.Performed != nil:
		p := c.Performed
		if !eventNamePattern.MatchString(p.Event) {
			return fail("performed event %q: want a name of 1-200 printable characters", p.Event)
		}
		if !p.Op.Valid() || p.Op == AttrExists {
			return fail("performed %s: operator %q, want eq, ne, lt, lte, gt or gte", p.Event, p.Op)
		}
		if p.Count < 0 || p.Count > 1_000_000 {
			return fail("performed %s: count must be between 0 and 1000000", p.Event)
		}
		if err := window("withinSeconds", p.WithinSeconds); err != nil {
			return err
		}
	case c.Time != nil:
		t := c.Time
		if t.Field != TimeCreatedAt && t.Field != TimeLastSeenAt {
			return fail("time field %q: want createdAt or lastSeenAt", t.Field)
		}
		if (t.WithinSeconds > 0) == (t.OlderThanSeconds > 0) {
			return fail("time %s: set exactly one of withinSeconds and olderThanSeconds", t.Field)
		}
		if err := window("withinSeconds", t.WithinSeconds); err != nil {
			return err
		}
		if err := window("olderThanSeconds", t.OlderThanSeconds); err != nil {
			return err
		}
	}
	return nil
}

// Events lists the event names a tree's performed conditions count, so an
// arriving event re-evaluates only the segments that depend on it.
func (c *SegmentCondition) Events() []string {
	var out []string
	var walk func(c *SegmentCondition)
	walk = func(c *SegmentCondition) {
		for i := range c.All {
			walk(&c.All[i])
		}
		for i := range c.Any {
			walk(&c.Any[i])
		}
		if c.Not != nil {
			walk(c.Not)
		}
		if c.Performed != nil {
			out = append(out, c.Performed.Event)
		}
	}
	walk(c)
	return out
}

// Relative reports whether the tree has a window ending now, so its
// membership changes with the passing of time alone.
func (c *SegmentCondition) Relative() bool {
	rel := false
	var walk func(c *SegmentCondition)
	walk = func(c *SegmentCondition) {
		for i := range c.All {
			walk(&c.All[i])
		}
		for i := range c.Any {
			walk(&c.Any[i])
		}
		if c.Not != nil {
			walk(c.Not)
		}
		if (c.Performed != nil && c.Performed.WithinSeconds > 0) || c.Time != nil {
			rel = true
		}
	}
	walk(c)
	return rel
}
