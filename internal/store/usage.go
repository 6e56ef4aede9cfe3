package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// UsageCounter names one metered quantity of a tenant's plan.
type UsageCounter string

// The metered quantities. Monthly counters are kept in the tenant_usage
// table per period; the others are counted from the rows that exist.
const (
	// UsageExecutions counts executions started in a month (test runs
	// aside).
	UsageExecutions UsageCounter = "executions"
	// UsageMessages counts channel messages sent in a month.
	UsageMessages UsageCounter = "messages"
	// UsageActiveWorkflows is the number of active workflows.
	UsageActiveWorkflows UsageCounter = "active_workflows"
	// UsageWorkflows is the number of workflows, drafts included.
	UsageWorkflows UsageCounter = "workflows"
	// UsageContacts is the number of contacts.
	UsageContacts UsageCounter = "contacts"
	// UsageMembers is the number of members plus open invitations.
	UsageMembers UsageCounter = "members"
)

// UsageStore meters a tenant's plan usage: monthly counters taken in the
// transaction that writes what they count, and counts of existing rows.
type UsageStore interface {
	// UsageAdd adds p.N to a counter of a period unless the sum would pass
	// p.Limit (negative: no limit). It returns the counter's value after
	// the add, or, refused, its value as it stands and allowed=false, with
	// nothing written. Concurrent adds are serialised on the counter's row
	// (each sees the other's committed count), so two transactions never
	// both take the last unit.
	UsageAdd(ctx context.Context, p *UsageAddParams) (used int64, allowed bool, err error)
	// UsageLock holds a tenant's counter row for the rest of the
	// transaction (creating it at 0), so creators of counted rows (active
	// workflows, contacts, members) check their count one at a time.
	UsageLock(ctx context.Context, tenantID uuid.UUID, counter UsageCounter) error
	// UsageListByPeriod returns a tenant's monthly counters of a period
	// ("2006-01"), by counter name.
	UsageListByPeriod(ctx context.Context, tenantID uuid.UUID, period string) (map[UsageCounter]int64, error)
	// UsageCount counts the rows behind a counted quantity
	// (UsageActiveWorkflows, UsageWorkflows, UsageContacts, UsageMembers)
	// as of now.
	UsageCount(ctx context.Context, tenantID uuid.UUID, counter UsageCounter, now time.Time) (int64, error)
}

// UsageAddParams add to one monthly counter of a tenant.
type UsageAddParams struct {
	TenantID uuid.UUID
	// Period is the month, "2006-01" (UTC).
	Period  string
	Counter UsageCounter
	// N is how much to add (≥ 0).
	N int64
	// Limit is the most the counter may reach; negative means no limit.
	Limit int64
}

// UsagePeriod is the monthly period t falls in ("2006-01", UTC).
func UsagePeriod(t time.Time) string { return t.UTC().Format("2006-01") }
