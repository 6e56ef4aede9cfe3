// Package store is the seam between NextFlow and its database. The engine,
// the API and the cron scheduler see only the interfaces here: domain rows
// in, domain rows out, and job inserts that commit or roll back with the
// rows written beside them. SQL lives only in the backends below this
// package (postgres, sqlite).
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// Sentinel errors every backend translates its own errors into.
var (
	// ErrNotFound: the row does not exist or belongs to another tenant.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique constraint was violated (duplicate slug, email…).
	ErrConflict = errors.New("conflict")
	// ErrStale: an optimistic-concurrency check failed (the row moved on).
	ErrStale = errors.New("stale revision")
	// ErrInvalidText: the database refused a value as text (U+0000,
	// invalid UTF-8, or too large for an index). The API checks input
	// first; this is the second line, answered 422 instead of 500.
	ErrInvalidText = errors.New("value cannot be stored as text")
	// ErrUnavailable: the database cannot be reached or refuses work for
	// now (connection refused, shutting down or starting up, too many
	// connections, busy beyond its timeout). Trying again later may work;
	// the API answers 503 with Retry-After.
	ErrUnavailable = errors.New("database unavailable")
)

// Dialects.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Store is a NextFlow database. Every read and write happens inside a
// transaction obtained from InTx or Read.
type Store interface {
	// Dialect is DialectSQLite or DialectPostgres.
	Dialect() string
	// InTx runs fn in a read-write transaction scoped to tenantID (on
	// PostgreSQL the row-level-security tenant is set for the transaction).
	// uuid.Nil runs as the system, for rows that are not tenant-owned or for
	// look-ups that find the tenant (session and API key resolution). fn's
	// error rolls the transaction back, jobs inserted in it included.
	InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx Tx) error) error
	// Read runs fn in a read-only transaction, which on SQLite uses the
	// reader pool and so never waits behind a writer.
	Read(ctx context.Context, tenantID uuid.UUID, fn func(tx Tx) error) error
	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	// MigrationStatus reports the applied and the latest known schema
	// version (NextFlow's and River's migrations both counted as current
	// only when all are applied).
	MigrationStatus(ctx context.Context) (MigrationStatus, error)
	// Migrate applies all pending migrations (NextFlow's and River's). It is
	// safe to call from several processes at once.
	Migrate(ctx context.Context) error
	// Queue returns the River-backed job queue of this store.
	Queue() Queue
	// Close releases the database.
	Close() error
}

// MigrationStatus is the schema state of a database.
type MigrationStatus struct {
	Current  int64
	Latest   int64
	RiverOK  bool
	UpToDate bool
}

// QueueConfig tunes the River client. Zero values take NextFlow's defaults
// (not River's: see DESIGN.md "The store/queue seam").
type QueueConfig struct {
	// Workers are the registered job workers; more may be added with
	// river.AddWorker until Start is called.
	Workers *river.Workers
	// MaxWorkers per queue (default 200 on PostgreSQL, 50 on SQLite).
	MaxWorkers int
	// FetchCooldown (default 2ms) and FetchPollInterval (default 20ms).
	FetchCooldown     time.Duration
	FetchPollInterval time.Duration
	// Queues to work, with their MaxWorkers; default {"default": MaxWorkers}.
	Queues map[string]int
	// JobTimeout for a single job (default 1 minute).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before River hands it
	// to another worker: the recovery time after a process dies mid-job
	// (default RescueAfterFor(JobTimeout); River's own default is an hour).
	RescueAfter time.Duration
	// WorkNone builds an insert-only client (an API-only node).
	WorkNone bool
	// CompletedRetention is how long River keeps a completed job's row
	// (default DefaultCompletedRetention; River's own default is a day).
	CompletedRetention time.Duration
	// CancelledRetention and DiscardedRetention are how long River keeps
	// cancelled and discarded jobs' rows (default River's: a day and a
	// week).
	CancelledRetention time.Duration
	DiscardedRetention time.Duration
	// PeriodicJobs are inserted on their schedules by the elected leader
	// among the working clients (River's periodic jobs).
	PeriodicJobs []*river.PeriodicJob
	// Middleware is added to River's after the store's own (scheduling,
	// query scopes): tracing's, when traces are on.
	Middleware []rivertype.Middleware
	// ReindexEvery, when positive, is how often River's reindexer rebuilds
	// its job table's indexes (REINDEX CONCURRENTLY) on PostgreSQL; River's
	// default is daily at midnight UTC. Its GIN index on job args keeps
	// the keys of deleted jobs until it is rebuilt, so it grows between
	// rebuilds; a soak that compresses days into minutes reindexes as
	// often.
	ReindexEvery time.Duration
	// NodeID is the River client ID (default NewNodeID()); see QueueLease.
	NodeID string
	// LeaseInterval (default DefaultLeaseInterval) and LeaseExpiry (default
	// DefaultLeaseExpiry) tune job leases; a negative LeaseInterval runs no
	// lease loop (tests that renew and expire by hand).
	LeaseInterval time.Duration
	LeaseExpiry   time.Duration
}

