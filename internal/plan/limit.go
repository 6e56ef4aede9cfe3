package plan

import (
	"fmt"
	"time"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// Limit names one limit of the table, as the API and its problems name it.
type Limit string

// The limits, by their names in the API.
const (
	LimitActiveWorkflows      Limit = "activeWorkflows"
	LimitWorkflows            Limit = "workflows"
	LimitExecutionsPerMonth   Limit = "executionsPerMonth"
	LimitContacts             Limit = "contacts"
	LimitMessagesPerMonth     Limit = "messagesPerMonth"
	LimitMembers              Limit = "members"
	LimitMinScheduleInterval  Limit = "minScheduleInterval"
	LimitAITokensPerMonth     Limit = "aiTokensPerMonth"
	LimitAPIRequestsPerSecond Limit = "apiRequestsPerSecond"
)

// Count returns the value of a count limit (Unlimited when it does not
// apply) and whether name is one.
func (l Limits) Count(name Limit) (int, bool) {
	switch name {
	case LimitActiveWorkflows:
		return l.ActiveWorkflows, true
	case LimitWorkflows:
		return l.Workflows, true
	case LimitExecutionsPerMonth:
		return l.ExecutionsPerMonth, true
	case LimitContacts:
		return l.Contacts, true
	case LimitMessagesPerMonth:
		return l.MessagesPerMonth, true
	case LimitMembers:
		return l.Members, true
	case LimitAITokensPerMonth:
		return l.AITokensPerMonth, true
	}
	return 0, false
}

// LimitError is something refused because it would pass a limit of the
// tenant's plan: the API answers it 402 (a count) naming the limit, its
// value and the usage. Nothing was written.
type LimitError struct {
	// Plan is the tenant's plan.
	Plan domain.Plan
	// Limit is the limit that refused.
	Limit Limit
	// Value is the limit's value (for minScheduleInterval, seconds).
	Value int64
	// Usage is what the tenant uses now (for minScheduleInterval, the
	// schedule's interval in seconds).
	Usage int64
	// Requested is how much more was asked for (0 when the check ran
	// after the write).
	Requested int64
}

// Error says which limit refused, in words.
func (e *LimitError) Error() string {
	if e.Limit == LimitMinScheduleInterval {
		return fmt.Sprintf("plan %s allows a schedule to run at most every %s; this one runs every %s",
			e.Plan, time.Duration(e.Value)*time.Second, time.Duration(e.Usage)*time.Second)
	}
	return fmt.Sprintf("plan %s limit %s is %d; %d used", e.Plan, e.Limit, e.Value, e.Usage)
}
