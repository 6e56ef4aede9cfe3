// Package app assembles a NextFlow process from its configuration: the
// store and its queue, the engine, the API, the dashboard, and runs them
// until the context ends, then shuts down gracefully.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/analytics"
	"github.com/nextflow-dev/nextflow/internal/api"
	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/channel/messenger"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/contactimport"
	"github.com/nextflow-dev/nextflow/internal/credential"
	"github.com/nextflow-dev/nextflow/internal/cron"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/execlock"
	"github.com/nextflow-dev/nextflow/internal/ingest"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/metrics"
	"github.com/nextflow-dev/nextflow/internal/opsui"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
	"github.com/nextflow-dev/nextflow/internal/ratelog"
	"github.com/nextflow-dev/nextflow/internal/redisconn"
	"github.com/nextflow-dev/nextflow/internal/retention"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storeopen"
	"github.com/nextflow-dev/nextflow/internal/tracing"
	"github.com/nextflow-dev/nextflow/internal/usage"
	"github.com/nextflow-dev/nextflow/internal/webui"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// App is an assembled NextFlow process.
type App struct {
	cfg     *config.Config
	log     *slog.Logger
	store   store.Store
	workers *river.Workers
	api     *api.Server
	engine  *engine.Engine
	version string
	// closers release what wire opened (Redis), after the store.
	closers []func() error
	// workersRegistered is set once job workers are added (River refuses
	// to start with an empty bundle).
	workersRegistered bool
	// redis is the optional Redis connection and its state (nil without
	// REDIS_URL).
	redis *redisconn.Conn
	// live carries live events (Redis, with its fallback, when REDIS_URL is
	// set).
	live live.Bus
	// riverUI is River's UI for operators at opsui.Prefix (nil unless
	// NEXTFLOW_OPERATOR_TOKEN is set).
	riverUI http.Handler
	// messengerHooks receives Messenger webhooks at api.MessengerHookPath.
	messengerHooks *messenger.Inbound
	// whatsAppHooks receives WhatsApp webhooks at /hooks/whatsapp/{id}.
	whatsAppHooks *whatsapp.Inbound
	// metrics is the process's Prometheus registry (nil in OpenAPI), fed
	// by monitor (the store's queries and jobs), the API and the engine.
	metrics *metrics.Metrics
	monitor *store.QueryMonitor
	// traces is the OpenTelemetry tracer provider and exporter; nil
	// without an OTLP endpoint (tracing off).
	traces *tracing.Provider
}

// Options are what the caller supplies beside the configuration.
type Options struct {
	Logger  *slog.Logger
	Version string
}

