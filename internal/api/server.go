// Package api is NextFlow's HTTP JSON API under /api/v1, built with huma v2
// so the OpenAPI 3.1 document comes from the Go types. Handlers are grouped
// by resource, one file each; errors are RFC 9457 problem details.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/credential"
	"github.com/nextflow-dev/nextflow/internal/cron"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/ingest"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/usage"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Prefix is the path prefix of every API route.
const Prefix = "/api/v1"

// Operation metadata keys read by the authentication middleware.
const (
	// MetaPublic marks an operation that needs no credentials (true).
	MetaPublic = "nextflow.public"
	// MetaPermission names the permission an operation requires (string).
	MetaPermission = "nextflow.permission"
	// MetaNoTenant marks an operation that acts on the caller, not on a
	// tenant object (e.g. /auth/me), for the isolation test (true).
	MetaNoTenant = "nextflow.noTenant"
)

// Version is the API document version.
const Version = "1.0.0"

// Deps are the services the API is built on. Fields that are nil disable
// the routes that need them.
type Deps struct {
	Store    store.Store
	Logger   *slog.Logger
	Config   *config.Config
	Registry *workflow.Registry
	// Engine backs the executions and webhook routes (optional).
	Engine *engine.Engine
	// Live feeds the executions stream (optional).
	Live live.Subscriber
	// Scheduler backs the schedules routes (optional).
	Scheduler *cron.Scheduler
	// Lifecycle acts inside workflow activation transactions (optional).
	Lifecycle WorkflowLifecycle
	// Usage holds creations to the workspace's plan (workflows, active
	// workflows); nil limits nothing.
	Usage *usage.Meter
	// Credentials seals and opens workspace credentials (optional: nil
	// leaves the credentials routes out, and webhooks that name a
	// credential are refused).
	Credentials *credential.Service
	// Ingest stores events and contact updates (the events and Segment
	// routes); nil builds one over Store and Engine.
	Ingest *ingest.Service
	// ResolveAPIKey resolves a workspace API key (the Segment routes' write
	// key; set by Accounts.Install to the key cache's resolver, so the
	// principal may be auth.Principal.Cached: ingestion confirms it in its
	// transaction).
	ResolveAPIKey func(ctx context.Context, key string) (*auth.Principal, error)
	// Version is the binary's version, shown by /healthz.
	Version string
	// Hooks lets other packages register their operations (accounts,
	// executions, schedules…) on the same API.
	Hooks []func(api huma.API)
	// Middleware are huma middlewares applied to every operation, in order
	// (authentication goes here).
	Middleware []func(ctx huma.Context, next func(huma.Context))
	// Recheck tells whether a request's principal still stands and holds
	// perm (auth.Service.Recheck; set by Accounts.Install): long-lived
	// streams call it every StreamRecheck and end when it fails.
	Recheck func(ctx context.Context, p *auth.Principal, perm auth.Permission) error
	// StreamRecheck is how often an open stream rechecks its principal
	// (default DefaultStreamRecheck).
	StreamRecheck time.Duration
	// Queries checks each request's queries (store.QueryMonitor.CheckScope):
	// one repeated past its limit is an N+1 suspicion, logged naming the
	// route and handed to its OnRepeat. Nil: the defaults, logged to Logger.
	Queries *store.QueryMonitor
	// Metrics receives every request by route and status (optional).
	Metrics RequestObserver
}

// Server is the HTTP API.
type Server struct {
	deps Deps
	api  huma.API
	mux  *http.ServeMux
	log  *slog.Logger
	// streams ends when CloseStreams is called; every open stream watches it.
	streams      context.Context
	closeStreams context.CancelFunc
}

// CloseStreams ends every open server-sent-events stream at once (call it
// at the start of shutdown: http.Server.Shutdown does not wait for them
// otherwise). Clients reconnect, to another node if this one is going.
// Streams opened afterwards end at once too.
func (s *Server) CloseStreams() { s.closeStreams() }

