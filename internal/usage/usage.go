// Package usage meters what a tenant uses against its plan (package plan)
// and refuses what would pass a limit, inside the transaction that writes
// it, so a refusal writes nothing:
//
//   - Monthly quantities (executions, messages) are counters in the
//     tenant_usage table, taken with a conditional upsert (Take): two
//     transactions never both take the last unit.
//   - Quantities of rows that exist (active workflows, workflows,
//     contacts, members) are counted from those rows under a per-tenant
//     lock row (Hold), so concurrent creators check one at a time.
//
// A refusal is a *plan.LimitError; the API answers it 402.
package usage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// limitOf maps each metered quantity to the plan limit that bounds it.
var limitOf = map[store.UsageCounter]plan.Limit{
	store.UsageExecutions:      plan.LimitExecutionsPerMonth,
	store.UsageMessages:        plan.LimitMessagesPerMonth,
	store.UsageActiveWorkflows: plan.LimitActiveWorkflows,
	store.UsageWorkflows:       plan.LimitWorkflows,
	store.UsageContacts:        plan.LimitContacts,
	store.UsageMembers:         plan.LimitMembers,
}

// Options configure a Meter.
type Options struct {
	// Clock returns the current time (time.Now); the month is taken in UTC.
	Clock func() time.Time
	// PlanCacheTTL is how long Plan keeps a tenant's plan (15 s).
	PlanCacheTTL time.Duration
}

// Meter takes and checks usage against the tenants' plans. It is safe for
// concurrent use.
type Meter struct {
	st    store.Store
	clock func() time.Time
	ttl   time.Duration

	mu    sync.Mutex
	plans map[uuid.UUID]cachedPlan
}

type cachedPlan struct {
	plan domain.Plan
	at   time.Time
}

// maxCachedPlans bounds Plan's cache; past it the cache starts over.
const maxCachedPlans = 100_000

// New returns a Meter over st.
func New(st store.Store, opts Options) *Meter {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.PlanCacheTTL <= 0 {
		opts.PlanCacheTTL = 15 * time.Second
	}
	return &Meter{st: st, clock: opts.Clock, ttl: opts.PlanCacheTTL, plans: map[uuid.UUID]cachedPlan{}}
}

// limitsTx reads the tenant's plan in tx and returns its limits.
func limitsTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID) (plan.Limits, error) {
	t, err := tx.TenantGetByID(ctx, tenantID)
	if err != nil {
		return plan.Limits{}, fmt.Errorf("read the plan of tenant %s: %w", tenantID, err)
	}
	return plan.For(t.Plan)
}

