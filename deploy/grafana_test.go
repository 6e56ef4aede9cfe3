package deploy

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/metrics"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// poolStore reports one pool and one empty queue, so the scrape-time series
// are present.
type poolStore struct{}

func (poolStore) PoolStats() []store.PoolStats {
	return []store.PoolStats{{Pool: "writer", MaxOpen: 1}}
}

func (poolStore) QueueDepth(context.Context) ([]store.QueueDepth, error) {
	return []store.QueueDepth{{Queue: "default"}}, nil
}

// Every nextflow_ series the Grafana dashboard queries is one the metrics
// package exposes.
func TestGrafanaDashboardSeries(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("grafana/nextflow.json")
	require.NoError(t, err)
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.Equal(t, "nextflow-overview", dash.UID)

	// Touch every instrument so that each family is gathered.
	m := metrics.New()
	m.WatchStore(poolStore{})
	m.ObserveRequest("GET", "GET /x", 200, time.Millisecond)
	m.ExecutionsStarted(1)
	m.ExecutionFinished("COMPLETED")
	m.StepFinished("end", "COMPLETED", 0)
	m.MessageStatus("email", "sent")
	m.AITokens(1, 1)
	qm := m.QueryMonitor(nil, 0, 0)
	qm.Observe("Q", time.Millisecond, true)
	qm.ObserveJob("kind", 0, time.Millisecond, nil)
	qm.OnRepeat(t.Context(), store.NewQueryScope(store.ScopeRequest, "GET /x"), store.QueryRepeat{Name: "Q", Count: 11})
	fams, err := m.Registry().Gather()
	require.NoError(t, err)
	have := map[string]bool{}
	for _, f := range fams {
		have[f.GetName()] = true
	}

	series := regexp.MustCompile(`\b(nextflow_[a-z_]+|go_[a-z_]+|process_[a-z_]+)\b`)
	used := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range series.FindAllString(tg.Expr, -1) {
				base := name
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					if b, ok := strings.CutSuffix(name, suffix); ok && have[b] {
						base = b
					}
				}
				require.True(t, have[base], "panel %q queries %s, which is not exposed", p.Title, name)
				used++
			}
		}
	}
	require.Greater(t, used, 20)
}
