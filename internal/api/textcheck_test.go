package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// textAttack is a string no text column can hold, written into JSON as
// raw bytes (json.Marshal would repair it).
type textAttack struct {
	name string
	raw  string // inside a JSON string literal
	msg  string
}

var textAttacks = []textAttack{
	{"nul escape", `a\u0000b`, msgNUL},
	{"raw nul", "a\x00b", msgNUL},
	{"invalid utf-8", "a\xff\xfeb", msgInvalidUTF8},
	{"lone surrogate", `a\ud800b`, msgSurrogate},
	{"lone low surrogate", `\udc00`, msgSurrogate},
}

const badMarker = "@@BAD@@"

type textProblem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

func (p textProblem) has(loc, msg string) bool {
	for _, e := range p.Errors {
		if e.Location == loc && e.Message == msg {
			return true
		}
	}
	return false
}

func TestTextHygieneScan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		want []textIssue
	}{
		{`{"name":"ok","n":1,"a":[true,null,{"b":"é𝄞"}]}`, nil},
		{`{"name":"a\u0000"}`, []textIssue{{"body.name", msgNUL}}},
		{`{"definition":{"nodes":[{"id":"a"},{"config":{"text":"x\u0000"}}]}}`, []textIssue{{"body.definition.nodes[1].config.text", msgNUL}}},
		{`{"input":{"k\u0000":"v"}}`, []textIssue{{`body.input.k\u0000`, "name " + msgNUL}}},
		{`["\ud83d\ude00", "\ud83d"]`, []textIssue{{"body[1]", msgSurrogate}}},
		{"{\"a\":\"\xc3\"}", []textIssue{{"body.a", msgInvalidUTF8}}},
		{`{"a":"\\u0000"}`, nil}, // an escaped backslash, then the text u0000
		{`not json \u0000`, nil}, // left to the operation
		{`{"a":"\u0000"`, nil},   // malformed: left to the operation
	} {
		require.Equal(t, tc.want, bodyIssues([]byte(tc.body)), tc.body)
	}
	require.Equal(t, []textIssue{{"query.search", msgNUL}}, queryIssues("limit=5&search=a%00b"))
	require.Equal(t, []textIssue{{"query.search", msgInvalidUTF8}}, queryIssues("search=%ff"))
	require.Equal(t, []textIssue{{`query.\u0000`, "name " + msgNUL}}, queryIssues("%00=1"))
	require.Nil(t, queryIssues("search=%E2%82%AC&x"))

	// Cutting counts characters and never splits one.
	require.Equal(t, "𝄞𝄞", TruncateRunes("𝄞𝄞𝄞", 2))
	require.Equal(t, "ab", TruncateRunes("ab", 5))
	require.Equal(t, "", TruncateRunes("ab", 0))
}

