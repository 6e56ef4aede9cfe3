package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// ContactUpsertMaxBodyBytes caps an upsert's body; attributes have their
// own, smaller limit (contact.DefaultMaxAttributesBytes) answered with 422.
const ContactUpsertMaxBodyBytes = 64 << 10

// SubscriptionDTO is a contact's consent on one channel.
type SubscriptionDTO struct {
	State  string    `json:"state" enum:"subscribed,unsubscribed,never"`
	Source string    `json:"source,omitempty" example:"api"`
	At     time.Time `json:"at"`
}

// ContactDTO is a contact as the API shows it.
type ContactDTO struct {
	ID            uuid.UUID                  `json:"id"`
	ExternalID    *string                    `json:"externalId,omitempty" example:"user-42"`
	Email         *string                    `json:"email,omitempty" example:"ada@example.com"`
	Phone         *string                    `json:"phone,omitempty" example:"+4915112345678"`
	MessengerPSID *string                    `json:"messengerPsid,omitempty"`
	Name          string                     `json:"name"`
	Timezone      string                     `json:"timezone" example:"Europe/Berlin"`
	Locale        string                     `json:"locale" example:"de-DE"`
	Attributes    map[string]any             `json:"attributes"`
	Subscriptions map[string]SubscriptionDTO `json:"subscriptions"`
	CreatedAt     time.Time                  `json:"createdAt"`
	UpdatedAt     time.Time                  `json:"updatedAt"`
	LastSeenAt    *time.Time                 `json:"lastSeenAt,omitempty"`
}

func contactDTO(c *domain.Contact) ContactDTO {
	attrs := map[string]any{}
	_ = json.Unmarshal(c.Attributes, &attrs)
	if attrs == nil {
		attrs = map[string]any{}
	}
	subs := make(map[string]SubscriptionDTO, len(c.Subscriptions))
	for ch, s := range c.Subscriptions {
		subs[ch] = SubscriptionDTO{State: s.State, Source: s.Source, At: s.At}
	}
	return ContactDTO{ID: c.ID, ExternalID: c.ExternalID, Email: c.Email, Phone: c.Phone, MessengerPSID: c.MessengerPSID,
		Name: c.Name, Timezone: c.Timezone, Locale: c.Locale, Attributes: attrs, Subscriptions: subs,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, LastSeenAt: c.LastSeenAt}
}

// ContactUpsertDTO creates or updates a contact, matched by externalId,
// else by email. Fields left out keep their stored value.
type ContactUpsertDTO struct {
	ExternalID    *string                              `json:"externalId,omitempty" maxLength:"255" doc:"Your own user ID; an externalId or an email is required"`
	Email         *string                              `json:"email,omitempty" maxLength:"254" doc:"Stored lowercase; unique in the workspace"`
	Phone         *string                              `json:"phone,omitempty" maxLength:"32" doc:"E.164 (+4915112345678); \"\" clears it"`
	MessengerPSID *string                              `json:"messengerPsid,omitempty" maxLength:"64" doc:"\"\" clears it"`
	Name          *string                              `json:"name,omitempty" maxLength:"256"`
	Timezone      *string                              `json:"timezone,omitempty" maxLength:"64" doc:"IANA zone (Europe/Berlin); \"\" clears it"`
	Locale        *string                              `json:"locale,omitempty" maxLength:"35" doc:"BCP 47 (de-DE); \"\" clears it"`
	Attributes    map[string]any                       `json:"attributes,omitempty" doc:"Merged into the stored attributes: top-level keys replace, null deletes; at most 32 KiB in all"`
	Subscriptions map[string]contact.SubscriptionInput `json:"subscriptions,omitempty" doc:"State per channel (email, whatsapp, messenger…)"`
}

// ContactUpsertInput carries a contact to create or update.
type ContactUpsertInput struct {
	Body ContactUpsertDTO
}

