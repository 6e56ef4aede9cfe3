package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// storedEvents lists a tenant's events straight from the store.
func storedEvents(t *testing.T, a *testAPI, tenantID uuid.UUID) []domain.Event {
	t.Helper()
	var out []domain.Event
	require.NoError(t, a.st.Read(context.Background(), tenantID, func(tx store.Tx) error {
		var err error
		out, err = tx.EventList(context.Background(), &store.EventListParams{TenantID: tenantID, Limit: 1000})
		return err
	}))
	return out
}

func storedContacts(t *testing.T, a *testAPI, tenantID uuid.UUID) []domain.Contact {
	t.Helper()
	var out []domain.Contact
	require.NoError(t, a.st.Read(context.Background(), tenantID, func(tx store.Tx) error {
		var err error
		out, err = tx.ContactList(context.Background(), &store.ContactListParams{TenantID: tenantID, Limit: 1000})
		return err
	}))
	return out
}

func TestEventsBadInput(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newFullAPI(t, b.open)
			owner := a.signup("owner@example.com", "Acme")
			tenant := owner.Me.ActiveTenant.ID
			key := a.apiKey(owner, "events:write")
			viewer := a.accept(a.invite(owner, "viewer@example.com", "VIEWER"), "Viewer")
			ok := `{"contact":{"externalId":"u1"},"name":"signed_up"}`
			bigProps := `{"contact":{"externalId":"u1"},"name":"x","properties":{"p":"` + strings.Repeat("a", 33<<10) + `"}}`
			var many []string
			for i := range 1001 {
				many = append(many, fmt.Sprintf(`{"contact":{"externalId":"u%d"},"name":"x"}`, i))
			}
			var large []string
			for i := range 20 {
				large = append(large, fmt.Sprintf(`{"contact":{"externalId":"u%d"},"name":"x","properties":{"p":%q}}`, i, strings.Repeat("a", 30<<10)))
			}
			cases := []struct {
				name   string
				body   string
				creds  creds
				status int
				want   string
			}{
				{"missing name", `{"contact":{"externalId":"u1"}}`, creds{Key: key}, 422, "name: is required"},
				{"bad timestamp", `{"contact":{"externalId":"u1"},"name":"x","timestamp":"last tuesday"}`, creds{Key: key}, 422, "timestamp"},
				{"far future", `{"contact":{"externalId":"u1"},"name":"x","timestamp":"2999-01-01T00:00:00Z"}`, creds{Key: key}, 422, "ahead"},
				{"oversize event", bigProps, creds{Key: key}, 413, "limit 32768"},
				{"too many events", `{"batch":[` + strings.Join(many, ",") + `]}`, creds{Key: key}, 413, "limit 1000"},
				{"oversize batch", `{"batch":[` + strings.Join(large, ",") + `]}`, creds{Key: key}, 413, ""},
				{"bad key", ok, creds{Key: "nf_bogus_key"}, 401, ""},
				{"no credentials", ok, creds{NoOrigin: true}, 401, ""},
				{"viewer may not send events", ok, creds{Cookie: viewer.Cookie}, 403, "events:write"},
				{"unknown contact fields", `{"contact":{"externalId":"u1","plan":"pro","age":3},"name":"x"}`, creds{Key: key}, 422, "unknown field(s) age, plan"},
				{"contact without identity", `{"contact":{"name":"Ada"},"name":"x"}`, creds{Key: key}, 422, "externalId or an email"},
				{"no contact", `{"name":"x"}`, creds{Key: key}, 422, "contact"},
				{"unknown event field", `{"contact":{"externalId":"u1"},"name":"x","event":"y"}`, creds{Key: key}, 422, "unknown field(s) event"},
				{"non-object properties", `{"contact":{"externalId":"u1"},"name":"x","properties":[1,2]}`, creds{Key: key}, 422, "properties: must be a JSON object"},
				{"string properties", `{"contact":{"externalId":"u1"},"name":"x","properties":"p"}`, creds{Key: key}, 422, "properties"},
				{"not JSON", `{"contact":`, creds{Key: key}, 400, "not valid JSON"},
				{"not an object", `[1,2]`, creds{Key: key}, 400, "JSON object"},
				{"empty batch", `{"batch":[]}`, creds{Key: key}, 400, "empty"},
				{"batch with other keys", `{"batch":[` + ok + `],"x":1}`, creds{Key: key}, 400, "unknown field(s): x"},
				{"batch of bad items", `{"batch":[{"name":"x"},{"contact":{"externalId":"u1"}}]}`, creds{Key: key}, 422, "2 item(s) refused"},
			}
			for _, c := range cases {
				r := a.do(http.MethodPost, Prefix+"/events", c.body, c.creds)
				require.Equal(t, c.status, r.Status, "%s: %s", c.name, r.short())
				if c.want != "" {
					require.Contains(t, string(r.Body), c.want, c.name)
				}
			}
			require.Empty(t, storedEvents(t, a, tenant), "nothing stored")
			require.Empty(t, storedContacts(t, a, tenant), "no contact created")
		})
	}
}

