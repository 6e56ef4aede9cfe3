package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// webhookDef is a signed webhook whose secret is the credential cred.
func webhookDef(cred string) string {
	return fmt.Sprintf(`{"nodes": [{"id": "hook", "type": "trigger.webhook", "config": {"auth": "signature", "secretCredential": %q}},
  {"id": "done", "type": "end"}], "edges": [{"id": "e1", "source": "hook", "target": "done"}]}`, cred)
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// publishVersion publishes def as the workflow's next version.
func (b *bundle) publishVersion(t *testing.T, wfID uuid.UUID, version int, def string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var id uuid.UUID
	require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: b.tenant, ID: domain.NewID(),
			WorkflowID: wfID, Version: version, Definition: json.RawMessage(def)})
		if err != nil {
			return err
		}
		id = v.ID
		_, err = tx.WorkflowSetCurrentVersion(ctx, b.tenant, wfID, v.ID, v.Version)
		return err
	}))
	return id
}

// TestWebhookPublishDuringStart publishes a version with a new secret
// between StartWebhook's signature check and its start. The request
// checked against the old version starts that version, never the new
// one; from the publish on, the old secret is refused and starts nothing.
// On PostgreSQL the publish commits inside the window, and a request sent
// then with the old secret is refused at once; SQLite's single writer
// makes the publish wait for the start's commit.
func TestWebhookPublishDuringStart(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, open storeOpener) {
		ctx := context.Background()
		workers := river.NewWorkers()
		st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
		var (
			hooked    atomic.Bool
			hook      func()
			published = make(chan struct{})
		)
		b := newBundle(t, st, workers, func(o *Options) {
			o.Secrets = mapResolver{"WH_OLD": "old-secret", "WH_NEW": "new-secret"}
			o.beforeWebhookStartHook = func() {
				if hooked.CompareAndSwap(false, true) { // the first request only
					hook()
				}
			}
		})
		wf := b.publish(t, webhookDef("WH_OLD"))
		body := []byte(`{"order": 7}`)
		req := func(secret string) WebhookStart {
			return WebhookStart{TenantID: b.tenant, WorkflowID: wf, Body: body, Signature: sign(secret, body)}
		}

		var v2 uuid.UUID
		var during []error // requests made inside the window (PostgreSQL)
		hook = func() {
			go func() {
				v2 = b.publishVersion(t, wf, 2, webhookDef("WH_NEW"))
				close(published)
			}()
			if st.Dialect() != "postgres" {
				return // the publish waits for this transaction
			}
			<-published
			_, err := b.eng.StartWebhook(ctx, req("old-secret"))
			during = append(during, err)
			started, err := b.eng.StartWebhook(ctx, req("new-secret"))
			during = append(during, err)
			if err == nil && started.Execution.Version != 2 {
				during = append(during, fmt.Errorf("new secret started version %d", started.Execution.Version))
			}
		}

		raced, err := b.eng.StartWebhook(ctx, req("old-secret"))
		require.NoError(t, err)
		require.Equal(t, 1, raced.Execution.Version, "the request starts the version its secret was checked against")
		select {
		case <-published:
		case <-time.After(30 * time.Second):
			t.Fatal("the publish did not finish")
		}
		// v2 is written by the publishing goroutine: read it only after
		// published is closed.
		require.NotEqual(t, v2, raced.Execution.VersionID)
		if st.Dialect() == "postgres" {
			require.Len(t, during, 2)
			require.ErrorIs(t, during[0], ErrWebhookUnauthorized, "old secret inside the window")
			require.NoError(t, during[1], "new secret inside the window")
		}

		_, err = b.eng.StartWebhook(ctx, req("old-secret"))
		require.ErrorIs(t, err, ErrWebhookUnauthorized)
		var authErr *WebhookAuthError
		require.ErrorAs(t, err, &authErr)
		require.Equal(t, "signature", authErr.Mode)

		started, err := b.eng.StartWebhook(ctx, req("new-secret"))
		require.NoError(t, err)
		require.Equal(t, 2, started.Execution.Version)

		var execs []domain.Execution
		require.NoError(t, st.Read(ctx, b.tenant, func(tx store.Tx) error {
			execs, err = tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: b.tenant, WorkflowID: &wf, Limit: 10})
			return err
		}))
		byVersion := map[int]int{}
		for _, e := range execs {
			byVersion[e.Version]++
		}
		want := map[int]int{1: 1, 2: 1}
		if st.Dialect() == "postgres" {
			want[2] = 2
		}
		require.Equal(t, want, byVersion, "the old secret started nothing after the publish")
	})
}

func TestWebhookStartErrors(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		body := []byte(`{"a": 1}`)
		signed := b.publish(t, webhookDef("WH"))
		open := b.publish(t, `{"nodes": [{"id": "hook", "type": "trigger.webhook", "config": {"respond": "on_completion", "timeout": "1h"}},
  {"id": "done", "type": "end"}], "edges": [{"id": "e1", "source": "hook", "target": "done"}]}`)
		manual := b.publish(t, `{"nodes": [{"id": "start", "type": "trigger.manual"}], "edges": []}`)

		_, err := b.eng.StartWebhook(ctx, WebhookStart{TenantID: b.tenant, WorkflowID: manual, Body: body})
		require.ErrorIs(t, err, ErrNotWebhook)
		_, err = b.eng.StartWebhook(ctx, WebhookStart{TenantID: b.tenant, WorkflowID: domain.NewID(), Body: body})
		require.ErrorIs(t, err, ErrNotWebhook)
		_, err = b.eng.StartWebhook(ctx, WebhookStart{TenantID: b.tenant, WorkflowID: signed, Body: body, Signature: sign("WH-value", body)})
		require.ErrorIs(t, err, ErrWebhookUnauthorized, "no credential resolver: refused")
		_, err = b.eng.StartWebhook(ctx, WebhookStart{TenantID: b.tenant, WorkflowID: open, Body: []byte(`[1]`)})
		require.ErrorIs(t, err, ErrWebhookBody)

		started, err := b.eng.StartWebhook(ctx, WebhookStart{TenantID: b.tenant, WorkflowID: open})
		require.NoError(t, err)
		require.Equal(t, MaxWebhookWait, started.Wait)
		require.Equal(t, "trigger.webhook", started.Execution.TriggerType)
	})
}
