package engine

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// TestRetryOfFoldedExecutionCountsOnce: an execution folded into the
// analytics rollups as FAILED and then retried is counted once, as the
// COMPLETED execution it became, before and after its new finish is
// folded (it was counted started twice and failed once more than it is).
func TestRetryOfFoldedExecutionCountsOnce(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		srv := newSink(t, 2, http.StatusInternalServerError)
		wf := b.publish(t, fmt.Sprintf(`{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "ab", "type": "split", "config": {"variants": [{"name": "a", "weight": 50}, {"name": "b", "weight": 50}]}},
		  {"id": "call", "type": "http.request", "config": {"method": "POST", "url": "%s/x", "timeout": "5s", "retry": {"maxAttempts": 2, "backoff": "10ms"}}},
		  {"id": "done", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "ab"},
		  {"id": "e2", "source": "ab", "sourceHandle": "a", "target": "call"},
		  {"id": "e3", "source": "ab", "sourceHandle": "b", "target": "call"},
		  {"id": "e4", "source": "call", "target": "done"}]}`, srv.URL))
		exec := b.start(t, wf, "")
		_, steps := b.waitFor(t, exec.ID, domain.ExecutionFailed)
		variant := steps[1].Handle
		require.NotEmpty(t, variant)

		fold := func() {
			t.Helper()
			require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
				_, err := tx.AnalyticsRollup(ctx, b.tenant, store.AnalyticsWatermark{ExecutionsThrough: time.Now().UTC(), MessagesThrough: time.Unix(0, 0)})
				return err
			}))
		}
		today := time.Now().UTC().Truncate(24 * time.Hour)
		period := &store.AnalyticsPeriodParams{TenantID: b.tenant, WorkflowID: wf, From: today.AddDate(0, 0, -1), To: today.AddDate(0, 0, 2)}
		goal := &store.AnalyticsGoalParams{TenantID: b.tenant, WorkflowID: wf, From: period.From, To: period.To,
			SplitType: store.AnalyticsSplitType, EndType: store.AnalyticsEndType, Within: time.Hour}
		check := func(stage string, started, completed, failed int64) {
			t.Helper()
			require.NoError(t, b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
				days, err := tx.AnalyticsExecutionDays(ctx, period)
				require.NoError(t, err)
				var got store.ExecutionDay
				for _, d := range days {
					got.Started += d.Started
					got.Completed += d.Completed
					got.Failed += d.Failed
				}
				require.Equal(t, store.ExecutionDay{Started: started, Completed: completed, Failed: failed}, got, stage)
				splits, err := tx.AnalyticsSplitVariants(ctx, goal)
				require.NoError(t, err)
				ends := map[string]int64{}
				if completed > 0 {
					ends["done"] = completed
				}
				require.Equal(t, []store.SplitVariantCount{{NodeID: "ab", Variant: variant, Entered: started,
					Completed: completed, Failed: failed, Ends: ends}}, splits, stage)
				return nil
			}))
		}
		check("failed, live", 1, 0, 1)
		fold()
		check("failed, folded", 1, 0, 1)

		_, err := b.eng.Retry(ctx, b.tenant, exec.ID)
		require.NoError(t, err)
		b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		check("retried and completed, live", 1, 1, 0)
		fold()
		check("retried and completed, folded again", 1, 1, 0)
	})
}
