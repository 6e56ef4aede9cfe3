package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// isolationExempt lists operations the cross-tenant walk does not call,
// each with the reason. Everything else registered in the API is walked.
var isolationExempt = map[string]string{
	"logout":     "acts only on the caller's own session; calling it would end the attacker's session mid-walk (covered by TestLogoutAndThrottleHTTP)",
	"logout-all": "acts only on the caller's own sessions (covered by TestLogoutAndThrottleHTTP)",
}

// objectKinds maps the path segment before a path parameter to the kind
// of tenant object it names. A route whose parameter is not covered here
// fails the walk: add B's object of that kind to seedTenantB and a line
// here.
var objectKinds = map[string]string{
	"workflows":       "workflow",
	"versions":        "version",
	"executions":      "execution",
	"steps":           "step",
	"schedules":       "schedule",
	"invitations":     "invitation",
	"api-keys":        "apikey",
	"members":         "user",
	"webhooks":        "workflow",
	"credentials":     "credential",
	"contacts":        "contact",
	"contact-imports": "contactimport",
	"channels":        "channel",
	"templates":       "template",
	"messages":        "message",
	"suppressions":    "suppression",
	"segments":        "segment",
	"broadcasts":      "broadcast",
}

// bodyOverrides are request bodies for operations whose schema alone does
// not produce a request that reaches the object look-up. Keys the
// operation's schema does not have are left out.
func bodyOverrides(b *tenantB) map[string]map[string]any {
	return map[string]map[string]any{
		"update-workflow":   {"name": "pwned by A", "description": "pwned", "revision": b.workflowRevision},
		"create-api-key":    {"name": "probe", "scopes": []string{"full"}},
		"upsert-contact":    {"externalId": "probe-contact"},
		"create-invitation": {"email": "probe@example.com", "role": "VIEWER"},
		"update-member":     {"role": "VIEWER"},
		"replace-segment":   {"name": "pwned by A", "definition": map[string]any{"field": map[string]any{"field": "email", "op": "exists"}}},
		"accept-invitation": {"token": strings.Repeat("A", 43), "name": "Probe", "password": testPassword},
		"switch-tenant":     {"tenantId": b.tenantID},
		// Failed sign-ins are audited in the account's workspaces, so probing
		// B's owner would (rightly) change B's audit log.
		"login": {"email": "nobody@example.com", "password": "wrong password!"},
	}
}

// tenantB is the victim: one object of every kind.
type tenantB struct {
	owner            *account
	ownerEmail       string
	tenantID         uuid.UUID
	key              string
	ids              map[string]string // kind → ID
	workflowRevision int64
	markers          []string // strings that must never reach A
}

