package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// mapDecodeEventsBody is how the events API read its body before
// ParseEventsBody: into maps of raw values, each value decoded again
// (the reference ParseEventsBody must agree with).
func mapDecodeEventsBody(body []byte) ([]Item, bool, *BodyError) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, false, &BodyError{400, "the body is empty: send one event or {\"batch\": [...]}"}
	}
	if !json.Valid(body) {
		return nil, false, &BodyError{400, "the body is not valid JSON"}
	}
	var top map[string]json.RawMessage
	if body[0] != '{' || json.Unmarshal(body, &top) != nil {
		return nil, false, &BodyError{400, "the body must be a JSON object: one event or {\"batch\": [...]}"}
	}
	raw, batch := top["batch"]
	if !batch {
		if len(body) > MaxItemBytes {
			return nil, false, &BodyError{413, fmt.Sprintf("the event is %d bytes, limit %d", len(body), MaxItemBytes)}
		}
		return []Item{mapDecodeEvent(body)}, false, nil
	}
	if len(top) > 1 {
		var extra []string
		for k := range top {
			if k != "batch" {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra)
		return nil, true, &BodyError{400, "a batch body has only \"batch\"; unknown field(s): " + strings.Join(extra, ", ")}
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, true, &BodyError{400, "batch must be an array of events"}
	}
	if len(elems) == 0 {
		return nil, true, &BodyError{400, "batch is empty"}
	}
	if len(elems) > MaxItems {
		return nil, true, &BodyError{413, fmt.Sprintf("the batch has %d events, limit %d", len(elems), MaxItems)}
	}
	items := make([]Item, len(elems))
	for i, e := range elems {
		items[i] = mapDecodeEvent(e)
	}
	return items, true, nil
}

func mapDecodeEvent(raw json.RawMessage) Item {
	it := Item{Size: len(raw)}
	bad := func(field, msg string) Item {
		it.Err = &ItemError{Field: field, Message: msg}
		return it
	}
	var m map[string]json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &m) != nil {
		return bad("", "an event must be a JSON object")
	}
	var unknown []string
	for k := range m {
		if !slices.Contains(eventFields, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return bad(unknown[0], fmt.Sprintf("unknown field(s) %s: an event has %s", strings.Join(unknown, ", "), strings.Join(eventFields, ", ")))
	}
	str := func(k string) (string, bool) {
		v, ok := m[k]
		if !ok || string(v) == "null" {
			return "", true
		}
		var s string
		return s, json.Unmarshal(v, &s) == nil
	}
	var ok bool
	if it.Name, ok = str("name"); !ok {
		return bad("name", "must be a string")
	}
	if it.Timestamp, ok = str("timestamp"); !ok {
		return bad("timestamp", "must be an RFC 3339 string")
	}
	if it.MessageID, ok = str("messageId"); !ok {
		return bad("messageId", "must be a string")
	}
	it.Properties = m["properties"]
	c, ok := m["contact"]
	if !ok || string(c) == "null" {
		return bad("contact", "is required: an object with an externalId or an email")
	}
	it.Contact = c
	return it
}