func TestEventsIngestListAndNames(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		t.Parallel()
		owner := a.signup("owner@example.com", "Acme")
		tenant := owner.Me.ActiveTenant.ID
		key := a.apiKey(owner, "events:write")
		full := a.apiKey(owner, "full")

		// One event.
		r := a.do(http.MethodPost, Prefix+"/events", `{"contact":{"externalId":"u1","email":"Ada@Example.com","attributes":{"plan":"pro"}},
			"name":"signed_up","properties":{"source":"ads"},"timestamp":"2026-01-02T03:04:05Z","messageId":"m1"}`, creds{Key: key})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		var res EventIngestDTO
		r.JSON(t, &res)
		require.Equal(t, EventIngestDTO{Accepted: 1, Errors: []EventItemErrorDTO{}}, res)

		// A batch: a repeat of m1, two good events, one bad.
		r = a.do(http.MethodPost, Prefix+"/events", `{"batch":[
			{"contact":{"externalId":"u1"},"name":"signed_up","messageId":"m1"},
			{"contact":{"externalId":"u1"},"name":"order.completed","properties":{"total":12},"timestamp":"2026-01-03T00:00:00Z"},
			{"contact":{"email":"bob@example.com"},"name":"added_to_cart","timestamp":"2026-01-04T00:00:00Z"},
			{"contact":{"externalId":"u3"},"name":"x","properties":[]}
		]}`, creds{Key: key})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &res)
		require.Equal(t, 3, res.Accepted)
		require.Equal(t, 1, res.Duplicates)
		require.Equal(t, []EventItemErrorDTO{{Index: 3, Field: "properties", Message: "must be a JSON object"}}, res.Errors)
		require.Len(t, storedEvents(t, a, tenant), 3)
		require.Len(t, storedContacts(t, a, tenant), 2, "u3 was refused with its event")

		// An events:write key cannot read.
		require.Equal(t, http.StatusForbidden, a.do(http.MethodGet, Prefix+"/events", nil, creds{Key: key}).Status)

		var list EventListDTO
		r = a.do(http.MethodGet, Prefix+"/events?limit=2", nil, creds{Key: full})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &list)
		require.Len(t, list.Items, 2)
		require.Equal(t, "added_to_cart", list.Items[0].Name)
		require.Equal(t, "order.completed", list.Items[1].Name)
		require.JSONEq(t, `{"total":12}`, string(list.Items[1].Properties))
		require.NotEmpty(t, list.NextCursor)
		r = a.do(http.MethodGet, Prefix+"/events?limit=2&cursor="+list.NextCursor, nil, creds{Key: full})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		var page2 EventListDTO
		r.JSON(t, &page2)
		require.Len(t, page2.Items, 1)
		require.Equal(t, "signed_up", page2.Items[0].Name)
		require.Equal(t, "m1", page2.Items[0].MessageID)
		require.Empty(t, page2.NextCursor)

		u1 := page2.Items[0].ContactID
		r = a.do(http.MethodGet, Prefix+"/events?contactId="+u1.String(), nil, creds{Cookie: owner.Cookie})
		r.JSON(t, &list)
		require.Len(t, list.Items, 2)
		r = a.do(http.MethodGet, Prefix+"/events?name=added_to_cart", nil, creds{Cookie: owner.Cookie})
		r.JSON(t, &list)
		require.Len(t, list.Items, 1)
		r = a.do(http.MethodGet, Prefix+"/events?from=2026-01-02T12:00:00Z&to=2026-01-04T00:00:00Z", nil, creds{Cookie: owner.Cookie})
		r.JSON(t, &list)
		require.Len(t, list.Items, 1)
		require.Equal(t, "order.completed", list.Items[0].Name)
		require.Equal(t, http.StatusBadRequest, a.do(http.MethodGet, Prefix+"/events?cursor=nope", nil, creds{Cookie: owner.Cookie}).Status)
		require.Equal(t, http.StatusBadRequest, a.do(http.MethodGet, Prefix+"/events?contactId=nope", nil, creds{Cookie: owner.Cookie}).Status)

		var names EventNameListDTO
		r = a.do(http.MethodGet, Prefix+"/events/names", nil, creds{Cookie: owner.Cookie})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &names)
		require.Equal(t, []string{"added_to_cart", "order.completed", "signed_up"}, names.Names)

		// Another workspace sees none of it.
		other := a.signup("other@example.com", "Other")
		r = a.do(http.MethodGet, Prefix+"/events", nil, creds{Cookie: other.Cookie})
		r.JSON(t, &list)
		require.Empty(t, list.Items)
		r = a.do(http.MethodGet, Prefix+"/events/names", nil, creds{Cookie: other.Cookie})
		r.JSON(t, &names)
		require.Empty(t, names.Names)
	})
}

