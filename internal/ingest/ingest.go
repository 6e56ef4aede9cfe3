// Package ingest takes events and contact updates from clients (the events
// API, the Segment tracking API) into the store: it checks every item and
// reports the bad ones by index, then, in one transaction, upserts the
// contacts the items name, stores the events (a message ID at most once
// per tenant) and hands the newly stored events to the engine, which starts
// and resumes journeys in that same transaction.
package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Limits of one request, as Segment's tracking API has them.
const (
	// MaxItems is the most items one batch may carry.
	MaxItems = 1000
	// MaxBatchBytes is the largest batch body.
	MaxBatchBytes = 500 << 10
	// MaxItemBytes is the largest single event (its JSON as sent), and the
	// largest body of a call that is not a batch.
	MaxItemBytes = 32 << 10
	// MaxPropertiesBytes is the largest properties object.
	MaxPropertiesBytes = 32 << 10
	// MaxNameLen is the longest event name, in characters.
	MaxNameLen = 200
	// MaxMessageIDLen is the longest message ID, in bytes.
	MaxMessageIDLen = 255
	// MaxFuture is how far ahead of the server's clock an event's
	// timestamp may be.
	MaxFuture = 24 * time.Hour
)

// Source says where items come from; it stamps subscriptions set without
// a source and shows in logs.
type Source string

// Sources.
const (
	SourceAPI     Source = "api"
	SourceSegment Source = "segment"
)

// Kind is what an item does.
type Kind string

// Kinds.
const (
	// KindEvent upserts the contact and stores the event (the default).
	KindEvent Kind = ""
	// KindIdentify only upserts the contact (Segment identify).
	KindIdentify Kind = "identify"
)

// Item is one event or contact update as a client sent it, decoded but
// not yet checked.
type Item struct {
	Kind Kind
	// Contact is the events API's contact object: externalId, email,
	// phone, messengerPsid, name, timezone, locale, attributes,
	// subscriptions; any other key is refused. Used when not nil.
	Contact json.RawMessage
	// UserID and Traits name and describe the contact the Segment way
	// (traits: email, phone, name, firstName/lastName, timezone, locale;
	// any other trait becomes an attribute). Used when Contact is nil.
	UserID string
	Traits json.RawMessage
	// Name, Properties, Timestamp and MessageID describe the event
	// (KindEvent). Timestamp is RFC 3339; "" means when it was received.
	// An empty MessageID gets a generated one, so the event is stored.
	Name       string
	Properties json.RawMessage
	Timestamp  string
	MessageID  string
	// Size is the item's size as sent, in bytes (0: not known).
	Size int
	// Err, when set, refuses the item as it is (a problem found while
	// decoding it).
	Err *ItemError

	// parsedContact or contactErr is Contact as ParseEventsBody decoded
	// it (both nil: Contact is decoded when the item is checked).
	parsedContact *contact.Input
	contactErr    *ItemError
	// propsCompact says that Properties is valid JSON without
	// insignificant whitespace (ParseEventsBody checked it).
	propsCompact bool
}

