package api

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Analytics limits.
const (
	// AnalyticsMaxDays is the longest period a report covers.
	AnalyticsMaxDays = 400
	// analyticsDefaultDays is the period when from is left out.
	analyticsDefaultDays = 30
	// analyticsDefaultWithin is the conversion window when within is left out.
	analyticsDefaultWithin = "72h"
	// analyticsMaxWithin is the longest conversion window.
	analyticsMaxWithin = store.AnalyticsMaxWithin
)

const dayLayout = "2006-01-02"

// AnalyticsPeriod is a period of whole UTC days, [from, to).
type AnalyticsPeriod struct {
	From string `query:"from" format:"date" doc:"First UTC day of the period (YYYY-MM-DD); 30 days before to when left out"`
	To   string `query:"to" format:"date" doc:"UTC day after the last day of the period (YYYY-MM-DD, exclusive); tomorrow (so today is included) when left out"`
}

// period resolves the period, or a 400 problem naming what is wrong.
func (p AnalyticsPeriod) period(now time.Time) (from, to time.Time, err error) {
	to = now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	if p.To != "" {
		if to, err = time.Parse(dayLayout, p.To); err != nil {
			return from, to, huma.Error400BadRequest("to is not a date (YYYY-MM-DD)",
				&huma.ErrorDetail{Location: "query.to", Message: "invalid date", Value: p.To})
		}
	}
	from = to.AddDate(0, 0, -analyticsDefaultDays)
	if p.From != "" {
		if from, err = time.Parse(dayLayout, p.From); err != nil {
			return from, to, huma.Error400BadRequest("from is not a date (YYYY-MM-DD)",
				&huma.ErrorDetail{Location: "query.from", Message: "invalid date", Value: p.From})
		}
	}
	if !to.After(from) {
		return from, to, huma.Error400BadRequest("the period is empty: to must be after from",
			&huma.ErrorDetail{Location: "query.to", Message: "not after from", Value: p.To})
	}
	if to.Sub(from) > AnalyticsMaxDays*24*time.Hour {
		return from, to, huma.Error400BadRequest("the period is longer than 400 days",
			&huma.ErrorDetail{Location: "query.from", Message: "period over 400 days", Value: p.From})
	}
	return from, to, nil
}

// AnalyticsGoal names a goal event and the window after entry it counts in.
type AnalyticsGoal struct {
	Goal   string `query:"goal" maxLength:"200" doc:"Event name that counts as a conversion"`
	Within string `query:"within" doc:"How long after the execution was created the goal event counts (e.g. 72h, 3d, 1w; at most 90d); 72h when left out"`
}

// window resolves the conversion window, or a 400 problem.
func (g AnalyticsGoal) window() (time.Duration, error) {
	w := g.Within
	if w == "" {
		w = analyticsDefaultWithin
	}
	d, err := workflow.ParseDuration(w)
	if err != nil || d <= 0 || d > analyticsMaxWithin {
		return 0, huma.Error400BadRequest("within must be a duration above 0 and at most 90d (e.g. 72h, 3d)",
			&huma.ErrorDetail{Location: "query.within", Message: "invalid duration", Value: g.Within})
	}
	return d, nil
}

// ExecutionAnalyticsInput is the period and scope of the executions report.
type ExecutionAnalyticsInput struct {
	AnalyticsPeriod
	WorkflowID string `query:"workflowId" format:"uuid" doc:"Only this workflow's executions; all when left out"`
}

// workflowFilter parses an optional workflowId (uuid.Nil when left out),
// or a 400 problem.
func workflowFilter(id string) (uuid.UUID, error) {
	if id == "" {
		return uuid.Nil, nil
	}
	u, err := uuid.Parse(id)
	if err != nil || u == uuid.Nil {
		return uuid.Nil, huma.Error400BadRequest("workflowId is not a workflow ID",
			&huma.ErrorDetail{Location: "query.workflowId", Message: "invalid ID", Value: id})
	}
	return u, nil
}

// ExecutionCountsDTO counts executions by what happened to them.
type ExecutionCountsDTO struct {
	Started   int64 `json:"started" doc:"Executions created"`
	Completed int64 `json:"completed" doc:"Executions that completed"`
	Failed    int64 `json:"failed" doc:"Executions that failed"`
	Cancelled int64 `json:"cancelled" doc:"Executions cancelled"`
}

