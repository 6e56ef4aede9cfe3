package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func utcDay(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// dayCounts sums execution days by day, so expectations written per
// execution compare with what the store returns.
func dayCounts(days []store.ExecutionDay) map[time.Time]store.ExecutionDay {
	out := map[time.Time]store.ExecutionDay{}
	for _, d := range days {
		out[d.Day] = d
	}
	return out
}

func analyticsCases() []exerciseCase {
	return []exerciseCase{
		{"AnalyticsExecutionDays/RollupLiveAndPruneAgree", func(t *testing.T, f *fixture) {
			now := time.Now().UTC()
			at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
			wf := f.newWorkflow(t, f.tenantA.ID, "Days")
			v := f.newVersion(t, wf)
			other := f.newVersion(t, f.newWorkflow(t, f.tenantA.ID, "Other"))
			exec := func(v *domain.WorkflowVersion, st domain.ExecutionStatus, finished *time.Time) *domain.Execution {
				return f.newExecution(t, v, func(p *store.ExecutionInsertParams) { p.Status = st; p.FinishedAt = finished })
			}
			// Folded by a rollup through now-1h: finished before it.
			e1 := exec(v, domain.ExecutionCompleted, at(-3*time.Hour))
			e2 := exec(v, domain.ExecutionFailed, at(-2*time.Hour))
			e6 := exec(other, domain.ExecutionCompleted, at(-3*time.Hour))
			// Live: finished after the watermark, or not finished.
			e3 := exec(v, domain.ExecutionCancelled, at(-10*time.Minute))
			exec(v, domain.ExecutionWaiting, nil)
			exec(v, domain.ExecutionRunning, nil)
			exec(v, domain.ExecutionPending, nil)
			// Never counted: a test run, tenant B's execution.
			tr := exec(v, domain.ExecutionCompleted, at(-3*time.Hour))
			f.in(t, f.tenantA.ID, func(tx store.Tx) { require.NoError(t, tx.ExecutionMarkTest(f.ctx, f.tenantA.ID, tr.ID)) })
			b := f.newChain(t, f.tenantB.ID)
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.ExecutionInsert(f.ctx, &store.ExecutionInsertParams{
					TenantID: f.tenantB.ID, WorkflowID: b.wf.ID, VersionID: b.v.ID, Version: b.v.Version,
					Status: domain.ExecutionCompleted, TriggerType: "trigger.manual", Context: json.RawMessage(`{}`),
					CurrentNodeID: "start", FinishedAt: at(-3 * time.Hour),
				})
				require.NoError(t, err)
			})

			// Expected by hand, per day: every execution of wf was created
			// now (started on its creation day); finishes on their days.
			want := map[time.Time]store.ExecutionDay{}
			add := func(day time.Time, fn func(d *store.ExecutionDay)) {
				d := want[utcDay(day)]
				d.Day = utcDay(day)
				fn(&d)
				want[d.Day] = d
			}
			for _, e := range []*domain.Execution{e1, e2, e3} {
				add(e.CreatedAt, func(d *store.ExecutionDay) { d.Started++ })
			}
			add(now, func(d *store.ExecutionDay) { d.Started += 3 }) // waiting, running, pending (created ~now)
			add(*e1.FinishedAt, func(d *store.ExecutionDay) { d.Completed++ })
			add(*e2.FinishedAt, func(d *store.ExecutionDay) { d.Failed++ })
			add(*e3.FinishedAt, func(d *store.ExecutionDay) { d.Cancelled++ })
			wantAll := map[time.Time]store.ExecutionDay{}
			for k, d := range want {
				wantAll[k] = d
			}
			for _, fn := range []func(d *store.ExecutionDay){func(d *store.ExecutionDay) { d.Started++ }} {
				d := wantAll[utcDay(e6.CreatedAt)]
				d.Day = utcDay(e6.CreatedAt)
				fn(&d)
				wantAll[d.Day] = d
			}
			d := wantAll[utcDay(*e6.FinishedAt)]
			d.Day = utcDay(*e6.FinishedAt)
			d.Completed++
			wantAll[d.Day] = d

			from, to := utcDay(now).AddDate(0, 0, -2), utcDay(now).AddDate(0, 0, 1)
			one := &store.AnalyticsPeriodParams{TenantID: f.tenantA.ID, WorkflowID: wf.ID, From: from, To: to}
			all := &store.AnalyticsPeriodParams{TenantID: f.tenantA.ID, From: from, To: to}
			check := func(stage string) {
				t.Helper()
				f.read(t, f.tenantA.ID, func(tx store.Tx) {
					days, err := tx.AnalyticsExecutionDays(f.ctx, one)
					require.NoError(t, err)
					require.Equal(t, want, dayCounts(days), stage+": one workflow")
					days, err = tx.AnalyticsExecutionDays(f.ctx, all)
					require.NoError(t, err)
					require.Equal(t, wantAll, dayCounts(days), stage+": all workflows")
					n, err := tx.AnalyticsExecutionsNow(f.ctx, one)
					require.NoError(t, err)
					require.Equal(t, store.ExecutionsNow{Running: 2, Waiting: 1}, n, stage)
				})
			}
			check("before any rollup (all live)")

			through := now.Add(-time.Hour)
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.AnalyticsRollup(f.ctx, f.tenantA.ID, store.AnalyticsWatermark{ExecutionsThrough: through, MessagesThrough: utcDay(now)})
				require.NoError(t, err)
				require.Equal(t, int64(3), got.Executions, "e1, e2 and the other workflow's e6; not the test run, not tenant B's")
			})
			check("after the rollup")
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				w, err := tx.AnalyticsWatermarkGet(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.WithinDuration(t, through, w.ExecutionsThrough, time.Millisecond)
			})

			// Folding again up to the same point, or an earlier one, folds nothing.
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.AnalyticsRollup(f.ctx, f.tenantA.ID, store.AnalyticsWatermark{ExecutionsThrough: through.Add(-time.Hour), MessagesThrough: utcDay(now)})
				require.NoError(t, err)
				require.Zero(t, got.Executions)
			})
			check("after a repeated rollup")

			// Retention prunes the folded executions: the days stay counted.
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				c, err := tx.ExecutionPrune(f.ctx, f.tenantA.ID, through, 100)
				require.NoError(t, err)
				require.Equal(t, int64(4), c.Executions, "e1, e2, e6 and the test run")
			})
			check("after pruning the folded executions")

			// Another tenant sees none of it, and an unknown workflow nothing.
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				days, err := tx.AnalyticsExecutionDays(f.ctx, &store.AnalyticsPeriodParams{TenantID: f.tenantB.ID, WorkflowID: wf.ID, From: from, To: to})
				require.NoError(t, err)
				require.Empty(t, days)
			})
		}},
		{"AnalyticsMessageDays/RollupAndLiveByQueuedDay", func(t *testing.T, f *fixture) {
			today := utcDay(time.Now())
			wf := f.newWorkflow(t, f.tenantA.ID, "Mail")
			wid := wf.ID
			msg := func(ch domain.ChannelKind, queued time.Time, workflow *uuid.UUID, statuses ...domain.MessageStatus) {
				m := f.newMessage(t, f.tenantA.ID, func(p *store.MessageInsertParams) { p.Channel = ch; p.At = queued; p.WorkflowID = workflow })
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					for i, st := range statuses {
						at := queued.Add(time.Duration(i+1) * time.Minute)
						if st == domain.MessageSent {
							_, err := tx.MessageMarkSent(f.ctx, &store.MessageMarkSentParams{TenantID: f.tenantA.ID, ID: m.ID, ProviderMessageID: domain.NewID().String(), At: at})
							require.NoError(t, err)
							continue
						}
						_, moved, err := tx.MessageAdvance(f.ctx, &store.MessageAdvanceParams{TenantID: f.tenantA.ID, ID: m.ID, Status: st, At: at})
						require.NoError(t, err)
						require.True(t, moved, st)
					}
				})
			}
			d3, d1 := today.AddDate(0, 0, -3).Add(9*time.Hour), today.AddDate(0, 0, -1).Add(9*time.Hour)
			// Three days ago (folded): email sent→delivered→read, sent→bounced, failed; whatsapp sent.
			msg(domain.ChannelEmail, d3, &wid, domain.MessageSent, domain.MessageDelivered, domain.MessageRead)
			msg(domain.ChannelEmail, d3, &wid, domain.MessageSent, domain.MessageBounced)
			msg(domain.ChannelEmail, d3, &wid, domain.MessageFailed)
			msg(domain.ChannelWhatsApp, d3, nil, domain.MessageSent)
			// Yesterday (live): email sent→delivered, queued only.
			msg(domain.ChannelEmail, d1, &wid, domain.MessageSent, domain.MessageDelivered)
			msg(domain.ChannelEmail, d1, &wid)
			// A skipped message is not counted.
			f.newMessage(t, f.tenantA.ID, func(p *store.MessageInsertParams) {
				p.Channel = domain.ChannelEmail
				p.At = d1
				p.Status = domain.MessageSkipped
				p.WorkflowID = &wid
			})
			// Tenant B's message is not counted.
			f.newMessage(t, f.tenantB.ID, func(p *store.MessageInsertParams) { p.Channel = domain.ChannelEmail; p.At = d1 })

			day3, day1 := today.AddDate(0, 0, -3), today.AddDate(0, 0, -1)
			wantAll := []store.MessageDay{
				{Day: day3, Channel: "email", Total: 3, Sent: 2, Delivered: 1, Read: 1, Failed: 1, Bounced: 1},
				{Day: day3, Channel: "whatsapp", Total: 1, Sent: 1},
				{Day: day1, Channel: "email", Total: 2, Sent: 1, Delivered: 1},
			}
			p := &store.AnalyticsPeriodParams{TenantID: f.tenantA.ID, From: today.AddDate(0, 0, -7), To: today.AddDate(0, 0, 1)}
			pw := *p
			pw.WorkflowID = wf.ID
			pc := *p
			pc.Channel = "whatsapp"
			check := func(stage string) {
				t.Helper()
				f.read(t, f.tenantA.ID, func(tx store.Tx) {
					days, err := tx.AnalyticsMessageDays(f.ctx, p)
					require.NoError(t, err)
					require.Equal(t, wantAll, days, stage)
					days, err = tx.AnalyticsMessageDays(f.ctx, &pw)
					require.NoError(t, err)
					require.Equal(t, []store.MessageDay{wantAll[0], wantAll[2]}, days, stage+": one workflow")
					days, err = tx.AnalyticsMessageDays(f.ctx, &pc)
					require.NoError(t, err)
					require.Equal(t, []store.MessageDay{wantAll[1]}, days, stage+": one channel")
				})
			}
			check("live")
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.AnalyticsRollup(f.ctx, f.tenantA.ID, store.AnalyticsWatermark{MessagesThrough: today.AddDate(0, 0, -2)})
				require.NoError(t, err)
				require.Equal(t, int64(4), got.Messages, "the four messages of three days ago")
			})
			check("after the rollup")
		}},
		{"AnalyticsSplitVariants/CountsMatchByHand", func(t *testing.T, f *fixture) {
			wf := f.newWorkflow(t, f.tenantA.ID, "AB")
			v := f.newVersion(t, wf)
			from := utcDay(time.Now())
			goal := "order.completed"
			run := func(st domain.ExecutionStatus, contact *domain.Contact, variant, end string) *domain.Execution {
				e := f.newExecution(t, v, func(p *store.ExecutionInsertParams) {
					p.Status = st
					if st.Terminal() {
						done := time.Now().UTC()
						p.FinishedAt = &done
					}
					if contact != nil {
						p.ContactID = &contact.ID
					}
				})
				steps := []store.StepInsertParams{
					{NodeID: "start", NodeType: "trigger.manual"},
					{NodeID: "ab", NodeType: "split", Handle: variant},
				}
				if end != "" {
					steps = append(steps, store.StepInsertParams{NodeID: end, NodeType: "end"})
				}
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					for i, s := range steps {
						s.TenantID, s.ExecutionID, s.Seq, s.Status, s.Attempt, s.Input, s.StartedAt = f.tenantA.ID, e.ID, i+1, domain.StepCompleted, 1, json.RawMessage(`{}`), ts()
						_, err := tx.StepInsert(f.ctx, &s)
						require.NoError(t, err)
					}
				})
				return e
			}
			c1, c2, c3 := eventContact(t, f, f.tenantA.ID, "c1"), eventContact(t, f, f.tenantA.ID, "c2"), eventContact(t, f, f.tenantA.ID, "c3")
			a1 := run(domain.ExecutionCompleted, c1, "A", "done")
			run(domain.ExecutionCompleted, c2, "A", "done")
			run(domain.ExecutionFailed, nil, "A", "")
			b1 := run(domain.ExecutionCompleted, c3, "B", "other_end")
			run(domain.ExecutionWaiting, nil, "B", "")
			// c1 converts 1h after entry; c3 converts after the 72h window;
			// c2 had the event before entering and another name after.
			insertEvents(t, f, f.tenantA.ID,
				store.EventInsert{ContactID: c1.ID, Name: goal, OccurredAt: a1.CreatedAt.Add(time.Hour), MessageID: "m1"},
				store.EventInsert{ContactID: c3.ID, Name: goal, OccurredAt: b1.CreatedAt.Add(73 * time.Hour), MessageID: "m2"},
				store.EventInsert{ContactID: c2.ID, Name: goal, OccurredAt: a1.CreatedAt.Add(-time.Hour), MessageID: "m3"},
				store.EventInsert{ContactID: c2.ID, Name: "page.viewed", OccurredAt: a1.CreatedAt.Add(time.Hour), MessageID: "m4"},
			)
			p := &store.AnalyticsGoalParams{TenantID: f.tenantA.ID, WorkflowID: wf.ID, From: from, To: from.AddDate(0, 0, 1),
				SplitType: "split", EndType: "end", Goal: goal, Within: 72 * time.Hour}
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.AnalyticsSplitVariants(f.ctx, p)
				require.NoError(t, err)
				require.Equal(t, []store.SplitVariantCount{
					{NodeID: "ab", Variant: "A", Entered: 3, Completed: 2, Failed: 1, Converted: 1, Ends: map[string]int64{"done": 2}},
					{NodeID: "ab", Variant: "B", Entered: 2, Completed: 1, Converted: 0, Ends: map[string]int64{"other_end": 1}},
				}, got)

				conv, err := tx.AnalyticsConversion(f.ctx, p)
				require.NoError(t, err)
				require.Equal(t, []store.ConversionDay{{Day: utcDay(a1.CreatedAt), Entries: 5, Converted: 1}}, conv.Days)
				require.InDelta(t, 3600, conv.MedianSeconds, 1)

				// A longer window takes c3 in: median of 1h and 73h.
				long := *p
				long.Within = 96 * time.Hour
				conv, err = tx.AnalyticsConversion(f.ctx, &long)
				require.NoError(t, err)
				require.Equal(t, int64(2), conv.Days[0].Converted)
				require.InDelta(t, 37*3600, conv.MedianSeconds, 1)
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				q := *p
				q.TenantID = f.tenantB.ID
				got, err := tx.AnalyticsSplitVariants(f.ctx, &q)
				require.NoError(t, err)
				require.Empty(t, got)
			})
		}},
		{"AnalyticsConversion/RollupAndLiveEqualAllLiveAcrossWatermarks", func(t *testing.T, f *fixture) {
			now := time.Now().UTC()
			at := func(d time.Duration) time.Time { return now.Add(d) }
			wf := f.newWorkflow(t, f.tenantA.ID, "Goals")
			v := f.newVersion(t, wf)
			goal := "order.completed"
			c1, c2 := eventContact(t, f, f.tenantA.ID, "g1"), eventContact(t, f, f.tenantA.ID, "g2")
			c3, c4 := eventContact(t, f, f.tenantA.ID, "g3"), eventContact(t, f, f.tenantA.ID, "g4")
			// Through1 = now+2h folds e1, e2, e3 and e6; through2 = now+6h
			// also e5. e4 and e7 wait (their split steps are folded as
			// pending ones); e7 passed the split twice the same way.
			run := func(st domain.ExecutionStatus, finished time.Duration, c *domain.Contact, variant, end string) *domain.Execution {
				return splitRun(t, f, v, st, finished, c, variant, end)
			}
			run(domain.ExecutionCompleted, time.Minute, c1, "A", "done")      // e1
			e2 := run(domain.ExecutionFailed, time.Minute, c2, "B", "")       // e2
			run(domain.ExecutionCompleted, time.Minute, nil, "A", "done")     // e3: no contact
			e4 := run(domain.ExecutionWaiting, 0, c3, "A", "")                // e4
			run(domain.ExecutionCompleted, 3*time.Hour, c1, "B", "other_end") // e5
			run(domain.ExecutionCompleted, time.Minute, c4, "B", "done")      // e6
			e7 := run(domain.ExecutionWaiting, 0, nil, "A", "")               // e7
			addStep(t, f, e7, 3, "loop", "condition", "")
			addStep(t, f, e7, 4, "ab", "split", "A")
			insertEvents(t, f, f.tenantA.ID,
				// Received before through1: folded with e1 (first 1h).
				store.EventInsert{ContactID: c1.ID, Name: goal, OccurredAt: at(time.Hour), ReceivedAt: at(time.Hour), MessageID: "g-1"},
				// Received later but earlier than it: e1's and e5's first is 30m.
				store.EventInsert{ContactID: c1.ID, Name: goal, OccurredAt: at(30 * time.Minute), ReceivedAt: at(4 * time.Hour), MessageID: "g-2"},
				// e2 converts after 5h through an event received after through1.
				store.EventInsert{ContactID: c2.ID, Name: goal, OccurredAt: at(5 * time.Hour), ReceivedAt: at(5 * time.Hour), MessageID: "g-3"},
				store.EventInsert{ContactID: c3.ID, Name: goal, OccurredAt: at(2 * time.Hour), ReceivedAt: at(2 * time.Hour), MessageID: "g-4"},
				store.EventInsert{ContactID: c2.ID, Name: "other", OccurredAt: at(10 * time.Minute), ReceivedAt: at(10 * time.Minute), MessageID: "g-5"},
				// e6 converts only in a window over 100h; received after through2.
				store.EventInsert{ContactID: c4.ID, Name: goal, OccurredAt: at(100 * time.Hour), ReceivedAt: at(5*time.Hour + 30*time.Minute), MessageID: "g-6"},
			)
			from := utcDay(now)
			p := func(goal string, within time.Duration) *store.AnalyticsGoalParams {
				return &store.AnalyticsGoalParams{TenantID: f.tenantA.ID, WorkflowID: wf.ID, From: from, To: from.AddDate(0, 0, 1),
					SplitType: "split", EndType: "end", Goal: goal, Within: within}
			}
			params := []*store.AnalyticsGoalParams{p(goal, 72*time.Hour), p(goal, 101*time.Hour), p("other", 72*time.Hour), p("", 72*time.Hour), p(goal, time.Hour)}
			type result struct {
				Splits     []store.SplitVariantCount
				Conversion store.Conversion
			}
			read := func() []result {
				var out []result
				f.read(t, f.tenantA.ID, func(tx store.Tx) {
					for _, q := range params {
						sv, err := tx.AnalyticsSplitVariants(f.ctx, q)
						require.NoError(t, err)
						var c store.Conversion
						if q.Goal != "" {
							c, err = tx.AnalyticsConversion(f.ctx, q)
							require.NoError(t, err)
						}
						out = append(out, result{sv, c})
					}
				})
				return out
			}
			live := read()
			// By hand, goal within 72h: e1 and e5 (30m), e2 (5h), e4 (2h).
			require.Equal(t, []store.SplitVariantCount{
				{NodeID: "ab", Variant: "A", Entered: 4, Completed: 2, Converted: 2, Ends: map[string]int64{"done": 2}},
				{NodeID: "ab", Variant: "B", Entered: 3, Completed: 2, Failed: 1, Converted: 2, Ends: map[string]int64{"other_end": 1, "done": 1}},
			}, live[0].Splits)
			require.Equal(t, []store.ConversionDay{{Day: from, Entries: 7, Converted: 4}}, live[0].Conversion.Days)
			require.InDelta(t, 1.25*3600, live[0].Conversion.MedianSeconds, 5, "median of 30m, 30m, 2h, 5h")
			require.Equal(t, int64(5), live[1].Conversion.Days[0].Converted, "e6 within 101h")
			require.InDelta(t, 2*3600, live[1].Conversion.MedianSeconds, 5)
			require.Equal(t, int64(1), live[2].Conversion.Days[0].Converted, "e2 had other after 10m")
			require.InDelta(t, 600, live[2].Conversion.MedianSeconds, 5)
			require.Equal(t, int64(2), live[4].Conversion.Days[0].Converted, "e1 and e5 within 1h")

			fold := func(through time.Time) {
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					_, err := tx.AnalyticsRollup(f.ctx, f.tenantA.ID, store.AnalyticsWatermark{ExecutionsThrough: through, MessagesThrough: utcDay(now)})
					require.NoError(t, err)
				})
			}
			fold(at(2 * time.Hour))
			require.Equal(t, live, read(), "rollup through now+2h and the rest live")
			fold(at(6 * time.Hour))
			require.Equal(t, live, read(), "rollup through now+6h and the rest live")
			fold(at(6 * time.Hour))
			require.Equal(t, live, read(), "after a repeated fold")

			// A goal event received now, after both watermarks, counts at once.
			insertEvents(t, f, f.tenantA.ID, store.EventInsert{ContactID: c4.ID, Name: goal, OccurredAt: at(20 * time.Minute), ReceivedAt: at(7 * time.Hour), MessageID: "g-7"})
			got := read()
			require.Equal(t, int64(5), got[0].Conversion.Days[0].Converted, "e6 converts after 20m")
			require.Equal(t, int64(3), got[0].Splits[1].Converted, "B: e2, e5, e6")
			require.InDelta(t, 1800, got[4].Conversion.MedianSeconds, 5, "within 1h: 20m, 30m and 30m")

			// e2 (failed, folded) is retried: it leaves the rollups in the
			// retry's transaction. e4 (its split folded as pending) ends.
			// Every count moves by exactly that, folded or not.
			want := read()
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				folded, err := tx.AnalyticsUnfoldExecution(f.ctx, f.tenantA.ID, e2.ID)
				require.NoError(t, err)
				require.True(t, folded)
				require.NoError(t, tx.ExecutionUpdate(f.ctx, &store.ExecutionUpdateParams{TenantID: f.tenantA.ID, ID: e2.ID,
					Status: domain.ExecutionPending, Context: json.RawMessage(`{}`), CurrentNodeID: "ab", Token: 1, StepCount: 2}))
				folded, err = tx.AnalyticsUnfoldExecution(f.ctx, f.tenantA.ID, e4.ID)
				require.NoError(t, err)
				require.False(t, folded, "e4 is not finished")
			})
			finish := func(e *domain.Execution, st domain.ExecutionStatus, at time.Time, end string, seq int) {
				addStep(t, f, e, seq, end, "end", "")
				f.in(t, f.tenantA.ID, func(tx store.Tx) {
					require.NoError(t, tx.ExecutionUpdate(f.ctx, &store.ExecutionUpdateParams{TenantID: f.tenantA.ID, ID: e.ID,
						Status: st, Context: json.RawMessage(`{}`), CurrentNodeID: end, Token: 2, StepCount: seq, FinishedAt: &at}))
				})
			}
			finish(e4, domain.ExecutionCompleted, at(7*time.Hour), "done", 3)
			for i := range want {
				if len(want[i].Splits) == 0 {
					continue
				}
				a, b := &want[i].Splits[0], &want[i].Splits[1]
				require.Equal(t, "A", a.Variant)
				a.Completed++
				a.Ends["done"]++
				b.Failed--
				require.Equal(t, got[i].Conversion, want[i].Conversion, "conversions as before")
			}
			require.Equal(t, []store.SplitVariantCount{
				{NodeID: "ab", Variant: "A", Entered: 4, Completed: 3, Ends: map[string]int64{"done": 3}},
				{NodeID: "ab", Variant: "B", Entered: 3, Completed: 2, Ends: map[string]int64{"other_end": 1, "done": 1}},
			}, want[3].Splits, "by hand, no goal")
			require.Equal(t, want, read(), "e2 retried, e4 ended, live")
			fold(at(9 * time.Hour))
			require.Equal(t, want, read(), "e2 retried, e4 ended, folded through now+9h")

			// e2 completes; its split variant leaves the pending rollup.
			finish(e2, domain.ExecutionCompleted, at(10*time.Hour), "done", 3)
			for i := range want {
				if len(want[i].Splits) > 0 {
					want[i].Splits[1].Completed++
					want[i].Splits[1].Ends["done"]++
				}
			}
			require.Equal(t, want, read(), "e2 completed, live")
			fold(at(11 * time.Hour))
			require.Equal(t, want, read(), "e2 completed, folded through now+11h")
		}},
	}
}