func seedTenantB(t *testing.T, a *testAPI) *tenantB {
	t.Helper()
	ctx := context.Background()
	owner := a.signup("victim@example.com", "Tenant B Secret")
	b := &tenantB{owner: owner, ownerEmail: owner.Email, tenantID: owner.Me.ActiveTenant.ID, ids: map[string]string{}}
	c := creds{Cookie: owner.Cookie}

	r := a.do(http.MethodPost, Prefix+"/workflows", map[string]any{"name": "B secret journey"}, c)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	var wf WorkflowDTO
	r.JSON(t, &wf)
	b.ids["workflow"] = wf.ID.String()
	b.workflowRevision = wf.Revision
	r = a.do(http.MethodPut, Prefix+"/workflows/"+wf.ID.String()+"/test-data", map[string]any{"input": map[string]any{"note": "B secret sample"}}, c)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))

	member := a.accept(a.invite(owner, "victim-member@example.com", "OPERATOR"), "B Member")
	b.ids["user"] = member.Me.User.ID.String()
	pending := a.invite(owner, "victim-pending@example.com", "ADMIN")
	b.ids["invitation"] = pending.ID.String()
	b.key = a.apiKey(owner, "full")
	r = a.do(http.MethodGet, Prefix+"/api-keys", nil, c)
	var keys []APIKeyDTO
	r.JSON(t, &keys)
	require.Len(t, keys, 1)
	b.ids["apikey"] = keys[0].ID.String()
	r = a.do(http.MethodPost, Prefix+"/credentials", map[string]any{"name": "BSECRETCRED", "value": "B secret credential value"}, c)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	b.ids["credential"] = "BSECRETCRED"
	r = a.do(http.MethodPost, Prefix+"/channels", map[string]any{
		"kind": "email", "name": "B secret mail",
		"config":  map[string]any{"host": "smtp.b-secret.example", "port": 587, "username": "b", "from": "b@b-secret.example"},
		"secrets": map[string]string{"password": "B secret smtp password"},
	}, c)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	var ch ChannelDTO
	r.JSON(t, &ch)
	b.ids["channel"] = ch.ID.String()
	r = a.do(http.MethodPost, Prefix+"/templates", map[string]any{
		"channel": "email", "name": "B secret template", "content": map[string]any{"subject": "B secret subject", "text": "Hello {{ contact.name }}"},
	}, c)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	var tpl struct {
		ID uuid.UUID `json:"id"`
	}
	r.JSON(t, &tpl)
	b.ids["template"] = tpl.ID.String()

	// Objects without routes of their own yet are written directly.
	wfID := wf.ID
	require.NoError(t, a.st.InTx(ctx, b.tenantID, func(tx store.Tx) error {
		def := json.RawMessage(`{"nodes":[{"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}}],"edges":[]}`)
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{
			TenantID: b.tenantID, ID: domain.NewID(), WorkflowID: wfID, Version: 1, Definition: def,
		})
		if err != nil {
			return err
		}
		b.ids["version"] = "1"
		if _, err := tx.WorkflowSetCurrentVersion(ctx, b.tenantID, wfID, v.ID, 1); err != nil {
			return err
		}
		ex, err := tx.ExecutionInsert(ctx, &store.ExecutionInsertParams{
			TenantID: b.tenantID, ID: domain.NewID(), WorkflowID: wfID, VersionID: v.ID, Version: 1,
			Status: domain.ExecutionWaiting, TriggerType: "trigger.manual", Context: json.RawMessage(`{"secret":"B secret context"}`),
			CurrentNodeID: "start",
		})
		if err != nil {
			return err
		}
		b.ids["execution"] = ex.ID.String()
		step, err := tx.StepInsert(ctx, &store.StepInsertParams{
			TenantID: b.tenantID, ID: domain.NewID(), ExecutionID: ex.ID, Seq: 1, NodeID: "start", NodeType: "trigger.manual",
			Status: domain.StepCompleted, Attempt: 1, StartedAt: time.Now().UTC(),
		})
		if err != nil {
			return err
		}
		b.ids["step"] = step.ID.String()
		next := time.Now().Add(time.Hour).UTC()
		cj, err := tx.CronJobUpsert(ctx, &store.CronJobUpsertParams{
			TenantID: b.tenantID, ID: domain.NewID(), WorkflowID: wfID, NodeID: "start", Schedule: "0 9 * * *",
			Timezone: "UTC", MissedRuns: domain.MissedRunsSkip, IsActive: true, NextRunAt: &next,
		})
		if err != nil {
			return err
		}
		b.ids["schedule"] = cj.ID.String()
		ext, email, name := "B-secret-contact", "b-secret-contact@example.com", "B secret contact"
		ct, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: b.tenantID, ExternalID: &ext, Email: &email, Name: &name})
		if err != nil {
			return err
		}
		b.ids["contact"] = ct.ID.String()
		imp, err := tx.ContactImportInsert(ctx, &store.ContactImportInsertParams{TenantID: b.tenantID, Filename: "B secret contacts.csv", Delimiter: ","})
		if err != nil {
			return err
		}
		b.ids["contactimport"] = imp.ID.String()
		connID, ctID := ch.ID, ct.ID
		msg, _, err := tx.MessageInsert(ctx, &store.MessageInsertParams{
			TenantID: b.tenantID, Channel: domain.ChannelEmail, ConnectionID: &connID, ContactID: &ctID,
			Recipient: "b-secret-contact@example.com",
		})
		if err != nil {
			return err
		}
		b.ids["message"] = msg.ID.String()
		// A suppression is named by its address (on every channel it is on).
		if _, err := tx.SuppressionUpsert(ctx, &store.SuppressionUpsertParams{TenantID: b.tenantID, Channel: domain.ChannelEmail,
			Address: "b-secret-suppressed@example.com", Reason: domain.SuppressionComplaint, SourceMessageID: &msg.ID}); err != nil {
			return err
		}
		b.ids["suppression"] = "b-secret-suppressed@example.com"
		seg, err := tx.SegmentInsert(ctx, &store.SegmentInsertParams{TenantID: b.tenantID, Name: "B secret audience",
			Definition: json.RawMessage(`{"field":{"field":"email","op":"exists"}}`)})
		if err != nil {
			return err
		}
		b.ids["segment"] = seg.ID.String()
		bc, err := tx.BroadcastInsert(ctx, &domain.Broadcast{TenantID: b.tenantID, Name: "B secret broadcast", WorkflowID: wfID, VersionID: v.ID,
			Version: 1, TriggerNodeID: "start", SegmentID: seg.ID, Status: domain.BroadcastScheduled, ScheduleMode: domain.BroadcastAt,
			SendAt: "2099-01-01T09:00:00", Timezone: "UTC", StartsAt: time.Date(2099, 1, 1, 9, 0, 0, 0, time.UTC), RatePerSecond: 10})
		if err != nil {
			return err
		}
		b.ids["broadcast"] = bc.ID.String()
		return tx.ContactImportErrorInsertMany(ctx, b.tenantID, imp.ID, []domain.ContactImportRowError{{Row: 2, Message: "B secret row error"}})
	}))

	b.markers = []string{"Tenant B Secret", "B secret journey", "B secret context", "B secret credential value", "B secret contacts.csv", "B secret row error", "victim", b.tenantID.String(), owner.Me.ActiveTenant.Slug,
		owner.Me.User.ID.String(), keys[0].Prefix}
	b.markers = append(b.markers, "B secret sample", "B secret broadcast")
	b.markers = append(b.markers, "B secret contact", "b-secret-contact@example.com", "B-secret-contact",
		"B secret mail", "smtp.b-secret.example", "B secret smtp password", "B secret template", "B secret subject")
	for kind, id := range b.ids {
		if kind != "version" {
			b.markers = append(b.markers, id)
		}
	}
	return b
}