func basic(key string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"))
}

func TestSegment(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		t.Parallel()
		owner := a.signup("owner@example.com", "Acme")
		tenant := owner.Me.ActiveTenant.ID
		key := a.apiKey(owner, "events:write")
		post := func(path, body string, headers ...string) *response {
			return a.do(http.MethodPost, path, body, creds{NoOrigin: true}, headers...)
		}

		r := post("/v1/identify", `{"userId":"u1","traits":{"email":"Ada@Example.com","firstName":"Ada","lastName":"L","plan":"pro"},
			"messageId":"i1","_metadata":{"nodeVersion":"20"}}`, "Authorization", basic(key))
		require.Equal(t, http.StatusOK, r.Status, r.short())
		require.JSONEq(t, `{"success":true}`, string(r.Body))
		cs := storedContacts(t, a, tenant)
		require.Len(t, cs, 1)
		require.Equal(t, "ada@example.com", *cs[0].Email)
		require.Equal(t, "Ada L", cs[0].Name)
		require.JSONEq(t, `{"plan":"pro","firstName":"Ada","lastName":"L"}`, string(cs[0].Attributes))
		require.Empty(t, storedEvents(t, a, tenant), "identify stores no event")

		// writeKey in the body; track.
		r = post("/v1/track", fmt.Sprintf(`{"writeKey":%q,"userId":"u1","event":"Order Completed","properties":{"total":3},
			"timestamp":"2026-01-02T03:04:05.000Z","messageId":"t1"}`, key))
		require.Equal(t, http.StatusOK, r.Status, r.short())
		// The same message again is accepted and stored once.
		r = post("/v1/track", fmt.Sprintf(`{"writeKey":%q,"userId":"u1","event":"Order Completed","messageId":"t1"}`, key))
		require.Equal(t, http.StatusOK, r.Status, r.short())

		// A batch (and its old name) with every call type and one bad message.
		r = post("/v1/batch", `{"batch":[
			{"type":"identify","userId":"u2","traits":{"email":"bob@example.com"},"messageId":"b1"},
			{"type":"track","anonymousId":"a1","event":"Viewed","context":{"traits":{"email":"bob@example.com"}},"messageId":"b2"},
			{"type":"page","userId":"u2","name":"Home","properties":{"url":"https://x"},"messageId":"b3"},
			{"type":"screen","userId":"u2","name":"Main","messageId":"b4"},
			{"type":"group","userId":"u2","groupId":"g1","traits":{"name":"Org"},"messageId":"b5"},
			{"type":"alias","userId":"u2","previousId":"a1","messageId":"b6"},
			{"type":"track","anonymousId":"a9","event":"Anonymous","messageId":"b7"},
			{"type":"flush","userId":"u2"}
		],"context":{"library":{"name":"analytics-node"}},"sentAt":"2026-01-02T00:00:00Z"}`, "Authorization", basic(key))
		require.Equal(t, http.StatusOK, r.Status, r.short())
		var out SegmentResultDTO
		r.JSON(t, &out)
		require.True(t, out.Success)
		require.Len(t, out.Errors, 2)
		require.Equal(t, 6, out.Errors[0].Index)
		require.Equal(t, "userId", out.Errors[0].Field)
		require.Equal(t, 7, out.Errors[1].Index)
		require.Equal(t, "type", out.Errors[1].Field)
		r = post("/v1/import", `{"batch":[{"type":"track","userId":"u2","event":"Imported","messageId":"b8"}]}`, "Authorization", basic(key))
		require.Equal(t, http.StatusOK, r.Status, r.short())

		evs := storedEvents(t, a, tenant)
		byName := map[string]domain.Event{}
		for _, e := range evs {
			byName[e.Name] = e
		}
		require.Len(t, evs, 7, "t1 once, Viewed, page, screen, group, alias, Imported")
		require.Contains(t, byName, "Order Completed")
		require.JSONEq(t, `{"name":"Home","url":"https://x"}`, string(byName[SegmentPageEvent].Properties))
		require.JSONEq(t, `{"name":"Main"}`, string(byName[SegmentScreenEvent].Properties))
		require.JSONEq(t, `{"groupId":"g1","traits":{"name":"Org"}}`, string(byName[SegmentGroupEvent].Properties))
		require.JSONEq(t, `{"previousId":"a1"}`, string(byName[SegmentAliasEvent].Properties))
		require.Equal(t, byName["Viewed"].ContactID, byName[SegmentPageEvent].ContactID, "the email trait found u2's contact")
		require.Len(t, storedContacts(t, a, tenant), 2)

		// Refusals.
		require.Equal(t, http.StatusUnauthorized, post("/v1/track", `{"userId":"u1","event":"x"}`).Status)
		require.Equal(t, http.StatusUnauthorized, post("/v1/track", `{"userId":"u1","event":"x"}`, "Authorization", basic("nf_bogus")).Status)
		require.Equal(t, http.StatusUnauthorized, post("/v1/track", `{"userId":"u1","event":"x","writeKey":"nf_bogus"}`).Status)
		require.Equal(t, http.StatusBadRequest, post("/v1/track", `{"userId":`, "Authorization", basic(key)).Status)
		require.Equal(t, http.StatusBadRequest, post("/v1/track", `{"userId":"u1"}`, "Authorization", basic(key)).Status, "no event name")
		big := fmt.Sprintf(`{"userId":"u1","event":"x","properties":{"p":%q}}`, strings.Repeat("a", 33<<10))
		require.Equal(t, http.StatusBadRequest, post("/v1/track", big, "Authorization", basic(key)).Status)
		var msgs []string
		for range 20 {
			msgs = append(msgs, fmt.Sprintf(`{"type":"track","userId":"u1","event":"x","properties":{"p":%q}}`, strings.Repeat("a", 30<<10)))
		}
		require.Equal(t, http.StatusBadRequest, post("/v1/batch", `{"batch":[`+strings.Join(msgs, ",")+`]}`, "Authorization", basic(key)).Status)
		require.Len(t, storedEvents(t, a, tenant), 7, "nothing more stored")
	})
}