// DefaultCompletedRetention is QueueConfig.CompletedRetention's default.
// A completed advance job has nothing left to tell (the execution's steps
// are its record), and at a few thousand executions a second a day of them
// would be hundreds of millions of rows in River's table; failed and
// cancelled jobs keep River's longer retention.
const DefaultCompletedRetention = time.Hour

// RescueAfterFor is the default RescueAfter: a job running longer than
// its timeout plus a margin belonged to a process that died.
func RescueAfterFor(jobTimeout time.Duration) time.Duration {
	return jobTimeout + 15*time.Second
}

// Queue is the store's River client, behind a backend-independent face.
type Queue interface {
	// Start begins working jobs. Workers must be registered first.
	Start(ctx context.Context) error
	// Stop waits for running jobs to finish, or cancels them when ctx ends.
	Stop(ctx context.Context) error
	// Insert inserts a job in its own transaction.
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// Subscribe returns River events of the given kinds (for tests and
	// benchmarks) and a function to cancel the subscription.
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Tx is a transaction. Tenant-owned rows are always addressed with their
// tenant ID: a row of another tenant is ErrNotFound.
type Tx interface {
	// AfterCommit registers fn to run once this transaction has committed,
	// in the order registered; it does not run when the transaction rolls
	// back. It is for work that must only reveal committed rows, such as
	// publishing live events.
	AfterCommit(fn func(ctx context.Context))

	// JobInsert inserts a River job in this transaction.
	JobInsert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// JobInsertMany inserts several River jobs in this transaction.
	JobInsertMany(ctx context.Context, params []river.InsertManyParams) error

	TenantInsert(ctx context.Context, p *TenantInsertParams) (*domain.Tenant, error)
	TenantGetByID(ctx context.Context, id uuid.UUID) (*domain.Tenant, error)
	TenantGetBySlug(ctx context.Context, slug string) (*domain.Tenant, error)
	TenantUpdate(ctx context.Context, p *TenantUpdateParams) (*domain.Tenant, error)
	TenantDelete(ctx context.Context, id uuid.UUID) error

	UserInsert(ctx context.Context, p *UserInsertParams) (*domain.User, error)
	UserGetByID(ctx context.Context, id uuid.UUID) (*domain.User, error)
	// UserGetByEmail matches the email case-insensitively.
	UserGetByEmail(ctx context.Context, email string) (*domain.User, error)
	UserUpdatePassword(ctx context.Context, id uuid.UUID, passwordHash string) error

	// MembershipInsert fails with ErrConflict when the user is already a member.
	MembershipInsert(ctx context.Context, p *MembershipInsertParams) (*domain.Membership, error)
	MembershipGet(ctx context.Context, tenantID, userID uuid.UUID) (*domain.Membership, error)
	MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]domain.MembershipWithTenant, error)
	MembershipListByTenant(ctx context.Context, tenantID uuid.UUID) ([]domain.Member, error)
	MembershipUpdateRole(ctx context.Context, tenantID, userID uuid.UUID, role domain.Role) (*domain.Membership, error)
	MembershipDelete(ctx context.Context, tenantID, userID uuid.UUID) error
	MembershipCountByRole(ctx context.Context, tenantID uuid.UUID, role domain.Role) (int, error)

	SessionInsert(ctx context.Context, p *SessionInsertParams) (*domain.Session, error)
	// SessionGetByTokenHash returns unrevoked, unexpired sessions only.
	SessionGetByTokenHash(ctx context.Context, tokenHash []byte, now time.Time) (*domain.Session, error)
	SessionTouch(ctx context.Context, id uuid.UUID, lastSeenAt time.Time) error
	SessionSetActiveTenant(ctx context.Context, id uuid.UUID, tenantID *uuid.UUID) error
	SessionRevoke(ctx context.Context, id uuid.UUID, at time.Time) error
	SessionRevokeAllByUser(ctx context.Context, userID uuid.UUID, at time.Time) (int, error)

	InvitationInsert(ctx context.Context, p *InvitationInsertParams) (*domain.Invitation, error)
	// InvitationGetByTokenHash looks across tenants (the accepting user is
	// not a member yet); call it with uuid.Nil as the transaction tenant.
	InvitationGetByTokenHash(ctx context.Context, tokenHash []byte) (*domain.Invitation, error)
	InvitationGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Invitation, error)
	InvitationListByTenant(ctx context.Context, tenantID uuid.UUID) ([]domain.Invitation, error)
	InvitationMarkAccepted(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error
	InvitationDelete(ctx context.Context, tenantID, id uuid.UUID) error

	APIKeyInsert(ctx context.Context, p *APIKeyInsertParams) (*domain.APIKey, error)
	// APIKeyGetByPrefix looks across tenants; call it with uuid.Nil.
	APIKeyGetByPrefix(ctx context.Context, prefix string) (*domain.APIKey, error)
	APIKeyGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.APIKey, error)
	APIKeyListByTenant(ctx context.Context, tenantID uuid.UUID) ([]domain.APIKey, error)
	APIKeyRevoke(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error
	APIKeyTouch(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error

	AuditInsert(ctx context.Context, p *AuditInsertParams) error
	AuditListByTenant(ctx context.Context, p *AuditListParams) ([]domain.AuditEntry, error)

	WorkflowInsert(ctx context.Context, p *WorkflowInsertParams) (*domain.Workflow, error)
	WorkflowGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Workflow, error)
	// WorkflowGetStartInfo reads what a start needs of a workflow (active,
	// current version), without its name, description or draft.
	WorkflowGetStartInfo(ctx context.Context, tenantID, id uuid.UUID) (*WorkflowStartInfo, error)
	WorkflowList(ctx context.Context, p *WorkflowListParams) ([]domain.Workflow, error)
	// WorkflowUpdateDraft applies the update only when the stored revision
	// equals p.ExpectedRevision, else ErrStale; the revision is incremented.
	WorkflowUpdateDraft(ctx context.Context, p *WorkflowUpdateDraftParams) (*domain.Workflow, error)
	WorkflowSetActive(ctx context.Context, tenantID, id uuid.UUID, active bool) (*domain.Workflow, error)
	WorkflowSetCurrentVersion(ctx context.Context, tenantID, id, versionID uuid.UUID, version int) (*domain.Workflow, error)
	WorkflowDelete(ctx context.Context, tenantID, id uuid.UUID) error
	// WorkflowListActive returns active workflows (for triggers).
	WorkflowListActive(ctx context.Context, tenantID uuid.UUID) ([]domain.Workflow, error)

	WorkflowVersionInsert(ctx context.Context, p *WorkflowVersionInsertParams) (*domain.WorkflowVersion, error)
	WorkflowVersionGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.WorkflowVersion, error)
	WorkflowVersionGetByNumber(ctx context.Context, tenantID, workflowID uuid.UUID, version int) (*domain.WorkflowVersion, error)
	// WorkflowVersionList returns versions newest first, without definitions.
	WorkflowVersionList(ctx context.Context, tenantID, workflowID uuid.UUID) ([]domain.WorkflowVersion, error)
	// WorkflowVersionMax is the highest version number, 0 when none.
	WorkflowVersionMax(ctx context.Context, tenantID, workflowID uuid.UUID) (int, error)

	// ExecutionInsert fails with ErrConflict when p.IdempotencyKey is set and
	// already used in the tenant.
	ExecutionInsert(ctx context.Context, p *ExecutionInsertParams) (*domain.Execution, error)
	// ExecutionInsertMany creates several executions of one tenant (the bulk
	// start). The result is in the order of ps, nil where the execution's
	// idempotency key was already used, before or earlier in ps.
	ExecutionInsertMany(ctx context.Context, ps []*ExecutionInsertParams) ([]*domain.Execution, error)
	ExecutionGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Execution, error)
	ExecutionGetByIdempotencyKey(ctx context.Context, tenantID uuid.UUID, key string) (*domain.Execution, error)
	// ExecutionLock reads the execution and locks it until the transaction
	// ends (SELECT … FOR UPDATE on PostgreSQL; the single writer on SQLite).
	ExecutionLock(ctx context.Context, tenantID, id uuid.UUID) (*domain.Execution, error)
	// ExecutionLockMany locks several executions of one tenant in ID order
	// (so two callers never wait on each other in a cycle) and returns those
	// that exist, in ID order.
	ExecutionLockMany(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) ([]*domain.Execution, error)
	// ExecutionStates reads, without locking, the status and token of
	// several executions of one tenant (those that exist, in no particular
	// order): the engine checks with it that executions whose calls wait in
	// its dispatcher have not been cancelled or moved on meanwhile.
	ExecutionStates(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) ([]ExecutionState, error)
	// ExecutionUpdate writes the mutable state of an execution.
	ExecutionUpdate(ctx context.Context, p *ExecutionUpdateParams) error
	// ExecutionUpdateMany writes the states of several executions of one
	// tenant; one that does not exist is ErrNotFound.
	ExecutionUpdateMany(ctx context.Context, ps []*ExecutionUpdateParams) error
	// ExecutionClaimWakeups takes up to limit executions of every tenant
	// whose WakeAt is at or before before, earliest first, clears their
	// WakeAt and returns what each needs to be woken. The recovery time of
	// a call after start (a row with a CallNode) is taken only once at or
	// before callsBefore (now): until then ExecutionRecoverCalls finds it
	// should its node die. On PostgreSQL rows another transaction holds
	// are skipped (FOR UPDATE SKIP LOCKED), so concurrent claimers split
	// the due timers. Call it in a system transaction (InTx with uuid.Nil).
	ExecutionClaimWakeups(ctx context.Context, before, callsBefore time.Time, limit int) ([]Wakeup, error)
	// ExecutionRecoverCalls recovers the calls after start a dead node was
	// to make: the executions whose CallNode is p.NodeID and whose WakeAt
	// (their recovery time) is at or before p.Before get WakeAt p.At, their
	// token moved on (so that node finds them moved on) and CallNode
	// cleared; it returns how many. Call it in a system transaction.
	ExecutionRecoverCalls(ctx context.Context, p *ExecutionRecoverCallsParams) (int, error)
	// NodeRenew records the heartbeat of node (a process that makes calls
	// after start) at the database's clock. System transaction.
	NodeRenew(ctx context.Context, nodeID string) error
	// NodeListLapsed returns the nodes other than self whose heartbeat is
	// older than expiry (every other node when expiry is not positive), by
	// ID; on PostgreSQL it locks them, skipping those another transaction
	// holds. System transaction.
	NodeListLapsed(ctx context.Context, self string, expiry time.Duration) ([]Node, error)
	// NodeDelete removes node's heartbeat (none is not an error). System
	// transaction.
	NodeDelete(ctx context.Context, nodeID string) error
	ExecutionList(ctx context.Context, p *ExecutionListParams) ([]domain.Execution, error)
	// ExecutionCountByStatus counts a workflow's executions per status.
	ExecutionCountByStatus(ctx context.Context, tenantID, workflowID uuid.UUID) (map[domain.ExecutionStatus]int, error)
	// ExecutionListActiveIDsByWorkflow returns IDs of non-terminal executions.
	ExecutionListActiveIDsByWorkflow(ctx context.Context, tenantID, workflowID uuid.UUID, limit int) ([]uuid.UUID, error)

	StepInsert(ctx context.Context, p *StepInsertParams) (*domain.Step, error)
	// StepInsertMany records several node visits of one tenant; a step that
	// exists already is ErrConflict, one of an execution that is not the
	// tenant's ErrNotFound.
	StepInsertMany(ctx context.Context, ps []*StepInsertParams) error
	// StepUpdate records a step's progress or result; a step that does not
	// exist is ErrNotFound.
	StepUpdate(ctx context.Context, p *StepUpdateParams) error
	// StepUpdateMany is StepUpdate for several steps of one tenant in one
	// round trip (the engine's group commit); a step that does not exist
	// is ErrNotFound.
	StepUpdateMany(ctx context.Context, ps []*StepUpdateParams) error
	// StepGet loads the step with sequence number seq of an execution.
	StepGet(ctx context.Context, tenantID, executionID uuid.UUID, seq int) (*domain.Step, error)
	StepListByExecution(ctx context.Context, tenantID, executionID uuid.UUID) ([]domain.Step, error)
	// StepCountByNode counts a workflow's step visits per node and status
	// (the builder's execution overlay).
	StepCountByNode(ctx context.Context, tenantID, workflowID uuid.UUID) ([]NodeCount, error)
	// ExecutionCountByStatusInPeriod counts a workflow's executions created
	// in [From, To) per status: the entries of the funnel.
	ExecutionCountByStatusInPeriod(ctx context.Context, p *WorkflowPeriodParams) (map[domain.ExecutionStatus]int, error)
	// StepFunnelByNode counts, per node, the executions created in the
	// period that entered it, and those per step status (each execution
	// once per node and once per node and status).
	StepFunnelByNode(ctx context.Context, p *WorkflowPeriodParams) ([]NodeFunnel, error)
	// StepFunnelByEdge counts, per transition (node, handle taken, next
	// node), the executions created in the period that made it.
	StepFunnelByEdge(ctx context.Context, p *WorkflowPeriodParams) ([]EdgeFunnel, error)

	// OutboxInsert records a side effect before it is performed. When the
	// key exists already it returns the existing entry and created=false.
	OutboxInsert(ctx context.Context, p *OutboxInsertParams) (entry *domain.OutboxEntry, created bool, err error)
	// OutboxInsertMany records several new entries of one tenant (status
	// PENDING, no attempt, or one for those Counted), in one statement on
	// PostgreSQL (the engine's group commit). A key the tenant has used
	// already is ErrConflict.
	OutboxInsertMany(ctx context.Context, ps []*OutboxInsertParams) error
	OutboxGetByKey(ctx context.Context, tenantID uuid.UUID, key string) (*domain.OutboxEntry, error)
	OutboxUpdate(ctx context.Context, p *OutboxUpdateParams) error
	// OutboxAttempt counts one more attempt of an entry and stamps its
	// attempted time, returning the new count. The engine commits it on
	// its own before each call, so a call repeated after a crash (or after
	// the database was unreachable when its result was to be recorded)
	// shows as another attempt under the same key. ErrNotFound when the
	// tenant has no such entry.
	OutboxAttempt(ctx context.Context, tenantID, id uuid.UUID) (attempts int, err error)
	// OutboxUpdateMany records the outcomes of several entries of one
	// tenant, as OutboxUpdate each, in one statement on PostgreSQL (the
	// engine's group commit); ErrNotFound when an entry does not exist.
	OutboxUpdateMany(ctx context.Context, ps []*OutboxUpdateParams) error
	// OutboxAttemptMany counts one more attempt of each of the tenant's
	// entries ids (distinct), as OutboxAttempt each, in one statement on
	// PostgreSQL, and returns the new counts in the order of ids;
	// ErrNotFound when one does not exist.
	OutboxAttemptMany(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) ([]int, error)
	// OutboxListByExecution returns an execution's outbox entries, oldest
	// first.
	OutboxListByExecution(ctx context.Context, tenantID, executionID uuid.UUID) ([]*domain.OutboxEntry, error)

	WaitInsert(ctx context.Context, p *WaitInsertParams) (*domain.Wait, error)
	// WaitListByEvent returns the waits an event resumes: same tenant and
	// event name, the event's contact when the wait has one, and, when the
	// wait has a correlation key, an event property of that name equal to
	// the wait's correlation value (p.Correlation).
	WaitListByEvent(ctx context.Context, p *WaitListByEventParams) ([]domain.Wait, error)
	WaitDeleteByExecution(ctx context.Context, tenantID, executionID uuid.UUID) error

	CronJobUpsert(ctx context.Context, p *CronJobUpsertParams) (*domain.CronJob, error)
	CronJobGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.CronJob, error)
	// CronJobGetByIDSkipLocked is CronJobGetByID holding the schedule for
	// the rest of the transaction. On PostgreSQL it does not wait for
	// another transaction that holds the row: it returns ErrNotFound, as for
	// a schedule that does not exist (FOR UPDATE SKIP LOCKED). SQLite's
	// writer lock already excludes others.
	CronJobGetByIDSkipLocked(ctx context.Context, tenantID, id uuid.UUID) (*domain.CronJob, error)
	// CronJobClaimDue returns up to limit active schedules of every tenant
	// whose next run is at or before now, earliest first, held for the rest
	// of the transaction. On PostgreSQL rows another transaction holds are
	// skipped (FOR UPDATE SKIP LOCKED), so concurrent claimers split the due
	// schedules; SQLite's single writer makes the claim exclusive. Call it in
	// a system transaction (InTx with uuid.Nil): a tenant-scoped one sees
	// only its tenant's schedules on PostgreSQL.
	CronJobClaimDue(ctx context.Context, now time.Time, limit int) ([]domain.CronJob, error)
	CronJobList(ctx context.Context, tenantID uuid.UUID) ([]domain.CronJob, error)
	CronJobListByWorkflow(ctx context.Context, tenantID, workflowID uuid.UUID) ([]domain.CronJob, error)
	CronJobUpdate(ctx context.Context, p *CronJobUpdateParams) (*domain.CronJob, error)
	// CronJobAdvanceMany records that active schedules fired (last run) and
	// when each fires next, in one statement where the database allows;
	// rows of several tenants may be mixed in a system transaction. A
	// schedule that does not exist is ErrNotFound.
	CronJobAdvanceMany(ctx context.Context, ps []CronJobAdvanceParams) error
	CronJobDelete(ctx context.Context, tenantID, id uuid.UUID) error

	AIStore
	AnalyticsStore
	CredentialStore
	ContactImportStore
	ContactStore
	EventStore
	JourneyEntryStore
	ChannelStore
	MessageTemplateStore
	MessageStore
	SuppressionStore
	RetentionStore
	UsageStore
	SegmentStore
	BroadcastStore
	TestRunStore
}