// Take adds n to a monthly counter (executions, messages) of the current
// month in tx, or returns a *plan.LimitError and adds nothing when that
// would pass the tenant's plan.
func (m *Meter) Take(ctx context.Context, tx store.Tx, tenantID uuid.UUID, counter store.UsageCounter, n int) error {
	name, ok := limitOf[counter]
	if !ok || (counter != store.UsageExecutions && counter != store.UsageMessages) {
		return fmt.Errorf("take usage %q: not a monthly counter", counter)
	}
	if n <= 0 {
		return nil
	}
	l, err := limitsTx(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	value, _ := l.Count(name)
	used, allowed, err := tx.UsageAdd(ctx, &store.UsageAddParams{
		TenantID: tenantID, Period: store.UsagePeriod(m.clock()), Counter: counter, N: int64(n), Limit: int64(value),
	})
	if err != nil {
		return fmt.Errorf("take %d %s: %w", n, counter, err)
	}
	if !allowed {
		return &plan.LimitError{Plan: l.Plan, Limit: name, Value: int64(value), Usage: used, Requested: int64(n)}
	}
	return nil
}

// Hold checks in tx that the tenant may have n more of a counted quantity
// (active workflows, workflows, contacts, members) than exist now, under
// the tenant's lock of that quantity, which it holds until tx ends; else
// it returns a *plan.LimitError. Call it before inserting the rows with
// their n, or after writing them with n = 0 (an upsert that may or may not
// have created one): either way a concurrent creator sees them before it
// decides.
func (m *Meter) Hold(ctx context.Context, tx store.Tx, tenantID uuid.UUID, counter store.UsageCounter, n int) error {
	name, ok := limitOf[counter]
	if !ok || counter == store.UsageExecutions || counter == store.UsageMessages {
		return fmt.Errorf("hold usage %q: not a counted quantity", counter)
	}
	l, err := limitsTx(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	value, _ := l.Count(name)
	if value == plan.Unlimited {
		return nil
	}
	if err := tx.UsageLock(ctx, tenantID, counter); err != nil {
		return err
	}
	count, err := tx.UsageCount(ctx, tenantID, counter, m.clock())
	if err != nil {
		return err
	}
	if !plan.Allows(value, int(count), n) {
		return &plan.LimitError{Plan: l.Plan, Limit: name, Value: int64(value), Usage: count, Requested: int64(n)}
	}
	return nil
}

// Created checks in tx, after n rows of a counted quantity were written
// (an upsert that turned out to create them), that the count with them is
// within the plan, under the same lock as Hold; else it returns a
// *plan.LimitError whose Usage is the count without them, and the caller
// rolls the rows back.
func (m *Meter) Created(ctx context.Context, tx store.Tx, tenantID uuid.UUID, counter store.UsageCounter, n int) error {
	err := m.Hold(ctx, tx, tenantID, counter, 0)
	var le *plan.LimitError
	if errors.As(err, &le) {
		le.Usage = max(le.Usage-int64(n), 0)
		le.Requested = int64(n)
	}
	return err
}

// Executions takes n executions of the current month (the engine's start
// hook: test runs are not passed to it).
func (m *Meter) Executions(ctx context.Context, tx store.Tx, tenantID uuid.UUID, n int) error {
	return m.Take(ctx, tx, tenantID, store.UsageExecutions, n)
}

// Messages takes n channel messages of the current month (the senders'
// hook, called just before a message is recorded queued): a refusal is a
// *plan.LimitError, which the senders turn into a skipped step.
func (m *Meter) Messages(ctx context.Context, tx store.Tx, tenantID uuid.UUID, n int) error {
	return m.Take(ctx, tx, tenantID, store.UsageMessages, n)
}

// AITokens returns a *plan.LimitError when the tenant's AI tokens of the
// current month (in plus out, every AI call) have reached its plan's
// ceiling (the AI steps' hook, before any provider call). A workspace's
// own budget (AI settings) may be lower; this is the plan's.
func (m *Meter) AITokens(ctx context.Context, tx store.Tx, tenantID uuid.UUID) error {
	l, err := limitsTx(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	if l.AITokensPerMonth == plan.Unlimited {
		return nil
	}
	now := m.clock().UTC()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	totals, err := tx.AIUsageTotals(ctx, tenantID, start, start.AddDate(0, 1, 0))
	if err != nil {
		return fmt.Errorf("read this month's AI usage of tenant %s: %w", tenantID, err)
	}
	var used int64
	for _, t := range totals {
		used += t.TokensIn + t.TokensOut
	}
	if used >= int64(l.AITokensPerMonth) {
		return &plan.LimitError{Plan: l.Plan, Limit: plan.LimitAITokensPerMonth, Value: int64(l.AITokensPerMonth), Usage: used}
	}
	return nil
}

// Contacts checks, after an upsert of many contacts created n of them, that
// the tenant's contacts are within its plan (the events API's and the CSV
// import's hook; see Created).
func (m *Meter) Contacts(ctx context.Context, tx store.Tx, tenantID uuid.UUID, n int) error {
	if n <= 0 {
		return nil
	}
	return m.Created(ctx, tx, tenantID, store.UsageContacts, n)
}

// Members holds one more member (an invitation) to the plan (the
// accounts service's invitation hook).
func (m *Meter) Members(ctx context.Context, tx store.Tx, tenantID uuid.UUID) error {
	return m.Hold(ctx, tx, tenantID, store.UsageMembers, 1)
}

// MinScheduleInterval is the shortest interval between two runs of a
// schedule the tenant's plan allows (the cron scheduler's hook).
func (m *Meter) MinScheduleInterval(ctx context.Context, tx store.Tx, tenantID uuid.UUID) (time.Duration, error) {
	l, err := limitsTx(ctx, tx, tenantID)
	if err != nil {
		return 0, err
	}
	return l.MinScheduleInterval, nil
}

// Plan returns a tenant's plan, read at most once per PlanCacheTTL (the
// API rate limit asks on every request). A plan changed through
// SetPlan on this node is seen at once; on other nodes within the TTL.
func (m *Meter) Plan(ctx context.Context, tenantID uuid.UUID) (domain.Plan, error) {
	now := m.clock()
	m.mu.Lock()
	c, ok := m.plans[tenantID]
	m.mu.Unlock()
	if ok && now.Sub(c.at) < m.ttl {
		return c.plan, nil
	}
	var p domain.Plan
	err := m.st.Read(ctx, tenantID, func(tx store.Tx) error {
		t, err := tx.TenantGetByID(ctx, tenantID)
		if err != nil {
			return err
		}
		p = t.Plan
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read the plan of tenant %s: %w", tenantID, err)
	}
	m.remember(tenantID, p, now)
	return p, nil
}

func (m *Meter) remember(tenantID uuid.UUID, p domain.Plan, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.plans) >= maxCachedPlans {
		clear(m.plans)
	}
	m.plans[tenantID] = cachedPlan{plan: p, at: at}
}

// SetPlan changes a tenant's plan in tx. Nothing is deleted when the new
// plan is smaller: what passes its limits stays, and creating more is
// refused until usage is back under them.
func (m *Meter) SetPlan(ctx context.Context, tx store.Tx, tenantID uuid.UUID, p domain.Plan) (*domain.Tenant, error) {
	if !p.Valid() {
		return nil, fmt.Errorf("unknown plan %q", p)
	}
	t, err := tx.TenantGetByID(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("read tenant %s: %w", tenantID, err)
	}
	t, err = tx.TenantUpdate(ctx, &store.TenantUpdateParams{ID: tenantID, Name: t.Name, Plan: p})
	if err != nil {
		return nil, fmt.Errorf("set the plan of tenant %s: %w", tenantID, err)
	}
	tx.AfterCommit(func(context.Context) { m.remember(tenantID, p, m.clock()) })
	return t, nil
}

// Item is one limit with the tenant's usage against it.
type Item struct {
	Limit plan.Limit
	// Value is the limit (plan.Unlimited when none).
	Value int64
	// Used is the usage now (this month for monthly limits).
	Used int64
	// Monthly: Used counts this month and starts over on the 1st (UTC).
	Monthly bool
}

// Report is a tenant's usage against its plan.
type Report struct {
	Limits plan.Limits
	// PeriodStart and PeriodEnd bound the current month (UTC), end
	// exclusive.
	PeriodStart, PeriodEnd time.Time
	Items                  []Item
}

// Report reads a tenant's usage of the current month and of what exists,
// against its plan.
func (m *Meter) Report(ctx context.Context, tx store.Tx, tenantID uuid.UUID) (*Report, error) {
	l, err := limitsTx(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	now := m.clock().UTC()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	monthly, err := tx.UsageListByPeriod(ctx, tenantID, store.UsagePeriod(now))
	if err != nil {
		return nil, err
	}
	r := &Report{Limits: l, PeriodStart: start, PeriodEnd: end}
	for _, c := range []store.UsageCounter{store.UsageActiveWorkflows, store.UsageWorkflows, store.UsageExecutions,
		store.UsageContacts, store.UsageMessages, store.UsageMembers} {
		name := limitOf[c]
		value, _ := l.Count(name)
		it := Item{Limit: name, Value: int64(value)}
		if c == store.UsageExecutions || c == store.UsageMessages {
			it.Used, it.Monthly = monthly[c], true
		} else if it.Used, err = tx.UsageCount(ctx, tenantID, c, now); err != nil {
			return nil, err
		}
		r.Items = append(r.Items, it)
	}
	totals, err := tx.AIUsageTotals(ctx, tenantID, start, end)
	if err != nil {
		return nil, fmt.Errorf("read this month's AI usage of tenant %s: %w", tenantID, err)
	}
	var tokens int64
	for _, t := range totals {
		tokens += t.TokensIn + t.TokensOut
	}
	r.Items = append(r.Items, Item{Limit: plan.LimitAITokensPerMonth, Value: int64(l.AITokensPerMonth), Used: tokens, Monthly: true})
	return r, nil
}
