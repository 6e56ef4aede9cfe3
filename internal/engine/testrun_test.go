package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// countingSend stands in for a channel's send: it counts what reaches
// Prepare and Perform.
type countingSend struct {
	kind     string
	prepares atomic.Int64
	calls    atomic.Int64
}

func (c *countingSend) Kind() string { return c.kind }

func (c *countingSend) Prepare(_ context.Context, in PrepareInput) (json.RawMessage, error) {
	c.prepares.Add(1)
	contact, _ := in.Data["contact"].(map[string]any)
	return json.Marshal(map[string]any{"to": contact["email"], "subject": "hello"})
}

func (c *countingSend) Perform(context.Context, EffectRequest) (json.RawMessage, error) {
	c.calls.Add(1)
	return json.RawMessage(`{"sent":true}`), nil
}

// draft stores def as a workflow that was never published, with a test
// snapshot of it (version -1), and returns both IDs.
func (b *bundle) draft(t *testing.T, def string) (wfID, versionID uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	wfID = domain.NewID()
	require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: b.tenant, ID: wfID, Name: "draft", Definition: json.RawMessage(def)}); err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: b.tenant, ID: domain.NewID(), WorkflowID: wfID, Version: -1, Definition: json.RawMessage(def)})
		if err != nil {
			return err
		}
		versionID = v.ID
		return nil
	}))
	return wfID, versionID
}

func (b *bundle) startTest(t *testing.T, p StartParams, opts TestOptions) *domain.Execution {
	t.Helper()
	ctx := context.Background()
	p.TenantID = b.tenant
	var exec *domain.Execution
	require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
		var err error
		exec, err = b.eng.StartTestTx(ctx, tx, p, opts)
		return err
	}))
	require.True(t, exec.Test)
	return exec
}

func stepOf(steps []domain.Step, node string) *domain.Step {
	for i := range steps {
		if steps[i].NodeID == node {
			return &steps[i]
		}
	}
	return nil
}

func jsonMap(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), string(raw))
	return m
}

const slowDraft = `{"nodes": [
  {"id": "start", "type": "trigger.manual"},
  {"id": "wait2d", "type": "delay", "config": {"duration": "2d"}},
  {"id": "mark", "type": "set_attribute", "config": {"target": "vars", "attributes": {"waited": "true"}}},
  {"id": "reply", "type": "wait_for_event", "config": {"event": "replied", "timeout": "3d"}},
  {"id": "timedOut", "type": "set_attribute", "config": {"target": "vars", "attributes": {"timedOut": "true"}}},
  {"id": "done", "type": "end"}],
 "edges": [
  {"id": "e1", "source": "start", "target": "wait2d"},
  {"id": "e2", "source": "wait2d", "target": "mark"},
  {"id": "e3", "source": "mark", "target": "reply"},
  {"id": "e4", "source": "reply", "sourceHandle": "event", "target": "done"},
  {"id": "e5", "source": "reply", "sourceHandle": "timeout", "target": "timedOut"},
  {"id": "e6", "source": "timedOut", "target": "done"}]}`