// TenantInsertParams creates a tenant.
type TenantInsertParams struct {
	ID   uuid.UUID // zero: generated
	Name string
	Slug string
	Plan domain.Plan
}

// TenantUpdateParams renames a tenant or changes its plan.
type TenantUpdateParams struct {
	ID   uuid.UUID
	Name string
	Plan domain.Plan
}

// UserInsertParams creates a user.
type UserInsertParams struct {
	ID           uuid.UUID
	Email        string
	Name         string
	PasswordHash string
}

// MembershipInsertParams adds a user to a tenant.
type MembershipInsertParams struct {
	TenantID uuid.UUID
	UserID   uuid.UUID
	Role     domain.Role
}

// SessionInsertParams creates a session.
type SessionInsertParams struct {
	ID             uuid.UUID
	UserID         uuid.UUID
	TokenHash      []byte
	ActiveTenantID *uuid.UUID
	UserAgent      string
	IP             string
	ExpiresAt      time.Time
}

// InvitationInsertParams creates an invitation.
type InvitationInsertParams struct {
	TenantID  uuid.UUID
	ID        uuid.UUID
	Email     string
	Role      domain.Role
	TokenHash []byte
	InvitedBy uuid.UUID
	ExpiresAt time.Time
}

// APIKeyInsertParams creates an API key.
type APIKeyInsertParams struct {
	TenantID   uuid.UUID
	ID         uuid.UUID
	Name       string
	Prefix     string
	SecretHash []byte
	Scopes     []string
	CreatedBy  *uuid.UUID
}