// ContactOutput is one contact; Status is 201 when the upsert created it.
type ContactOutput struct {
	Status int
	Body   ContactDTO
}

// ContactIDInput names a contact in the path.
type ContactIDInput struct {
	ID uuid.UUID `path:"id"`
}

// ContactListInput filters and pages the contact list.
type ContactListInput struct {
	Q              string    `query:"q" maxLength:"200" doc:"Case-insensitive substring of email, name or externalId"`
	Attr           []string  `query:"attr,explode" doc:"Attribute filter key:op[:value], repeatable and ANDed; op is eq, ne, lt, lte, gt, gte or exists. The value is a number or true/false when it parses as one; quote it (\"30\") to compare as a string. Keys may address nested objects with dots (address.city)." example:"plan:eq:pro"`
	Subscription   []string  `query:"subscription,explode" doc:"channel:state, repeatable; never also matches a channel never recorded" example:"email:subscribed"`
	CreatedAfter   time.Time `query:"createdAfter" doc:"Created at or after (RFC 3339)"`
	CreatedBefore  time.Time `query:"createdBefore" doc:"Created before (RFC 3339)"`
	LastSeenAfter  time.Time `query:"lastSeenAfter" doc:"Last seen at or after (RFC 3339)"`
	LastSeenBefore time.Time `query:"lastSeenBefore" doc:"Last seen before (RFC 3339)"`
	Segment        string    `query:"segment" format:"uuid" doc:"Members of this segment, as its membership was last computed"`
	Cursor         string    `query:"cursor" doc:"nextCursor of the previous page"`
	Limit          int       `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

// ContactListDTO is one page of contacts, newest first.
type ContactListDTO struct {
	Items      []ContactDTO `json:"items"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

// ContactListOutput is one page of contacts.
type ContactListOutput struct {
	Body ContactListDTO
}

// ContactEraseOutput is the empty answer (204) of an erasure.
type ContactEraseOutput struct{}

// TimelineItemDTO is one thing that happened to a contact.
type TimelineItemDTO struct {
	Kind        string         `json:"kind" enum:"event,journey.entered,journey.exited,step"`
	At          time.Time      `json:"at"`
	ID          uuid.UUID      `json:"id" doc:"The event's, the execution's (journey items) or the step's ID"`
	ExecutionID *uuid.UUID     `json:"executionId,omitempty"`
	WorkflowID  *uuid.UUID     `json:"workflowId,omitempty"`
	Name        string         `json:"name,omitempty" doc:"Event name, workflow name (journey items) or a step's node type"`
	NodeID      string         `json:"nodeId,omitempty"`
	Status      string         `json:"status,omitempty" doc:"The execution's (journey.exited) or the step's status"`
	Properties  map[string]any `json:"properties,omitempty" doc:"An event's properties"`
}

// ContactTimelineInput pages through a contact's timeline.
type ContactTimelineInput struct {
	ID     uuid.UUID `path:"id"`
	Cursor string    `query:"cursor" doc:"nextCursor of the previous page"`
	Limit  int       `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

// ContactTimelineDTO is one page of a contact's timeline, newest first.
type ContactTimelineDTO struct {
	Items      []TimelineItemDTO `json:"items"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// ContactTimelineOutput is one page of a contact's timeline.
type ContactTimelineOutput struct {
	Body ContactTimelineDTO
}

func (s *Server) registerContacts() {
	tags := []string{"contacts"}
	read := map[string]any{MetaPermission: auth.PermContactsRead}
	write := map[string]any{MetaPermission: auth.PermContactsWrite}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}

	huma.Register(s.api, huma.Operation{
		OperationID: "list-contacts", Method: http.MethodGet, Path: Prefix + "/contacts",
		Summary: "List contacts, newest first, with filters", Tags: tags, Metadata: read,
		Errors: append(errs, http.StatusBadRequest),
	}, func(ctx context.Context, in *ContactListInput) (*ContactListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		p, err := contactListParams(c.TenantID, in)
		if err != nil {
			return nil, err
		}
		var list []domain.Contact
		if err := s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			list, err = tx.ContactList(ctx, p)
			return err
		}); err != nil {
			return nil, s.problem(ctx, "contacts", err)
		}
		out := &ContactListOutput{Body: ContactListDTO{Items: make([]ContactDTO, 0, len(list))}}
		for i := range list {
			out.Body.Items = append(out.Body.Items, contactDTO(&list[i]))
		}
		if len(list) == p.Limit {
			last := list[len(list)-1]
			out.Body.NextCursor = encodeCursor(last.CreatedAt, "", last.ID)
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "upsert-contact", Method: http.MethodPost, Path: Prefix + "/contacts",
		Summary:     "Create or update a contact",
		Description: "Matched by externalId, else by email (a contact found by email without an externalId takes the one given). 201 when created, 200 when updated. Attributes merge: top-level keys replace, null deletes.",
		Tags:        tags, Metadata: write, MaxBodyBytes: ContactUpsertMaxBodyBytes,
		Errors: append(errs, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *ContactUpsertInput) (*ContactOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		b := in.Body
		inp := &contact.Input{ExternalID: b.ExternalID, Email: b.Email, Phone: b.Phone, MessengerPSID: b.MessengerPSID,
			Name: b.Name, Timezone: b.Timezone, Locale: b.Locale, Subscriptions: b.Subscriptions}
		if b.Attributes != nil {
			if inp.Attributes, err = json.Marshal(b.Attributes); err != nil {
				return nil, huma.Error422UnprocessableEntity("attributes cannot be encoded as JSON")
			}
		}
		p, err := contact.Params(c.TenantID, inp, contact.Options{Source: "api"})
		if err != nil {
			return nil, contactProblem(err)
		}
		var ct *domain.Contact
		var created bool
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			if ct, created, err = tx.ContactUpsert(ctx, p); err != nil || !created {
				return err
			}
			// Counted after the insert (an upsert may update instead).
			if s.deps.Usage == nil {
				return nil
			}
			return s.deps.Usage.Created(ctx, tx, c.TenantID, store.UsageContacts, 1)
		})
		if err != nil {
			return nil, s.contactStoreProblem(ctx, err)
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		return &ContactOutput{Status: status, Body: contactDTO(ct)}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "get-contact", Method: http.MethodGet, Path: Prefix + "/contacts/{id}",
		Summary: "Get a contact", Tags: tags, Metadata: read, Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *ContactIDInput) (*ContactOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var ct *domain.Contact
		if err := s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			ct, err = tx.ContactGetByID(ctx, c.TenantID, in.ID)
			return err
		}); err != nil {
			return nil, s.problem(ctx, "contact", err)
		}
		return &ContactOutput{Status: http.StatusOK, Body: contactDTO(ct)}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "erase-contact", Method: http.MethodDelete, Path: Prefix + "/contacts/{id}",
		Summary: "Erase a contact",
		Description: "Deletes the contact and its events. Its executions stay as anonymous counts: running and waiting ones are cancelled, " +
			"and every one loses its contact, context and step data. The audit log records who erased which contact (ID and externalId, never the email).",
		Tags: tags, DefaultStatus: http.StatusNoContent, Metadata: write, Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *ContactIDInput) (*ContactEraseOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		err = s.deps.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			ct, err := tx.ContactGetByID(ctx, c.TenantID, in.ID)
			if err != nil {
				return err
			}
			res, err := tx.ContactErase(ctx, c.TenantID, in.ID, time.Now())
			if err != nil {
				return err
			}
			return auditContactErased(ctx, tx, c, ct, res)
		})
		if err != nil {
			return nil, s.problem(ctx, "contact", err)
		}
		return nil, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "contact-timeline", Method: http.MethodGet, Path: Prefix + "/contacts/{id}/timeline",
		Summary:     "A contact's timeline",
		Description: "Events, journeys entered and exited, and steps, newest first.",
		Tags:        tags, Metadata: read, Errors: append(errs, http.StatusBadRequest, http.StatusNotFound),
	}, func(ctx context.Context, in *ContactTimelineInput) (*ContactTimelineOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		p := &store.ContactTimelineParams{TenantID: c.TenantID, ContactID: in.ID, Limit: store.ContactListLimit(in.Limit)}
		if in.Cursor != "" {
			at, kind, id, ok := decodeCursor(in.Cursor)
			if !ok {
				return nil, huma.Error400BadRequest("cursor is not valid", &huma.ErrorDetail{Location: "query.cursor", Message: "invalid", Value: in.Cursor})
			}
			p.Before = &store.TimelineCursor{At: at, Kind: kind, ID: id}
		}
		var items []store.TimelineItem
		if err := s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			if _, err := tx.ContactGetByID(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			items, err = tx.ContactTimeline(ctx, p)
			return err
		}); err != nil {
			return nil, s.problem(ctx, "contact", err)
		}
		out := &ContactTimelineOutput{Body: ContactTimelineDTO{Items: make([]TimelineItemDTO, 0, len(items))}}
		for _, it := range items {
			d := TimelineItemDTO{Kind: it.Kind, At: it.At, ID: it.ID, ExecutionID: it.ExecutionID, WorkflowID: it.WorkflowID,
				Name: it.Name, NodeID: it.NodeID, Status: it.Status}
			if len(it.Data) > 0 {
				_ = json.Unmarshal(it.Data, &d.Properties)
			}
			out.Body.Items = append(out.Body.Items, d)
		}
		if len(items) > 0 && len(items) == p.Limit {
			last := items[len(items)-1]
			out.Body.NextCursor = encodeCursor(last.At, last.Kind, last.ID)
		}
		return out, nil
	})
}