// New opens the store (migrating when configured, and always on embedded
// SQLite, which has a single process) and builds the API.
func New(ctx context.Context, cfg *config.Config, opts Options) (*App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	workers := river.NewWorkers()
	reg, monitor := newMetrics(cfg, log)
	traces, err := tracing.New(cfg.Tracing, tracing.Options{Version: opts.Version, Logger: log})
	if err != nil {
		return nil, err
	}
	st, err := storeopen.Open(ctx, storeopen.Config{
		DatabaseURL: cfg.DatabaseURL,
		DataDir:     cfg.DataDir,
		Logger:      log,
		Monitor:     monitor,
		SecretKeys:  append([][]byte{cfg.SecretKey}, cfg.SecretKeysPrevious...),
		Queue: store.QueueConfig{
			Workers:    workers,
			WorkNone:   cfg.Role == config.RoleAPI,
			JobTimeout: cfg.JobTimeout,
			// River's leader deletes finished jobs past these ages, and
			// inserts the history prune every NEXTFLOW_PRUNE_INTERVAL.
			CompletedRetention: cfg.Retention.JobsCompleted,
			CancelledRetention: cfg.Retention.JobsCancelled,
			DiscardedRetention: cfg.Retention.JobsDiscarded,
			PeriodicJobs:       append(append(prunePeriodic(cfg.Retention.PruneInterval), segmentPeriodic()...), analytics.PeriodicJob(analytics.DefaultInterval)),
			Middleware:         traces.JobMiddleware(),
		},
	})
	if err != nil {
		_ = traces.Shutdown(ctx)
		return nil, fmt.Errorf("open database: %w", err)
	}
	if cfg.MigrateOnStart || st.Dialect() == store.DialectSQLite {
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			_ = traces.Shutdown(ctx)
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	reg.WatchStore(st)
	a := &App{cfg: cfg, log: log, store: st, workers: workers, version: opts.Version, metrics: reg, monitor: monitor, traces: traces}
	deps, err := a.wire(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	// Plain secrets of definitions from before credentials move into
	// credentials before anything serves them (idempotent, and safe on
	// several nodes at once).
	if _, err := deps.Credentials.MigratePlain(ctx); err != nil {
		a.close()
		return nil, fmt.Errorf("move plain secrets into credentials: %w", err)
	}
	a.api = api.New(*deps)
	if err := a.mountUnsubscribe(); err != nil {
		a.close()
		return nil, err
	}
	if a.whatsAppHooks != nil {
		a.api.MountWhatsAppHooks(a.whatsAppHooks)
	}
	if a.messengerHooks != nil {
		a.api.MountMessengerHooks(a.messengerHooks)
	}
	a.engine = deps.Engine
	a.workersRegistered = true
	if cfg.OperatorToken != "" && cfg.Role != config.RoleWorker {
		a.riverUI, err = opsui.New(ctx, st.Queue(), cfg.OperatorToken, log.With("component", "riverui"))
		if err != nil {
			a.close()
			return nil, err
		}
	}
	return a, nil
}

// wire builds the services over the store and registers their job
// workers.
func (a *App) wire(ctx context.Context) (*api.Deps, error) {
	cfg, log, st := a.cfg, a.log, a.store
	var publisher live.Publisher
	var subscriber live.Subscriber
	// Sign-in throttles: in process, or shared through Redis when set.
	var loginLimiter auth.Limiter
	// The execution lock in front of the database lock: through Redis when
	// set, else none (the database lock alone).
	var locker execlock.Locker
	// Request rate limits: shared through Redis when set, else in process.
	var rateLimiter ratelimit.Limiter
	if cfg.RedisURL != "" {
		// Redis is optional even when set: a node starts and runs while it
		// is down, each part below falling back (database lock only,
		// in-process limits, the PostgreSQL or in-process live bus), and
		// switches to Redis whenever it answers (redisconn watches it).
		conn, err := redisconn.Open(cfg.RedisURL, log)
		if err != nil {
			return nil, &config.Error{Name: "REDIS_URL", Msg: err.Error()}
		}
		// go-redis logs through a package-level logger: route it through
		// slog, a repeated line at most once per interval. This sets it for
		// the whole process (the last app assembled wins).
		redis.SetLogger(ratelog.NewPrintf(log.With("component", "redis"), 0))
		rdb := conn.Client()
		loginLimiter = loginLimiterSwitch{up: conn.Up, redis: auth.NewRedisLimiter(rdb, auth.DefaultRedisThrottlePrefix, nil), local: auth.NewMemoryLimiter(nil)}
		locker = execlock.Switch(execlock.NewRedis(rdb, execlock.DefaultRedisPrefix), conn.Up, conn.Failed)
		localRate := ratelimit.NewMemory(ratelimit.MemoryOptions{})
		rateLimiter = rateLimiterSwitch{up: conn.Up, redis: ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Logger: log, Fallback: localRate}), local: localRate}
		var fallback live.Bus
		if pg, ok := st.(*postgres.Store); ok {
			bus, err := pg.LiveBus(ctx, log)
			if err != nil {
				_ = conn.Close()
				return nil, fmt.Errorf("live events: %w", err)
			}
			fallback = bus
			a.closers = append(a.closers, bus.Close)
		}
		sw := live.NewSwitch(live.SwitchOptions{Client: rdb, Up: conn.Up, Failed: conn.Failed, Fallback: fallback, Logger: log})
		conn.OnChange(sw.SetRedis)
		conn.Start(ctx, 2*time.Second)
		a.redis, a.live = conn, sw
		a.closers = append([]func() error{sw.Close}, append(a.closers, conn.Close)...)
		publisher, subscriber = sw, sw
	} else if pg, ok := st.(*postgres.Store); ok {
		// Several nodes on one PostgreSQL without Redis: LISTEN/NOTIFY.
		bus, err := pg.LiveBus(ctx, log)
		if err != nil {
			return nil, fmt.Errorf("live events: %w", err)
		}
		a.closers = append([]func() error{bus.Close}, a.closers...)
		publisher, subscriber = bus, bus
	} else {
		hub := live.NewHub()
		publisher, subscriber = hub, hub
	}
	if rateLimiter == nil {
		rateLimiter = ratelimit.NewMemory(ratelimit.MemoryOptions{})
	}
	if a.metrics != nil {
		// Executions and steps are counted as the engine publishes them,
		// after each commit.
		publisher = a.metrics.Publisher(publisher)
	}
	if pg, ok := st.(*postgres.Store); ok {
		// A superuser or BYPASSRLS role turns row-level security off: say
		// so loudly at every start.
		pg.WarnRole(ctx, log)
	}
	registry := workflow.Default()
	keyring, err := secret.NewKeyring(cfg.SecretKey, cfg.SecretKeysPrevious...)
	if err != nil {
		return nil, &config.Error{Name: "NEXTFLOW_SECRET_KEY", Msg: err.Error()}
	}
	credentials := credential.New(st, keyring, log)
	// Plan limits: executions per month taken as they start, messages as
	// they are queued, contacts as they are created, schedules' intervals,
	// workflows held as they are created.
	meter := usage.New(st, usage.Options{})
	// Channel connections, templates and messages; the senders register
	// their connection tests on the service.
	channels := channel.New(st, keyring, channel.Options{PublicURL: cfg.BaseURL, Logger: log})
	emailFX, emailSender, err := emailChannel(cfg, st, channels, meter.Messages, log)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, emailSender.Close)
	messengerFX, messengerIn, err := messengerChannel(st, channels, rateLimiter, cfg.MetaGraphURL, cfg.MetaAPIVersion, meter.Messages, log)
	if err != nil {
		return nil, err
	}
	whatsAppFX, whatsAppIn, err := whatsAppChannel(st, channels, rateLimiter, cfg.MetaGraphURL, cfg.MetaAPIVersion, meter.Messages, log)
	if err != nil {
		return nil, err
	}
	aiFX, aiRoutes, err := aiWiring(cfg, st, keyring, meter.AITokens, log)
	if err != nil {
		return nil, err
	}
	eng := engine.New(st, engine.Options{
		ExecutionQuota: meter.Executions,
		Secrets:        credentials,
		Logger:         log,
		HTTP:           engine.HTTPOptions{Allow: cfg.HTTPAllow, Ports: cfg.HTTPPorts, AnyPort: cfg.HTTPAnyPort},
		Publisher:      publisher,
		Locker:         locker,
		SideEffects:    append([]engine.SideEffect{emailFX, messengerFX, whatsAppFX}, aiFX...),
		// A node that works jobs makes the calls of the executions it
		// starts itself; an API node leaves them to the workers' jobs.
		CallAfterStart:      cfg.Role != config.RoleAPI,
		MaxUncommittedCalls: cfg.MaxUncommittedCalls,
		CallQueue:           cfg.CallQueue,
		// Its calls are recovered within seconds of its death: other nodes
		// watch its heartbeat under the queue's node ID; on SQLite the
		// next process recovers them as it starts.
		NodeID:    nodeID(st.Queue()),
		NodeAlone: st.Dialect() == store.DialectSQLite,
	})
	eng.RegisterWorkers(a.workers)
	// Events reach the engine through the segments' hook, so memberships
	// follow them in the same transaction.
	segments, events, ingestSvc := segmentWiring(st, eng, a.workers, log, meter.Contacts)
	broadcasts := broadcastWiring(st, eng, a.workers, log)
	messengerIn.Engine = events
	messengerIn.RegisterWorkers(a.workers)
	a.messengerHooks = messengerIn
	whatsAppIn.Engine = events
	whatsAppIn.RegisterWorkers(a.workers)
	a.whatsAppHooks = whatsAppIn
	// Concurrent event requests share transactions (the ingest group
	// commit) on PostgreSQL, where each commit is a WAL flush and each
	// statement a round trip; SQLite's one writer gained nothing from it
	// in `nextflow bench events` (×0.82–0.86). Its runners stop before the
	// engine they call.
	if st.Dialect() == store.DialectPostgres {
		ingestSvc.StartGroupCommit(ingest.GroupCommit{})
		a.closers = append(a.closers, func() error { ingestSvc.Close(); return nil })
	}
	a.closers = append(a.closers, func() error { eng.Close(); return nil })
	sched := cron.New(st, cron.EngineStart(eng, log), cron.Options{Logger: log, StartMany: cron.EngineStartMany(eng, log), MinInterval: meter.MinScheduleInterval})
	sched.RegisterWorkers(a.workers)
	// CSV contact imports: any worker node runs them from the chunks in
	// the database.
	contactimport.New(st, contactimport.Options{Logger: log, ContactQuota: meter.Contacts}).RegisterWorkers(a.workers)
	// Expired history (per plan, or the operator's overrides) goes in
	// small batches, in a job the leader inserts every prune interval.
	retention.New(st, retention.Options{Logger: log, Overrides: retention.Overrides{
		Executions: cfg.Retention.Executions, Events: cfg.Retention.Events, Audit: cfg.Retention.Audit,
	}}).RegisterWorkers(a.workers)
	// The daily rollups of the analytics reports, folded by a job the
	// leader inserts every few minutes.
	analytics.New(st, analytics.Options{Logger: log}).RegisterWorkers(a.workers)

	var mailer auth.Mailer
	if cfg.SMTPURL != "" {
		m, err := auth.NewSMTPMailer(cfg.SMTPURL)
		if err != nil {
			return nil, &config.Error{Name: "NEXTFLOW_SMTP_URL", Msg: err.Error()}
		}
		mailer = m
	}
	authSvc, err := auth.New(auth.Options{Store: st, Logger: log, BaseURL: cfg.BaseURL, Mailer: mailer, MemberQuota: meter.Members,
		Limiter: loginLimiter, HashConcurrency: cfg.PasswordHashConcurrency})
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	deps := &api.Deps{
		Store:     st,
		Logger:    log,
		Config:    cfg,
		Registry:  registry,
		Version:   a.version,
		Engine:    eng,
		Live:      subscriber,
		Scheduler: sched,
		Lifecycle: sched,
		Usage:     meter,
	}
	deps.Credentials = credentials
	deps.Ingest = ingestSvc
	if a.metrics != nil {
		deps.Queries, deps.Metrics = a.monitor, a.metrics
	}
	deps.Hooks = append(deps.Hooks, (&api.ChannelRoutes{Store: st, Channels: channels, Logger: log}).Register)
	deps.Hooks = append(deps.Hooks, (&api.SegmentRoutes{Store: st, Segments: segments, Logger: log}).Register)
	deps.Hooks = append(deps.Hooks, (&api.BroadcastRoutes{Store: st, Broadcasts: broadcasts, Logger: log}).Register)
	deps.Hooks = append(deps.Hooks, aiRoutes.Register)
	deps.Hooks = append(deps.Hooks, (&api.PlanRoutes{Store: st, Meter: meter, Logger: log, BillingToken: cfg.OperatorToken}).Register)
	api.NewAccounts(api.AccountsOptions{Service: authSvc, Logger: log, BaseURL: cfg.BaseURL, TrustProxy: cfg.TrustProxy}).Install(deps)
	// After the accounts: webhook limits go before authentication, API
	// limits after it.
	api.NewRateLimiter(rateLimiter, cfg.RateLimits, log).WithPlans(meter.Plan).Install(deps)
	return deps, nil
}