// AuditInsertParams records an audit entry.
type AuditInsertParams struct {
	TenantID   uuid.UUID
	ActorType  string
	ActorID    *uuid.UUID
	Action     string
	TargetType string
	TargetID   string
	Data       json.RawMessage
	IP         string
}

// AuditListParams pages through a tenant's audit log, newest first.
type AuditListParams struct {
	TenantID uuid.UUID
	// Before is the ID of the last entry of the previous page (UUIDv7 IDs
	// sort by time); uuid.Nil starts at the newest.
	Before uuid.UUID
	Limit  int
}

// WorkflowStartInfo is what starting a workflow's current version reads
// of its row (Tx.WorkflowGetStartInfo).
type WorkflowStartInfo struct {
	ID, TenantID uuid.UUID
	IsActive     bool
	// CurrentVersionID is the published version (nil: never published)
	// and CurrentVersion its number.
	CurrentVersionID *uuid.UUID
	CurrentVersion   int
}

// WorkflowInsertParams creates a workflow with its first draft.
type WorkflowInsertParams struct {
	TenantID    uuid.UUID
	ID          uuid.UUID
	Name        string
	Description string
	Definition  json.RawMessage
	CreatedBy   *uuid.UUID
}

// WorkflowListParams pages through a tenant's workflows, newest first.
type WorkflowListParams struct {
	TenantID uuid.UUID
	// Search matches the name case-insensitively as a substring.
	Search string
	// Active filters on is_active when set.
	Active *bool
	Before uuid.UUID
	Limit  int
}