// ExecutionDayDTO is one UTC day of the executions report.
type ExecutionDayDTO struct {
	Day string `json:"day" format:"date" doc:"UTC day (YYYY-MM-DD)"`
	ExecutionCountsDTO
}

// ExecutionsNowDTO counts the executions not finished at this moment.
type ExecutionsNowDTO struct {
	Running int64 `json:"running" doc:"Executions pending or running now"`
	Waiting int64 `json:"waiting" doc:"Executions waiting (a delay or an event) now"`
}

// ExecutionAnalyticsDTO is the executions report: per UTC day, executions
// started (created) and those that completed, failed or were cancelled
// (counted on the day they did). Test runs are left out.
type ExecutionAnalyticsDTO struct {
	From   string             `json:"from" format:"date"`
	To     string             `json:"to" format:"date" doc:"Exclusive"`
	Days   []ExecutionDayDTO  `json:"days" doc:"Every day of the period, in order, zeros included"`
	Totals ExecutionCountsDTO `json:"totals"`
	Now    ExecutionsNowDTO   `json:"now"`
}

// ExecutionAnalyticsOutput is the executions report.
type ExecutionAnalyticsOutput struct {
	Body ExecutionAnalyticsDTO
}

// MessageAnalyticsInput is the period and scope of the messages report.
type MessageAnalyticsInput struct {
	AnalyticsPeriod
	WorkflowID string `query:"workflowId" format:"uuid" doc:"Only messages sent by this workflow; all when left out"`
	Channel    string `query:"channel" enum:"email,whatsapp,messenger," doc:"Only this channel; all when left out"`
}

// MessageCountsDTO counts messages by the status they reached.
type MessageCountsDTO struct {
	Total     int64 `json:"total" doc:"Messages queued (skipped ones left out)"`
	Sent      int64 `json:"sent" doc:"Messages handed to the provider (sent, or a later status)"`
	Delivered int64 `json:"delivered" doc:"Messages delivered (or read)"`
	Read      int64 `json:"read" doc:"Messages read"`
	Failed    int64 `json:"failed" doc:"Messages that failed"`
	Bounced   int64 `json:"bounced" doc:"Messages that bounced"`
}

// MessageChannelDTO is one channel's totals over the period with rates.
type MessageChannelDTO struct {
	Channel string `json:"channel"`
	MessageCountsDTO
	DeliveryRate float64 `json:"deliveryRate" doc:"delivered / sent (0 when none sent)"`
	ReadRate     float64 `json:"readRate" doc:"read / delivered (0 when none delivered)"`
	FailureRate  float64 `json:"failureRate" doc:"failed / total (0 when none)"`
	BounceRate   float64 `json:"bounceRate" doc:"bounced / sent (0 when none sent)"`
}

// MessageDayDTO is one UTC day and channel of the messages report.
type MessageDayDTO struct {
	Day     string `json:"day" format:"date" doc:"UTC day the messages were queued (YYYY-MM-DD)"`
	Channel string `json:"channel"`
	MessageCountsDTO
}

// MessageAnalyticsDTO is the messages report: messages by the UTC day they
// were queued and channel, counted by the furthest status each reached.
type MessageAnalyticsDTO struct {
	From     string              `json:"from" format:"date"`
	To       string              `json:"to" format:"date" doc:"Exclusive"`
	Channels []MessageChannelDTO `json:"channels" doc:"Per channel with messages in the period, totals and rates"`
	Days     []MessageDayDTO     `json:"days" doc:"Per day and channel with messages, in order"`
}

// MessageAnalyticsOutput is the messages report.
type MessageAnalyticsOutput struct {
	Body MessageAnalyticsDTO
}

// SplitAnalyticsInput names a workflow, a period of entry and an optional
// goal event.
type SplitAnalyticsInput struct {
	ID uuid.UUID `path:"id"`
	AnalyticsPeriod
	AnalyticsGoal
}

// SplitVariantDTO is one variant of a split node.
type SplitVariantDTO struct {
	Name           string           `json:"name"`
	Weight         float64          `json:"weight" doc:"Weight in the current draft (0 for a variant no longer there)"`
	Entered        int64            `json:"entered" doc:"Executions created in the period that took the variant"`
	Completed      int64            `json:"completed" doc:"Of those, executions completed"`
	Failed         int64            `json:"failed" doc:"Of those, executions failed"`
	Converted      int64            `json:"converted" doc:"Of those, executions whose contact had the goal event within the window after entry (0 without a goal)"`
	ConversionRate float64          `json:"conversionRate" doc:"converted / entered (0 when none entered)"`
	Ends           map[string]int64 `json:"ends" doc:"Per end node ID, executions of the variant that reached it"`
}

