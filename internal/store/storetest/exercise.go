package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// exerciseCase is one subtest of the conformance suite.
type exerciseCase struct {
	name string
	fn   func(t *testing.T, f *fixture)
}

// Exercise runs the conformance suite: every method of store.Store and
// store.Tx, tenant isolation (a row of another tenant is never read,
// updated or deleted: ErrNotFound), conflict and stale errors, pagination
// and filters, and transactional job inserts. Each subtest runs in
// parallel on its own store from newStore, which must build it with this
// package's options (so the suite's job worker is registered), as SQLite
// and Postgres do.
func Exercise(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	var cases []exerciseCase
	cases = append(cases, storeCases()...)
	cases = append(cases, accountCases()...)
	cases = append(cases, workflowCases()...)
	cases = append(cases, executionCases()...)
	cases = append(cases, funnelCases()...)
	cases = append(cases, analyticsCases()...)
	cases = append(cases, outboxCases()...)
	cases = append(cases, outboxGoneCases()...)
	cases = append(cases, jobCases()...)
	cases = append(cases, cronCases()...)
	cases = append(cases, batchCases()...)
	cases = append(cases, credentialCases()...)
	cases = append(cases, aiCases()...)
	cases = append(cases, contactImportCases()...)
	cases = append(cases, contactCases()...)
	cases = append(cases, eventCases()...)
	cases = append(cases, journeyEntryCases()...)
	cases = append(cases, journeyEntryKeyCases()...)
	cases = append(cases, journeyEntryGoneCases()...)
	cases = append(cases, channelCases()...)
	cases = append(cases, messageCostCases()...)
	cases = append(cases, segmentCases()...)
	cases = append(cases, broadcastCases()...)
	cases = append(cases, textCases()...)
	cases = append(cases, testRunCases()...)
	cases = append(cases, retentionCases()...)
	cases = append(cases, usageCases()...)
	cases = append(cases, nodeCases()...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, setup(t, newStore(t)))
		})
	}
}

// fixture is what a conformance subtest starts with: a store holding two
// tenants and a user who is a member of neither.
type fixture struct {
	ctx     context.Context
	s       store.Store
	tenantA *domain.Tenant
	tenantB *domain.Tenant
	user    *domain.User
}

