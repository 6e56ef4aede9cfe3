// Package engine is NextFlow's interpreter: it starts executions, advances
// them node by node in River jobs, parks them on delays and waits, performs
// side effects through an outbox, retries failures and reports changes.
//
// The engine never touches SQL: every state change goes through store.Tx
// together with the job that continues it, so the database state and the
// queue never disagree. Each advance job carries the execution's token; a
// duplicate or late job finds the token moved on and does nothing.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/execlock"
	"github.com/nextflow-dev/nextflow/internal/expr"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/ratelog"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tmpl"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Defaults of Options.
const (
	DefaultStepLimit   = 1000
	DefaultPureBudget  = 100
	DefaultHTTPTimeout = 10 * time.Second
	// DefaultMaxResponseBytes caps the body an http.request reads.
	DefaultMaxResponseBytes = 1 << 20
	// DefaultMaxAttempts is a node's attempt limit when its config has none.
	DefaultMaxAttempts = 3
	// DefaultBackoff is the first retry delay; it doubles with each attempt.
	DefaultBackoff = time.Second
	// MaxBackoff caps the retry delay.
	MaxBackoff = time.Hour
	// DefaultTimerHorizon and DefaultWakeupInterval: see Options.
	DefaultTimerHorizon   = 2 * time.Minute
	DefaultWakeupInterval = 10 * time.Second
	// DefaultMaxUncommittedCalls: see Options.MaxUncommittedCalls.
	DefaultMaxUncommittedCalls = 64
)

// Errors returned by the engine's operations.
var (
	// ErrNoVersion: the workflow has no published version to start.
	ErrNoVersion = errors.New("workflow has no published version")
	// ErrInactive: the workflow is not active and the start is not manual.
	ErrInactive = errors.New("workflow is not active")
	// ErrTerminal: the execution has finished and cannot be cancelled.
	ErrTerminal = errors.New("execution already finished")
	// ErrNotFailed: only a FAILED execution can be retried.
	ErrNotFailed = errors.New("execution has not failed")
	// ErrBadDefinition: the pinned version's definition cannot be run.
	ErrBadDefinition = errors.New("invalid workflow definition")
)

// HTTPOptions configures the http.request node.
type HTTPOptions struct {
	// Allow lists hosts, IPs and CIDRs that bypass the SSRF guard
	// (NEXTFLOW_HTTP_ALLOW), e.g. "127.0.0.1", "10.0.0.0/8", "api.internal".
	Allow []string
	// Timeout is the default request timeout (DefaultHTTPTimeout).
	Timeout time.Duration
	// MaxResponseBytes caps the response body (DefaultMaxResponseBytes).
	MaxResponseBytes int64
	// Ports are the destination ports allowed besides allow-listed
	// destinations (NEXTFLOW_HTTP_PORTS); nil means netguard.DefaultPorts
	// (80, 443). AnyPort allows every port.
	Ports   []uint16
	AnyPort bool
}

