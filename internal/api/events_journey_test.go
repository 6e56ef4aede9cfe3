package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// eventJourneyDef is issue #14's journey as a dashboard user builds it:
// trigger.event(user.signed_up) → wait_for_event(user.activated,
// correlated by signup_id, 1h timeout) → condition on
// contact.attributes.plan → set_attribute on the contact → end.
const eventJourneyDef = `{"nodes":[
 {"id":"start","type":"trigger.event","config":{"event":"user.signed_up"},"position":{"x":0,"y":0}},
 {"id":"activated","type":"wait_for_event","config":{"event":"user.activated","timeout":"1h","correlationKey":"signup_id"},"position":{"x":0,"y":100}},
 {"id":"pro","type":"condition","config":{"expression":"contact.attributes.plan == 'pro'"},"position":{"x":0,"y":200}},
 {"id":"tag","type":"set_attribute","config":{"target":"contact","attributes":{"tier":"'gold'","activatedVia":"steps.activated.output.event.properties.via"}},"position":{"x":0,"y":300}},
 {"id":"done","type":"end","position":{"x":0,"y":400}}],
 "edges":[
 {"id":"e1","source":"start","target":"activated"},
 {"id":"e2","source":"activated","sourceHandle":"event","target":"pro"},
 {"id":"e3","source":"activated","sourceHandle":"timeout","target":"done"},
 {"id":"e4","source":"pro","sourceHandle":"true","target":"tag"},
 {"id":"e5","source":"pro","sourceHandle":"false","target":"done"},
 {"id":"e6","source":"tag","target":"done"}]}`

// TestEventJourneyThroughAPI drives the journey above only through HTTP:
// events posted with an events:write key start it, an activation with
// another signup_id does not resume it, the right one does, and the
// attribute set_attribute wrote on the contact is visible through GET
// /contacts. A free-plan contact takes the condition's false branch and
// gets no attribute. (The timeout branch is TestEventWaitTimeoutTakesTimeoutHandle
// in internal/engine, which moves the engine's clock.)
func TestEventJourneyThroughAPI(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		ctx := context.Background()
		require.NoError(t, a.st.Queue().Start(ctx))
		t.Cleanup(func() { _ = a.st.Queue().Stop(context.Background()) })
		acc := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: acc.Cookie}
		key := a.apiKey(acc, "events:write")
		w := a.createWorkflow(acc, "Activation", eventJourneyDef)
		id := w.ID.String()
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c).Status)
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/activate", nil, c).Status)

		send := func(externalID, name, props string, traits string) {
			t.Helper()
			body := fmt.Sprintf(`{"contact":{"externalId":%q%s},"name":%q,"properties":%s}`, externalID, traits, name, props)
			r := a.do(http.MethodPost, Prefix+"/events", body, creds{Key: key})
			require.Equal(t, http.StatusOK, r.Status, r.short())
			var res EventIngestDTO
			r.JSON(t, &res)
			require.Equal(t, 1, res.Accepted, r.short())
		}
		execOf := func(contactID string) ExecutionDTO {
			t.Helper()
			var page ExecutionListDTO
			r := a.do(http.MethodGet, Prefix+"/executions?workflowId="+id+"&contactId="+contactID, nil, c)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			r.JSON(t, &page)
			require.Len(t, page.Items, 1, "one execution per contact")
			return page.Items[0]
		}
		contactOf := func(externalID string) ContactDTO {
			t.Helper()
			var page ContactListDTO
			r := a.do(http.MethodGet, Prefix+"/contacts?q="+externalID, nil, c)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			r.JSON(t, &page)
			require.Len(t, page.Items, 1)
			return page.Items[0]
		}

		send("ann", "user.signed_up", `{"signup_id":"s1"}`, `,"attributes":{"plan":"pro"}`)
		send("bob", "user.signed_up", `{"signup_id":"s9"}`, `,"attributes":{"plan":"free"}`)
		ann, bob := contactOf("ann"), contactOf("bob")
		require.Eventually(t, func() bool { return execOf(ann.ID.String()).Status == "WAITING" }, 10*time.Second, 20*time.Millisecond)
		require.Eventually(t, func() bool { return execOf(bob.ID.String()).Status == "WAITING" }, 10*time.Second, 20*time.Millisecond)

		// The wait resumes in the transaction that stores the event, so a
		// wrong activation would show at once: another signup_id, another
		// property name, another contact's signup_id.
		send("ann", "user.activated", `{"signup_id":"s2","via":"sms"}`, "")
		send("ann", "user.activated", `{"other_id":"s1","via":"sms"}`, "")
		send("bob", "user.activated", `{"signup_id":"s1","via":"sms"}`, "")
		require.Equal(t, "WAITING", string(execOf(ann.ID.String()).Status))
		require.Equal(t, "WAITING", string(execOf(bob.ID.String()).Status))

		send("ann", "user.activated", `{"signup_id":"s1","via":"email"}`, "")
		send("bob", "user.activated", `{"signup_id":"s9","via":"email"}`, "")
		require.Eventually(t, func() bool { return execOf(ann.ID.String()).Status == "COMPLETED" }, 10*time.Second, 20*time.Millisecond)
		require.Eventually(t, func() bool { return execOf(bob.ID.String()).Status == "COMPLETED" }, 10*time.Second, 20*time.Millisecond)

		var got ContactDTO
		r := a.do(http.MethodGet, Prefix+"/contacts/"+ann.ID.String(), nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &got)
		require.Equal(t, "gold", got.Attributes["tier"], "set_attribute on contact is visible through the API")
		require.Equal(t, "email", got.Attributes["activatedVia"], "the resuming event's properties reach later steps")
		require.Equal(t, "pro", got.Attributes["plan"])

		r = a.do(http.MethodGet, Prefix+"/contacts/"+bob.ID.String(), nil, c)
		require.Equal(t, http.StatusOK, r.Status, r.short())
		got = ContactDTO{}
		r.JSON(t, &got)
		require.NotContains(t, got.Attributes, "tier", "the free plan takes the condition's false branch")
	})
}