func setup(t *testing.T, s store.Store) *fixture {
	t.Helper()
	f := &fixture{ctx: context.Background(), s: s}
	f.system(t, func(tx store.Tx) {
		var err error
		f.tenantA, err = tx.TenantInsert(f.ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme", Plan: domain.PlanPro})
		require.NoError(t, err)
		f.tenantB, err = tx.TenantInsert(f.ctx, &store.TenantInsertParams{Name: "Bravo", Slug: "bravo", Plan: domain.PlanFree})
		require.NoError(t, err)
		f.user, err = tx.UserInsert(f.ctx, &store.UserInsertParams{Email: "ada@example.com", Name: "Ada", PasswordHash: "hash"})
		require.NoError(t, err)
	})
	return f
}

// system runs fn in a read-write transaction as the system (uuid.Nil) and
// requires it to commit.
func (f *fixture) system(t *testing.T, fn func(tx store.Tx)) {
	t.Helper()
	f.in(t, uuid.Nil, fn)
}

// in runs fn in a read-write transaction of tenantID and requires it to
// commit.
func (f *fixture) in(t *testing.T, tenantID uuid.UUID, fn func(tx store.Tx)) {
	t.Helper()
	require.NoError(t, f.s.InTx(f.ctx, tenantID, func(tx store.Tx) error {
		fn(tx)
		return nil
	}))
}

// read runs fn in a read-only transaction of tenantID.
func (f *fixture) read(t *testing.T, tenantID uuid.UUID, fn func(tx store.Tx)) {
	t.Helper()
	require.NoError(t, f.s.Read(f.ctx, tenantID, func(tx store.Tx) error {
		fn(tx)
		return nil
	}))
}

// newUser inserts another user.
func (f *fixture) newUser(t *testing.T, email string) *domain.User {
	t.Helper()
	var u *domain.User
	f.system(t, func(tx store.Tx) {
		var err error
		u, err = tx.UserInsert(f.ctx, &store.UserInsertParams{Email: email, Name: email, PasswordHash: "hash"})
		require.NoError(t, err)
	})
	return u
}

const testDefinition = `{"nodes": [{"id": "start", "type": "trigger.manual", "config": {}, "position": {"x": 0, "y": 0}}], "edges": []}`

// newWorkflow inserts a workflow of the tenant.
func (f *fixture) newWorkflow(t *testing.T, tenantID uuid.UUID, name string) *domain.Workflow {
	t.Helper()
	var wf *domain.Workflow
	f.in(t, tenantID, func(tx store.Tx) {
		var err error
		wf, err = tx.WorkflowInsert(f.ctx, &store.WorkflowInsertParams{
			TenantID: tenantID, Name: name, Definition: json.RawMessage(testDefinition), CreatedBy: &f.user.ID,
		})
		require.NoError(t, err)
	})
	return wf
}

// newVersion publishes the next version of a workflow.
func (f *fixture) newVersion(t *testing.T, wf *domain.Workflow) *domain.WorkflowVersion {
	t.Helper()
	var v *domain.WorkflowVersion
	f.in(t, wf.TenantID, func(tx store.Tx) {
		n, err := tx.WorkflowVersionMax(f.ctx, wf.TenantID, wf.ID)
		require.NoError(t, err)
		v, err = tx.WorkflowVersionInsert(f.ctx, &store.WorkflowVersionInsertParams{
			TenantID: wf.TenantID, WorkflowID: wf.ID, Version: n + 1, Definition: json.RawMessage(testDefinition),
		})
		require.NoError(t, err)
	})
	return v
}

// newExecution starts an execution of a published version; mod may change
// the parameters first.
func (f *fixture) newExecution(t *testing.T, v *domain.WorkflowVersion, mod func(p *store.ExecutionInsertParams)) *domain.Execution {
	t.Helper()
	p := &store.ExecutionInsertParams{
		TenantID:      v.TenantID,
		WorkflowID:    v.WorkflowID,
		VersionID:     v.ID,
		Version:       v.Version,
		Status:        domain.ExecutionPending,
		TriggerType:   "trigger.manual",
		Context:       json.RawMessage(`{"trigger": {"type": "manual"}}`),
		CurrentNodeID: "start",
	}
	if mod != nil {
		mod(p)
	}
	var e *domain.Execution
	f.in(t, v.TenantID, func(tx store.Tx) {
		var err error
		e, err = tx.ExecutionInsert(f.ctx, p)
		require.NoError(t, err)
	})
	return e
}

// newStep records a step of an execution.
func (f *fixture) newStep(t *testing.T, e *domain.Execution, seq int, nodeID string, status domain.StepStatus) *domain.Step {
	t.Helper()
	var st *domain.Step
	f.in(t, e.TenantID, func(tx store.Tx) {
		var err error
		st, err = tx.StepInsert(f.ctx, &store.StepInsertParams{
			TenantID: e.TenantID, ExecutionID: e.ID, Seq: seq, NodeID: nodeID, NodeType: "condition",
			Status: status, Attempt: 1, Input: json.RawMessage(`{"seq": ` + fmt.Sprint(seq) + `}`), StartedAt: ts(),
		})
		require.NoError(t, err)
	})
	return st
}

// chain is a workflow of tenant with one published version and one execution.
type chain struct {
	wf *domain.Workflow
	v  *domain.WorkflowVersion
	e  *domain.Execution
}

func (f *fixture) newChain(t *testing.T, tenantID uuid.UUID) chain {
	t.Helper()
	wf := f.newWorkflow(t, tenantID, "Welcome")
	v := f.newVersion(t, wf)
	return chain{wf: wf, v: v, e: f.newExecution(t, v, nil)}
}

// ts is now in the precision both backends keep (microseconds, UTC).
func ts() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// requireJSON asserts two JSON documents are equal, ignoring formatting
// (PostgreSQL's jsonb reformats documents).
func requireJSON(t *testing.T, want string, got json.RawMessage) {
	t.Helper()
	require.JSONEq(t, want, string(got))
}

func storeCases() []exerciseCase {
	return []exerciseCase{
		{"StoreBasics", func(t *testing.T, f *fixture) {
			require.Contains(t, []string{store.DialectSQLite, store.DialectPostgres}, f.s.Dialect())
			require.NoError(t, f.s.Ping(f.ctx))

			st, err := f.s.MigrationStatus(f.ctx)
			require.NoError(t, err)
			require.True(t, st.UpToDate, "%+v", st)
			require.True(t, st.RiverOK)
			require.Positive(t, st.Latest)
			require.Equal(t, st.Latest, st.Current)

			// Migrating a migrated store changes nothing.
			require.NoError(t, f.s.Migrate(f.ctx))
			st2, err := f.s.MigrationStatus(f.ctx)
			require.NoError(t, err)
			require.Equal(t, st, st2)
		}},
		{"InTxRollsBackOnError", func(t *testing.T, f *fixture) {
			boom := fmt.Errorf("boom")
			err := f.s.InTx(f.ctx, uuid.Nil, func(tx store.Tx) error {
				_, err := tx.TenantInsert(f.ctx, &store.TenantInsertParams{Name: "Gone", Slug: "gone", Plan: domain.PlanFree})
				require.NoError(t, err)
				return boom
			})
			require.ErrorIs(t, err, boom)
			f.read(t, uuid.Nil, func(tx store.Tx) {
				_, err := tx.TenantGetBySlug(f.ctx, "gone")
				require.ErrorIs(t, err, store.ErrNotFound)
			})
		}},
		{"ReadSeesCommittedRowsAndRefusesWrites", func(t *testing.T, f *fixture) {
			f.read(t, uuid.Nil, func(tx store.Tx) {
				got, err := tx.TenantGetByID(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Equal(t, f.tenantA, got)
			})
			err := f.s.Read(f.ctx, uuid.Nil, func(tx store.Tx) error {
				_, err := tx.TenantInsert(f.ctx, &store.TenantInsertParams{Name: "No", Slug: "no", Plan: domain.PlanFree})
				return err
			})
			require.Error(t, err)
			f.read(t, uuid.Nil, func(tx store.Tx) {
				_, err := tx.TenantGetBySlug(f.ctx, "no")
				require.ErrorIs(t, err, store.ErrNotFound)
			})
		}},
		{"ReadDoesNotWaitForWriter", func(t *testing.T, f *fixture) {
			// A read completes while a write transaction is open.
			release := make(chan struct{})
			writing := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
					if _, err := tx.TenantUpdate(f.ctx, &store.TenantUpdateParams{ID: f.tenantA.ID, Name: "Acme 2", Plan: domain.PlanPro}); err != nil {
						return err
					}
					close(writing)
					<-release
					return nil
				})
			}()
			<-writing
			ctx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
			defer cancel()
			require.NoError(t, f.s.Read(ctx, uuid.Nil, func(tx store.Tx) error {
				got, err := tx.TenantGetByID(ctx, f.tenantA.ID)
				if err != nil {
					return err
				}
				require.Equal(t, "Acme", got.Name, "the open write is not visible")
				return nil
			}))
			close(release)
			require.NoError(t, <-done)
		}},
	}
}