// WorkflowUpdateDraftParams replaces a workflow's name, description and draft.
type WorkflowUpdateDraftParams struct {
	TenantID         uuid.UUID
	ID               uuid.UUID
	ExpectedRevision int64
	Name             string
	Description      string
	Definition       json.RawMessage
}

// WorkflowVersionInsertParams stores a published definition.
type WorkflowVersionInsertParams struct {
	TenantID   uuid.UUID
	ID         uuid.UUID
	WorkflowID uuid.UUID
	Version    int
	Definition json.RawMessage
	CreatedBy  *uuid.UUID
}

// ExecutionInsertParams creates an execution.
type ExecutionInsertParams struct {
	TenantID       uuid.UUID
	ID             uuid.UUID
	WorkflowID     uuid.UUID
	VersionID      uuid.UUID
	Version        int
	Status         domain.ExecutionStatus
	ContactID      *uuid.UUID
	TriggerType    string
	Context        json.RawMessage
	CurrentNodeID  string
	IdempotencyKey string
	// Token, StepCount, Error, StartedAt and FinishedAt are the state of an
	// execution that already advanced in the transaction that starts it
	// (the engine's eager start); all zero for a new PENDING execution.
	Token      int64
	StepCount  int
	Error      string
	StartedAt  *time.Time
	FinishedAt *time.Time
	// WakeAt is the timer kept on the row (see domain.Execution.WakeAt).
	WakeAt *time.Time
	// CallNode names the node that makes the call after start of this
	// execution (engine/dispatch.go), whose WakeAt is then its recovery
	// time; empty (NULL) otherwise. Every update of the row clears it.
	CallNode string
}