// OpenAPI returns the API document without a database (for `nextflow
// openapi` and the generated client).
func OpenAPI(version string) any {
	// The document needs no key; a zero one builds the credentials routes.
	cfg := &config.Config{SecretKey: make([]byte, 32)}
	a := &App{cfg: cfg, log: slog.New(slog.DiscardHandler), workers: river.NewWorkers(), version: version, store: nilStore{}}
	deps, err := a.wire(context.Background())
	if err != nil {
		panic(err)
	}
	return api.New(*deps).OpenAPI()
}

// close releases the services (live bus, Redis…) and then the store, and
// stops the tracer provider (Run has flushed it already; this covers a
// failed start).
func (a *App) close() {
	for _, c := range a.closers {
		_ = c()
	}
	a.store.Close()
	ctx, cancel := context.WithTimeout(context.Background(), closeSlack)
	defer cancel()
	_ = a.traces.Shutdown(ctx)
}

// Store returns the app's store.
func (a *App) Store() store.Store { return a.store }

// Handler is the whole HTTP surface: API, health, dashboard.
func (a *App) Handler() http.Handler {
	// A server span per API request when traces are on; health probes,
	// which orchestrators send every few seconds, get none.
	plainAPI := a.api.Handler()
	apiHandler := a.traces.Handler(plainAPI)
	web := webui.Handler(a.cfg.WebDir, webui.TrustProxy(a.cfg.TrustProxy))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if a.metrics != nil && isMetricsPath(p) {
			// Only behind NEXTFLOW_METRICS_TOKEN here; else on its own
			// address, or not at all.
			if a.metricsOnMain() {
				a.metricsHandler().ServeHTTP(w, r)
			} else {
				http.NotFound(w, r)
			}
			return
		}
		if a.riverUI != nil && (p == opsui.Prefix || strings.HasPrefix(p, opsui.Prefix+"/")) {
			a.riverUI.ServeHTTP(w, r)
			return
		}
		if p == "/healthz" || p == "/readyz" {
			plainAPI.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(p, api.Prefix+"/") || p == api.Prefix || strings.HasPrefix(p, "/webhooks/") || strings.HasPrefix(p, "/hooks/") ||
			strings.HasPrefix(p, api.SegmentPrefix+"/") || strings.HasPrefix(p, api.UnsubscribePrefix) {
			apiHandler.ServeHTTP(w, r)
			return
		}
		web.ServeHTTP(w, r)
	})
}

