package api

import (
	"bytes"
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

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/ingest"
)

// SegmentPrefix is where the Segment-compatible tracking API lives: at the
// root of the origin, as Segment's own, so analytics-node, analytics-go
// and RudderStack clients only change their host.
const SegmentPrefix = "/v1"

// segmentMaxBody is the most a Segment call may send before the server
// stops reading; within it, bodies over Segment's limits are answered 400
// as Segment does (clients drop a 400 and retry other errors).
const segmentMaxBody = 1 << 20

// segmentCalls are the Segment call types, each with its own path.
var segmentCalls = []string{"identify", "track", "page", "screen", "group", "alias"}

// Event names of the Segment calls that are not track.
const (
	SegmentPageEvent   = "Page Viewed"
	SegmentScreenEvent = "Screen Viewed"
	SegmentGroupEvent  = "Group"
	SegmentAliasEvent  = "Alias"
)

// SegmentInput is a Segment tracking call: the write key as the HTTP Basic
// user (empty password) or as writeKey in the body.
type SegmentInput struct {
	Authorization string `header:"Authorization" doc:"Basic base64(writeKey + \":\")"`
	RawBody       []byte `contentType:"application/json"`
}

// SegmentResultDTO is Segment's answer: success, and here also the items
// refused (never retried by clients: they would be refused again).
type SegmentResultDTO struct {
	Success bool                `json:"success"`
	Errors  []EventItemErrorDTO `json:"errors,omitempty"`
}

// SegmentOutput is the answer to a Segment call.
type SegmentOutput struct {
	Body SegmentResultDTO
}

// segmentMessage is one Segment message (the fields NextFlow reads; any
// other key is accepted and ignored).
type segmentMessage struct {
	Type              string          `json:"type"`
	UserID            json.RawMessage `json:"userId"`
	AnonymousID       json.RawMessage `json:"anonymousId"`
	MessageID         string          `json:"messageId"`
	Timestamp         string          `json:"timestamp"`
	OriginalTimestamp string          `json:"originalTimestamp"`
	SentAt            string          `json:"sentAt"`
	Event             string          `json:"event"`
	Name              string          `json:"name"`
	Category          string          `json:"category"`
	Properties        json.RawMessage `json:"properties"`
	Traits            json.RawMessage `json:"traits"`
	Context           json.RawMessage `json:"context"`
	GroupID           json.RawMessage `json:"groupId"`
	PreviousID        json.RawMessage `json:"previousId"`
	WriteKey          string          `json:"writeKey"`
}

// segmentBatch is the body of /v1/batch and /v1/import.
type segmentBatch struct {
	Batch    []json.RawMessage `json:"batch"`
	Context  json.RawMessage   `json:"context"`
	SentAt   string            `json:"sentAt"`
	WriteKey string            `json:"writeKey"`
}

func (s *Server) registerSegment() {
	if s.ingestService() == nil || s.deps.ResolveAPIKey == nil {
		return
	}
	meta := map[string]any{MetaPublic: true, MetaOwnAuthorization: true}
	errs := []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden}
	for _, call := range segmentCalls {
		huma.Register(s.api, huma.Operation{
			OperationID: "segment-" + call, Method: http.MethodPost, Path: SegmentPrefix + "/" + call,
			Summary:     "Segment tracking API: " + call,
			Description: segmentDoc(call),
			Tags:        []string{"segment"}, Security: []map[string][]string{}, Metadata: meta,
			MaxBodyBytes: segmentMaxBody, SkipValidateBody: true, Errors: errs,
		}, func(ctx context.Context, in *SegmentInput) (*SegmentOutput, error) {
			if len(in.RawBody) > ingest.MaxItemBytes {
				return nil, huma.Error400BadRequest(fmt.Sprintf("the message is %d bytes, limit %d", len(in.RawBody), ingest.MaxItemBytes))
			}
			var msg segmentMessage
			if err := decodeSegmentJSON(in.RawBody, &msg); err != nil {
				return nil, err
			}
			key, err := s.segmentAuth(ctx, in.Authorization, msg.WriteKey)
			if err != nil {
				return nil, err
			}
			msg.Type = call
			it := segmentItem(in.RawBody, &msg, nil, "", time.Now())
			return s.segmentIngest(ctx, key, []ingest.Item{it})
		})
	}
	for _, path := range []string{"batch", "import"} {
		huma.Register(s.api, huma.Operation{
			OperationID: "segment-" + path, Method: http.MethodPost, Path: SegmentPrefix + "/" + path,
			Summary: "Segment tracking API: " + path,
			Description: "Up to 500 KiB and 1,000 messages, each up to 32 KiB, each with its `type` (identify, track, page, " +
				"screen, group, alias). The batch's `context` and `sentAt` apply to every message. Answers 200 " +
				"`{\"success\": true}` when any message was taken (the refused ones listed in `errors`), 400 when none " +
				"was or the body is not JSON or too large. `/v1/import` is the same call under its older name.",
			Tags: []string{"segment"}, Security: []map[string][]string{}, Metadata: meta,
			MaxBodyBytes: segmentMaxBody, SkipValidateBody: true, Errors: errs,
		}, func(ctx context.Context, in *SegmentInput) (*SegmentOutput, error) {
			if len(in.RawBody) > ingest.MaxBatchBytes {
				return nil, huma.Error400BadRequest(fmt.Sprintf("the batch is %d bytes, limit %d", len(in.RawBody), ingest.MaxBatchBytes))
			}
			var b segmentBatch
			if err := decodeSegmentJSON(in.RawBody, &b); err != nil {
				return nil, err
			}
			key, err := s.segmentAuth(ctx, in.Authorization, b.WriteKey)
			if err != nil {
				return nil, err
			}
			if len(b.Batch) == 0 {
				return nil, huma.Error400BadRequest("batch is empty")
			}
			if len(b.Batch) > ingest.MaxItems {
				return nil, huma.Error400BadRequest(fmt.Sprintf("the batch has %d messages, limit %d", len(b.Batch), ingest.MaxItems))
			}
			now := time.Now()
			items := make([]ingest.Item, len(b.Batch))
			for i, raw := range b.Batch {
				var msg segmentMessage
				if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &msg) != nil {
					items[i] = ingest.Item{Err: &ingest.ItemError{Message: "a message must be a JSON object"}}
					continue
				}
				items[i] = segmentItem(raw, &msg, b.Context, b.SentAt, now)
			}
			return s.segmentIngest(ctx, key, items)
		})
	}
}

