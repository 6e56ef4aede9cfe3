package retention_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/retention"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// countingStore counts the write transactions run through it: a prune's
// delete batches.
type countingStore struct {
	store.Store
	writes atomic.Int64
}

func (c *countingStore) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	c.writes.Add(1)
	return c.Store.InTx(ctx, tenantID, fn)
}

// seeded is one tenant's rows: those old enough for a FREE tenant to lose
// and those every tenant keeps.
type seeded struct {
	tenant *domain.Tenant
	// old: finished 10 days before the pruner's clock (FREE keeps 7, PRO
	// 30), each with two steps, an outbox row and a message.
	old []uuid.UUID
	// recent: finished a day before the pruner's clock.
	recent uuid.UUID
	// unfinished: running, waiting and pending since long before.
	unfinished []uuid.UUID
	contact    uuid.UUID
	messages   []uuid.UUID
}

const (
	oldExecutions = 5
	oldEvents     = 5
	oldAudit      = 3
)

// now is the pruner's clock: 40 days after the rows' real insert time, so
// that audit entries (stamped by the database) are 40 days old.
var clockShift = 40 * 24 * time.Hour

func seed(t *testing.T, ctx context.Context, st store.Store, p domain.Plan) seeded {
	t.Helper()
	realNow := time.Now().UTC()
	prunerNow := realNow.Add(clockShift)
	var s seeded
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		var err error
		slug := fmt.Sprintf("t-%s", uuid.NewString()[:8])
		s.tenant, err = tx.TenantInsert(ctx, &store.TenantInsertParams{Name: slug, Slug: slug, Plan: p})
		return err
	}))
	tid := s.tenant.ID
	require.NoError(t, st.InTx(ctx, tid, func(tx store.Tx) error {
		def := json.RawMessage(`{"nodes": [{"id": "start", "type": "trigger.manual", "config": {}, "position": {"x": 0, "y": 0}}], "edges": []}`)
		wf, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tid, Name: "Welcome", Definition: def})
		if err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tid, WorkflowID: wf.ID, Version: 1, Definition: def})
		if err != nil {
			return err
		}
		ext := "ann"
		c, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: tid, ExternalID: &ext})
		if err != nil {
			return err
		}
		s.contact = c.ID
		exec := func(status domain.ExecutionStatus, finished *time.Time) uuid.UUID {
			e, err := tx.ExecutionInsert(ctx, &store.ExecutionInsertParams{TenantID: tid, WorkflowID: wf.ID, VersionID: v.ID,
				Version: 1, Status: status, ContactID: &c.ID, TriggerType: "trigger.manual", Context: json.RawMessage(`{}`),
				CurrentNodeID: "start", FinishedAt: finished})
			require.NoError(t, err)
			for seq := 1; seq <= 2; seq++ {
				st, err := tx.StepInsert(ctx, &store.StepInsertParams{TenantID: tid, ExecutionID: e.ID, Seq: seq, NodeID: "send",
					NodeType: "email.send", Status: domain.StepCompleted, Attempt: 1, Input: json.RawMessage(`{}`), StartedAt: realNow})
				require.NoError(t, err)
				if seq == 1 {
					_, _, err = tx.OutboxInsert(ctx, &store.OutboxInsertParams{TenantID: tid, ID: domain.NewID(), ExecutionID: e.ID,
						StepID: st.ID, IdempotencyKey: fmt.Sprintf("%s:%d", e.ID, seq), Kind: "email.send", Request: json.RawMessage(`{}`)})
					require.NoError(t, err)
				}
			}
			m, _, err := tx.MessageInsert(ctx, &store.MessageInsertParams{TenantID: tid, Channel: domain.ChannelEmail,
				Recipient: "ann@example.com", ContactID: &c.ID, WorkflowID: &wf.ID, ExecutionID: &e.ID})
			require.NoError(t, err)
			s.messages = append(s.messages, m.ID)
			return e.ID
		}
		tenDays := prunerNow.Add(-10 * 24 * time.Hour)
		for range oldExecutions {
			s.old = append(s.old, exec(domain.ExecutionCompleted, &tenDays))
		}
		oneDay := prunerNow.Add(-24 * time.Hour)
		s.recent = exec(domain.ExecutionFailed, &oneDay)
		for _, status := range []domain.ExecutionStatus{domain.ExecutionRunning, domain.ExecutionWaiting, domain.ExecutionPending} {
			s.unfinished = append(s.unfinished, exec(status, nil))
		}
		var evs []store.EventInsert
		for i := range oldEvents {
			// 35 days old: FREE keeps 30, PRO 180.
			evs = append(evs, store.EventInsert{ContactID: c.ID, Name: "page.viewed", MessageID: fmt.Sprintf("old-%d", i),
				OccurredAt: prunerNow.Add(-35 * 24 * time.Hour)})
		}
		evs = append(evs, store.EventInsert{ContactID: c.ID, Name: "page.viewed", MessageID: "recent", OccurredAt: oneDay})
		if _, err := tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: tid, Events: evs}); err != nil {
			return err
		}
		for range oldAudit {
			// 40 days old by the pruner's clock: FREE keeps 30, PRO 365.
			if err := tx.AuditInsert(ctx, &store.AuditInsertParams{TenantID: tid, ActorType: "user", Action: "workflow.update"}); err != nil {
				return err
			}
		}
		return nil
	}))
	return s
}

