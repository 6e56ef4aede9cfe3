package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/ingest"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// EventContactDTO names (and updates) the contact an event is about.
type EventContactDTO struct {
	ExternalID    *string                              `json:"externalId,omitempty" maxLength:"255" doc:"Your own user ID; an externalId or an email is required"`
	Email         *string                              `json:"email,omitempty" maxLength:"254"`
	Phone         *string                              `json:"phone,omitempty" doc:"E.164 (+4915112345678)"`
	MessengerPSID *string                              `json:"messengerPsid,omitempty"`
	Name          *string                              `json:"name,omitempty" maxLength:"256"`
	Timezone      *string                              `json:"timezone,omitempty" doc:"IANA zone (Europe/Berlin)"`
	Locale        *string                              `json:"locale,omitempty" doc:"BCP 47 (de-DE)"`
	Attributes    map[string]any                       `json:"attributes,omitempty" doc:"Merged into the contact's attributes; null deletes a key"`
	Subscriptions map[string]contact.SubscriptionInput `json:"subscriptions,omitempty"`
}

// EventInDTO is one event as clients send it.
type EventInDTO struct {
	Contact    EventContactDTO `json:"contact" doc:"Created or updated from these fields; other keys are refused"`
	Name       string          `json:"name" minLength:"1" maxLength:"200" example:"order.completed"`
	Properties map[string]any  `json:"properties,omitempty" doc:"A JSON object of at most 32 KiB"`
	Timestamp  string          `json:"timestamp,omitempty" doc:"When it happened, RFC 3339 (default: when received)" example:"2026-01-02T15:04:05Z"`
	MessageID  string          `json:"messageId,omitempty" maxLength:"255" doc:"Idempotency key: an event with a messageId already stored is accepted and not stored again"`
}

// EventBatchInDTO is a batch of events.
type EventBatchInDTO struct {
	Batch []EventInDTO `json:"batch" maxItems:"1000"`
}

// EventItemErrorDTO is what was wrong with one item.
type EventItemErrorDTO struct {
	Index   int    `json:"index" doc:"Position in the batch (0 for a single event)"`
	Field   string `json:"field" example:"timestamp"`
	Message string `json:"message"`
}

// EventIngestDTO is what a post of events did.
type EventIngestDTO struct {
	Accepted   int                 `json:"accepted" doc:"Items taken: stored now, or repeats of stored messageIds"`
	Duplicates int                 `json:"duplicates" doc:"Accepted items whose messageId was stored before (or earlier in the batch)"`
	Errors     []EventItemErrorDTO `json:"errors" doc:"Items refused, by index; the others are stored"`
}

// EventIngestInput is a post of one event or a batch ({"batch": […]}).
type EventIngestInput struct {
	RawBody []byte `contentType:"application/json"`
}

// EventIngestOutput is what a post of events did.
type EventIngestOutput struct {
	Body EventIngestDTO
}

// EventDTO is a stored event.
type EventDTO struct {
	ID         uuid.UUID       `json:"id"`
	ContactID  uuid.UUID       `json:"contactId"`
	Name       string          `json:"name"`
	Properties json.RawMessage `json:"properties"`
	Timestamp  time.Time       `json:"timestamp" doc:"When it happened (the client's time)"`
	ReceivedAt time.Time       `json:"receivedAt"`
	MessageID  string          `json:"messageId"`
}

func eventDTO(e *domain.Event) EventDTO {
	return EventDTO{ID: e.ID, ContactID: e.ContactID, Name: e.Name, Properties: e.Properties, Timestamp: e.OccurredAt,
		ReceivedAt: e.ReceivedAt, MessageID: e.MessageID}
}