func segmentDoc(call string) string {
	what := map[string]string{
		"identify": "Creates or updates the contact `userId` names (or the one with the `email` trait) from its traits: " +
			"email, phone, name (or firstName + lastName), timezone, locale; other traits become attributes.",
		"track":  "Stores the event `event` with its properties for the contact (`userId`, or the `email` of `context.traits`).",
		"page":   "Stores an event named \"" + SegmentPageEvent + "\" with the page's name, category and properties.",
		"screen": "Stores an event named \"" + SegmentScreenEvent + "\" with the screen's name, category and properties.",
		"group":  "Stores an event named \"" + SegmentGroupEvent + "\" with groupId and the group's traits.",
		"alias":  "Stores an event named \"" + SegmentAliasEvent + "\" with previousId for the contact userId names (contacts are not merged).",
	}[call]
	return what + " Authenticate with a workspace API key of scope events:write (or full) as the HTTP Basic user and an " +
		"empty password, or as `writeKey` in the body. A repeated `messageId` is accepted and stored once. Limit 32 KiB."
}

// decodeSegmentJSON reads a Segment body; not JSON is 400 (clients drop it
// without retrying).
func decodeSegmentJSON(body []byte, v any) error {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return huma.Error400BadRequest("the body must be a JSON object")
	}
	if err := json.Unmarshal(t, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return huma.Error400BadRequest(fmt.Sprintf("%s must be a %s", te.Field, te.Value))
		}
		return huma.Error400BadRequest("the body must be a JSON object")
	}
	return nil
}

// segmentAuth resolves the write key (Basic user, else writeKey) to its
// principal: 401 without a valid key, 403 for a key that may not send
// events. The key may come from the key cache (Deps.ResolveAPIKey):
// segmentIngest confirms it in the transaction that stores the items.
func (s *Server) segmentAuth(ctx context.Context, authorization, bodyKey string) (*auth.Principal, error) {
	key := strings.TrimSpace(bodyKey)
	if scheme, cred, ok := strings.Cut(strings.TrimSpace(authorization), " "); ok && strings.EqualFold(scheme, "Basic") {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return nil, segmentUnauthorized("the Basic credentials are not base64")
		}
		user, _, _ := strings.Cut(string(raw), ":")
		key = user
	}
	if key == "" {
		return nil, segmentUnauthorized("a write key is required: a workspace API key as the Basic user, or writeKey in the body")
	}
	p, err := s.deps.ResolveAPIKey(ctx, key)
	switch {
	case errors.Is(err, auth.ErrUnauthenticated) || (err == nil && p == nil):
		return nil, segmentUnauthorized("invalid or revoked write key")
	case err != nil:
		return nil, s.problem(ctx, "write key", err)
	}
	markKeyResolved(ctx)
	if err := p.Require(auth.PermEventsWrite); err != nil {
		return nil, authzProblem(err)
	}
	return p, nil
}

func segmentUnauthorized(msg string) error {
	return &problemWithHeaders{
		ErrorModel: huma.Error401Unauthorized(msg).(*huma.ErrorModel),
		headers:    http.Header{"WWW-Authenticate": {`Basic realm="nextflow"`}},
	}
}