// healthOnly passes /healthz and /readyz to next and answers 404 to the
// rest: a worker node listens only so that orchestrators can check it.
func healthOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		http.Error(w, "a worker node serves only /healthz and /readyz", http.StatusNotFound)
	})
}

// Run serves HTTP (roles all and api; health only on workers) and works jobs (roles all and
// worker) until ctx ends, then shuts down within the shutdown deadline
// (NEXTFLOW_SHUTDOWN_TIMEOUT): it stops fetching jobs at once and lets
// running jobs finish (cancelling those still running near the deadline,
// which never cuts a call: see engine.Drain), ends live streams, drains
// HTTP, and closes the store. It returns by the deadline plus closeSlack
// even when a job ignores its context.
func (a *App) Run(ctx context.Context) error {
	// The deadline is set when shutdown begins; until then a failed start
	// gets a whole shutdown timeout to close.
	var deadline time.Time
	defer func() { a.closeBy(deadline) }()
	errc := make(chan error, 2)

	var srv *http.Server
	ln, err := net.Listen("tcp", a.cfg.Addr)
	switch {
	case err != nil && a.cfg.Role == config.RoleWorker:
		// Health endpoints are a convenience on a worker: one that shares a
		// host (and the default address) with an API node still works jobs.
		a.log.Warn("worker health endpoints not served: set NEXTFLOW_ADDR to a free address for /healthz and /readyz",
			"addr", a.cfg.Addr, "error", err)
	case err != nil:
		return &config.Error{Name: "NEXTFLOW_ADDR", Msg: fmt.Sprintf("listen on %s: %v", a.cfg.Addr, err)}
	default:
		handler := a.Handler()
		if a.cfg.Role == config.RoleWorker {
			// A worker serves only its health, for orchestrators' checks.
			handler = healthOnly(handler)
		}
		srv = &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       120 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		}
		a.log.Info("nextflow listening", "addr", ln.Addr().String(), "role", a.cfg.Role,
			"database", a.store.Dialect(), "dashboard", webui.Embedded() || a.cfg.WebDir != "", "version", a.version)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http server: %w", err)
			}
		}()
	}
	metricsSrv, err := a.serveMetrics(ctx, errc)
	if err != nil {
		if srv != nil {
			_ = srv.Close()
		}
		return err
	}
	queueStarted := false
	var wakeups sync.WaitGroup
	wakeupsCtx, stopWakeups := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWakeups()
	if a.cfg.Role != config.RoleAPI && a.workersRegistered {
		// Not ctx: the queue outlives the signal until its jobs are done
		// (a queue started with the signal's context cancels its running
		// jobs the moment the signal arrives).
		if err := a.store.Queue().Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("start queue: %w", err)
		}
		queueStarted = true
		// Timers kept on execution rows become jobs as they come due.
		wakeups.Go(func() { a.engine.RunWakeups(wakeupsCtx) })
		a.log.Info("workers started", "role", a.cfg.Role, "node", nodeID(a.store.Queue()))
	}

	var runErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "deadline", a.cfg.ShutdownTimeout)
	case runErr = <-errc:
		a.log.Error("shutting down after error", "err", runErr)
	}
	began := time.Now()
	deadline = began.Add(a.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()

	// Stop fetching at once; running jobs go on until they finish or the
	// deadline nears (store.StopQueue), while HTTP drains.
	var queueDone, callsDone chan error
	if queueStarted {
		a.engine.Drain()
		queueDone = make(chan error, 1)
		go func() { queueDone <- a.store.Queue().Stop(shutdownCtx) }()
		// Calls waiting after their executions' start go to jobs at once;
		// those under way finish and are recorded.
		callsDone = make(chan error, 1)
		go func() { callsDone <- a.engine.StopCalls(shutdownCtx) }()
	}
	a.closeStreams()
	if srv != nil {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			a.log.Warn("http shutdown", "err", err)
		}
	}
	if metricsSrv != nil {
		// Last scrapes may still see the shutdown; then the listener goes.
		if err := metricsSrv.Shutdown(shutdownCtx); err != nil {
			a.log.Warn("metrics shutdown", "err", err)
		}
	}
	stopWakeups()
	wakeups.Wait()
	if queueDone != nil {
		if err := <-queueDone; err != nil {
			a.log.Warn("queue shutdown: jobs still running at the deadline are handed to other nodes when their lease expires", "err", err)
		}
	}
	if callsDone != nil {
		if err := <-callsDone; err != nil {
			a.log.Warn("calls made after their start still under way at the deadline; their executions are recovered at their recovery time", "err", err)
		}
	}
	// The last requests' and jobs' spans go out before the deadline.
	if err := a.traces.Shutdown(shutdownCtx); err != nil {
		a.log.Warn("traces not all sent by the shutdown deadline", "err", err)
	}
	a.log.Info("stopped", "took", time.Since(began).Round(time.Millisecond))
	return runErr
}

