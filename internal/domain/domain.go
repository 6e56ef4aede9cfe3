// Package domain holds the entities and value types shared by every layer of
// NextFlow: tenants, users, workflows, executions and the rest. It has no
// behaviour that does I/O and imports nothing from the rest of the module.
package domain

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// NewID returns a new UUIDv7, the ID format of every NextFlow row.
func NewID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}

// Plan is a tenant's subscription plan.
type Plan string

// Plans.
const (
	PlanFree Plan = "FREE"
	PlanPro  Plan = "PRO"
	PlanBiz  Plan = "BIZ"
)

// Valid reports whether p is a known plan.
func (p Plan) Valid() bool { return p == PlanFree || p == PlanPro || p == PlanBiz }

// Role is a member's role in a tenant.
type Role string

// Roles, from most to least powerful.
const (
	RoleOwner    Role = "OWNER"
	RoleAdmin    Role = "ADMIN"
	RoleOperator Role = "OPERATOR"
	RoleViewer   Role = "VIEWER"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleAdmin || r == RoleOperator || r == RoleViewer
}

// Tenant is a workspace: the unit of isolation.
type Tenant struct {
	ID        uuid.UUID
	Name      string
	Slug      string
	Plan      Plan
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a person who can sign in. Users are global; they reach tenants
// through memberships.
type User struct {
	ID           uuid.UUID
	Email        string
	Name         string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Membership ties a user to a tenant with a role.
type Membership struct {
	TenantID  uuid.UUID
	UserID    uuid.UUID
	Role      Role
	CreatedAt time.Time
}

// MembershipWithTenant is a membership of a user together with its tenant.
type MembershipWithTenant struct {
	Membership
	Tenant Tenant
}

// Member is a membership of a tenant together with its user.
type Member struct {
	Membership
	User User
}

// Session is a browser session. Only the hash of its token is stored.
type Session struct {
	ID             uuid.UUID
	UserID         uuid.UUID
	TokenHash      []byte
	ActiveTenantID *uuid.UUID
	UserAgent      string
	IP             string
	CreatedAt      time.Time
	LastSeenAt     time.Time
	ExpiresAt      time.Time
	RevokedAt      *time.Time
}

// Invitation invites an email address to join a tenant with a role.
type Invitation struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	Email      string
	Role       Role
	TokenHash  []byte
	InvitedBy  uuid.UUID
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt *time.Time
}

// API key scopes.
const (
	ScopeFull        = "full"
	ScopeEventsWrite = "events:write"
)

// APIKey is a tenant's programmatic credential. Only the hash of its secret
// is stored; Prefix is shown to users to tell keys apart.
type APIKey struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	Name       string
	Prefix     string
	SecretHash []byte
	Scopes     []string
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// AuditEntry records a security-relevant action in a tenant.
type AuditEntry struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	ActorType  string // "user", "api_key", "system"
	ActorID    *uuid.UUID
	Action     string // e.g. "auth.login", "member.role_changed"
	TargetType string
	TargetID   string
	Data       json.RawMessage
	IP         string
	CreatedAt  time.Time
}

// Workflow is a journey definition with its editable draft.
type Workflow struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	Name        string
	Description string
	// Definition is the draft graph (nodes and edges) as JSON.
	Definition json.RawMessage
	// Revision increases with every draft update; clients send it back to
	// detect concurrent edits.
	Revision int64
	IsActive bool
	// CurrentVersionID and CurrentVersion name the published version that
	// new executions start on, if any.
	CurrentVersionID *uuid.UUID
	CurrentVersion   int
	CreatedBy        *uuid.UUID
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// WorkflowVersion is an immutable published definition.
type WorkflowVersion struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	Version    int
	Definition json.RawMessage
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
}

// ExecutionStatus is the state of an execution.
type ExecutionStatus string

// Execution states.
const (
	ExecutionPending   ExecutionStatus = "PENDING"
	ExecutionRunning   ExecutionStatus = "RUNNING"
	ExecutionWaiting   ExecutionStatus = "WAITING"
	ExecutionCompleted ExecutionStatus = "COMPLETED"
	ExecutionFailed    ExecutionStatus = "FAILED"
	ExecutionCancelled ExecutionStatus = "CANCELLED"
)