// EventListInput filters and pages the events list.
type EventListInput struct {
	Name      string    `query:"name" maxLength:"200" doc:"Only events of this name"`
	ContactID string    `query:"contactId" doc:"Only events of this contact"`
	From      time.Time `query:"from" doc:"Occurred at or after (RFC 3339)"`
	To        time.Time `query:"to" doc:"Occurred before (RFC 3339)"`
	Cursor    string    `query:"cursor" doc:"nextCursor of the previous page"`
	Limit     int       `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

// EventListDTO is one page of events, newest first.
type EventListDTO struct {
	Items      []EventDTO `json:"items"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

// EventListOutput is one page of events.
type EventListOutput struct {
	Body EventListDTO
}

// EventNameListInput limits the event names list.
type EventNameListInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"1000" default:"200"`
}

// EventNameListDTO is the event names a workspace has seen.
type EventNameListDTO struct {
	Names []string `json:"names"`
}

// EventNameListOutput is the event names a workspace has seen.
type EventNameListOutput struct {
	Body EventNameListDTO
}

// ingestService is Deps.Ingest, built over the store and the engine when
// the caller supplied none.
func (s *Server) ingestService() *ingest.Service {
	if s.deps.Ingest == nil && s.deps.Store != nil {
		svc := &ingest.Service{Store: s.deps.Store, Log: s.log}
		if s.deps.Engine != nil {
			svc.Engine = s.deps.Engine
		}
		if s.deps.Usage != nil {
			svc.ContactQuota = s.deps.Usage.Contacts
		}
		s.deps.Ingest = svc
	}
	return s.deps.Ingest
}

func (s *Server) registerEvents() {
	if s.ingestService() == nil {
		return
	}
	tags := []string{"events"}
	bodySchema := &huma.Schema{OneOf: []*huma.Schema{
		s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[EventInDTO](), true, ""),
		s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[EventBatchInDTO](), true, ""),
	}}
	huma.Register(s.api, huma.Operation{
		OperationID: "ingest-events", Method: http.MethodPost, Path: Prefix + "/events",
		Summary: "Send one event or a batch of up to 1,000",
		Description: "Creates or updates each event's contact, stores the event once per messageId and starts or resumes " +
			"the journeys it triggers, in one transaction. Items that are wrong are reported by index in `errors` and the " +
			"others are stored; when no item is taken the answer is 422 with every item's problem. Limits: 32 KiB per " +
			"event, 500 KiB and 1,000 events per batch (413 beyond). Authenticate with an API key of scope events:write " +
			"(or full).",
		Tags: tags, Metadata: map[string]any{MetaPermission: auth.PermEventsWrite, MetaKeyCache: true},
		MaxBodyBytes: ingest.MaxBatchBytes, SkipValidateBody: true,
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestEntityTooLarge,
			http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *EventIngestInput) (*EventIngestOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		items, batch, err := decodeEventsBody(in.RawBody)
		if err != nil {
			return nil, err
		}
		var res ingest.Result
		if p := auth.FromContext(ctx); p != nil && p.Cached {
			res, err = s.deps.Ingest.IngestAs(ctx, p, items, ingest.SourceAPI)
		} else {
			res, err = s.deps.Ingest.Ingest(ctx, c.TenantID, items, ingest.SourceAPI)
		}
		if err != nil {
			return nil, ingestProblem(ctx, s, err)
		}
		out := &EventIngestOutput{Body: EventIngestDTO{Accepted: res.Accepted, Duplicates: res.Duplicates, Errors: []EventItemErrorDTO{}}}
		for _, e := range res.Errors {
			out.Body.Errors = append(out.Body.Errors, EventItemErrorDTO(e))
		}
		if res.Accepted == 0 && res.Limit != nil {
			// Every item named a new contact past the plan's limit.
			return nil, s.problem(ctx, "events", res.Limit)
		}
		if res.Accepted == 0 && len(res.Errors) > 0 {
			return nil, itemsProblem(http.StatusUnprocessableEntity, res.Errors, batch)
		}
		return out, nil
	})

	// The handler reads the raw body (one event or a batch); the document
	// shows the two shapes it takes.
	if pi := s.api.OpenAPI().Paths[Prefix+"/events"]; pi != nil && pi.Post != nil && pi.Post.RequestBody != nil {
		pi.Post.RequestBody.Content = map[string]*huma.MediaType{"application/json": {Schema: bodySchema}}
	}

	huma.Register(s.api, huma.Operation{
		OperationID: "list-events", Method: http.MethodGet, Path: Prefix + "/events",
		Summary: "List the workspace's events, newest first", Tags: tags,
		Metadata: map[string]any{MetaPermission: auth.PermContactsRead},
		Errors:   []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden},
	}, func(ctx context.Context, in *EventListInput) (*EventListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		p := store.EventListParams{TenantID: c.TenantID, Name: in.Name, Limit: in.Limit + 1}
		if in.ContactID != "" {
			id, err := uuid.Parse(in.ContactID)
			if err != nil {
				return nil, huma.Error400BadRequest("contactId is not a UUID",
					&huma.ErrorDetail{Location: "query.contactId", Message: "not a UUID", Value: in.ContactID})
			}
			p.ContactID = &id
		}
		if !in.From.IsZero() {
			p.From = &in.From
		}
		if !in.To.IsZero() {
			p.To = &in.To
		}
		if p.After, err = parseEventCursor(in.Cursor); err != nil {
			return nil, err
		}
		var evs []domain.Event
		if err := s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			evs, err = tx.EventList(ctx, &p)
			return err
		}); err != nil {
			return nil, s.problem(ctx, "events", err)
		}
		out := &EventListOutput{Body: EventListDTO{Items: make([]EventDTO, 0, len(evs))}}
		if len(evs) > in.Limit {
			evs = evs[:in.Limit]
			last := evs[len(evs)-1]
			out.Body.NextCursor = eventCursor(last.OccurredAt, last.ID)
		}
		for i := range evs {
			out.Body.Items = append(out.Body.Items, eventDTO(&evs[i]))
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "list-event-names", Method: http.MethodGet, Path: Prefix + "/events/names",
		Summary: "The event names seen in the workspace, in name order (for trigger.event and wait_for_event)", Tags: tags,
		Metadata: map[string]any{MetaPermission: auth.PermContactsRead},
		Errors:   []int{http.StatusUnauthorized, http.StatusForbidden},
	}, func(ctx context.Context, in *EventNameListInput) (*EventNameListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var names []string
		if err := s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			names, err = tx.EventNameList(ctx, c.TenantID, in.Limit)
			return err
		}); err != nil {
			return nil, s.problem(ctx, "event names", err)
		}
		if names == nil {
			names = []string{}
		}
		return &EventNameListOutput{Body: EventNameListDTO{Names: names}}, nil
	})
}

// itemsProblem is the problem answered (status 422, or 400 on the Segment
// API) when no item of a post was taken: every item's problem, located in
// the body.
func itemsProblem(status int, errs []ingest.ItemError, batch bool) error {
	details := make([]error, 0, len(errs))
	for _, e := range errs {
		loc := "body"
		if batch {
			loc = fmt.Sprintf("body.batch[%d]", e.Index)
		}
		if e.Field != "" {
			loc += "." + e.Field
		}
		details = append(details, &huma.ErrorDetail{Location: loc, Message: e.Message})
	}
	msg := errs[0].Message
	if errs[0].Field != "" {
		msg = errs[0].Field + ": " + msg
	}
	if batch {
		msg = fmt.Sprintf("no event was stored: %d item(s) refused; item %d: %s", len(errs), errs[0].Index, msg)
	}
	return huma.NewError(status, msg, details...)
}

// decodeEventsBody reads one event or {"batch": […]} into items
// (ingest.ParseEventsBody, one scan of the body); a body that is not JSON
// or not of that shape is 400, one over the limits 413.
func decodeEventsBody(body []byte) ([]ingest.Item, bool, error) {
	items, batch, berr := ingest.ParseEventsBody(body)
	if berr != nil {
		return nil, batch, huma.NewError(berr.Status, berr.Message)
	}
	return items, batch, nil
}

// eventCursor encodes a position in the events list.
func eventCursor(at time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id.String()))
}

func parseEventCursor(c string) (*store.EventCursor, error) {
	if c == "" {
		return nil, nil
	}
	bad := huma.Error400BadRequest("cursor is not valid", &huma.ErrorDetail{Location: "query.cursor", Message: "invalid", Value: c})
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, bad
	}
	at, id, ok := strings.Cut(string(raw), "|")
	if !ok {
		return nil, bad
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return nil, bad
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return nil, bad
	}
	return &store.EventCursor{OccurredAt: t, ID: u}, nil
}

// ingestProblem is the answer to an ingestion that failed as a whole: 401
// or 403 when the API key, answered from the key cache, no longer stands
// (revoked, its creator removed or lowered), else the usual problem.
func ingestProblem(ctx context.Context, s *Server, err error) error {
	if p := cachedKeyProblem(err); p != nil {
		return p
	}
	return s.problem(ctx, "events", err)
}

// cachedKeyProblem is 401 or 403 when err says that an API key answered
// from the key cache no longer stands in the transaction that confirmed it
// (auth.ConfirmAPIKey: revoked, its creator removed or lowered); nil for
// any other error.
func cachedKeyProblem(err error) error {
	var pe *auth.PermissionError
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return huma.Error401Unauthorized("invalid or revoked API key")
	case errors.As(err, &pe):
		return authzProblem(err)
	}
	return nil
}