// SplitDTO is one split node with its variants.
type SplitDTO struct {
	NodeID   string            `json:"nodeId"`
	Label    string            `json:"label"`
	Variants []SplitVariantDTO `json:"variants"`
}

// SplitAnalyticsDTO is the A/B split report of a workflow.
type SplitAnalyticsDTO struct {
	From   string     `json:"from" format:"date"`
	To     string     `json:"to" format:"date" doc:"Exclusive"`
	Goal   string     `json:"goal"`
	Within string     `json:"within"`
	Splits []SplitDTO `json:"splits" doc:"The split nodes of the current draft, then any other split node executions took"`
}

// SplitAnalyticsOutput is the A/B split report.
type SplitAnalyticsOutput struct {
	Body SplitAnalyticsDTO
}

// ConversionAnalyticsInput names a workflow, a period of entry and a goal.
type ConversionAnalyticsInput struct {
	ID uuid.UUID `path:"id"`
	AnalyticsPeriod
	AnalyticsGoal
}

// ConversionDayDTO is one UTC day of entry.
type ConversionDayDTO struct {
	Day       string `json:"day" format:"date"`
	Entries   int64  `json:"entries"`
	Converted int64  `json:"converted"`
}

// ConversionAnalyticsDTO is the conversion report of a workflow.
type ConversionAnalyticsDTO struct {
	From                   string             `json:"from" format:"date"`
	To                     string             `json:"to" format:"date" doc:"Exclusive"`
	Goal                   string             `json:"goal"`
	Within                 string             `json:"within"`
	Entries                int64              `json:"entries" doc:"Executions created in the period (test runs left out)"`
	Converted              int64              `json:"converted" doc:"Of those, executions whose contact had the goal event within the window after entry"`
	Rate                   float64            `json:"rate" doc:"converted / entries (0 when none)"`
	MedianSecondsToConvert float64            `json:"medianSecondsToConvert" doc:"Median time from entry to the first goal event of the converted executions (0 when none)"`
	Days                   []ConversionDayDTO `json:"days" doc:"Every day of the period, in order, zeros included"`
}

// ConversionAnalyticsOutput is the conversion report.
type ConversionAnalyticsOutput struct {
	Body ConversionAnalyticsDTO
}