// Terminal reports whether no more work will happen for the execution
// (unless it is retried).
func (s ExecutionStatus) Terminal() bool {
	return s == ExecutionCompleted || s == ExecutionFailed || s == ExecutionCancelled
}

// Execution is one run of a workflow version, usually for one contact.
type Execution struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	VersionID  uuid.UUID
	Version    int
	Status     ExecutionStatus
	ContactID  *uuid.UUID
	// TriggerType is the node type that started it ("trigger.manual", …).
	TriggerType string
	// Context is the execution context (trigger, contact, steps, vars) as JSON.
	Context json.RawMessage
	// CurrentNodeID is the node the execution is at (or will run next).
	CurrentNodeID string
	// Token increases with every state change; jobs carry the token they
	// were enqueued with, so a stale or duplicate job does nothing.
	Token int64
	// StepCount is the number of steps recorded so far (the runaway limit).
	StepCount      int
	Error          string
	IdempotencyKey string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	// WakeAt is when a WAITING execution's timer (a long delay or wait
	// timeout) falls due while it is kept on the row rather than as a
	// queued job; nil otherwise.
	WakeAt *time.Time
	// Test marks a test run of the draft (the builder's "Test run"): kept
	// out of stats, analytics and plan usage.
	Test bool
}

// StepStatus is the state of one node visit.
type StepStatus string

// Step states.
const (
	StepRunning   StepStatus = "RUNNING"
	StepWaiting   StepStatus = "WAITING"
	StepCompleted StepStatus = "COMPLETED"
	StepFailed    StepStatus = "FAILED"
	StepCancelled StepStatus = "CANCELLED"
)

// Step is one visit of a node by an execution.
type Step struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	ExecutionID uuid.UUID
	// Seq orders the steps of an execution, starting at 1.
	Seq      int
	NodeID   string
	NodeType string
	Status   StepStatus
	Attempt  int
	Input    json.RawMessage
	Output   json.RawMessage
	Error    string
	// Handle is the output handle the step left by, once it finished.
	Handle     string
	StartedAt  time.Time
	FinishedAt *time.Time
}

// OutboxStatus is the state of a side effect.
type OutboxStatus string

// Outbox states.
const (
	OutboxPending OutboxStatus = "PENDING"
	OutboxDone    OutboxStatus = "DONE"
	OutboxFailed  OutboxStatus = "FAILED"
)

// OutboxEntry records a side effect (an HTTP call, a message send, an AI
// call) before it is performed, under a unique idempotency key, and its
// result after.
type OutboxEntry struct {
	ID             uuid.UUID
	TenantID       uuid.UUID
	ExecutionID    uuid.UUID
	StepID         uuid.UUID
	IdempotencyKey string
	Kind           string
	Status         OutboxStatus
	Attempts       int        // calls begun under the key, each counted before it was made
	AttemptedAt    *time.Time // when the last attempt began
	Request        json.RawMessage
	Response       json.RawMessage
	Error          string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Missed-run policies of a schedule.
const (
	MissedRunsSkip    = "skip"
	MissedRunsCatchUp = "catch_up"
)

// CronJob is a schedule that starts a workflow.
type CronJob struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	// NodeID is the trigger.schedule node the schedule came from.
	NodeID     string
	Schedule   string
	Timezone   string
	MissedRuns string
	IsActive   bool
	LastRunAt  *time.Time
	NextRunAt  *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Wait is an execution waiting for an event (wait_for_event).
type Wait struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	ExecutionID uuid.UUID
	NodeID      string
	// Token is the execution token the wait was registered with.
	Token     int64
	EventName string
	ContactID *uuid.UUID
	// CorrelationKey names the event property that must equal
	// CorrelationValue ("" with a value: legacy waits matched by value).
	CorrelationKey   string
	CorrelationValue string
	ExpiresAt        *time.Time
	CreatedAt        time.Time
}