// snapshot is everything of B that an attacker could change.
func snapshot(t *testing.T, st store.Store, tenantID uuid.UUID) string {
	t.Helper()
	ctx := context.Background()
	snap := map[string]any{}
	require.NoError(t, st.Read(ctx, tenantID, func(tx store.Tx) error {
		tn, err := tx.TenantGetByID(ctx, tenantID)
		if err != nil {
			return err
		}
		snap["tenant"] = []any{tn.Name, tn.Slug, tn.Plan}
		ms, err := tx.MembershipListByTenant(ctx, tenantID)
		if err != nil {
			return err
		}
		var members []string
		for _, m := range ms {
			members = append(members, m.UserID.String()+"="+string(m.Role)+"/"+m.User.Email+"/"+m.User.Name)
		}
		sort.Strings(members)
		snap["members"] = members
		invs, err := tx.InvitationListByTenant(ctx, tenantID)
		if err != nil {
			return err
		}
		var inv []string
		for _, i := range invs {
			inv = append(inv, fmt.Sprintf("%s/%s/%v", i.ID, i.Role, i.AcceptedAt != nil))
		}
		sort.Strings(inv)
		snap["invitations"] = inv
		keys, err := tx.APIKeyListByTenant(ctx, tenantID)
		if err != nil {
			return err
		}
		var ks []string
		for _, k := range keys {
			ks = append(ks, fmt.Sprintf("%s/%s/%v/%v", k.ID, k.Name, k.Scopes, k.RevokedAt != nil))
		}
		sort.Strings(ks)
		snap["apikeys"] = ks
		wfs, err := tx.WorkflowList(ctx, &store.WorkflowListParams{TenantID: tenantID, Limit: 1000})
		if err != nil {
			return err
		}
		var ws []string
		for _, w := range wfs {
			vs, err := tx.WorkflowVersionList(ctx, tenantID, w.ID)
			if err != nil {
				return err
			}
			// Test runs: the pinned sample data and the draft's test snapshots.
			td, err := tx.WorkflowTestDataGet(ctx, tenantID, w.ID)
			if err != nil {
				return err
			}
			snapshot := 0
			if tv, err := tx.WorkflowVersionLatestTest(ctx, tenantID, w.ID); err == nil {
				snapshot = tv.Version
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			ws = append(ws, fmt.Sprintf("%s/%s/%d/%v/%d/%d versions/test data %s/test snapshot %d", w.ID, w.Name, w.Revision, w.IsActive, w.CurrentVersion, len(vs), td, snapshot))
		}
		sort.Strings(ws)
		snap["workflows"] = ws
		exs, err := tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: tenantID, Limit: 1000})
		if err != nil {
			return err
		}
		var es []string
		for _, e := range exs {
			steps, err := tx.StepListByExecution(ctx, tenantID, e.ID)
			if err != nil {
				return err
			}
			es = append(es, fmt.Sprintf("%s/%s/%d/%d steps/%s", e.ID, e.Status, e.Token, len(steps), e.Context))
		}
		sort.Strings(es)
		snap["executions"] = es
		cjs, err := tx.CronJobList(ctx, tenantID)
		if err != nil {
			return err
		}
		var cs []string
		for _, c := range cjs {
			cs = append(cs, fmt.Sprintf("%s/%s/%v", c.ID, c.Schedule, c.IsActive))
		}
		sort.Strings(cs)
		snap["schedules"] = cs
		creds, err := tx.CredentialList(ctx, tenantID)
		if err != nil {
			return err
		}
		var crs []string
		for _, c := range creds {
			crs = append(crs, fmt.Sprintf("%s/%s/%s/%x", c.Name, c.Kind, c.Description, c.Ciphertext))
		}
		snap["credentials"] = crs
		imps, err := tx.ContactImportList(ctx, &store.ContactImportListParams{TenantID: tenantID, Limit: 500})
		if err != nil {
			return err
		}
		var is []string
		for _, i := range imps {
			is = append(is, fmt.Sprintf("%s/%s/%s/%d", i.ID, i.Status, i.Filename, i.RowsDone))
		}
		snap["contactImports"] = is
		cts, err := tx.ContactList(ctx, &store.ContactListParams{TenantID: tenantID, Limit: 500})
		if err != nil {
			return err
		}
		var contacts []string
		for _, c := range cts {
			contacts = append(contacts, fmt.Sprintf("%s/%s/%s/%s", c.ID, c.Name, c.Attributes, c.UpdatedAt))
		}
		snap["contacts"] = contacts
		sups, err := tx.SuppressionList(ctx, &store.SuppressionListParams{TenantID: tenantID, Limit: 500})
		if err != nil {
			return err
		}
		var suppressions []string
		for _, s := range sups {
			suppressions = append(suppressions, fmt.Sprintf("%s/%s/%s/%s", s.Channel, s.Address, s.Reason, s.UpdatedAt))
		}
		snap["suppressions"] = suppressions
		segs, err := tx.SegmentList(ctx, tenantID)
		if err != nil {
			return err
		}
		var segments []string
		for _, s := range segs {
			segments = append(segments, fmt.Sprintf("%s/%s/%s/%d/%s", s.ID, s.Name, s.Definition, s.MemberCount, s.UpdatedAt))
		}
		snap["segments"] = segments
		bcs, err := tx.BroadcastList(ctx, tenantID, 500)
		if err != nil {
			return err
		}
		var broadcasts []string
		for _, x := range bcs {
			broadcasts = append(broadcasts, fmt.Sprintf("%s/%s/%s/%d/%d/%s", x.ID, x.Name, x.Status, x.Generation, x.Done(), x.UpdatedAt))
		}
		snap["broadcasts"] = broadcasts
		audit, err := tx.AuditListByTenant(ctx, &store.AuditListParams{TenantID: tenantID, Limit: 10000})
		if err != nil {
			return err
		}
		snap["auditEntries"] = len(audit)
		return nil
	}))
	raw, err := json.MarshalIndent(snap, "", "  ")
	require.NoError(t, err)
	return string(raw)
}