// ItemError is what was wrong with one item of a request.
type ItemError struct {
	Index   int    `json:"index"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("item %d: %s: %s", e.Index, e.Field, e.Message)
}

// Result is what a request did.
type Result struct {
	// Accepted counts the items taken: stored, or repeats of stored
	// events (Duplicates counts those among them).
	Accepted   int
	Duplicates int
	// Errors are the items refused, by index.
	Errors []ItemError
	// Events are the events stored now, in item order.
	Events []domain.Event
	// Contacts counts the distinct contacts upserted, Created those new.
	Contacts int
	Created  int
	// Started and Resumed are the executions the events started and
	// resumed.
	Started []uuid.UUID
	Resumed []uuid.UUID
	// Limit, when set, is the plan limit that refused the items naming
	// new contacts past it (their errors are in Errors).
	Limit *plan.LimitError
}

// EventHandler starts and resumes journeys for stored events inside the
// transaction that stored them (the engine).
type EventHandler interface {
	EventTx(ctx context.Context, tx store.Tx, evs []engine.IncomingEvent) (engine.EventResult, error)
}

// Service ingests events and contact updates.
type Service struct {
	Store store.Store
	// Engine, when not nil, runs journeys for the stored events.
	Engine EventHandler
	Log    *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxAttributesBytes limits a contact's attributes (default
	// contact.DefaultMaxAttributesBytes).
	MaxAttributesBytes int
	// ContactQuota, when set, is called in the transaction after the
	// upsert with the number of contacts it created (usage.Meter.Contacts).
	// A *plan.LimitError refuses the items naming new contacts past the
	// limit (the first ones that fit are kept) and the rest is stored; any
	// other error fails the request.
	ContactQuota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID, created int) error

	// group, when set (StartGroupCommit), lets concurrent requests share
	// transactions.
	group *groupCommit
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// prepared is an item that passed the checks.
type prepared struct {
	index   int
	key     string // the contact's identity in this request
	contact *store.ContactUpsertParams
	event   *store.EventInsert // nil for KindIdentify
}

// Ingest checks items and stores the valid ones for tenantID in one
// transaction: contacts upserted (each distinct contact once), events
// inserted (a message ID the tenant has stored is a duplicate: accepted,
// not stored again), the newly stored events handed to the engine. Invalid
// items are reported in Result.Errors and do not stop the others. The
// error is for the request as a whole (the database, the engine).
func (s *Service) Ingest(ctx context.Context, tenantID uuid.UUID, items []Item, src Source) (Result, error) {
	return s.ingest(ctx, tenantID, nil, items, src)
}

// IngestAs is Ingest for a request authenticated by the API key of p, in
// p's workspace. A principal answered from the key cache (p.Cached) is
// confirmed in the transaction that stores the items (auth.ConfirmAPIKey:
// not revoked, still allowed to send events); when it no longer stands,
// nothing is stored and the error is auth.ErrUnauthenticated or a
// *auth.PermissionError.
func (s *Service) IngestAs(ctx context.Context, p *auth.Principal, items []Item, src Source) (Result, error) {
	if p == nil {
		return Result{}, auth.ErrUnauthenticated
	}
	return s.ingest(ctx, p.TenantID, p, items, src)
}

// ingest is Ingest; key, when not nil, is the principal to confirm in the
// storing transaction.
func (s *Service) ingest(ctx context.Context, tenantID uuid.UUID, key *auth.Principal, items []Item, src Source) (Result, error) {
	now := s.now()
	var res Result
	ready := make([]prepared, 0, len(items))
	for i := range items {
		p, ierr := s.prepare(tenantID, i, &items[i], src, now)
		if ierr != nil {
			res.Errors = append(res.Errors, *ierr)
			continue
		}
		ready = append(ready, p)
	}
	if len(ready) == 0 {
		return res, nil
	}
	if s.group != nil && len(ready) < s.group.aloneFrom {
		return s.group.submit(ctx, tenantID, key, ready, res)
	}
	return s.storeAlone(ctx, tenantID, key, ready, res)
}

// storeAlone stores the checked items of one request in a transaction of
// their own, refusing the items whose contact conflicts with another or
// is past the plan's contact limit, and completes res.
func (s *Service) storeAlone(ctx context.Context, tenantID uuid.UUID, key *auth.Principal, ready []prepared, res Result) (Result, error) {
	keys := keysOf(key)
	out, err := s.storeWithin(ctx, tenantID, keys, &ready, &res)
	if errors.Is(err, store.ErrConflict) {
		// A contact's email belongs to another contact (or a concurrent
		// request raced this one). Find which contacts, refuse their
		// items, and store the rest.
		var bad map[string]error
		if bad, err = s.conflicting(ctx, tenantID, ready); err != nil {
			return res, err
		}
		kept := ready[:0:0]
		for _, p := range ready {
			if e, ok := bad[p.key]; ok {
				res.Errors = append(res.Errors, ItemError{Index: p.index, Field: "contact", Message: e.Error()})
				continue
			}
			kept = append(kept, p)
		}
		ready = kept
		out, err = s.storeWithin(ctx, tenantID, keys, &ready, &res)
	}
	if err != nil {
		return res, err
	}
	slices.SortFunc(res.Errors, func(a, b ItemError) int { return a.Index - b.Index })
	res.Accepted = len(ready)
	res.Duplicates = out.events - len(out.stored)
	res.Events = out.stored
	res.Contacts, res.Created = out.contacts, out.created
	res.Started, res.Resumed = out.result.Started, out.result.Resumed
	return res, nil
}

// contactLimitError is store's refusal by ContactQuota: the limit, and
// the keys of the contacts the upsert created, in item order.
type contactLimitError struct {
	limit   *plan.LimitError
	created []string
}

func (e *contactLimitError) Error() string { return e.limit.Error() }

// storeWithin stores *ready; when the plan's contact limit refuses the
// contacts it would create, it refuses the items naming the contacts past
// the room left (in Result.Errors, with Result.Limit) and stores the rest.
// A retry that is refused again (a concurrent request took the room)
// refuses every new contact.
func (s *Service) storeWithin(ctx context.Context, tenantID uuid.UUID, keys []*auth.Principal, ready *[]prepared, res *Result) (stored, error) {
	for attempt := 0; ; attempt++ {
		if len(*ready) == 0 {
			return stored{}, nil
		}
		out, err := s.store(ctx, tenantID, keys, *ready)
		var le *contactLimitError
		if !errors.As(err, &le) {
			return out, err
		}
		room := int(max(le.limit.Value-le.limit.Usage, 0))
		if attempt > 0 {
			room = 0
		}
		refused := make(map[string]bool, len(le.created))
		for _, k := range le.created[min(room, len(le.created)):] {
			refused[k] = true
		}
		msg := fmt.Sprintf("a new contact past the plan's limit: plan %s allows %d contacts, %d exist",
			le.limit.Plan, le.limit.Value, le.limit.Usage)
		kept := (*ready)[:0:0]
		for _, p := range *ready {
			if refused[p.key] {
				res.Errors = append(res.Errors, ItemError{Index: p.index, Field: "contact", Message: msg})
				continue
			}
			kept = append(kept, p)
		}
		*ready = kept
		res.Limit = le.limit
	}
}

type stored struct {
	events, contacts, created int
	stored                    []domain.Event
	result                    engine.EventResult
	// createdKeys are the keys of the contacts the upsert created.
	createdKeys map[string]bool
}

// contactMerge folds the upserts of one contact within a request into one
// (later fields win, attributes and subscriptions merge key by key).
func contactMerge(into, p *store.ContactUpsertParams) {
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = v
		}
	}
	set(&into.ExternalID, p.ExternalID)
	set(&into.Email, p.Email)
	set(&into.Phone, p.Phone)
	set(&into.MessengerPSID, p.MessengerPSID)
	set(&into.Name, p.Name)
	set(&into.Timezone, p.Timezone)
	set(&into.Locale, p.Locale)
	if len(p.Attributes) > 0 {
		into.Attributes = mergePatches(into.Attributes, p.Attributes)
	}
	for ch, sub := range p.Subscriptions {
		if into.Subscriptions == nil {
			into.Subscriptions = map[string]domain.Subscription{}
		}
		into.Subscriptions[ch] = sub
	}
	if p.LastSeenAt != nil && (into.LastSeenAt == nil || p.LastSeenAt.After(*into.LastSeenAt)) {
		into.LastSeenAt = p.LastSeenAt
	}
}

// mergePatches merges two attribute patches (JSON objects) key by key,
// keeping nulls: they still delete when the result is applied.
func mergePatches(a, b json.RawMessage) json.RawMessage {
	if len(a) == 0 {
		return b
	}
	var ma, mb map[string]json.RawMessage
	if json.Unmarshal(a, &ma) != nil || json.Unmarshal(b, &mb) != nil {
		return b
	}
	for k, v := range mb {
		ma[k] = v
	}
	out, err := json.Marshal(ma)
	if err != nil {
		return b
	}
	return out
}

// upserts returns one upsert per distinct contact of ready, in order of
// first appearance, and the index of each item's contact among them.
func upserts(ready []prepared) ([]*store.ContactUpsertParams, map[string]int) {
	pos := map[string]int{}
	var ps []*store.ContactUpsertParams
	for _, p := range ready {
		i, ok := pos[p.key]
		if !ok {
			cp := *p.contact
			cp.Subscriptions = maps.Clone(cp.Subscriptions)
			pos[p.key] = len(ps)
			ps = append(ps, &cp)
			continue
		}
		contactMerge(ps[i], p.contact)
	}
	return ps, pos
}

// keysOf returns the principal to confirm, if any, as a list.
func keysOf(p *auth.Principal) []*auth.Principal {
	if p == nil || !p.Cached {
		return nil
	}
	return []*auth.Principal{p}
}

// keyRefusedError is a confirmation of a cached API key that failed in the
// storing transaction (auth.ErrUnauthenticated, *auth.PermissionError).
type keyRefusedError struct{ err error }

func (e *keyRefusedError) Error() string { return e.err.Error() }
func (e *keyRefusedError) Unwrap() error { return e.err }

// store writes ready in one transaction, after confirming keys (principals
// answered from the API-key cache, each API key once) in it.
func (s *Service) store(ctx context.Context, tenantID uuid.UUID, keys []*auth.Principal, ready []prepared) (stored, error) {
	var out stored
	ps, pos := upserts(ready)
	err := s.Store.InTx(ctx, tenantID, func(tx store.Tx) error {
		out = stored{}
		confirmed := make(map[uuid.UUID]bool, len(keys))
		for _, k := range keys {
			if k.APIKey != nil && confirmed[k.APIKey.ID] {
				continue
			}
			if err := auth.ConfirmAPIKey(ctx, tx, k, auth.PermEventsWrite); err != nil {
				var pe *auth.PermissionError
				if errors.Is(err, auth.ErrUnauthenticated) || errors.As(err, &pe) {
					return &keyRefusedError{err: err}
				}
				return err
			}
			if k.APIKey != nil {
				confirmed[k.APIKey.ID] = true
			}
		}
		results, err := tx.ContactUpsertMany(ctx, ps)
		if err != nil {
			return fmt.Errorf("upsert %d contacts: %w", len(ps), err)
		}
		out.contacts = len(results)
		contacts := make(map[uuid.UUID]*domain.Contact, len(results))
		keys := make([]string, len(ps))
		for k, i := range pos {
			keys[i] = k
		}
		var created []int
		for i, r := range results {
			if r.Created {
				out.created++
				created = append(created, i)
				if out.createdKeys == nil {
					out.createdKeys = map[string]bool{}
				}
				out.createdKeys[keys[i]] = true
			}
			contacts[r.Contact.ID] = r.Contact
		}
		if s.ContactQuota != nil && out.created > 0 {
			if err := s.ContactQuota(ctx, tx, tenantID, out.created); err != nil {
				var le *plan.LimitError
				if !errors.As(err, &le) {
					return fmt.Errorf("contacts quota: %w", err)
				}
				cle := &contactLimitError{limit: le}
				for _, i := range created {
					cle.created = append(cle.created, keys[i])
				}
				return cle
			}
		}
		evs := make([]store.EventInsert, 0, len(ready))
		for _, p := range ready {
			if p.event == nil {
				continue
			}
			ev := *p.event
			ev.ContactID = results[pos[p.key]].Contact.ID
			evs = append(evs, ev)
		}
		out.events = len(evs)
		if len(evs) == 0 {
			return nil
		}
		if out.stored, err = tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: tenantID, Events: evs}); err != nil {
			return fmt.Errorf("insert %d events: %w", len(evs), err)
		}
		if s.Engine == nil || len(out.stored) == 0 {
			return nil
		}
		in := make([]engine.IncomingEvent, len(out.stored))
		for i, ev := range out.stored {
			in[i] = engine.IncomingEvent{Event: ev, Contact: contacts[ev.ContactID]}
		}
		if out.result, err = s.Engine.EventTx(ctx, tx, in); err != nil {
			return fmt.Errorf("run journeys for %d events: %w", len(in), err)
		}
		return nil
	})
	return out, err
}

// conflicting upserts each distinct contact of ready in a transaction of
// its own that is rolled back, and returns the contacts refused with
// ErrConflict (an email that belongs to another contact), by key; none
// when the conflict was a race that is over.
func (s *Service) conflicting(ctx context.Context, tenantID uuid.UUID, ready []prepared) (map[string]error, error) {
	ps, pos := upserts(ready)
	keys := make([]string, len(ps))
	for k, i := range pos {
		keys[i] = k
	}
	errRollback := errors.New("rollback")
	bad := map[string]error{}
	for i, p := range ps {
		err := s.Store.InTx(ctx, tenantID, func(tx store.Tx) error {
			if _, _, err := tx.ContactUpsert(ctx, p); err != nil {
				return err
			}
			return errRollback
		})
		switch {
		case errors.Is(err, errRollback):
		case errors.Is(err, store.ErrConflict):
			bad[keys[i]] = errors.New("the email belongs to another contact")
		default:
			return nil, fmt.Errorf("upsert contact: %w", err)
		}
	}
	// None alone: a concurrent request raced this one; the retry finds
	// its rows committed.
	return bad, nil
}

// contactFields are the keys of the events API's contact object.
var contactFields = []string{"externalId", "email", "phone", "messengerPsid", "name", "timezone", "locale", "attributes", "subscriptions"}

// prepare checks one item and turns it into an upsert and an event insert.
func (s *Service) prepare(tenantID uuid.UUID, index int, it *Item, src Source, now time.Time) (prepared, *ItemError) {
	fail := func(field, format string, args ...any) (prepared, *ItemError) {
		return prepared{}, &ItemError{Index: index, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if it.Err != nil {
		e := *it.Err
		e.Index = index
		return prepared{}, &e
	}
	if it.Size > MaxItemBytes {
		return fail("", "the event is %d bytes, limit %d", it.Size, MaxItemBytes)
	}
	p := prepared{index: index}
	if it.Kind == KindEvent {
		ev, ierr := checkEvent(index, it, now)
		if ierr != nil {
			return prepared{}, ierr
		}
		p.event = ev
	}
	seen := now
	if p.event != nil && p.event.OccurredAt.Before(now) {
		seen = p.event.OccurredAt
	}
	opts := contact.Options{Now: now, Source: string(src), SeenAt: &seen, MaxAttributesBytes: s.MaxAttributesBytes}
	var (
		cp  *store.ContactUpsertParams
		err error
	)
	if it.Contact != nil {
		in, ierr := it.parsedContact, it.contactErr
		if in == nil && ierr == nil {
			in, ierr = decodeContact(index, it.Contact)
		}
		if ierr != nil {
			e := *ierr
			e.Index = index
			return prepared{}, &e
		}
		cp, err = contact.Params(tenantID, in, opts)
	} else {
		cp, err = contact.FromTraits(tenantID, it.UserID, it.Traits, opts)
	}
	if err != nil {
		var fe *contact.FieldError
		switch {
		case errors.Is(err, contact.ErrNoIdentity):
			if it.Contact == nil {
				return fail("userId", "a userId or an email trait is required (anonymous visitors are not contacts)")
			}
			return fail("contact", "an externalId or an email is required")
		case errors.As(err, &fe):
			prefix := "contact."
			if it.Contact == nil {
				prefix = ""
			}
			return fail(prefix+fe.Field, "%s", fe.Message)
		}
		return fail("contact", "%v", err)
	}
	p.contact = cp
	if cp.ExternalID != nil {
		p.key = "x:" + *cp.ExternalID
	} else {
		p.key = "e:" + *cp.Email
	}
	return p, nil
}

// decodeContact reads the events API's contact object, refusing keys it
// does not know.
func decodeContact(index int, raw json.RawMessage) (*contact.Input, *ItemError) {
	fail := func(field, format string, args ...any) (*contact.Input, *ItemError) {
		return nil, &ItemError{Index: index, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return fail("contact", "must be a JSON object with an externalId or an email")
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return fail("contact", "must be a JSON object: %v", err)
	}
	var unknown []string
	for k := range keys {
		if !slices.Contains(contactFields, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fail("contact", "unknown field(s) %s: a contact has %s (put other data in attributes)",
			strings.Join(unknown, ", "), strings.Join(contactFields, ", "))
	}
	// The object is decoded once: each known key's value is read from the
	// map (small values), and only when one of them does not decode is the
	// whole object decoded again, for the message that names the field.
	var in contact.Input
	if contactFromKeys(keys, &in) == nil {
		return &in, nil
	}
	in = contact.Input{}
	if err := json.Unmarshal(raw, &in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fail("contact."+te.Field, "must be a %s", jsonType(te.Type.Kind().String()))
		}
		return fail("contact", "%v", err)
	}
	return &in, nil
}

// contactFromKeys fills in from the values of an object's keys, which
// are all among contactFields (exact names). Decoding a key's value alone
// gives what decoding the whole object into contact.Input gives, key by
// key.
func contactFromKeys(keys map[string]json.RawMessage, in *contact.Input) error {
	for k, v := range keys {
		var err error
		switch k {
		case "externalId":
			err = json.Unmarshal(v, &in.ExternalID)
		case "email":
			err = json.Unmarshal(v, &in.Email)
		case "phone":
			err = json.Unmarshal(v, &in.Phone)
		case "messengerPsid":
			err = json.Unmarshal(v, &in.MessengerPSID)
		case "name":
			err = json.Unmarshal(v, &in.Name)
		case "timezone":
			err = json.Unmarshal(v, &in.Timezone)
		case "locale":
			err = json.Unmarshal(v, &in.Locale)
		case "attributes":
			in.Attributes = append(json.RawMessage(nil), v...)
		case "subscriptions":
			err = json.Unmarshal(v, &in.Subscriptions)
		default:
			err = fmt.Errorf("unknown field %q", k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "string", "ptr":
		return "string"
	case "map", "struct":
		return "JSON object"
	}
	return kind
}

// checkEvent checks an item's event part.
func checkEvent(index int, it *Item, now time.Time) (*store.EventInsert, *ItemError) {
	fail := func(field, format string, args ...any) (*store.EventInsert, *ItemError) {
		return nil, &ItemError{Index: index, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	name := strings.TrimSpace(it.Name)
	switch {
	case name == "":
		return fail("name", "is required")
	case !utf8.ValidString(name):
		return fail("name", "is not valid UTF-8")
	case utf8.RuneCountInString(name) > MaxNameLen:
		return fail("name", "is longer than %d characters", MaxNameLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fail("name", "contains control characters")
	}
	props := bytes.TrimSpace(it.Properties)
	if len(props) == 0 || string(props) == "null" {
		props = []byte(`{}`)
	}
	if props[0] != '{' {
		return fail("properties", "must be a JSON object")
	}
	if len(props) > MaxPropertiesBytes {
		return fail("properties", "%d bytes, limit %d", len(props), MaxPropertiesBytes)
	}
	var buf bytes.Buffer
	if it.propsCompact {
		// Checked and found compact by ParseEventsBody: a copy is what
		// Compact would write.
		buf.Write(props)
	} else if err := json.Compact(&buf, props); err != nil {
		// Compact checks the whole text as it copies it (an error for
		// anything that is not one valid JSON value).
		return fail("properties", "is not valid JSON")
	}
	if bytes.Contains(buf.Bytes(), []byte(`\u0000`)) {
		return fail("properties", "contains a NUL character")
	}
	received := now.Truncate(time.Microsecond)
	occurred := received
	if ts := strings.TrimSpace(it.Timestamp); ts != "" {
		t, err := ParseTimestamp(ts)
		if err != nil {
			return fail("timestamp", "%q is not an RFC 3339 / ISO 8601 time (e.g. 2026-01-02T15:04:05Z)", ts)
		}
		switch {
		case t.Year() < 1970:
			return fail("timestamp", "%s is before 1970", ts)
		case t.After(now.Add(MaxFuture)):
			return fail("timestamp", "%s is more than %s ahead of the server's clock", ts, MaxFuture)
		}
		occurred = t
	}
	msgID := strings.TrimSpace(it.MessageID)
	switch {
	case len(msgID) > MaxMessageIDLen:
		return fail("messageId", "is longer than %d bytes", MaxMessageIDLen)
	case !utf8.ValidString(msgID) || strings.IndexFunc(msgID, unicode.IsControl) >= 0:
		return fail("messageId", "must be printable UTF-8")
	case msgID == "":
		msgID = domain.NewID().String()
	}
	return &store.EventInsert{
		ID: domain.NewID(), Name: name, Properties: buf.Bytes(), OccurredAt: occurred, ReceivedAt: received, MessageID: msgID,
	}, nil
}

// timestampLayouts are the ISO 8601 forms accepted besides RFC 3339; a
// time without an offset is UTC.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// ParseTimestamp reads an RFC 3339 or ISO 8601 time.
func ParseTimestamp(s string) (time.Time, error) {
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q: not RFC 3339", s)
}