// TestTestRunSkipsDelaysAndStaysOutOfStats: a test run that skips delays
// gets through a 2-day delay and a 3-day wait at once, durably (each
// through its job), is marked, and counts in no stats.
func TestTestRunSkipsDelaysAndStaysOutOfStats(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		wfID, vID := b.draft(t, slowDraft)
		exec := b.startTest(t, StartParams{WorkflowID: wfID, VersionID: vID}, TestOptions{SkipDelays: true})
		exec, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted, domain.ExecutionFailed)
		require.Equal(t, domain.ExecutionCompleted, exec.Status, describe(steps))
		require.Equal(t, []string{"start", "wait2d", "mark", "reply", "timedOut", "done"}, nodeIDs(steps))
		delay := jsonMap(t, stepOf(steps, "wait2d").Input)
		require.Equal(t, true, delay["skipped"])
		require.True(t, strings.HasPrefix(delay["reason"].(string), TestSkipPrefix), delay["reason"])
		require.Equal(t, handleTimeout, stepOf(steps, "reply").Handle)
		require.True(t, exec.Test)
		require.Equal(t, -1, exec.Version)

		// A real run of the same workflow counts; the test run does not.
		require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: b.tenant, ID: domain.NewID(), WorkflowID: wfID, Version: 1, Definition: json.RawMessage(chainDef(1))})
			if err != nil {
				return err
			}
			_, err = tx.WorkflowSetCurrentVersion(ctx, b.tenant, wfID, v.ID, v.Version)
			return err
		}))
		real := b.start(t, wfID, "")
		b.waitFor(t, real.ID, domain.ExecutionCompleted)
		require.NoError(t, b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
			byStatus, err := tx.ExecutionCountByStatus(ctx, b.tenant, wfID)
			require.NoError(t, err)
			require.Equal(t, map[domain.ExecutionStatus]int{domain.ExecutionCompleted: 1}, byStatus)
			byNode, err := tx.StepCountByNode(ctx, b.tenant, wfID)
			require.NoError(t, err)
			for _, nc := range byNode {
				require.NotContains(t, []string{"wait2d", "mark", "reply", "timedOut"}, nc.NodeID, "test steps counted: %+v", byNode)
			}
			yes, no := true, false
			tests, err := tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: b.tenant, WorkflowID: &wfID, Test: &yes})
			require.NoError(t, err)
			require.Len(t, tests, 1)
			require.Equal(t, exec.ID, tests[0].ID)
			require.True(t, tests[0].Test)
			others, err := tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: b.tenant, WorkflowID: &wfID, Test: &no})
			require.NoError(t, err)
			require.Len(t, others, 1)
			require.Equal(t, real.ID, others[0].ID)
			all, err := tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: b.tenant, WorkflowID: &wfID})
			require.NoError(t, err)
			require.Len(t, all, 2)
			// The snapshot is no published version.
			vs, err := tx.WorkflowVersionList(ctx, b.tenant, wfID)
			require.NoError(t, err)
			require.Len(t, vs, 1)
			max, err := tx.WorkflowVersionMax(ctx, b.tenant, wfID)
			require.NoError(t, err)
			require.Equal(t, 1, max)
			return nil
		}))
	})
}

// TestTestRunWithoutSkippingWaitsOnDelay: without SkipDelays a test run
// parks on its delay like any execution.
func TestTestRunWithoutSkippingWaitsOnDelay(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		wfID, vID := b.draft(t, slowDraft)
		exec := b.startTest(t, StartParams{WorkflowID: wfID, VersionID: vID}, TestOptions{})
		exec, steps := b.waitFor(t, exec.ID, domain.ExecutionWaiting)
		require.Equal(t, "wait2d", exec.CurrentNodeID, describe(steps))
		require.NotNil(t, exec.WakeAt, "a 2-day delay is kept on the row")
	})
}

func sendDraft(url string) string {
	return fmt.Sprintf(`{"nodes": [
  {"id": "start", "type": "trigger.manual"},
  {"id": "mail", "type": "email.send", "config": {"subject": "Hi", "text": "Hello"}},
  {"id": "call", "type": "http.request", "config": {"method": "POST", "url": "%s/hook", "body": {"a": 1}}},
  {"id": "attr", "type": "set_attribute", "config": {"target": "contact", "attributes": {"plan": "'gold'"}}},
  {"id": "done", "type": "end"}],
 "edges": [
  {"id": "e1", "source": "start", "target": "mail"},
  {"id": "e2", "source": "mail", "target": "call"},
  {"id": "e3", "source": "call", "target": "attr"},
  {"id": "e4", "source": "attr", "target": "done"}]}`, url)
}