// ExecutionRecoverCallsParams names a dead node's calls after start to
// recover (Tx.ExecutionRecoverCalls).
type ExecutionRecoverCallsParams struct {
	// NodeID is the dead node.
	NodeID string
	// Before bounds the recovery times read (now plus the recovery
	// window): the rows are found through the wake_at index.
	Before time.Time
	// At is the recovery time they get (now).
	At time.Time
}

// Node is the heartbeat of a process that makes calls after start.
type Node struct {
	ID        string
	RenewedAt time.Time
}

// ExecutionState is an execution's status and token (ExecutionStates).
type ExecutionState struct {
	ID     uuid.UUID
	Status domain.ExecutionStatus
	Token  int64
}

// Wakeup is an execution's timer taken off its row: the job that wakes it
// is due At and carries Token.
type Wakeup struct {
	TenantID    uuid.UUID
	ExecutionID uuid.UUID
	Token       int64
	At          time.Time
}

// ExecutionUpdateParams writes an execution's state.
type ExecutionUpdateParams struct {
	TenantID      uuid.UUID
	ID            uuid.UUID
	Status        domain.ExecutionStatus
	Context       json.RawMessage
	CurrentNodeID string
	Token         int64
	StepCount     int
	Error         string
	StartedAt     *time.Time
	FinishedAt    *time.Time
	// WakeAt is the timer kept on the row (see domain.Execution.WakeAt);
	// nil clears it, so every state change that does not set it again
	// drops the old timer.
	WakeAt *time.Time
}