func rate(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// registerAnalytics registers the tenant's reports.
func (s *Server) registerAnalytics() {
	meta := map[string]any{MetaPermission: PermExecutionsRead}
	tags := []string{"analytics"}
	errs := []int{http.StatusBadRequest, http.StatusNotFound}

	huma.Register(s.api, huma.Operation{
		OperationID: "get-execution-analytics", Method: http.MethodGet, Path: Prefix + "/analytics/executions",
		Summary:     "Executions per UTC day by status over a period, and those running or waiting now",
		Description: "Started counts executions on the day they were created; completed, failed and cancelled on the day they finished. Test runs are left out.",
		Tags:        tags, Metadata: meta, Errors: errs,
	}, func(ctx context.Context, in *ExecutionAnalyticsInput) (*ExecutionAnalyticsOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		from, to, err := in.period(time.Now())
		if err != nil {
			return nil, err
		}
		wid, err := workflowFilter(in.WorkflowID)
		if err != nil {
			return nil, err
		}
		p := &store.AnalyticsPeriodParams{TenantID: c.TenantID, WorkflowID: wid, From: from, To: to}
		var (
			days []store.ExecutionDay
			now  store.ExecutionsNow
		)
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			if wid != uuid.Nil {
				if _, err := tx.WorkflowGetByID(ctx, c.TenantID, wid); err != nil {
					return err
				}
			}
			if days, err = tx.AnalyticsExecutionDays(ctx, p); err != nil {
				return err
			}
			now, err = tx.AnalyticsExecutionsNow(ctx, p)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		out := ExecutionAnalyticsDTO{From: from.Format(dayLayout), To: to.Format(dayLayout),
			Now: ExecutionsNowDTO{Running: now.Running, Waiting: now.Waiting}}
		byDay := make(map[string]store.ExecutionDay, len(days))
		for _, d := range days {
			byDay[d.Day.Format(dayLayout)] = d
		}
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			k := d.Format(dayLayout)
			v := byDay[k]
			row := ExecutionDayDTO{Day: k, ExecutionCountsDTO: ExecutionCountsDTO{Started: v.Started, Completed: v.Completed, Failed: v.Failed, Cancelled: v.Cancelled}}
			out.Days = append(out.Days, row)
			out.Totals.Started += v.Started
			out.Totals.Completed += v.Completed
			out.Totals.Failed += v.Failed
			out.Totals.Cancelled += v.Cancelled
		}
		return &ExecutionAnalyticsOutput{Body: out}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "get-message-analytics", Method: http.MethodGet, Path: Prefix + "/analytics/messages",
		Summary:     "Message delivery by channel over a period: sent, delivered, read, failed, bounced, with rates",
		Description: "Messages count on the UTC day they were queued, by the furthest status each reached. Receipts arriving more than two days after that day are not counted once the day is folded into the rollup.",
		Tags:        tags, Metadata: meta, Errors: errs,
	}, func(ctx context.Context, in *MessageAnalyticsInput) (*MessageAnalyticsOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		from, to, err := in.period(time.Now())
		if err != nil {
			return nil, err
		}
		wid, err := workflowFilter(in.WorkflowID)
		if err != nil {
			return nil, err
		}
		p := &store.AnalyticsPeriodParams{TenantID: c.TenantID, WorkflowID: wid, Channel: in.Channel, From: from, To: to}
		var days []store.MessageDay
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			if wid != uuid.Nil {
				if _, err := tx.WorkflowGetByID(ctx, c.TenantID, wid); err != nil {
					return err
				}
			}
			days, err = tx.AnalyticsMessageDays(ctx, p)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		out := MessageAnalyticsDTO{From: from.Format(dayLayout), To: to.Format(dayLayout),
			Channels: []MessageChannelDTO{}, Days: make([]MessageDayDTO, 0, len(days))}
		totals := map[string]*MessageCountsDTO{}
		for _, d := range days {
			m := MessageCountsDTO{Total: d.Total, Sent: d.Sent, Delivered: d.Delivered, Read: d.Read, Failed: d.Failed, Bounced: d.Bounced}
			out.Days = append(out.Days, MessageDayDTO{Day: d.Day.Format(dayLayout), Channel: d.Channel, MessageCountsDTO: m})
			t := totals[d.Channel]
			if t == nil {
				t = &MessageCountsDTO{}
				totals[d.Channel] = t
			}
			t.Total += m.Total
			t.Sent += m.Sent
			t.Delivered += m.Delivered
			t.Read += m.Read
			t.Failed += m.Failed
			t.Bounced += m.Bounced
		}
		for ch, t := range totals {
			out.Channels = append(out.Channels, MessageChannelDTO{Channel: ch, MessageCountsDTO: *t,
				DeliveryRate: rate(t.Delivered, t.Sent), ReadRate: rate(t.Read, t.Delivered),
				FailureRate: rate(t.Failed, t.Total), BounceRate: rate(t.Bounced, t.Sent)})
		}
		sort.Slice(out.Channels, func(i, j int) bool { return out.Channels[i].Channel < out.Channels[j].Channel })
		return &MessageAnalyticsOutput{Body: out}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "get-workflow-split-analytics", Method: http.MethodGet, Path: Prefix + "/workflows/{id}/analytics/splits",
		Summary:     "A/B split results of a workflow: per split node and variant, executions that took it, completed, failed, reached each end and converted",
		Description: "Counts the executions created in the period (test runs left out). With goal, an execution converted when its contact had an event of that name within `within` after the execution was created.",
		Tags:        tags, Metadata: meta, Errors: errs,
	}, func(ctx context.Context, in *SplitAnalyticsInput) (*SplitAnalyticsOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		from, to, err := in.period(time.Now())
		if err != nil {
			return nil, err
		}
		within, err := in.window()
		if err != nil {
			return nil, err
		}
		p := &store.AnalyticsGoalParams{TenantID: c.TenantID, WorkflowID: in.ID, From: from, To: to,
			SplitType: workflow.TypeSplit, EndType: workflow.TypeEnd, Goal: in.Goal, Within: within}
		var (
			def    json.RawMessage
			counts []store.SplitVariantCount
		)
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			wf, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID)
			if err != nil {
				return err
			}
			def = wf.Definition
			counts, err = tx.AnalyticsSplitVariants(ctx, p)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		out := SplitAnalyticsDTO{From: from.Format(dayLayout), To: to.Format(dayLayout), Goal: in.Goal, Within: within.String(),
			Splits: splitDTOs(def, counts)}
		return &SplitAnalyticsOutput{Body: out}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "get-workflow-conversion-analytics", Method: http.MethodGet, Path: Prefix + "/workflows/{id}/analytics/conversion",
		Summary:     "Conversion of a workflow's entries to a goal event within a window after entry, per UTC day of entry",
		Description: "An entry is an execution created in the period (test runs left out); it converted when its contact had an event named goal within `within` after the execution was created.",
		Tags:        tags, Metadata: meta, Errors: errs,
	}, func(ctx context.Context, in *ConversionAnalyticsInput) (*ConversionAnalyticsOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		from, to, err := in.period(time.Now())
		if err != nil {
			return nil, err
		}
		within, err := in.window()
		if err != nil {
			return nil, err
		}
		p := &store.AnalyticsGoalParams{TenantID: c.TenantID, WorkflowID: in.ID, From: from, To: to, Goal: in.Goal, Within: within}
		var conv store.Conversion
		err = s.deps.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			if _, err := tx.WorkflowGetByID(ctx, c.TenantID, in.ID); err != nil {
				return err
			}
			// After the look-up: another workspace's workflow is a 404
			// whatever the query.
			if in.Goal == "" {
				return huma.Error400BadRequest("goal is required: the name of the event that counts as a conversion",
					&huma.ErrorDetail{Location: "query.goal", Message: "required", Value: in.Goal})
			}
			conv, err = tx.AnalyticsConversion(ctx, p)
			return err
		})
		if err != nil {
			return nil, s.problem(ctx, "workflow", err)
		}
		out := ConversionAnalyticsDTO{From: from.Format(dayLayout), To: to.Format(dayLayout), Goal: in.Goal, Within: within.String(),
			MedianSecondsToConvert: conv.MedianSeconds}
		byDay := make(map[string]store.ConversionDay, len(conv.Days))
		for _, d := range conv.Days {
			byDay[d.Day.Format(dayLayout)] = d
		}
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			k := d.Format(dayLayout)
			v := byDay[k]
			out.Days = append(out.Days, ConversionDayDTO{Day: k, Entries: v.Entries, Converted: v.Converted})
			out.Entries += v.Entries
			out.Converted += v.Converted
		}
		out.Rate = rate(out.Converted, out.Entries)
		return &ConversionAnalyticsOutput{Body: out}, nil
	})
}