// closeSlack is how long after the shutdown deadline Run may spend closing
// the store and services before it returns regardless.
const closeSlack = 2 * time.Second

// closeBy closes the services and the store, giving up at deadline plus
// closeSlack (a zero deadline: a whole shutdown timeout from now): a job
// that ignored its context may still hold a connection the pool would wait
// for.
func (a *App) closeBy(deadline time.Time) {
	if deadline.IsZero() {
		deadline = time.Now().Add(a.cfg.ShutdownTimeout)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.close()
	}()
	select {
	case <-done:
	case <-time.After(time.Until(deadline.Add(closeSlack))):
		a.log.Warn("closing the store outlasted the shutdown deadline; exiting without waiting")
	}
}

// closeStreams ends the open live streams, so that draining HTTP does not
// wait for them until the deadline (clients reconnect, to another node).
func (a *App) closeStreams() {
	if a.api != nil {
		a.api.CloseStreams()
	}
}

// prunePeriodic is the history prune's periodic job, none when the
// interval is 0 (never).
func prunePeriodic(interval time.Duration) []*river.PeriodicJob {
	if interval <= 0 {
		return nil
	}
	return []*river.PeriodicJob{retention.PeriodicJob(interval)}
}

// nodeID names this process's River client, when the queue keeps leases.
func nodeID(q store.Queue) string {
	if l, ok := q.(store.QueueLease); ok {
		return l.NodeID()
	}
	return ""
}