// ExecutionListParams filters and pages a tenant's executions, newest first.
type ExecutionListParams struct {
	TenantID      uuid.UUID
	WorkflowID    *uuid.UUID
	Status        []domain.ExecutionStatus
	ContactID     *uuid.UUID
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	// Test, when set, keeps only test runs (true) or only the others.
	Test *bool
	// NodeID keeps executions with a step at this node; NodeStatus and
	// NodeHandle narrow that to a step in one of these statuses, and one
	// that left by this handle ("" and "out" are the same handle).
	NodeID     string
	NodeStatus []domain.StepStatus
	NodeHandle *string
	Before     uuid.UUID
	Limit      int
}

// StepHandles is the stored values a handle filter matches: none for no
// filter, and both spellings of a node's single output ("" and "out").
func StepHandles(h *string) []string {
	switch {
	case h == nil:
		return nil
	case *h == "" || *h == "out":
		return []string{"", "out"}
	}
	return []string{*h}
}

// StepInsertParams records a node visit.
type StepInsertParams struct {
	TenantID    uuid.UUID
	ID          uuid.UUID
	ExecutionID uuid.UUID
	Seq         int
	NodeID      string
	NodeType    string
	Status      domain.StepStatus
	Attempt     int
	Input       json.RawMessage
	Output      json.RawMessage
	Error       string
	Handle      string
	StartedAt   time.Time
	FinishedAt  *time.Time
}