// Options configures an Engine. Zero fields take defaults.
type Options struct {
	Logger *slog.Logger
	// Registry is the node-type registry; its CEL environment and template
	// engine are the ones the engine evaluates with. Nil means
	// workflow.Default().
	Registry *workflow.Registry
	// StepLimit is the number of steps after which an execution fails as a
	// runaway (DefaultStepLimit).
	StepLimit int
	// PureBudget is the number of nodes run in one transaction before the
	// execution continues in a new job (DefaultPureBudget).
	PureBudget int
	// HTTP configures http.request.
	HTTP HTTPOptions
	// Secrets opens the workspace credentials side effects refer to as
	// {{ secrets.NAME }} and the one a trigger.webhook's secretCredential
	// names (nil: a step that uses one fails, such a webhook is refused).
	Secrets SecretResolver
	// SideEffects adds or replaces side-effect node types (email, AI…);
	// http.request is built in.
	SideEffects []SideEffect
	// Publisher receives change events after each commit (live.Nop).
	Publisher live.Publisher
	// Locker is the execution lock tried before the database lock (an
	// execlock.Redis when REDIS_URL is set); nil means none. Its failures
	// never stop an execution: the database lock alone then serialises.
	Locker execlock.Locker
	// Clock returns the current time (time.Now).
	Clock func() time.Time
	// DefinitionCacheSize bounds the number of parsed versions kept
	// (default 1024).
	DefinitionCacheSize int
	// AdvanceBatch is the largest number of executions one group-commit
	// transaction advances (DefaultAdvanceBatch); 1 gives every advance
	// job a transaction of its own.
	AdvanceBatch int
	// AdvanceBatchers is the number of group-commit transactions that may
	// run at once (DefaultAdvanceBatchers).
	AdvanceBatchers int
	// StartBatch is the largest number of single starts (Start,
	// StartWebhook) one group-commit transaction holds
	// (DefaultStartBatch); 1 gives every start a transaction of its own.
	StartBatch int
	// StartBatchers is the number of start group-commit transactions that
	// may run at once (DefaultStartBatchers).
	StartBatchers int
	// EffectResultsAlone records each side effect's attempt count and its
	// outcome (outbox entry, step, EffectRecorder's rows, the run after
	// it) in transactions of their own instead of in group commits, which
	// are faster; it is there for comparison and diagnosis.
	EffectResultsAlone bool
	// MaxUncommittedCalls bounds the side-effect calls this engine has
	// under way whose outcome is not committed yet: from the count of the
	// attempt, through the call, to the commit of its outcome
	// (DefaultMaxUncommittedCalls; negative: no bound but the queue's
	// workers). A call past the bound waits, before its attempt is
	// counted, for one to be committed. It is the most calls a crash of
	// this process can leave to be made again (the at-least-once window,
	// docs/architecture.md item 5).
	MaxUncommittedCalls int
	// CallAfterStart lets the process that starts an execution make the
	// call of the side effect its eager start reaches, without a River
	// job: the start transaction prepares it and counts its attempt, and
	// this process's dispatcher calls once it commits and records the
	// outcome through the advance group commit (dispatch.go). Set it on
	// processes that work jobs; call StopCalls when stopping.
	CallAfterStart bool
	// CallQueue bounds the calls waiting in that dispatcher
	// (DefaultCallQueue); a start past it takes the job path.
	CallQueue int
	// NodeID names this process to the others (the queue's
	// store.QueueLease NodeID). With CallAfterStart the start names it on
	// the rows whose call its dispatcher makes, and the engine keeps a
	// heartbeat under it and recovers the calls of nodes whose heartbeat
	// lapsed within seconds of their death (node.go). Empty: no
	// heartbeat; a dead process's calls wait for their recovery time.
	NodeID string
	// NodeInterval (store.DefaultLeaseInterval) is how often the heartbeat
	// is renewed; NodeExpiry (store.DefaultLeaseExpiry) is how old another
	// node's heartbeat may get before its calls are recovered.
	NodeInterval, NodeExpiry time.Duration
	// NodeAlone says this process is alone on its database (SQLite): any
	// other node is a predecessor, dead or stopping, and its calls are
	// recovered from this process's first renewal once its heartbeat is
	// older than half of NodeExpiry and a NodeInterval (node.go), without
	// the settling a node among others waits for.
	NodeAlone bool
	// QueuedStart turns eager start off: a new execution is inserted
	// PENDING and all of its nodes run in advance jobs (see StartManyTx).
	QueuedStart bool
	// TimerHorizon (DefaultTimerHorizon): a delay or wait timeout due
	// further off than this is kept on the execution's row (WakeAt) rather
	// than as a queued job; RunWakeups turns it into a job once it is due
	// within the horizon.
	TimerHorizon time.Duration
	// WakeupInterval is how often RunWakeups looks for timers coming due
	// (DefaultWakeupInterval); it must stay well under TimerHorizon.
	WakeupInterval time.Duration

	// ExecutionQuota, when set, is called in the start transaction with the
	// number of executions it inserted for a tenant (test runs and
	// idempotent repeats left out); an error (the plan's monthly limit,
	// usage.Meter.Executions) fails the start and writes nothing.
	ExecutionQuota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID, n int) error

	// callWindowsHook replaces the bounds of calls made after their start
	// (tests only: seconds instead of minutes).
	callWindowsHook *callWindows
	// beforeCallHook, when set (tests), runs before the dispatcher makes a
	// call; false makes the process "die" there: no call, nothing recorded.
	beforeCallHook func(req EffectRequest) bool
	// beforeNodeRenewHook, when set (tests), runs before each heartbeat
	// renewal; false skips it, as a paused or cut-off process would.
	beforeNodeRenewHook func() bool
	// afterPerformHook is afterPerform (tests only).
	afterPerformHook func(stepID uuid.UUID) error
	// beforeWebhookStartHook is beforeWebhookStart (tests only).
	beforeWebhookStartHook func()
	// beforeStartBatchHook runs when a start runner has taken a batch of n
	// requests, before its transaction (tests only).
	beforeStartBatchHook func(n int)
}