// TestTextHygieneEveryRoute sends strings no database can store as text
// to every route of the API, in the query and in the body (every property
// of the body's schema, and one more), on SQLite and PostgreSQL: every one
// is a 422 that names the field, the same on each backend, and nothing
// reaches a handler.
func TestTextHygieneEveryRoute(t *testing.T) {
	t.Parallel()
	results := map[string]map[string]int{}
	for _, b := range backends {
		a := newFullAPI(t, b.open)
		ada := a.signup("ada@example.com", "Acme")
		got := map[string]int{}
		results[b.name] = got
		for _, rt := range allRoutes(a.srv.API()) {
			path := paramRE.ReplaceAllStringFunc(rt.Path, func(p string) string {
				if p == "{tenantId}" {
					return ada.Me.ActiveTenant.ID.String()
				}
				return uuid.NewString()
			})
			props := []string{"probe"}
			for p := range bodyProperties(a.srv.API(), rt.Op) {
				props = append(props, p)
			}
			sort.Strings(props)
			for _, at := range textAttacks {
				name := rt.Op.OperationID + "/" + at.name
				// Query: a declared parameter when there is one.
				param := "probe"
				for _, p := range rt.Op.Parameters {
					if p.In == "query" {
						param = p.Name
						break
					}
				}
				if at.msg != msgSurrogate { // JSON escapes mean nothing in a query
					r := a.do(rt.Method, path+"?"+param+"="+url.QueryEscape(strings.ReplaceAll(at.raw, `\u0000`, "\x00")), nil, creds{Cookie: ada.Cookie})
					var p textProblem
					require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s query: %s", name, r.short())
					r.JSON(t, &p)
					require.True(t, p.has("query."+param, at.msg), "%s query: %s", name, r.short())
					got[name+"/query"] = r.Status
				}
				// Body: every property at once. The CSV upload streams its
				// body past the check (it checks its own bytes) and refuses
				// JSON as the wrong media type.
				if rt.Op.RequestBody != nil && rt.Op.RequestBody.Content["text/csv"] != nil {
					r := a.do(rt.Method, path, []byte(`{"probe":"`+at.raw+`"}`), creds{Cookie: ada.Cookie})
					require.Equal(t, http.StatusUnsupportedMediaType, r.Status, "%s body: %s", name, r.short())
					got[name+"/body"] = r.Status
					continue
				}
				obj := map[string]string{}
				for _, p := range props {
					obj[p] = badMarker
				}
				raw, err := json.Marshal(obj)
				require.NoError(t, err)
				raw = bytes.ReplaceAll(raw, []byte(badMarker), []byte(at.raw))
				r := a.do(rt.Method, path, raw, creds{Cookie: ada.Cookie})
				require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s body: %s", name, r.short())
				var p textProblem
				r.JSON(t, &p)
				for _, prop := range props {
					require.True(t, p.has("body."+prop, at.msg), "%s body names %s: %s", name, prop, r.short())
				}
				got[name+"/body"] = r.Status
			}
		}
		// The session was never touched by an attack (logout refused too).
		require.Equal(t, http.StatusOK, a.do(http.MethodGet, Prefix+"/auth/me", nil, creds{Cookie: ada.Cookie}).Status)
	}
	require.Equal(t, results["sqlite"], results["postgres"])
	require.Equal(t, results["sqlite"], results["postgres-rls"])
}