// StepUpdateParams records a step's progress or result. A step is
// addressed by its execution and sequence number, the key its rows are
// stored under (on PostgreSQL its ID is not indexed).
type StepUpdateParams struct {
	TenantID    uuid.UUID
	ExecutionID uuid.UUID
	Seq         int
	Status      domain.StepStatus
	Attempt     int
	Output      json.RawMessage
	Error       string
	Handle      string
	FinishedAt  *time.Time
}

// WorkflowPeriodParams names a workflow and a period of execution
// creation times, From inclusive, To exclusive.
type WorkflowPeriodParams struct {
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	From       time.Time
	To         time.Time
}

// NodeFunnel is how many executions entered one node, in all and per step
// status.
type NodeFunnel struct {
	NodeID   string
	Entered  int
	ByStatus map[domain.StepStatus]int
}

// EdgeFunnel is how many executions went from Source, by Handle (empty for
// the default output), straight to Target.
type EdgeFunnel struct {
	Source     string
	Handle     string
	Target     string
	Executions int
}

// NodeCount is the number of step visits of one node in one status.
type NodeCount struct {
	NodeID string
	Status domain.StepStatus
	Count  int
}

// OutboxInsertParams records a side effect before it happens.
type OutboxInsertParams struct {
	TenantID       uuid.UUID
	ID             uuid.UUID
	ExecutionID    uuid.UUID
	StepID         uuid.UUID
	IdempotencyKey string
	Kind           string
	Request        json.RawMessage
	// Counted counts the first attempt with the insert (1 attempt,
	// attempted now), as OutboxAttempt would after it in the same
	// transaction: the call is made as soon as that transaction commits.
	Counted bool
}

// OutboxUpdateParams records a side effect's result.
type OutboxUpdateParams struct {
	TenantID uuid.UUID
	ID       uuid.UUID
	Status   domain.OutboxStatus
	Attempts int
	Response json.RawMessage
	Error    string
}

// WaitInsertParams registers a wait for an event.
type WaitInsertParams struct {
	TenantID    uuid.UUID
	ID          uuid.UUID
	ExecutionID uuid.UUID
	NodeID      string
	Token       int64
	EventName   string
	ContactID   *uuid.UUID
	// CorrelationKey names the event property that must equal
	// CorrelationValue; with an empty value the wait matches any event.
	CorrelationKey   string
	CorrelationValue string
	ExpiresAt        *time.Time
}

// WaitListByEventParams finds the waits an event resumes.
type WaitListByEventParams struct {
	TenantID  uuid.UUID
	EventName string
	ContactID *uuid.UUID
	// Correlation holds the event's properties a correlation key may name,
	// as strings (property name → value): a wait with key K and value V
	// matches when Correlation[K] == V.
	Correlation map[string]string
	// CorrelationValue matches the waits registered with a value and no key.
	CorrelationValue string
	Limit            int
}

// CronJobUpsertParams creates or replaces the schedule of a workflow's
// trigger node (unique per tenant, workflow and node).
type CronJobUpsertParams struct {
	TenantID   uuid.UUID
	ID         uuid.UUID
	WorkflowID uuid.UUID
	NodeID     string
	Schedule   string
	Timezone   string
	MissedRuns string
	IsActive   bool
	NextRunAt  *time.Time
}

// CronJobUpdateParams updates a schedule's state.
type CronJobUpdateParams struct {
	TenantID   uuid.UUID
	ID         uuid.UUID
	Schedule   string
	Timezone   string
	MissedRuns string
	IsActive   bool
	LastRunAt  *time.Time
	NextRunAt  *time.Time
}

// CronJobAdvanceParams moves an active schedule on after it fired.
type CronJobAdvanceParams struct {
	TenantID  uuid.UUID
	ID        uuid.UUID
	LastRunAt time.Time
	NextRunAt time.Time
}

// NotFoundf wraps ErrNotFound with what was not found.
func NotFoundf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNotFound)
}