// Engine runs executions. It is safe for concurrent use.
type Engine struct {
	store store.Store
	log   *slog.Logger
	// tenantLog writes warnings about tenants' own mistakes (a trigger
	// filter that fails for every event) once, then at most every 30 s
	// with repeated=N.
	tenantLog *slog.Logger
	reg       *workflow.Registry
	expr      *expr.Env
	tmpl      *tmpl.Engine
	pub       live.Publisher
	locks     execlock.Locker
	batch     *batcher // nil: no group commit
	// batchCommits counts group-commit transactions that committed.
	batchCommits atomic.Int64
	starts       *startBatcher // nil: every start commits alone
	// startCommits counts start group-commit transactions that committed.
	startCommits atomic.Int64
	now          func() time.Time
	effects      map[string]SideEffect
	// secrets opens the credential a webhook trigger's secret is kept in.
	secrets SecretResolver
	// quota is Options.ExecutionQuota.
	quota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID, n int) error

	stepLimit    int
	pureBudget   int
	queuedStart  bool
	timerHorizon time.Duration
	wakeupEvery  time.Duration
	// effectResultsAlone: Options.EffectResultsAlone.
	effectResultsAlone bool
	// calls holds a token per side-effect call whose outcome is not
	// committed yet (Options.MaxUncommittedCalls); nil: no bound.
	calls chan struct{}
	// dispatch makes the calls of executions this process started
	// (Options.CallAfterStart); nil: their jobs do.
	dispatch *dispatcher
	// callWindows bound the dispatcher's calls (dispatch.go).
	callWindows callWindows
	// node is this process's heartbeat (Options.NodeID, node.go); nil
	// without a dispatcher or a node ID.
	node *node

	defsMu  sync.RWMutex
	defs    map[uuid.UUID]*graph
	defsCap int

	// afterPerform, when set (tests), runs after a side effect's outcome is
	// recorded and before the execution moves on; an error simulates a
	// crash at that point.
	afterPerform func(stepID uuid.UUID) error
	// beforeWebhookStart, when set (tests), runs in StartWebhook's
	// transaction between the auth check and the start.
	beforeWebhookStart func()
	// beforeCall is Options.beforeCallHook.
	beforeCall func(req EffectRequest) bool
	// draining is set by Drain: the process is stopping.
	draining atomic.Bool
}