// TestLongMultibyteText sends strings of 4-byte characters at and past
// each field's limit: at the limit they are stored and read back exactly
// on both backends; past it, 422 naming the field; never 500.
func TestLongMultibyteText(t *testing.T) {
	t.Parallel()
	const clef = "𝄞" // 4 bytes in UTF-8, 2 UTF-16 units
	long := func(n int) string { return strings.Repeat(clef, n) }
	results := map[string]map[string]int{}
	for _, b := range backends {
		a := newFullAPI(t, b.open)
		got := map[string]int{}
		results[b.name] = got

		// Sign-up: name and workspace name at 200 characters are stored.
		r := a.do(http.MethodPost, Prefix+"/auth/signup", map[string]string{
			"email": "ada@example.com", "password": testPassword, "name": long(200), "workspaceName": long(200),
		}, creds{})
		require.Equal(t, http.StatusCreated, r.Status, r.short())
		var me MeDTO
		r.JSON(t, &me)
		require.Equal(t, long(200), me.User.Name)
		require.Equal(t, long(200), me.ActiveTenant.Name)
		ada := &account{Email: "ada@example.com", Cookie: r.cookie(SessionCookie).Value, Me: me}

		cases := []struct {
			name, method, path, field string
			body                      map[string]any
		}{
			{"signup name", http.MethodPost, "/auth/signup", "name", map[string]any{"email": "b@example.com", "password": testPassword, "name": long(201), "workspaceName": "W"}},
			{"signup workspace", http.MethodPost, "/auth/signup", "workspaceName", map[string]any{"email": "b@example.com", "password": testPassword, "name": "B", "workspaceName": long(201)}},
			{"signup email", http.MethodPost, "/auth/signup", "email", map[string]any{"email": long(250) + "@example.com", "password": testPassword, "name": "B", "workspaceName": "W"}},
			{"login email", http.MethodPost, "/auth/login", "email", map[string]any{"email": long(250) + "@example.com", "password": testPassword}},
			{"workflow name", http.MethodPost, "/workflows", "name", map[string]any{"name": long(201)}},
			{"workflow description", http.MethodPost, "/workflows", "description", map[string]any{"name": "w", "description": long(2001)}},
			{"api key name", http.MethodPost, "/api-keys", "name", map[string]any{"name": long(201), "scopes": []string{"full"}}},
			{"invitation email", http.MethodPost, "/invitations", "email", map[string]any{"email": long(250) + "@example.com", "role": "VIEWER"}},
		}
		for _, tc := range cases {
			r := a.do(tc.method, Prefix+tc.path, tc.body, creds{Cookie: ada.Cookie})
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", tc.name, r.short())
			require.Contains(t, string(r.Body), "body."+tc.field, tc.name)
			got[tc.name] = r.Status
		}

		// A login with a long multi-byte email within the limit is refused
		// as a wrong login, not a 500.
		r = a.do(http.MethodPost, Prefix+"/auth/login", map[string]any{"email": long(60) + "@example.com", "password": testPassword}, creds{})
		require.Equal(t, http.StatusUnauthorized, r.Status, r.short())
		got["login long email"] = r.Status

		// A workflow at the limits is stored exactly.
		r = a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": long(200), "description": long(2000)}, creds{Cookie: ada.Cookie})
		require.Equal(t, http.StatusCreated, r.Status, r.short())
		var wf WorkflowDTO
		r.JSON(t, &wf)
		r = a.do(http.MethodGet, Prefix+"/workflows/"+wf.ID.String(), nil, creds{Cookie: ada.Cookie})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		var back WorkflowDTO
		r.JSON(t, &back)
		require.Equal(t, long(200), back.Name)
		require.Equal(t, long(2000), back.Description)

		// Search by a long multi-byte substring: found; past the limit, 422.
		r = a.do(http.MethodGet, Prefix+"/workflows?search="+url.QueryEscape(long(200)), nil, creds{Cookie: ada.Cookie})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		require.Contains(t, string(r.Body), wf.ID.String())
		r = a.do(http.MethodGet, Prefix+"/workflows?search="+url.QueryEscape(long(201)), nil, creds{Cookie: ada.Cookie})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.short())
		require.Contains(t, string(r.Body), "query.search")
		got["search too long"] = r.Status

		// Duplicating cuts the name between characters and keeps " (copy)".
		r = a.do(http.MethodPost, Prefix+"/workflows/"+wf.ID.String()+"/duplicate", nil, creds{Cookie: ada.Cookie})
		require.Equal(t, http.StatusCreated, r.Status, r.short())
		var dup WorkflowDTO
		r.JSON(t, &dup)
		require.True(t, utf8.ValidString(dup.Name))
		require.Equal(t, long(200-len(" (copy)"))+" (copy)", dup.Name)
		require.Equal(t, 200, utf8.RuneCountInString(dup.Name))
		// A duplicate of the duplicate still fits.
		r = a.do(http.MethodPost, Prefix+"/workflows/"+dup.ID.String()+"/duplicate", nil, creds{Cookie: ada.Cookie})
		require.Equal(t, http.StatusCreated, r.Status, r.short())

		// An execution input with long multi-byte keys and values is stored.
		r = a.do(http.MethodPost, Prefix+"/workflows/"+wf.ID.String()+"/executions", map[string]any{
			"input": map[string]any{long(100): long(5000)}, "idempotencyKey": long(200),
		}, creds{Cookie: ada.Cookie})
		require.Less(t, r.Status, 500, r.short())
		got["execution input"] = r.Status
	}
	require.Equal(t, results["sqlite"], results["postgres"])
	require.Equal(t, results["sqlite"], results["postgres-rls"])
}

// TestInvalidUserAgentIsStored: a User-Agent header of bytes that are not
// UTF-8 (allowed in HTTP) is stored with sessions made valid, not a 500.
func TestInvalidUserAgentIsStored(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		a := newTestAPI(t, st)
		r := a.do(http.MethodPost, Prefix+"/auth/signup", map[string]string{
			"email": "ada@example.com", "password": testPassword, "name": "Ada", "workspaceName": "Acme",
		}, creds{}, "User-Agent", "agent\xff\xfe")
		require.Equal(t, http.StatusCreated, r.Status, r.short())
	})
}

// A clean body is scanned with one allocation (the path): keys are decoded and
// locations spelled out only for a refused string (the events API sends
// every batch through this scan).
func TestTextHygieneScanCleanBodyAllocates(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"batch":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"contact":{"externalId":"u-1","attributes":{"plan":"pro","n":3}},"name":"page.viewed",` +
			`"properties":{"path":"/a/b","tags":["x","y"],"nested":{"k\u00e9y":"v"}},"messageId":"m-1"}`)
	}
	b.WriteString(`]}`)
	body := []byte(b.String())
	require.Nil(t, bodyIssues(body))
	allocs := testing.AllocsPerRun(20, func() { _ = bodyIssues(body) })
	require.LessOrEqual(t, allocs, 1.0, "allocations scanning a clean body of 100 events")
}