// TestTestRunAllowList: a send to a recipient off the allow-list and an
// http.request not allowed are completed steps marked skipped "test run:
// …", and nothing reaches the provider or the remote server; on the
// allow-list (matched without case) they go out. The stored contact is
// never written by a test run.
func TestTestRunAllowList(t *testing.T) {
	t.Parallel()
	fakes := map[string]*countingSend{"sqlite": {kind: workflow.TypeEmailSend}, "postgres": {kind: workflow.TypeEmailSend}}
	for _, name := range []string{"sqlite", "postgres"} {
		fx := fakes[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			each1(t, name, func(t *testing.T, b *bundle) {
				ctx := context.Background()
				sink := newSink(t, 0, 200)
				wfID, vID := b.draft(t, sendDraft(sink.URL))
				email := "Ada@Example.com"
				var contactID uuid.UUID
				require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
					c, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: b.tenant, Email: &email, Attributes: json.RawMessage(`{"plan":"free"}`)})
					contactID = c.ID
					return err
				}))

				exec := b.startTest(t, StartParams{WorkflowID: wfID, VersionID: vID, ContactID: &contactID},
					TestOptions{Recipients: []string{"tester@example.com"}})
				exec, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted, domain.ExecutionFailed)
				require.Equal(t, domain.ExecutionCompleted, exec.Status, describe(steps))
				for _, node := range []string{"mail", "call"} {
					s := stepOf(steps, node)
					require.Equal(t, domain.StepCompleted, s.Status)
					out := jsonMap(t, s.Output)
					require.Equal(t, true, out["skipped"], node)
					require.True(t, strings.HasPrefix(out["reason"].(string), TestSkipPrefix), out["reason"])
				}
				require.Contains(t, jsonMap(t, stepOf(steps, "mail").Output)["reason"], "ada@example.com is not on")
				require.Zero(t, fx.prepares.Load(), "a refused send is not even prepared")
				require.Zero(t, fx.calls.Load())
				require.Zero(t, sink.calls.Load())
				require.Empty(t, b.outbox(t, exec.ID), "nothing was queued")
				// set_attribute showed the value in the context and left the
				// stored contact alone.
				ctxMap := contextOf(t, exec)
				require.Equal(t, "gold", ctxMap["contact"].(map[string]any)["attributes"].(map[string]any)["plan"])
				require.NoError(t, b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
					c, err := tx.ContactGetByID(ctx, b.tenant, contactID)
					require.NoError(t, err)
					require.JSONEq(t, `{"plan":"free"}`, string(c.Attributes))
					return nil
				}))

				// Allowed: the send and the call go out.
				exec = b.startTest(t, StartParams{WorkflowID: wfID, VersionID: vID, ContactID: &contactID},
					TestOptions{Recipients: []string{" ADA@example.com "}, AllowHTTP: true})
				exec, steps = b.waitFor(t, exec.ID, domain.ExecutionCompleted, domain.ExecutionFailed)
				require.Equal(t, domain.ExecutionCompleted, exec.Status, describe(steps))
				require.EqualValues(t, 1, fx.calls.Load())
				require.EqualValues(t, 1, sink.calls.Load())
				require.NotContains(t, string(stepOf(steps, "mail").Output), "skipped")
			}, withEffect(fx))
		})
	}
}

// TestPreviewStep: "run this step" renders a node against a sample
// context: a condition's result, a send's request, nothing performed and
// nothing written.
func TestPreviewStep(t *testing.T) {
	t.Parallel()
	fakes := map[string]*countingSend{"sqlite": {kind: workflow.TypeEmailSend}, "postgres": {kind: workflow.TypeEmailSend}}
	for _, name := range []string{"sqlite", "postgres"} {
		fx := fakes[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			each1(t, name, func(t *testing.T, b *bundle) {
				ctx := context.Background()
				wfID, _ := b.draft(t, branchDef)
				p := PreviewParams{TenantID: b.tenant, WorkflowID: wfID, Definition: json.RawMessage(branchDef),
					Input: json.RawMessage(`{"amount": 150}`), NodeID: "score"}
				out, err := b.eng.PreviewStep(ctx, p)
				require.NoError(t, err)
				require.Empty(t, out.Error)
				require.EqualValues(t, 300, out.Output.(map[string]any)["total"])

				p.NodeID, p.Vars = "vip", map[string]any{"total": 300}
				out, err = b.eng.PreviewStep(ctx, p)
				require.NoError(t, err)
				require.Equal(t, "true", out.Handle)

				def := sendDraft("http://127.0.0.1:1")
				p = PreviewParams{TenantID: b.tenant, WorkflowID: wfID, Definition: json.RawMessage(def), NodeID: "mail",
					Contact: map[string]any{"email": "sam@example.com"}}
				out, err = b.eng.PreviewStep(ctx, p)
				require.NoError(t, err)
				require.JSONEq(t, `{"to":"sam@example.com","subject":"hello"}`, string(out.Input.(json.RawMessage)))
				require.Zero(t, fx.calls.Load(), "nothing sent")

				p.NodeID = "nope"
				_, err = b.eng.PreviewStep(ctx, p)
				require.ErrorIs(t, err, store.ErrNotFound)
			}, withEffect(fx))
		})
	}
}