// contactListParams parses the list's query.
func contactListParams(tenantID uuid.UUID, in *ContactListInput) (*store.ContactListParams, error) {
	p := &store.ContactListParams{TenantID: tenantID, Search: strings.TrimSpace(in.Q), Limit: store.ContactListLimit(in.Limit)}
	for _, a := range in.Attr {
		f, err := parseAttrFilter(a)
		if err != nil {
			return nil, huma.Error400BadRequest("attr "+strconv.Quote(a)+": "+err.Error(),
				&huma.ErrorDetail{Location: "query.attr", Message: err.Error(), Value: a})
		}
		p.Attributes = append(p.Attributes, f)
	}
	for _, sub := range in.Subscription {
		ch, state, ok := strings.Cut(sub, ":")
		if !ok || !contact.ValidChannel(ch) || !contact.ValidSubscriptionState(state) {
			return nil, huma.Error400BadRequest("subscription "+strconv.Quote(sub)+": want channel:state, state subscribed, unsubscribed or never",
				&huma.ErrorDetail{Location: "query.subscription", Message: "want channel:state", Value: sub})
		}
		p.Subscriptions = append(p.Subscriptions, store.SubscriptionFilter{Channel: ch, State: state})
	}
	timeOpt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	p.CreatedAfter, p.CreatedBefore = timeOpt(in.CreatedAfter), timeOpt(in.CreatedBefore)
	p.LastSeenAfter, p.LastSeenBefore = timeOpt(in.LastSeenAfter), timeOpt(in.LastSeenBefore)
	if in.Segment != "" {
		id, err := uuid.Parse(in.Segment)
		if err != nil {
			return nil, huma.Error400BadRequest("segment is not a segment ID", &huma.ErrorDetail{Location: "query.segment", Message: "want a UUID", Value: in.Segment})
		}
		p.Segment = &id
	}
	if in.Cursor != "" {
		at, _, id, ok := decodeCursor(in.Cursor)
		if !ok {
			return nil, huma.Error400BadRequest("cursor is not valid", &huma.ErrorDetail{Location: "query.cursor", Message: "invalid", Value: in.Cursor})
		}
		p.After = &store.ContactCursor{CreatedAt: at, ID: id}
	}
	return p, nil
}

