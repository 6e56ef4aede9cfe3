package emailsend_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// testRun starts a test run of the workflow's draft (a test snapshot of
// its definition) for contact and waits for it to finish.
func (h *harness) testRun(t *testing.T, wfID, contactID uuid.UUID, opts engine.TestOptions) (*domain.Execution, []domain.Step) {
	t.Helper()
	ctx := context.Background()
	var exec *domain.Execution
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		w, err := tx.WorkflowGetByID(ctx, h.tenant, wfID)
		if err != nil {
			return err
		}
		v, err := tx.WorkflowVersionLatestTest(ctx, h.tenant, wfID)
		if err != nil {
			v, err = tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: h.tenant, ID: domain.NewID(), WorkflowID: wfID, Version: -1, Definition: w.Definition})
			if err != nil {
				return err
			}
		}
		exec, err = h.eng.StartTestTx(ctx, tx, engine.StartParams{TenantID: h.tenant, WorkflowID: wfID, VersionID: v.ID, ContactID: &contactID}, opts)
		return err
	}))
	var steps []domain.Step
	require.Eventually(t, func() bool {
		require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
			var err error
			if exec, err = tx.ExecutionGetByID(ctx, h.tenant, exec.ID); err != nil {
				return err
			}
			steps, err = tx.StepListByExecution(ctx, h.tenant, exec.ID)
			return err
		}))
		return exec.Status.Terminal()
	}, 30*time.Second, 20*time.Millisecond)
	return exec, steps
}

// TestTestRunSendsOnlyToTheAllowList: a test run's send to a contact off
// the allow-list is a skipped step "test run: …" and nothing reaches the
// SMTP server, and no message is recorded; to an allow-listed address it
// is sent like any other.
func TestTestRunSendsOnlyToTheAllowList(t *testing.T) {
	t.Parallel()
	h := setup(t)
	wfID := h.publish(t, inlineConfig)
	ada := h.contact(t, "ada@example.test")

	exec, steps := h.testRun(t, wfID, ada, engine.TestOptions{Recipients: []string{"tester@example.test"}})
	require.Equal(t, domain.ExecutionCompleted, exec.Status)
	mail := step(steps, "mail")
	require.NotNil(t, mail)
	var out map[string]any
	require.NoError(t, json.Unmarshal(mail.Output, &out))
	require.Equal(t, true, out["skipped"])
	require.True(t, strings.HasPrefix(out["reason"].(string), engine.TestSkipPrefix), out["reason"])
	require.Contains(t, out["reason"], "ada@example.test")
	require.False(t, h.srv.WaitCount(1, 500*time.Millisecond), "a refused send reached the SMTP server")
	require.Zero(t, h.srv.Count())
	require.Empty(t, h.messages(t, ada), "a refused send is not recorded as a message")

	exec, steps = h.testRun(t, wfID, ada, engine.TestOptions{Recipients: []string{"Ada@Example.test"}})
	require.Equal(t, domain.ExecutionCompleted, exec.Status)
	require.NotContains(t, string(step(steps, "mail").Output), "skipped")
	require.True(t, h.srv.WaitCount(1, 10*time.Second))
	require.Len(t, h.srv.Messages(), 1)
	require.Len(t, h.messages(t, ada), 1)
}