// TestSegmentNotThrottledAsAnonymous checks that a server-side Segment
// client, which sends many calls from one address with its write key in
// Basic auth, is not held to the per-address limits of unauthenticated
// calls or of failed credentials.
func TestSegmentNotThrottledAsAnonymous(t *testing.T) {
	t.Parallel()
	tight := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 3}
	a := newLimitedAPI(t, backends[0].open, ratelimit.NewMemory(ratelimit.MemoryOptions{}),
		config.RateLimits{Public: tight, AuthFailures: tight})
	owner := a.signup("owner@example.com", "Acme")
	key := a.apiKey(owner, "events:write")
	for i := range 10 {
		r := a.do(http.MethodPost, "/v1/track", fmt.Sprintf(`{"userId":"u1","event":"x","messageId":"m%d"}`, i),
			creds{NoOrigin: true}, "Authorization", basic(key))
		require.Equal(t, http.StatusOK, r.Status, "call %d: %s", i, r.short())
	}
	require.Len(t, storedEvents(t, a, owner.Me.ActiveTenant.ID), 10)
}

// TestSegmentBadKeysThrottled checks the other side: write keys that do
// not resolve count against the client address's failed-credential
// budget, and past it the address gets 429 before any look-up.
func TestSegmentBadKeysThrottled(t *testing.T) {
	t.Parallel()
	tight := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 3}
	a := newLimitedAPI(t, backends[0].open, ratelimit.NewMemory(ratelimit.MemoryOptions{}),
		config.RateLimits{AuthFailures: tight})
	var statuses []int
	for i := range 5 {
		r := a.do(http.MethodPost, "/v1/track", fmt.Sprintf(`{"userId":"u1","event":"x","messageId":"m%d"}`, i),
			creds{NoOrigin: true}, "Authorization", basic("nf_forged_key_"+strconv.Itoa(i)))
		statuses = append(statuses, r.Status)
	}
	require.Equal(t, []int{401, 401, 401, 429, 429}, statuses)
}