// parseAttrFilter reads key:op[:value].
func parseAttrFilter(s string) (store.AttributeFilter, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 {
		return store.AttributeFilter{}, errors.New("want key:op:value (e.g. plan:eq:pro) or key:exists")
	}
	f := store.AttributeFilter{Key: parts[0], Op: store.AttributeOp(parts[1])}
	if f.Op != store.AttrExists {
		if len(parts) < 3 {
			return store.AttributeFilter{}, fmt.Errorf("operator %s needs a value (key:%s:value)", parts[1], parts[1])
		}
		f.Value = attrValue(parts[2])
	}
	if err := f.Validate(); err != nil {
		return store.AttributeFilter{}, err
	}
	return f, nil
}

// attrValue reads a filter value: a number or a boolean when it parses as
// one, a quoted string unquoted, else the text itself.
func attrValue(v string) any {
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXnN_") {
		return n
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

// encodeCursor and decodeCursor carry a keyset position (time, an
// optional kind, ID) as opaque base64url text.
func encodeCursor(at time.Time, kind string, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + kind + "|" + id.String()))
}

func decodeCursor(c string) (time.Time, string, uuid.UUID, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", uuid.Nil, false
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 {
		return time.Time{}, "", uuid.Nil, false
	}
	at, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil {
		return time.Time{}, "", uuid.Nil, false
	}
	id, err := uuid.Parse(parts[2])
	if err != nil {
		return time.Time{}, "", uuid.Nil, false
	}
	return at, parts[1], id, true
}