// route is one operation of the API document.
type route struct {
	Method string
	Path   string
	Op     *huma.Operation
}

func allRoutes(api huma.API) []route {
	var out []route
	for path, item := range api.OpenAPI().Paths {
		for _, mo := range []struct {
			m  string
			op *huma.Operation
		}{
			{http.MethodGet, item.Get}, {http.MethodPost, item.Post}, {http.MethodPut, item.Put},
			{http.MethodPatch, item.Patch}, {http.MethodDelete, item.Delete},
		} {
			if mo.op != nil {
				out = append(out, route{Method: mo.m, Path: path, Op: mo.op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path+out[i].Method < out[j].Path+out[j].Method })
	return out
}

var paramRE = regexp.MustCompile(`\{([^}]+)\}`)

// fillPath substitutes B's IDs for the path parameters; ok is false (and
// why says what is missing) when a parameter has no object of B.
func fillPath(path string, b *tenantB) (filled string, hasParams bool, why string) {
	orig := strings.Split(path, "/")
	segs := slices.Clone(orig)
	for i, s := range orig {
		if !paramRE.MatchString(s) {
			continue
		}
		hasParams = true
		if s == "{tenantId}" {
			segs[i] = b.tenantID.String()
			continue
		}
		// The object kind is named by the nearest literal segment before
		// the parameter (/webhooks/{tenantId}/{id} → webhooks).
		kind := ""
		for j := i - 1; j >= 0; j-- {
			if !paramRE.MatchString(orig[j]) {
				kind = objectKinds[orig[j]]
				break
			}
		}
		id, ok := b.ids[kind]
		if kind == "" || !ok {
			return "", true, fmt.Sprintf("no object of tenant B for parameter %s in %s: add it to seedTenantB and objectKinds", s, path)
		}
		segs[i] = id
	}
	return strings.Join(segs, "/"), hasParams, ""
}

// exampleBody builds a request body that passes the operation's schema,
// with B's IDs in every UUID field.
func exampleBody(api huma.API, op *huma.Operation, b *tenantB, n int) any {
	if op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil {
		return nil
	}
	return exampleValue(api.OpenAPI().Components.Schemas, op.RequestBody.Content["application/json"].Schema, "", b, n, 0)
}

// bodyProperties are the top-level properties of the operation's JSON body.
func bodyProperties(api huma.API, op *huma.Operation) map[string]bool {
	out := map[string]bool{}
	if op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil {
		return out
	}
	s := op.RequestBody.Content["application/json"].Schema
	if s != nil && s.Ref != "" {
		s = api.OpenAPI().Components.Schemas.SchemaFromRef(s.Ref)
	}
	if s != nil {
		for k := range s.Properties {
			out[k] = true
		}
	}
	return out
}

func exampleValue(reg huma.Registry, s *huma.Schema, name string, b *tenantB, n, depth int) any {
	if s == nil || depth > 8 {
		return nil
	}
	if s.Ref != "" {
		s = reg.SchemaFromRef(s.Ref)
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch s.Type {
	case "object":
		obj := map[string]any{}
		for prop, ps := range s.Properties {
			if slices.Contains(s.Required, prop) || strings.HasSuffix(prop, "Id") {
				if v := exampleValue(reg, ps, prop, b, n, depth+1); v != nil {
					obj[prop] = v
				}
			}
		}
		return obj
	case "array":
		var items []any
		min := 0
		if s.MinItems != nil {
			min = *s.MinItems
		}
		for i := 0; i < min; i++ {
			items = append(items, exampleValue(reg, s.Items, name, b, n, depth+1))
		}
		if items == nil {
			return []any{}
		}
		return items
	case "integer", "number":
		if s.Minimum != nil {
			return *s.Minimum
		}
		return 1
	case "boolean":
		return false
	case "string":
		format := s.Format
		if name == "id" || strings.HasSuffix(name, "Id") {
			format = "uuid"
		}
		switch format {
		case "uuid":
			if strings.EqualFold(name, "tenantId") {
				return b.tenantID.String()
			}
			for seg, kind := range objectKinds {
				if strings.HasPrefix(strings.ToLower(name), strings.TrimSuffix(strings.ReplaceAll(seg, "-", ""), "s")) {
					if id, ok := b.ids[kind]; ok {
						return id
					}
				}
			}
			return b.tenantID.String()
		case "email":
			return fmt.Sprintf("probe-%d@example.com", n)
		case "date-time":
			return time.Now().UTC().Format(time.RFC3339)
		case "uri":
			return "https://example.com/"
		}
		l := 10
		if s.MinLength != nil && *s.MinLength > l {
			l = *s.MinLength
		}
		return strings.Repeat("p", l)
	}
	return nil
}

func opPermission(op *huma.Operation) string {
	p, _ := op.Metadata[MetaPermission].(string)
	return p
}

func TestIsolation(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		t.Parallel()
		st := a.st
		attacker := a.signup("attacker@example.com", "Tenant A")
		attackerKey := a.apiKey(attacker, "full")
		b := seedTenantB(t, a)
		before := snapshot(t, st, b.tenantID)
		overrides := bodyOverrides(b)
		routes := allRoutes(a.srv.API())
		require.NotEmpty(t, routes)

		for _, cred := range []struct {
			name  string
			creds creds
			key   bool
		}{
			{"cookie", creds{Cookie: attacker.Cookie}, false},
			{"apikey", creds{Key: attackerKey}, true},
		} {
			for i, rt := range routes {
				name := cred.name + " " + rt.Method + " " + rt.Path
				if reason, ok := isolationExempt[rt.Op.OperationID]; ok {
					require.NotEmpty(t, reason)
					continue
				}
				path, hasParams, why := fillPath(rt.Path, b)
				require.Empty(t, why, name)
				body := exampleBody(a.srv.API(), rt.Op, b, i)
				if obj, ok := body.(map[string]any); ok {
					props := bodyProperties(a.srv.API(), rt.Op)
					for k, v := range overrides[rt.Op.OperationID] {
						if props[k] {
							obj[k] = v
						}
					}
				}
				r := a.do(rt.Method, path, body, cred.creds)
				perm := opPermission(rt.Op)
				lacks := cred.key && perm != "" && !auth.ScopeAllowed([]string{domain.ScopeFull}, perm)
				switch {
				case metaBool(rt.Op, MetaPublic):
					require.NotEqual(t, http.StatusInternalServerError, r.Status, "%s: %s", name, r.short())
				case hasParams && lacks:
					require.Equal(t, http.StatusForbidden, r.Status, "%s: a key without %s is refused before any look-up: %s", name, perm, r.short())
				case hasParams:
					require.Equal(t, http.StatusNotFound, r.Status, "%s: B's object must be not found: %s", name, r.short())
				case rt.Op.OperationID == "switch-tenant" && !cred.key:
					require.Equal(t, http.StatusNotFound, r.Status, "%s: %s", name, r.short())
				case lacks:
					require.Equal(t, http.StatusForbidden, r.Status, "%s: %s", name, r.short())
				default:
					require.Less(t, r.Status, 500, "%s: %s", name, r.short())
					require.NotEqual(t, http.StatusUnauthorized, r.Status, "%s: %s", name, r.short())
				}
				for _, m := range b.markers {
					require.NotContains(t, string(r.Body), m, "%s leaks B's %q", name, m)
				}
			}
		}
		require.Equal(t, before, snapshot(t, st, b.tenantID), "B's data changed")
		// B's credentials still work.
		require.Equal(t, http.StatusOK, a.do(http.MethodGet, Prefix+"/auth/me", nil, creds{Cookie: b.owner.Cookie}).Status)
		require.Equal(t, http.StatusOK, a.do(http.MethodGet, Prefix+"/workflows/"+b.ids["workflow"], nil, creds{Key: b.key}).Status)
	})
}

func TestUnauthenticatedRoutes(t *testing.T) {
	t.Parallel()
	a := newFullAPI(t, backends[0].open)
	b := seedTenantB(t, a)
	for i, rt := range allRoutes(a.srv.API()) {
		name := rt.Method + " " + rt.Path
		public := metaBool(rt.Op, MetaPublic)
		if !public {
			require.True(t, opPermission(rt.Op) != "" || metaBool(rt.Op, MetaNoTenant),
				"%s declares neither a permission nor MetaNoTenant", name)
		}
		path, _, why := fillPath(rt.Path, b)
		require.Empty(t, why, name)
		body := exampleBody(a.srv.API(), rt.Op, b, i)
		for _, c := range []creds{{}, {Cookie: strings.Repeat("A", 43)}, {Key: "nf_0123456789ab_" + strings.Repeat("A", 43)}} {
			r := a.do(rt.Method, path, body, c)
			if public {
				require.NotEqual(t, http.StatusInternalServerError, r.Status, "%s: %s", name, r.short())
				continue
			}
			require.Equal(t, http.StatusUnauthorized, r.Status, "%s without valid credentials: %s", name, r.short())
			require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), name)
		}
	}
}