// splitDTOs lists the split nodes of the draft definition with their
// variants (names, weights, labels), filled with the counts, then split
// nodes and variants found only in the counts (a version since edited).
func splitDTOs(def json.RawMessage, counts []store.SplitVariantCount) []SplitDTO {
	out := []SplitDTO{}
	at := map[string]int{}
	if d, err := workflow.Parse(def); err == nil {
		for _, n := range d.Nodes {
			if n.Type != workflow.TypeSplit {
				continue
			}
			sd := SplitDTO{NodeID: n.ID, Label: n.Label, Variants: []SplitVariantDTO{}}
			var cfg workflow.SplitConfig
			if json.Unmarshal(n.Config, &cfg) == nil {
				for _, v := range cfg.Variants {
					sd.Variants = append(sd.Variants, SplitVariantDTO{Name: v.Name, Weight: v.Weight, Ends: map[string]int64{}})
				}
			}
			at[n.ID] = len(out)
			out = append(out, sd)
		}
	}
	// Variants only in the counts first, then the counts, by position.
	for _, c := range counts {
		i, ok := at[c.NodeID]
		if !ok {
			i = len(out)
			at[c.NodeID] = i
			out = append(out, SplitDTO{NodeID: c.NodeID, Variants: []SplitVariantDTO{}})
		}
		if variantIndex(out[i].Variants, c.Variant) < 0 {
			out[i].Variants = append(out[i].Variants, SplitVariantDTO{Name: c.Variant, Ends: map[string]int64{}})
		}
	}
	for _, c := range counts {
		i := at[c.NodeID]
		v := &out[i].Variants[variantIndex(out[i].Variants, c.Variant)]
		v.Entered, v.Completed, v.Failed, v.Converted = c.Entered, c.Completed, c.Failed, c.Converted
		v.ConversionRate = rate(c.Converted, c.Entered)
		for end, n := range c.Ends {
			v.Ends[end] = n
		}
	}
	return out
}

func variantIndex(vs []SplitVariantDTO, name string) int {
	for i := range vs {
		if vs[i].Name == name {
			return i
		}
	}
	return -1
}