// NewConfig returns the huma configuration of the NextFlow API.
func NewConfig() huma.Config {
	cfg := huma.DefaultConfig("NextFlow API", Version)
	cfg.Info.Description = "Durable customer journeys. Browsers authenticate with the session cookie " +
		"(writes are CSRF-checked by Origin); programs with a workspace API key as `Authorization: Bearer nf_…`."
	cfg.OpenAPIPath = Prefix + "/openapi"
	cfg.DocsPath = ""
	cfg.SchemasPath = Prefix + "/schemas"
	// No $schema links in bodies: the generated TypeScript client stays clean.
	cfg.CreateHooks = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"session": {Type: "apiKey", In: "cookie", Name: "nextflow_session"},
		"apiKey":  {Type: "http", Scheme: "bearer", Description: "Workspace API key (nf_…)"},
	}
	cfg.Security = []map[string][]string{{"session": {}}, {"apiKey": {}}}
	cfg.Transformers = append(cfg.Transformers, redactProblemValues, humanizeParamProblems)
	return cfg
}

// New builds the API and registers every operation.
func New(deps Deps) *Server {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Registry == nil {
		deps.Registry = workflow.Default()
	}
	mux := http.NewServeMux()
	s := &Server{deps: deps, mux: mux, log: deps.Logger}
	s.streams, s.closeStreams = context.WithCancel(context.Background())
	s.api = humago.New(mux, NewConfig())
	for _, mw := range deps.Middleware {
		s.api.UseMiddleware(mw)
	}
	s.api.UseMiddleware(s.auditMiddleware, scopeTenant)
	s.registerOps()
	s.registerWorkflows()
	s.registerWorkflowDiff()
	s.registerWorkflowStarters()
	s.registerTestRuns()
	s.registerSchedules()
	s.registerExecutions()
	s.registerWebhooks()
	s.registerCredentials()
	s.registerContacts()
	s.registerContactImports()
	s.registerEvents()
	s.registerSegment()
	for _, hook := range deps.Hooks {
		hook(s.api)
	}
	mux.HandleFunc("GET "+Prefix+"/docs", serveDocs)
	return s
}

// API returns the huma API (for registering more operations and for tests).
func (s *Server) API() huma.API { return s.api }

// OpenAPI returns the OpenAPI document.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// Handler returns the API handler for /api/v1, /healthz and /readyz,
// wrapped in request IDs, access logs and the body limit.
func (s *Server) Handler() http.Handler {
	maxBody := int64(1 << 20)
	if s.deps.Config != nil && s.deps.Config.MaxBodyBytes > 0 {
		maxBody = s.deps.Config.MaxBodyBytes
	}
	return RequestID(s.observeRequests(AccessLog(s.log, SecurityHeaders(s.trustProxy(), s.uploadBypass(BodyLimit(maxBody, TextHygiene(nameRoute(s.mux, s.mux))))))))
}

// Mux returns the underlying mux so the caller can mount more handlers
// (the dashboard, webhooks).
func (s *Server) Mux() *http.ServeMux { return s.mux }

// HealthDTO is the state /healthz and /readyz report.
type HealthDTO struct {
	Status   string            `json:"status" example:"ok"`
	Version  string            `json:"version,omitempty"`
	Database string            `json:"database,omitempty"`
	Checks   map[string]string `json:"checks,omitempty"`
}

// HealthOutput is the answer of /healthz and /readyz.
type HealthOutput struct {
	Body HealthDTO
}