func TestStreamIsolation(t *testing.T) {
	t.Parallel()
	a := newFullAPI(t, backends[0].open)
	attacker := a.signup("attacker@example.com", "Tenant A")
	victim := a.signup("victim@example.com", "Tenant B")
	mine, theirs := uuid.New(), uuid.New()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_ = a.hub.Publish(context.Background(),
					live.Event{TenantID: victim.Me.ActiveTenant.ID, Kind: live.KindExecution, ExecutionID: theirs, Status: "RUNNING", At: time.Now()},
					live.Event{TenantID: attacker.Me.ActiveTenant.ID, Kind: live.KindExecution, ExecutionID: mine, Status: "RUNNING", At: time.Now()})
			}
		}
	}()
	// The request ends after do's deadline; the stream is read whole then.
	r := a.do(http.MethodGet, Prefix+"/executions/stream", nil, creds{Cookie: attacker.Cookie})
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, string(r.Body), mine.String(), "the stream works")
	require.NotContains(t, string(r.Body), theirs.String(), "B's events never reach A")
	require.NotContains(t, string(r.Body), victim.Me.ActiveTenant.ID.String())
}

// TestIsolationCoversProduction checks that the API built by newFullAPI
// (which the isolation walk uses) serves every operation of the committed
// OpenAPI document (api/openapi.json, generated from the production wiring
// by `nextflow openapi` and kept current by `make generate-check`). A route
// missing here would escape the walk: add its service to newFullAPI.
func TestIsolationCoversProduction(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "api", "openapi.json"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("api/openapi.json is not generated yet (make generate)")
	}
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	a := newFullAPI(t, backends[0].open)
	served := map[string]bool{}
	for _, rt := range allRoutes(a.srv.API()) {
		served[rt.Op.OperationID] = true
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if op.OperationID == "" {
				continue
			}
			require.True(t, served[op.OperationID], "%s %s (%s) is served in production but not by newFullAPI, so the isolation walk misses it",
				strings.ToUpper(method), path, op.OperationID)
		}
	}
}