// contactProblem answers invalid contact input with 422 naming the field.
func contactProblem(err error) error {
	var fe *contact.FieldError
	switch {
	case errors.Is(err, contact.ErrNoIdentity):
		return huma.Error422UnprocessableEntity("a contact needs an externalId or an email",
			&huma.ErrorDetail{Location: "body.externalId", Message: "externalId or email is required"})
	case errors.As(err, &fe):
		return huma.Error422UnprocessableEntity(fe.Error(), &huma.ErrorDetail{Location: "body." + fe.Field, Message: fe.Message})
	}
	return err
}

func (s *Server) contactStoreProblem(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, store.ErrAttributesTooLarge):
		return huma.Error422UnprocessableEntity(fmt.Sprintf("attributes would exceed the limit of %d bytes once merged", contact.DefaultMaxAttributesBytes),
			&huma.ErrorDetail{Location: "body.attributes", Message: err.Error()})
	case errors.Is(err, store.ErrConflict):
		return huma.Error409Conflict("the email belongs to another contact: " + err.Error())
	}
	return s.problem(ctx, "contact", err)
}

// auditContactErased records who erased which contact: its ID and
// external ID, never its email or other personal data.
func auditContactErased(ctx context.Context, tx store.Tx, c *Caller, ct *domain.Contact, res *store.ContactErasure) error {
	actorType, actorID := "user", c.UserID
	if c.APIKeyID != nil {
		actorType, actorID = "api_key", c.APIKeyID
	}
	data := map[string]any{"executions": res.Executions, "cancelled": res.Cancelled}
	if ct.ExternalID != nil {
		data["externalId"] = *ct.ExternalID
	}
	raw, _ := json.Marshal(data)
	if err := tx.AuditInsert(ctx, &store.AuditInsertParams{TenantID: c.TenantID, ActorType: actorType, ActorID: actorID,
		Action: "contact.erased", TargetType: "contact", TargetID: ct.ID.String(), Data: raw, IP: c.IP}); err != nil {
		return fmt.Errorf("audit contact.erased: %w", err)
	}
	return nil
}