// addStep inserts a completed step of e.
func addStep(t *testing.T, f *fixture, e *domain.Execution, seq int, node, nodeType, handle string) {
	t.Helper()
	f.in(t, e.TenantID, func(tx store.Tx) {
		_, err := tx.StepInsert(f.ctx, &store.StepInsertParams{TenantID: e.TenantID, ExecutionID: e.ID, Seq: seq, NodeID: node,
			NodeType: nodeType, Handle: handle, Status: domain.StepCompleted, Attempt: 1, Input: json.RawMessage(`{}`), StartedAt: ts()})
		require.NoError(t, err)
	})
}

// splitRun inserts an execution of v that took variant of the A/B split
// "ab" (and reached end when set), finished finished after now when its
// status is terminal.
func splitRun(t *testing.T, f *fixture, v *domain.WorkflowVersion, st domain.ExecutionStatus, finished time.Duration, contact *domain.Contact, variant, end string) *domain.Execution {
	t.Helper()
	e := f.newExecution(t, v, func(p *store.ExecutionInsertParams) {
		p.Status = st
		if st.Terminal() {
			done := time.Now().UTC().Add(finished)
			p.FinishedAt = &done
		}
		if contact != nil {
			p.ContactID = &contact.ID
		}
	})
	steps := []store.StepInsertParams{
		{NodeID: "start", NodeType: "trigger.manual"},
		{NodeID: "ab", NodeType: "split", Handle: variant},
	}
	if end != "" {
		steps = append(steps, store.StepInsertParams{NodeID: end, NodeType: "end"})
	}
	f.in(t, v.TenantID, func(tx store.Tx) {
		for i, s := range steps {
			s.TenantID, s.ExecutionID, s.Seq, s.Status, s.Attempt, s.Input, s.StartedAt = v.TenantID, e.ID, i+1, domain.StepCompleted, 1, json.RawMessage(`{}`), ts()
			_, err := tx.StepInsert(f.ctx, &s)
			require.NoError(t, err)
		}
	})
	return e
}