// New builds an engine over st. Register its workers with RegisterWorkers
// before the store's queue starts.
func New(st store.Store, opts Options) *Engine {
	e := &Engine{
		store:        st,
		log:          opts.Logger,
		reg:          opts.Registry,
		pub:          opts.Publisher,
		now:          opts.Clock,
		stepLimit:    opts.StepLimit,
		pureBudget:   opts.PureBudget,
		queuedStart:  opts.QueuedStart,
		timerHorizon: opts.TimerHorizon,
		wakeupEvery:  opts.WakeupInterval,
		defs:         make(map[uuid.UUID]*graph),
		defsCap:      opts.DefinitionCacheSize,
		effects:      make(map[string]SideEffect),

		secrets: opts.Secrets,
		quota:   opts.ExecutionQuota,

		afterPerform:       opts.afterPerformHook,
		beforeCall:         opts.beforeCallHook,
		beforeWebhookStart: opts.beforeWebhookStartHook,
	}
	e.effectResultsAlone = opts.EffectResultsAlone
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.tenantLog = ratelog.New(e.log, 0)
	e.locks = execlock.FailOpen(opts.Locker, e.log)
	if e.reg == nil {
		e.reg = workflow.Default()
	}
	e.expr = e.reg.Expr()
	e.tmpl = e.reg.Templates()
	if e.pub == nil {
		e.pub = live.Nop{}
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.stepLimit <= 0 {
		e.stepLimit = DefaultStepLimit
	}
	if e.pureBudget <= 0 {
		e.pureBudget = DefaultPureBudget
	}
	if e.defsCap <= 0 {
		e.defsCap = 1024
	}
	if e.timerHorizon <= 0 {
		e.timerHorizon = DefaultTimerHorizon
	}
	if e.wakeupEvery <= 0 {
		e.wakeupEvery = min(DefaultWakeupInterval, e.timerHorizon/4)
	}
	httpFX, err := NewHTTPRequest(opts.HTTP, e.tmpl)
	if err != nil {
		e.log.Error("http.request allow-list ignored", "error", err)
		httpFX, _ = NewHTTPRequest(HTTPOptions{Timeout: opts.HTTP.Timeout, MaxResponseBytes: opts.HTTP.MaxResponseBytes, Ports: opts.HTTP.Ports, AnyPort: opts.HTTP.AnyPort}, e.tmpl)
	}
	httpFX.secrets = opts.Secrets
	e.effects[httpFX.Kind()] = httpFX
	if opts.AdvanceBatch <= 0 {
		opts.AdvanceBatch = DefaultAdvanceBatch
	}
	if opts.AdvanceBatchers <= 0 {
		opts.AdvanceBatchers = DefaultAdvanceBatchers
	}
	if opts.AdvanceBatch > 1 && st != nil {
		e.batch = newBatcher(e, opts.AdvanceBatch, opts.AdvanceBatchers)
	}
	if opts.StartBatch <= 0 {
		opts.StartBatch = DefaultStartBatch
	}
	if opts.StartBatchers <= 0 {
		opts.StartBatchers = DefaultStartBatchers
	}
	if opts.StartBatch > 1 && st != nil {
		e.starts = newStartBatcher(e, opts.StartBatch, opts.StartBatchers, opts.beforeStartBatchHook)
	}
	if opts.MaxUncommittedCalls == 0 {
		opts.MaxUncommittedCalls = DefaultMaxUncommittedCalls
	}
	if opts.MaxUncommittedCalls > 0 {
		e.calls = make(chan struct{}, opts.MaxUncommittedCalls)
	}
	for _, fx := range opts.SideEffects {
		e.effects[fx.Kind()] = fx
	}
	e.callWindows = defaultCallWindows
	if opts.callWindowsHook != nil {
		e.callWindows = *opts.callWindowsHook
	}
	if opts.CallAfterStart && !opts.QueuedStart && st != nil {
		if opts.CallQueue <= 0 {
			opts.CallQueue = DefaultCallQueue
		}
		if opts.NodeID != "" {
			e.node = newNode(e, opts)
		}
		e.dispatch = newDispatcher(e, opts.CallQueue)
	}
	return e
}

// RegisterWorkers adds the engine's job workers to a River bundle (the
// store's QueueConfig.Workers).
func (e *Engine) RegisterWorkers(w *river.Workers) {
	river.AddWorker(w, &advanceWorker{e: e})
}

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.store }