// TestParseEventsBodyAsMaps checks that the one-scan reading of the events
// API's body gives what decoding it into maps gave: the same items (name,
// timestamp, message ID, properties, contact, size), the same problems for
// the same items and bodies, and, once checked, the same contact and
// stored properties. It fails if the scanner mistakes a key (escaped,
// repeated, differently cased), a value's type or a value's end.
func TestParseEventsBodyAsMaps(t *testing.T) {
	t.Parallel()
	ev := `{"contact":{"externalId":"u1","email":"a@example.com"},"name":"order.completed","properties":{"total":12.5,"items":["a","b"]},"timestamp":"2026-01-02T15:04:05Z","messageId":"m1"}`
	bodies := []string{
		"", "   ", "nope", `[1,2]`, `"str"`, `{"batch": 5}`, `{"batch": {}}`, `{"batch": null}`, `{"batch": []}`,
		`{"batch": [], "extra": 1, "more": 2, "extra": 3}`, `{"batch": "x"}`,
		ev,
		" \n" + ev + "\t ",
		`{"batch":[` + ev + `]}`,
		`{ "batch" : [ ` + ev + ` , 5 , "x" , null , [] , {} , true ] }`,
		`{"batch":[1],"batch":[` + ev + `,` + ev + `]}`,
		`{"b\u0061tch":[` + ev + `]}`,
		`{"Batch":[` + ev + `]}`,
		// Keys: escaped, repeated, cased differently, unknown.
		`{"n\u0061me":"a","contact":{"externalId":"u"}}`,
		`{"name":5,"name":"later","contact":{"externalId":"u"}}`,
		`{"name":"first","name":6,"contact":{"externalId":"u"}}`,
		`{"Name":"x","contact":{"externalId":"u"}}`,
		`{"zeta":1,"alpha":2,"alpha":3,"name":"x"}`,
		// Values of the wrong type, escapes, non-ASCII, empty strings.
		`{"name":"x","timestamp":17,"contact":{"externalId":"u"}}`,
		`{"name":"x","messageId":{"a":1},"contact":{"externalId":"u"}}`,
		`{"name":"x\n\"y\" \u00e9 é 𝄞","messageId":"a\/b","timestamp":null,"contact":{"externalId":"u"}}`,
		`{"name":"","messageId":"","contact":{"externalId":""}}`,
		`{"name":null,"contact":null}`,
		`{"name":"x"}`,
		`{"name":"x","contact":"u1"}`,
		`{"name":"x","contact":[1]}`,
		// Properties: compact, spaced, nested strings holding brackets and
		// quotes, not objects, null.
		`{"name":"x","contact":{"externalId":"u"},"properties":{"a":"} ] \" {","b":[{"c":"]"}],"d":-1.5e3,"e":true,"f":null}}`,
		`{"name":"x","contact":{"externalId":"u"},"properties": { "a" : [ 1 , 2 ] ,"b":"x y" } }`,
		"{\"name\":\"x\",\"contact\":{\"externalId\":\"u\"},\"properties\":{\"a\":\n1}}",
		`{"name":"x","contact":{"externalId":"u"},"properties":"str"}`,
		`{"name":"x","contact":{"externalId":"u"},"properties":[1]}`,
		`{"name":"x","contact":{"externalId":"u"},"properties":null}`,
		`{"name":"x","contact":{"externalId":"u"},"properties":{"a":"\u0000"}}`,
		`{"name":"x","contact":{"externalId":"u"},"properties":{}}`,
		// Contacts: every field, nulls, repeated keys, unknown keys, wrong
		// types, subscriptions, escaped keys.
		`{"name":"x","contact":{"externalId":"u1","email":"A@Example.com","phone":"+33612345678","messengerPsid":"p","name":"Ada",
			"timezone":"Europe/Paris","locale":"fr","attributes":{"plan":"pro","n":[1, 2]},"subscriptions":{"email":{"state":"subscribed"}}}}`,
		`{"name":"x","contact":{"externalId":null,"email":"a@example.com","attributes":null,"subscriptions":null}}`,
		`{"name":"x","contact":{"externalId":"first","externalId":"second","email":"a@example.com","email":null}}`,
		`{"name":"x","contact":{"externalId":"u","nickname":"z","Email":"a@example.com"}}`,
		`{"name":"x","contact":{"externalId":5}}`,
		`{"name":"x","contact":{"externalId":"u","phone":["x"],"locale":7}}`,
		`{"name":"x","contact":{"externalId":"u","subscriptions":"no"}}`,
		`{"name":"x","contact":{"externalId":"u","subscriptions":{"email":{"state":5}}}}`,
		`{"name":"x","contact":{"external\u0049d":"u\u00e9","attributes":{ "spaced" :  "out" }}}`,
		`{"name":"x","contact":{}}`,
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &Service{}
	tenant := uuid.New()
	for _, body := range bodies {
		got, gotBatch, gotErr := ParseEventsBody([]byte(body))
		want, wantBatch, wantErr := mapDecodeEventsBody([]byte(body))
		require.Equal(t, wantErr, gotErr, body)
		require.Equal(t, wantBatch, gotBatch, body)
		require.Len(t, got, len(want), body)
		for i := range want {
			g, w := got[i], want[i]
			require.Equal(t, w.Err, g.Err, "%s item %d", body, i)
			require.Equal(t, w.Size, g.Size, "%s item %d", body, i)
			require.Equal(t, w.Name, g.Name, "%s item %d", body, i)
			require.Equal(t, w.Timestamp, g.Timestamp, "%s item %d", body, i)
			require.Equal(t, w.MessageID, g.MessageID, "%s item %d", body, i)
			require.Equal(t, string(w.Properties), string(g.Properties), "%s item %d", body, i)
			require.Equal(t, string(w.Contact), string(g.Contact), "%s item %d", body, i)
			if w.Err != nil {
				continue
			}
			// Checked as Ingest checks them: the same upsert, event and
			// problem.
			gp, gerr := s.prepare(tenant, i, &g, SourceAPI, now)
			wp, werr := s.prepare(tenant, i, &w, SourceAPI, now)
			require.Equal(t, werr, gerr, "%s item %d", body, i)
			require.Equal(t, wp.key, gp.key, "%s item %d", body, i)
			require.Equal(t, wp.contact, gp.contact, "%s item %d", body, i)
			if wp.event != nil {
				require.NotNil(t, gp.event, "%s item %d", body, i)
				require.Equal(t, string(wp.event.Properties), string(gp.event.Properties), "%s item %d", body, i)
				require.Equal(t, wp.event.Name, gp.event.Name, "%s item %d", body, i)
				require.Equal(t, wp.event.OccurredAt, gp.event.OccurredAt, "%s item %d", body, i)
			}
		}
	}
}

// TestParseEventsBodyOnce checks that a batch is read without decoding
// its events into maps: a few allocations per event (its contact's
// strings, its properties' copy), where maps of raw values cost dozens.
func TestParseEventsBodyOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"batch":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"contact":{"externalId":"u-%d","attributes":{"plan":"pro"}},"name":"page.viewed",`+
			`"properties":{"path":"/a/b","n":%d},"timestamp":"2026-01-02T15:04:05Z","messageId":"m-%d"}`, i, i, i)
	}
	b.WriteString(`]}`)
	body := []byte(b.String())
	items, _, berr := ParseEventsBody(body)
	require.Nil(t, berr)
	require.Len(t, items, 100)
	allocs := testing.AllocsPerRun(10, func() { _, _, _ = ParseEventsBody(body) })
	require.Less(t, allocs/100, 10.0, "allocations per event")
}