// segmentIngest stores the items for the write key's workspace and
// answers as Segment does.
func (s *Server) segmentIngest(ctx context.Context, key *auth.Principal, items []ingest.Item) (*SegmentOutput, error) {
	res, err := s.deps.Ingest.IngestAs(ctx, key, items, ingest.SourceSegment)
	var pe *auth.PermissionError
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return nil, segmentUnauthorized("invalid or revoked write key")
	case errors.As(err, &pe):
		return nil, authzProblem(err)
	case err != nil:
		return nil, s.problem(ctx, "events", err)
	}
	out := &SegmentOutput{Body: SegmentResultDTO{Success: true}}
	for _, e := range res.Errors {
		out.Body.Errors = append(out.Body.Errors, EventItemErrorDTO(e))
	}
	if res.Accepted == 0 && len(res.Errors) > 0 {
		return nil, itemsProblem(http.StatusBadRequest, res.Errors, len(items) > 1)
	}
	return out, nil
}

// idString reads a Segment ID, a string or a number.
func idString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// segmentItem maps one Segment message to an ingest item. batchContext
// and batchSentAt are the batch's, used where the message has none.
func segmentItem(raw []byte, m *segmentMessage, batchContext json.RawMessage, batchSentAt string, now time.Time) ingest.Item {
	it := ingest.Item{Size: len(raw), UserID: idString(m.UserID), MessageID: m.MessageID}
	bad := func(field, msg string) ingest.Item {
		it.Err = &ingest.ItemError{Field: field, Message: msg}
		return it
	}
	if len(m.Context) == 0 || string(m.Context) == "null" {
		m.Context = batchContext
	}
	if m.SentAt == "" {
		m.SentAt = batchSentAt
	}
	var ctxTraits json.RawMessage
	if len(m.Context) > 0 {
		var c struct {
			Traits json.RawMessage `json:"traits"`
		}
		if json.Unmarshal(m.Context, &c) == nil {
			ctxTraits = c.Traits
		}
	}
	it.Traits = ctxTraits
	it.Timestamp = segmentTimestamp(m, now)
	switch m.Type {
	case "identify":
		it.Kind = ingest.KindIdentify
		it.Traits = m.Traits
	case "track":
		if strings.TrimSpace(m.Event) == "" {
			return bad("event", "is required")
		}
		it.Name, it.Properties = m.Event, m.Properties
	case "page", "screen":
		it.Name = SegmentPageEvent
		if m.Type == "screen" {
			it.Name = SegmentScreenEvent
		}
		props, err := withKeys(m.Properties, map[string]string{"name": m.Name, "category": m.Category})
		if err != nil {
			return bad("properties", "must be a JSON object")
		}
		it.Properties = props
	case "group":
		gid := idString(m.GroupID)
		if gid == "" {
			return bad("groupId", "is required")
		}
		traits := m.Traits
		if len(bytes.TrimSpace(traits)) == 0 {
			traits = json.RawMessage(`{}`)
		}
		props, err := json.Marshal(map[string]any{"groupId": gid, "traits": traits})
		if err != nil {
			return bad("traits", "must be a JSON object")
		}
		it.Name, it.Properties = SegmentGroupEvent, props
	case "alias":
		prev := idString(m.PreviousID)
		if prev == "" {
			return bad("previousId", "is required")
		}
		props, _ := json.Marshal(map[string]string{"previousId": prev})
		it.Name, it.Properties = SegmentAliasEvent, props
	case "":
		return bad("type", "is required (identify, track, page, screen, group or alias)")
	default:
		return bad("type", fmt.Sprintf("%q is not a Segment call (identify, track, page, screen, group or alias)", m.Type))
	}
	if it.UserID == "" && idString(m.AnonymousID) == "" {
		return bad("userId", "a userId or an anonymousId is required")
	}
	return it
}

// withKeys adds the non-empty values to a properties object (without
// replacing keys it has).
func withKeys(props json.RawMessage, add map[string]string) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if t := bytes.TrimSpace(props); len(t) > 0 && string(t) != "null" {
		if err := json.Unmarshal(t, &m); err != nil || m == nil {
			return nil, errors.New("not an object")
		}
	}
	for k, v := range add {
		if _, ok := m[k]; !ok && v != "" {
			m[k] = json.RawMessage(strconv.Quote(v))
		}
	}
	return json.Marshal(m)
}

// segmentTimestamp is when the message happened: the client's
// originalTimestamp corrected for its clock skew (receivedAt − (sentAt −
// originalTimestamp)) when it sent both, else timestamp, else
// originalTimestamp, else "" (when received).
func segmentTimestamp(m *segmentMessage, now time.Time) string {
	if m.OriginalTimestamp != "" && m.SentAt != "" {
		orig, err1 := ingest.ParseTimestamp(m.OriginalTimestamp)
		sent, err2 := ingest.ParseTimestamp(m.SentAt)
		if err1 == nil && err2 == nil {
			return now.Add(-sent.Sub(orig)).UTC().Format(time.RFC3339Nano)
		}
	}
	if m.Timestamp != "" {
		return m.Timestamp
	}
	return m.OriginalTimestamp
}