// AdvanceArgs is the River job that advances an execution. Token is the
// execution's token when the job was enqueued: a job whose token no longer
// matches does nothing.
type AdvanceArgs struct {
	TenantID    uuid.UUID `json:"tenantId"`
	ExecutionID uuid.UUID `json:"executionId"`
	Token       int64     `json:"token"`
}

// AdvanceKind is the River kind of AdvanceArgs.
const AdvanceKind = "nextflow.advance"

// Kind implements river.JobArgs.
func (AdvanceArgs) Kind() string { return AdvanceKind }

// Advance jobs are not River-unique: each is inserted in the transaction
// that sets the token it carries, so two jobs with one token cannot both
// commit, and the token check makes any re-run harmless. River's unique
// inserts would cost an index and a hash on every step for nothing.

// advanceMaxAttempts is River's attempt limit for an advance job: high,
// since a discarded job would strand its execution, and a re-run that finds
// its work done costs one row lock.
const advanceMaxAttempts = 100

// InsertOpts sets the attempt limit of advance jobs.
func (AdvanceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: advanceMaxAttempts}
}

type advanceWorker struct {
	river.WorkerDefaults[AdvanceArgs]
	e *Engine
}

// NextRetry retries a failed advance job soon: 1s, 2s, 4s… capped at 30s
// (River's default, attempt⁴ seconds, would leave an execution idle for
// minutes after a few database hiccups or a crash).
func (w *advanceWorker) NextRetry(job *river.Job[AdvanceArgs]) time.Time {
	d := time.Second << min(max(job.Attempt-1, 0), 5)
	return time.Now().Add(min(d, 30*time.Second))
}

// Work advances the execution.
func (w *advanceWorker) Work(ctx context.Context, job *river.Job[AdvanceArgs]) error {
	err := w.e.advance(ctx, job.Args)
	var snoozed *river.JobSnoozeError
	if err != nil && !errors.As(err, &snoozed) {
		w.e.log.ErrorContext(ctx, "advance failed; River retries the job", "execution", job.Args.ExecutionID,
			"token", job.Args.Token, "attempt", job.Attempt, "error", err)
	}
	return err
}

// enqueue inserts the advance job for exec's current token, at runAt (zero:
// now).
func enqueue(ctx context.Context, tx store.Tx, exec *domain.Execution, runAt time.Time) error {
	job := advanceJob(advanceArgs(exec), runAt)
	if _, err := tx.JobInsert(ctx, job.Args, job.InsertOpts); err != nil {
		return fmt.Errorf("enqueue advance of execution %s: %w", exec.ID, err)
	}
	return nil
}

// advanceArgs names exec at its current token.
func advanceArgs(exec *domain.Execution) AdvanceArgs {
	return AdvanceArgs{TenantID: exec.TenantID, ExecutionID: exec.ID, Token: exec.Token}
}

// advanceJob is the advance job of args, at runAt (zero: now).
func advanceJob(args AdvanceArgs, runAt time.Time) river.InsertManyParams {
	job := river.InsertManyParams{Args: args}
	// A time already passed is inserted as available: River would leave a
	// past "scheduled" job to its scheduler, seconds later.
	if runAt.After(time.Now()) {
		job.InsertOpts = &river.InsertOpts{ScheduledAt: runAt}
	}
	return job
}

// closeCallsWait is how long Close waits for calls made after their start
// that are still under way.
const closeCallsWait = 5 * time.Second

// Close stops the engine's group-commit runners once the queue has
// stopped; advance jobs and starts that still arrive run on their own.
func (e *Engine) Close() {
	if e.dispatch != nil {
		// Normally stopped before (StopCalls): hand what still waits to
		// jobs and let the calls under way record through the batcher.
		ctx, cancel := context.WithTimeout(context.Background(), closeCallsWait)
		if err := e.dispatch.stopCalls(ctx); err != nil {
			e.log.Warn("engine closed with calls under way; they are recovered at their recovery time", "error", err)
		}
		cancel()
	}
	if e.batch != nil {
		e.batch.close()
	}
	if e.starts != nil {
		e.starts.close()
	}
}