func (s *Server) registerOps() {
	huma.Register(s.api, huma.Operation{
		OperationID: "healthz",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness: the process is up",
		Tags:        []string{"ops"},
		Security:    []map[string][]string{},
		Metadata:    map[string]any{MetaPublic: true},
	}, func(ctx context.Context, _ *NoInput) (*HealthOutput, error) {
		out := &HealthOutput{}
		out.Body.Status = "ok"
		out.Body.Version = s.deps.Version
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "readyz",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness: the database is reachable and migrations are current",
		Tags:        []string{"ops"},
		Security:    []map[string][]string{},
		Metadata:    map[string]any{MetaPublic: true},
		Errors:      []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, _ *NoInput) (*HealthOutput, error) {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if s.deps.Store == nil {
			return nil, huma.Error503ServiceUnavailable("no database configured")
		}
		if err := s.deps.Store.Ping(ctx); err != nil {
			s.log.WarnContext(ctx, "readyz: database unreachable", "err", err)
			return nil, Unavailable()
		}
		st, err := s.deps.Store.MigrationStatus(ctx)
		if err != nil {
			s.log.WarnContext(ctx, "readyz: migration status", "err", err)
			return nil, huma.Error503ServiceUnavailable("cannot read migration status")
		}
		if !st.UpToDate {
			return nil, huma.Error503ServiceUnavailable("database schema is not current: run `nextflow migrate up` or start with --migrate")
		}
		out := &HealthOutput{}
		out.Body.Status = "ok"
		out.Body.Version = s.deps.Version
		out.Body.Database = s.deps.Store.Dialect()
		return out, nil
	})
}

// problem maps an error from a lower layer to a problem-details error.
// Internal error text never reaches the client: it is logged with the
// request ID instead.
func (s *Server) problem(ctx context.Context, what string, err error) error {
	return Problem(ctx, s.log, what, err)
}

// RetryAfterUnavailable is the Retry-After (seconds) of a 503 answered
// while the database is unavailable.
const RetryAfterUnavailable = 5

// Unavailable is the problem answered while the database cannot be
// reached: 503 with Retry-After, so clients and load balancers retry.
func Unavailable() huma.StatusError {
	return &problemWithHeaders{
		ErrorModel: huma.Error503ServiceUnavailable("database unavailable: try again in a few seconds").(*huma.ErrorModel),
		headers:    http.Header{"Retry-After": {strconv.Itoa(RetryAfterUnavailable)}},
	}
}

// problemWithHeaders is a problem that is also a huma.HeadersError, so
// both handlers and the authentication middleware send its headers.
type problemWithHeaders struct {
	*huma.ErrorModel
	headers http.Header
}

// GetHeaders implements huma.HeadersError.
func (p *problemWithHeaders) GetHeaders() http.Header { return p.headers }

// Problem maps domain and store errors to RFC 9457 problems: ErrNotFound
// → 404, ErrConflict → 409, ErrStale → 412, ErrUnavailable → 503 with
// Retry-After; a huma.StatusError passes through; anything else is logged
// and becomes a bare 500.
func Problem(ctx context.Context, log *slog.Logger, what string, err error) error {
	var se huma.StatusError
	var le *plan.LimitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le):
		return planLimitProblem(le)
	case errors.As(err, &se):
		return se
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound(what + " not found")
	case errors.Is(err, store.ErrConflict):
		return huma.Error409Conflict(what + " already exists")
	case errors.Is(err, store.ErrStale):
		return huma.NewError(http.StatusPreconditionFailed, what+" was changed by someone else")
	case errors.Is(err, store.ErrInvalidText):
		return huma.Error422UnprocessableEntity(what + ": a value cannot be stored (a NUL character, invalid UTF-8, or too long)")
	case errors.Is(err, context.Canceled):
		return huma.NewError(499, "request cancelled")
	case errors.Is(err, store.ErrUnavailable):
		log.WarnContext(ctx, "database unavailable", "what", what, "err", err, "request_id", RequestIDFrom(ctx))
		return Unavailable()
	}
	log.ErrorContext(ctx, "internal error", "what", what, "err", err, "request_id", RequestIDFrom(ctx))
	return huma.Error500InternalServerError("internal error (request " + RequestIDFrom(ctx) + ")")
}
