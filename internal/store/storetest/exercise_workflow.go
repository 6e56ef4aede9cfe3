package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func workflowCases() []exerciseCase {
	return []exerciseCase{
		{"Workflow/InsertGetUpdateDraftSetActiveDelete", func(t *testing.T, f *fixture) {
			wf := f.newWorkflow(t, f.tenantA.ID, "Welcome")
			require.Equal(t, f.tenantA.ID, wf.TenantID)
			require.Equal(t, "Welcome", wf.Name)
			requireJSON(t, testDefinition, wf.Definition)
			require.EqualValues(t, 1, wf.Revision)
			require.False(t, wf.IsActive)
			require.Nil(t, wf.CurrentVersionID)
			require.Zero(t, wf.CurrentVersion)
			require.Equal(t, &f.user.ID, wf.CreatedBy)
			other := f.newWorkflow(t, f.tenantB.ID, "Other")

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.WorkflowGetByID(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Equal(t, wf.ID, got.ID)
				require.Equal(t, wf.CreatedAt, got.CreatedAt)
				info, err := tx.WorkflowGetStartInfo(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Equal(t, store.WorkflowStartInfo{ID: wf.ID, TenantID: f.tenantA.ID}, *info, "inactive, never published")

				upd, err := tx.WorkflowUpdateDraft(f.ctx, &store.WorkflowUpdateDraftParams{
					TenantID: f.tenantA.ID, ID: wf.ID, ExpectedRevision: 1,
					Name: "Welcome v2", Description: "Says hello", Definition: json.RawMessage(`{"nodes": [], "edges": []}`),
				})
				require.NoError(t, err)
				require.EqualValues(t, 2, upd.Revision)
				require.Equal(t, "Welcome v2", upd.Name)
				require.Equal(t, "Says hello", upd.Description)
				requireJSON(t, `{"nodes": [], "edges": []}`, upd.Definition)

				// Tenant A's ID never reaches tenant B's workflow.
				_, err = tx.WorkflowGetByID(f.ctx, f.tenantA.ID, other.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.WorkflowSetActive(f.ctx, f.tenantA.ID, other.ID, true)
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.WorkflowDelete(f.ctx, f.tenantA.ID, other.ID), store.ErrNotFound)

				act, err := tx.WorkflowSetActive(f.ctx, f.tenantA.ID, wf.ID, true)
				require.NoError(t, err)
				require.True(t, act.IsActive)
				require.EqualValues(t, 2, act.Revision, "activation is not a draft edit")

				active, err := tx.WorkflowListActive(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Len(t, active, 1)
				require.Equal(t, wf.ID, active[0].ID)

				act, err = tx.WorkflowSetActive(f.ctx, f.tenantA.ID, wf.ID, false)
				require.NoError(t, err)
				require.False(t, act.IsActive)
				active, err = tx.WorkflowListActive(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Empty(t, active)
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				got, err := tx.WorkflowGetByID(f.ctx, f.tenantB.ID, other.ID)
				require.NoError(t, err)
				require.Equal(t, "Other", got.Name)
				require.EqualValues(t, 1, got.Revision)
				require.False(t, got.IsActive)
				_, err = tx.WorkflowSetActive(f.ctx, f.tenantB.ID, other.ID, true)
				require.NoError(t, err)
			})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				active, err := tx.WorkflowListActive(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Empty(t, active, "another tenant's active workflow is not listed")
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				require.NoError(t, tx.WorkflowDelete(f.ctx, f.tenantA.ID, wf.ID))
				_, err := tx.WorkflowGetByID(f.ctx, f.tenantA.ID, wf.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.WorkflowDelete(f.ctx, f.tenantA.ID, wf.ID), store.ErrNotFound)
			})
		}},
		{"WorkflowUpdateDraft/StaleRevisionIsErrStale", func(t *testing.T, f *fixture) {
			wf := f.newWorkflow(t, f.tenantA.ID, "Welcome")
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.WorkflowUpdateDraft(f.ctx, &store.WorkflowUpdateDraftParams{
					TenantID: f.tenantA.ID, ID: wf.ID, ExpectedRevision: 1, Name: "Welcome v2", Definition: json.RawMessage(`{}`),
				})
				require.NoError(t, err)
				_, err = tx.WorkflowUpdateDraft(f.ctx, &store.WorkflowUpdateDraftParams{
					TenantID: f.tenantA.ID, ID: wf.ID, ExpectedRevision: 1, Name: "lost", Definition: json.RawMessage(`{}`),
				})
				require.ErrorIs(t, err, store.ErrStale)
				require.NotErrorIs(t, err, store.ErrNotFound)
			})
		}},
		{"WorkflowUpdateDraft/MissingIsErrNotFoundNotStale", func(t *testing.T, f *fixture) {
			other := f.newWorkflow(t, f.tenantB.ID, "Other")
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				// Tenant A's ID never reaches tenant B's workflow, and a
				// missing workflow is not a stale one.
				_, err := tx.WorkflowUpdateDraft(f.ctx, &store.WorkflowUpdateDraftParams{
					TenantID: f.tenantA.ID, ID: other.ID, ExpectedRevision: 1, Name: "x", Definition: json.RawMessage(`{}`),
				})
				require.ErrorIs(t, err, store.ErrNotFound)
				require.NotErrorIs(t, err, store.ErrStale)
			})
		}},
		{"WorkflowDelete/TakesExecutionsAndSteps", func(t *testing.T, f *fixture) {
			gone, kept := f.newChain(t, f.tenantA.ID), f.newChain(t, f.tenantA.ID)
			for seq := 1; seq <= 3; seq++ {
				f.newStep(t, gone.e, seq, "n", domain.StepCompleted)
				f.newStep(t, kept.e, seq, "n", domain.StepCompleted)
			}
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				require.NoError(t, tx.WorkflowDelete(f.ctx, f.tenantA.ID, gone.wf.ID))
				_, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, gone.e.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				steps, err := tx.StepListByExecution(f.ctx, f.tenantA.ID, gone.e.ID)
				require.NoError(t, err)
				require.Empty(t, steps, "steps go with their execution")
				steps, err = tx.StepListByExecution(f.ctx, f.tenantA.ID, kept.e.ID)
				require.NoError(t, err)
				require.Len(t, steps, 3, "another workflow's steps stay")
			})
		}},
		{"WorkflowList/SearchFilterAndPages", func(t *testing.T, f *fixture) {
			var ids []string
			for i, name := range []string{"Welcome series", "Cart abandoned", "WELCOME back", "Winback", "Newsletter"} {
				wf := f.newWorkflow(t, f.tenantA.ID, name)
				ids = append(ids, wf.ID.String())
				if i%2 == 0 {
					f.in(t, f.tenantA.ID, func(tx store.Tx) {
						_, err := tx.WorkflowSetActive(f.ctx, f.tenantA.ID, wf.ID, true)
						require.NoError(t, err)
					})
				}
			}
			f.newWorkflow(t, f.tenantB.ID, "Welcome of B")
			names := func(wfs []domain.Workflow) []string {
				out := []string{}
				for _, wf := range wfs {
					out = append(out, wf.Name)
				}
				return out
			}
			yes, no := true, false
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				all, err := tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantA.ID})
				require.NoError(t, err)
				require.Equal(t, []string{"Newsletter", "Winback", "WELCOME back", "Cart abandoned", "Welcome series"}, names(all), "newest first")

				got, err := tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantA.ID, Search: "welcome"})
				require.NoError(t, err)
				require.Equal(t, []string{"WELCOME back", "Welcome series"}, names(got), "search is a case-insensitive substring")
				got, err = tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantA.ID, Search: "BACK"})
				require.NoError(t, err)
				require.Equal(t, []string{"Winback", "WELCOME back"}, names(got))
				got, err = tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantA.ID, Search: "%"})
				require.NoError(t, err)
				require.Empty(t, got, "search text is literal")

				got, err = tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantA.ID, Active: &yes})
				require.NoError(t, err)
				require.Equal(t, []string{"Newsletter", "WELCOME back", "Welcome series"}, names(got))
				got, err = tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantA.ID, Active: &no})
				require.NoError(t, err)
				require.Equal(t, []string{"Winback", "Cart abandoned"}, names(got))
				got, err = tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantA.ID, Active: &yes, Search: "welcome"})
				require.NoError(t, err)
				require.Equal(t, []string{"WELCOME back", "Welcome series"}, names(got))

				page1, err := tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantA.ID, Limit: 2})
				require.NoError(t, err)
				require.Equal(t, []string{"Newsletter", "Winback"}, names(page1))
				page2, err := tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantA.ID, Limit: 2, Before: page1[1].ID})
				require.NoError(t, err)
				require.Equal(t, []string{"WELCOME back", "Cart abandoned"}, names(page2))
				page3, err := tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantA.ID, Limit: 2, Before: page2[1].ID})
				require.NoError(t, err)
				require.Equal(t, []string{"Welcome series"}, names(page3))
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				got, err := tx.WorkflowList(f.ctx, &store.WorkflowListParams{TenantID: f.tenantB.ID})
				require.NoError(t, err)
				require.Equal(t, []string{"Welcome of B"}, names(got))
			})
		}},
		{"WorkflowVersion/InsertGetListMaxSetCurrent", func(t *testing.T, f *fixture) {
			wf := f.newWorkflow(t, f.tenantA.ID, "Welcome")
			otherWF := f.newWorkflow(t, f.tenantB.ID, "Other")
			otherV := f.newVersion(t, otherWF)
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				n, err := tx.WorkflowVersionMax(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Zero(t, n)
				vs, err := tx.WorkflowVersionList(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Empty(t, vs)
			})
			v1 := f.newVersion(t, wf)
			v2 := f.newVersion(t, wf)
			require.Equal(t, 1, v1.Version)
			require.Equal(t, 2, v2.Version)
			require.Equal(t, wf.ID, v1.WorkflowID)
			require.Equal(t, f.tenantA.ID, v1.TenantID)
			requireJSON(t, testDefinition, v1.Definition)

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				n, err := tx.WorkflowVersionMax(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Equal(t, 2, n)

				got, err := tx.WorkflowVersionGetByID(f.ctx, f.tenantA.ID, v1.ID)
				require.NoError(t, err)
				require.Equal(t, v1.ID, got.ID)
				require.Equal(t, 1, got.Version)
				requireJSON(t, testDefinition, got.Definition)
				got, err = tx.WorkflowVersionGetByNumber(f.ctx, f.tenantA.ID, wf.ID, 2)
				require.NoError(t, err)
				require.Equal(t, v2.ID, got.ID)
				_, err = tx.WorkflowVersionGetByNumber(f.ctx, f.tenantA.ID, wf.ID, 3)
				require.ErrorIs(t, err, store.ErrNotFound)

				vs, err := tx.WorkflowVersionList(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Len(t, vs, 2)
				require.Equal(t, v2.ID, vs[0].ID, "newest first")
				require.Equal(t, 2, vs[0].Version)
				require.Equal(t, v1.ID, vs[1].ID)
				require.Empty(t, vs[0].Definition, "listed without definitions")

				_, err = tx.WorkflowVersionInsert(f.ctx, &store.WorkflowVersionInsertParams{
					TenantID: f.tenantA.ID, WorkflowID: wf.ID, Version: 2, Definition: json.RawMessage(`{}`),
				})
				require.ErrorIs(t, err, store.ErrConflict)
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				cur, err := tx.WorkflowSetCurrentVersion(f.ctx, f.tenantA.ID, wf.ID, v2.ID, v2.Version)
				require.NoError(t, err)
				require.Equal(t, &v2.ID, cur.CurrentVersionID)
				require.Equal(t, 2, cur.CurrentVersion)
				got, err := tx.WorkflowGetByID(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Equal(t, &v2.ID, got.CurrentVersionID)
				_, err = tx.WorkflowSetActive(f.ctx, f.tenantA.ID, wf.ID, true)
				require.NoError(t, err)
				info, err := tx.WorkflowGetStartInfo(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Equal(t, store.WorkflowStartInfo{ID: wf.ID, TenantID: f.tenantA.ID, IsActive: true,
					CurrentVersionID: &v2.ID, CurrentVersion: 2}, *info)
				_, err = tx.WorkflowGetStartInfo(f.ctx, f.tenantA.ID, otherWF.ID)
				require.ErrorIs(t, err, store.ErrNotFound, "another tenant's workflow")
				_, err = tx.WorkflowGetStartInfo(f.ctx, f.tenantA.ID, domain.NewID())
				require.ErrorIs(t, err, store.ErrNotFound)

				// Tenant A's ID never reaches tenant B's versions.
				_, err = tx.WorkflowVersionGetByID(f.ctx, f.tenantA.ID, otherV.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.WorkflowVersionGetByNumber(f.ctx, f.tenantA.ID, otherWF.ID, 1)
				require.ErrorIs(t, err, store.ErrNotFound)
				vs, err := tx.WorkflowVersionList(f.ctx, f.tenantA.ID, otherWF.ID)
				require.NoError(t, err)
				require.Empty(t, vs)
				n, err := tx.WorkflowVersionMax(f.ctx, f.tenantA.ID, otherWF.ID)
				require.NoError(t, err)
				require.Zero(t, n)
				_, err = tx.WorkflowSetCurrentVersion(f.ctx, f.tenantA.ID, otherWF.ID, otherV.ID, 1)
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			// A version cannot be filed under another tenant's workflow.
			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.WorkflowVersionInsert(f.ctx, &store.WorkflowVersionInsertParams{
					TenantID: f.tenantA.ID, WorkflowID: otherWF.ID, Version: 7, Definition: json.RawMessage(`{}`),
				})
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
			// Nor can a workflow point at another workflow's version.
			err = f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.WorkflowSetCurrentVersion(f.ctx, f.tenantA.ID, wf.ID, otherV.ID, 1)
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				n, err := tx.WorkflowVersionMax(f.ctx, f.tenantB.ID, otherWF.ID)
				require.NoError(t, err)
				require.Equal(t, 1, n)
			})
		}},
		{"CronJob/UpsertGetListUpdateDelete", func(t *testing.T, f *fixture) {
			wf := f.newWorkflow(t, f.tenantA.ID, "Daily")
			otherWF := f.newWorkflow(t, f.tenantB.ID, "Other")
			next := ts().Add(time.Hour)
			var cj, cjB *domain.CronJob
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				cj, err = tx.CronJobUpsert(f.ctx, &store.CronJobUpsertParams{
					TenantID: f.tenantA.ID, WorkflowID: wf.ID, NodeID: "cron", Schedule: "0 9 * * 1-5",
					Timezone: "Europe/Berlin", MissedRuns: domain.MissedRunsSkip, IsActive: true, NextRunAt: &next,
				})
				require.NoError(t, err)
				require.Equal(t, wf.ID, cj.WorkflowID)
				require.Equal(t, "cron", cj.NodeID)
				require.Equal(t, "0 9 * * 1-5", cj.Schedule)
				require.Equal(t, "Europe/Berlin", cj.Timezone)
				require.Equal(t, domain.MissedRunsSkip, cj.MissedRuns)
				require.True(t, cj.IsActive)
				require.Equal(t, &next, cj.NextRunAt)
				require.Nil(t, cj.LastRunAt)

				// Upserting the same node replaces the schedule, keeping the row.
				next2 := next.Add(time.Hour)
				again, err := tx.CronJobUpsert(f.ctx, &store.CronJobUpsertParams{
					TenantID: f.tenantA.ID, WorkflowID: wf.ID, NodeID: "cron", Schedule: "*/5 * * * *",
					Timezone: "UTC", MissedRuns: domain.MissedRunsCatchUp, IsActive: false, NextRunAt: &next2,
				})
				require.NoError(t, err)
				require.Equal(t, cj.ID, again.ID)
				require.Equal(t, "*/5 * * * *", again.Schedule)
				require.Equal(t, "UTC", again.Timezone)
				require.Equal(t, domain.MissedRunsCatchUp, again.MissedRuns)
				require.False(t, again.IsActive)
				require.Equal(t, &next2, again.NextRunAt)
				cj = again

				second, err := tx.CronJobUpsert(f.ctx, &store.CronJobUpsertParams{
					TenantID: f.tenantA.ID, WorkflowID: wf.ID, NodeID: "another", Schedule: "@hourly",
					Timezone: "UTC", MissedRuns: domain.MissedRunsSkip, IsActive: true,
				})
				require.NoError(t, err)
				require.Nil(t, second.NextRunAt)

				list, err := tx.CronJobList(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Len(t, list, 2)
				byWF, err := tx.CronJobListByWorkflow(f.ctx, f.tenantA.ID, wf.ID)
				require.NoError(t, err)
				require.Len(t, byWF, 2)

				got, err := tx.CronJobGetByID(f.ctx, f.tenantA.ID, cj.ID)
				require.NoError(t, err)
				require.Equal(t, cj, got)

				last := ts()
				upd, err := tx.CronJobUpdate(f.ctx, &store.CronJobUpdateParams{
					TenantID: f.tenantA.ID, ID: cj.ID, Schedule: "0 * * * *", Timezone: "Asia/Tokyo",
					MissedRuns: domain.MissedRunsSkip, IsActive: true, LastRunAt: &last, NextRunAt: nil,
				})
				require.NoError(t, err)
				require.Equal(t, "0 * * * *", upd.Schedule)
				require.Equal(t, "Asia/Tokyo", upd.Timezone)
				require.True(t, upd.IsActive)
				require.Equal(t, &last, upd.LastRunAt)
				require.Nil(t, upd.NextRunAt)

				require.NoError(t, tx.CronJobDelete(f.ctx, f.tenantA.ID, second.ID))
				_, err = tx.CronJobGetByID(f.ctx, f.tenantA.ID, second.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.CronJobDelete(f.ctx, f.tenantA.ID, second.ID), store.ErrNotFound)
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				var err error
				cjB, err = tx.CronJobUpsert(f.ctx, &store.CronJobUpsertParams{
					TenantID: f.tenantB.ID, WorkflowID: otherWF.ID, NodeID: "cron", Schedule: "@daily",
					Timezone: "UTC", MissedRuns: domain.MissedRunsSkip, IsActive: true,
				})
				require.NoError(t, err)
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				// Tenant A's ID never reaches tenant B's schedules.
				_, err := tx.CronJobGetByID(f.ctx, f.tenantA.ID, cjB.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.CronJobUpdate(f.ctx, &store.CronJobUpdateParams{
					TenantID: f.tenantA.ID, ID: cjB.ID, Schedule: "x", Timezone: "UTC", MissedRuns: domain.MissedRunsSkip,
				})
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.CronJobDelete(f.ctx, f.tenantA.ID, cjB.ID), store.ErrNotFound)
				byWF, err := tx.CronJobListByWorkflow(f.ctx, f.tenantA.ID, otherWF.ID)
				require.NoError(t, err)
				require.Empty(t, byWF)
				list, err := tx.CronJobList(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Len(t, list, 1)
			})
			// A schedule cannot be filed under another tenant's workflow.
			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.CronJobUpsert(f.ctx, &store.CronJobUpsertParams{
					TenantID: f.tenantA.ID, WorkflowID: otherWF.ID, NodeID: "sneaky", Schedule: "@daily",
					Timezone: "UTC", MissedRuns: domain.MissedRunsSkip, IsActive: true,
				})
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				got, err := tx.CronJobGetByID(f.ctx, f.tenantB.ID, cjB.ID)
				require.NoError(t, err)
				require.Equal(t, "@daily", got.Schedule)
				// Deleting the workflow deletes its schedules.
				require.NoError(t, tx.WorkflowDelete(f.ctx, f.tenantB.ID, otherWF.ID))
				_, err = tx.CronJobGetByID(f.ctx, f.tenantB.ID, cjB.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
			})
		}},
	}
}
