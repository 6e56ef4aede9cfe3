// Package plan is the one table of what each subscription plan (FREE, PRO,
// BIZ) allows: resource limits, rates and how long a tenant's history is
// kept. Everything that enforces or reports a limit reads it from here.
package plan

import (
	"fmt"
	"time"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// Unlimited marks a count limit that does not apply.
const Unlimited = -1

// Limits is what one plan allows. A count of Unlimited means no limit.
type Limits struct {
	// Plan is the plan these limits belong to.
	Plan domain.Plan

	// ActiveWorkflows is how many workflows may be active at once.
	ActiveWorkflows int
	// Workflows is how many workflows (drafts included) the tenant may
	// keep.
	Workflows int
	// ExecutionsPerMonth is how many executions may start in a calendar
	// month (UTC).
	ExecutionsPerMonth int
	// Contacts is how many contacts the tenant may keep.
	Contacts int
	// MessagesPerMonth is how many channel messages may be sent in a
	// calendar month (UTC).
	MessagesPerMonth int
	// Members is how many members (including pending invitations) the
	// tenant may have.
	Members int
	// MinScheduleInterval is the shortest interval between two runs of a
	// schedule.
	MinScheduleInterval time.Duration
	// AITokensPerMonth is the ceiling on AI tokens (in plus out) per
	// calendar month; a tenant's own budget may be lower.
	AITokensPerMonth int
	// APIRequestsPerSecond is the sustained rate of API requests per
	// tenant; APIBurst the requests allowed at once above it.
	APIRequestsPerSecond int
	APIBurst             int

	// Retention: how long finished history is kept before it is pruned.
	// ExecutionRetention covers finished executions with their steps,
	// outbox rows and messages; EventRetention stored events;
	// AuditRetention the audit log.
	ExecutionRetention time.Duration
	EventRetention     time.Duration
	AuditRetention     time.Duration
}

const day = 24 * time.Hour

var table = map[domain.Plan]Limits{
	domain.PlanFree: {
		Plan:                 domain.PlanFree,
		ActiveWorkflows:      3,
		Workflows:            10,
		ExecutionsPerMonth:   10_000,
		Contacts:             1_000,
		MessagesPerMonth:     2_000,
		Members:              3,
		MinScheduleInterval:  15 * time.Minute,
		AITokensPerMonth:     100_000,
		APIRequestsPerSecond: 100,
		APIBurst:             200,
		ExecutionRetention:   7 * day,
		EventRetention:       30 * day,
		AuditRetention:       30 * day,
	},
	domain.PlanPro: {
		Plan:                 domain.PlanPro,
		ActiveWorkflows:      50,
		Workflows:            500,
		ExecutionsPerMonth:   1_000_000,
		Contacts:             100_000,
		MessagesPerMonth:     250_000,
		Members:              20,
		MinScheduleInterval:  time.Minute,
		AITokensPerMonth:     5_000_000,
		APIRequestsPerSecond: 500,
		APIBurst:             1_000,
		ExecutionRetention:   30 * day,
		EventRetention:       180 * day,
		AuditRetention:       365 * day,
	},
	domain.PlanBiz: {
		Plan:                 domain.PlanBiz,
		ActiveWorkflows:      Unlimited,
		Workflows:            Unlimited,
		ExecutionsPerMonth:   Unlimited,
		Contacts:             Unlimited,
		MessagesPerMonth:     Unlimited,
		Members:              Unlimited,
		MinScheduleInterval:  time.Second,
		AITokensPerMonth:     50_000_000,
		APIRequestsPerSecond: 2_000,
		APIBurst:             4_000,
		ExecutionRetention:   90 * day,
		EventRetention:       730 * day,
		AuditRetention:       730 * day,
	},
}

// For returns the limits of plan p, or an error for an unknown plan.
func For(p domain.Plan) (Limits, error) {
	l, ok := table[p]
	if !ok {
		return Limits{}, fmt.Errorf("unknown plan %q", p)
	}
	return l, nil
}

// All returns the limits of every plan, from FREE to BIZ.
func All() []Limits {
	return []Limits{table[domain.PlanFree], table[domain.PlanPro], table[domain.PlanBiz]}
}

// Allows reports whether a count limit admits usage+n (Unlimited always
// does).
func Allows(limit, usage, n int) bool {
	return limit == Unlimited || usage+n <= limit
}