// remaining counts a tenant's rows of each kind (contacts too).
func remaining(t *testing.T, ctx context.Context, st store.Store, s seeded) map[string]int {
	t.Helper()
	got := map[string]int{}
	require.NoError(t, st.Read(ctx, s.tenant.ID, func(tx store.Tx) error {
		tid := s.tenant.ID
		for _, id := range append(append(append([]uuid.UUID{}, s.old...), s.recent), s.unfinished...) {
			if _, err := tx.ExecutionGetByID(ctx, tid, id); err == nil {
				got["executions"]++
			} else {
				require.ErrorIs(t, err, store.ErrNotFound)
			}
			steps, err := tx.StepListByExecution(ctx, tid, id)
			require.NoError(t, err)
			got["steps"] += len(steps)
			if _, err := tx.OutboxGetByKey(ctx, tid, fmt.Sprintf("%s:1", id)); err == nil {
				got["outbox"]++
			}
		}
		for _, id := range s.messages {
			if _, err := tx.MessageGetByID(ctx, tid, id); err == nil {
				got["messages"]++
			}
		}
		evs, err := tx.EventList(ctx, &store.EventListParams{TenantID: tid, Limit: 100})
		require.NoError(t, err)
		got["events"] = len(evs)
		audit, err := tx.AuditListByTenant(ctx, &store.AuditListParams{TenantID: tid, Limit: 100})
		require.NoError(t, err)
		got["audit"] = len(audit)
		if _, err := tx.ContactGetByID(ctx, tid, s.contact); err == nil {
			got["contacts"]++
		}
		return nil
	}))
	return got
}

// allRows is what seed writes for one tenant.
func allRows() map[string]int {
	execs := oldExecutions + 1 + 3
	return map[string]int{"executions": execs, "steps": 2 * execs, "outbox": execs, "messages": execs,
		"events": oldEvents + 1, "audit": oldAudit, "contacts": 1}
}

func byTenantKind(rep *retention.Report) map[uuid.UUID]map[retention.Kind]int64 {
	out := map[uuid.UUID]map[retention.Kind]int64{}
	for _, c := range rep.Counts {
		if out[c.TenantID] == nil {
			out[c.TenantID] = map[retention.Kind]int64{}
		}
		out[c.TenantID][c.Kind] += c.Rows
	}
	return out
}

func TestPruneByPlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, raw store.Store) {
		t.Parallel()
		ctx := context.Background()
		free := seed(t, ctx, raw, domain.PlanFree)
		pro := seed(t, ctx, raw, domain.PlanPro)
		st := &countingStore{Store: raw}
		clock := func() time.Time { return time.Now().Add(clockShift) }
		p := retention.New(st, retention.Options{BatchSize: 2, ExecutionBatchSize: 2, Pause: -1, Now: clock})

		// A dry run writes nothing and says what would go.
		dry, err := p.Prune(ctx, retention.RunOptions{DryRun: true})
		require.NoError(t, err)
		require.Zero(t, st.writes.Load(), "a dry run opens no write transaction")
		require.Zero(t, dry.Batches())
		require.Equal(t, allRows(), remaining(t, ctx, raw, free))
		require.Equal(t, allRows(), remaining(t, ctx, raw, pro))
		wantFree := map[retention.Kind]int64{
			retention.KindExecutions: oldExecutions, retention.KindSteps: 2 * oldExecutions,
			retention.KindOutbox: oldExecutions, retention.KindMessages: oldExecutions,
			retention.KindEvents: oldEvents, retention.KindAudit: oldAudit,
		}
		wantPro := map[retention.Kind]int64{}
		for k := range wantFree {
			wantPro[k] = 0
		}
		require.Equal(t, wantFree, byTenantKind(dry)[free.tenant.ID])
		require.Equal(t, wantPro, byTenantKind(dry)[pro.tenant.ID])

		// The real run deletes exactly that.
		rep, err := p.Prune(ctx, retention.RunOptions{})
		require.NoError(t, err)
		require.Equal(t, byTenantKind(dry)[free.tenant.ID], byTenantKind(rep)[free.tenant.ID])
		require.Equal(t, byTenantKind(dry)[pro.tenant.ID], byTenantKind(rep)[pro.tenant.ID])

		wantLeft := allRows()
		for _, k := range []string{"executions", "outbox", "messages"} {
			wantLeft[k] -= oldExecutions
		}
		wantLeft["steps"] -= 2 * oldExecutions
		wantLeft["events"] -= oldEvents
		wantLeft["audit"] -= oldAudit
		require.Equal(t, wantLeft, remaining(t, ctx, raw, free), "FREE: old finished history gone; recent, unfinished and the contact stay")
		require.Equal(t, allRows(), remaining(t, ctx, raw, pro), "PRO keeps same-age rows")

		// Batches of 2: FREE 5 executions → 2+2+1, 5 events → 2+2+1, 3
		// audit entries → 2+1; PRO one empty batch per kind.
		batches := map[uuid.UUID]map[retention.Kind]int{}
		for _, c := range rep.Counts {
			if batches[c.TenantID] == nil {
				batches[c.TenantID] = map[retention.Kind]int{}
			}
			if c.Batches > 0 {
				batches[c.TenantID][c.Kind] = c.Batches
			}
		}
		require.Equal(t, map[retention.Kind]int{retention.KindExecutions: 3, retention.KindEvents: 3, retention.KindAudit: 2}, batches[free.tenant.ID])
		require.Equal(t, map[retention.Kind]int{retention.KindExecutions: 1, retention.KindEvents: 1, retention.KindAudit: 1}, batches[pro.tenant.ID])
		// One write transaction per batch, and per tenant one that folds
		// its analytics before the executions go.
		require.EqualValues(t, 8+3+2, st.writes.Load(), "one write transaction per batch and fold")
		require.Equal(t, 8+3, rep.Batches())

		// Nothing is left to prune: a dry run finds nothing.
		again, err := p.Prune(ctx, retention.RunOptions{DryRun: true})
		require.NoError(t, err)
		for _, c := range again.Counts {
			require.Zero(t, c.Rows, "%s %s", c.Plan, c.Kind)
		}
	})
}

func TestPruneOneTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		a := seed(t, ctx, st, domain.PlanFree)
		b := seed(t, ctx, st, domain.PlanFree)
		p := retention.New(st, retention.Options{Pause: -1, Now: func() time.Time { return time.Now().Add(clockShift) }})
		rep, err := p.Prune(ctx, retention.RunOptions{TenantID: a.tenant.ID})
		require.NoError(t, err)
		require.Equal(t, int64(oldExecutions), rep.Total(retention.KindExecutions))
		require.Equal(t, allRows(), remaining(t, ctx, st, b), "another tenant is not touched")
		require.Less(t, remaining(t, ctx, st, a)["executions"], allRows()["executions"])

		_, err = p.Prune(ctx, retention.RunOptions{TenantID: domain.NewID()})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestPruneOverrides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		pro := seed(t, ctx, st, domain.PlanPro)
		forever := time.Duration(0)
		short := 5 * 24 * time.Hour
		p := retention.New(st, retention.Options{Pause: -1, Now: func() time.Time { return time.Now().Add(clockShift) },
			Overrides: retention.Overrides{Executions: &short, Audit: &forever}})
		rep, err := p.Prune(ctx, retention.RunOptions{})
		require.NoError(t, err)
		got := byTenantKind(rep)[pro.tenant.ID]
		require.Equal(t, int64(oldExecutions), got[retention.KindExecutions], "overridden: 5 days")
		require.Zero(t, got[retention.KindEvents], "PRO's own 180 days")
		_, listed := got[retention.KindAudit]
		require.False(t, listed, "audit kept forever is not pruned at all")
	})
}

func TestAgesFor(t *testing.T) {
	t.Parallel()
	a, err := retention.Overrides{}.AgesFor(domain.PlanFree)
	require.NoError(t, err)
	require.Equal(t, retention.Ages{Executions: 7 * 24 * time.Hour, Events: 30 * 24 * time.Hour, Audit: 30 * 24 * time.Hour}, a)
	_, err = retention.Overrides{}.AgesFor("GOLD")
	require.Error(t, err)
}
