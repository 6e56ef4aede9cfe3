package store

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/nextflow-dev/nextflow/internal/tracing"
)

// Query monitoring defaults (NEXTFLOW_SLOW_QUERY_MS and
// NEXTFLOW_QUERY_REPEAT_LIMIT override them).
const (
	// DefaultSlowQuery is the duration from which a query is logged as slow.
	DefaultSlowQuery = 100 * time.Millisecond
	// DefaultQueryRepeatLimit is how many times one query may run in one
	// HTTP request or job before it is an N+1 suspicion.
	DefaultQueryRepeatLimit = 10
)

// QueryMonitor times and names every query both backends run (the
// PostgreSQL backend through a pgx tracer, SQLite in its connection
// wrapper): it logs slow ones, counts them in the QueryScope of their
// context, and hands each to Observe (metrics). The zero value and nil
// count scopes and log nothing.
type QueryMonitor struct {
	// Logger receives slow-query and N+1 warnings; nil logs nothing.
	Logger *slog.Logger
	// Slow is the duration from which a query is logged (zero:
	// DefaultSlowQuery; negative: never).
	Slow time.Duration
	// RepeatLimit is how many runs of one query a scope allows before
	// CheckScope reports it (zero: DefaultQueryRepeatLimit).
	RepeatLimit int
	// Observe, when set, receives every query: its name, duration and
	// whether it failed.
	Observe func(name string, d time.Duration, failed bool)
	// ObserveJob, when set, receives every River job worked: its kind, how
	// long it waited after it was due, how long it ran and its error.
	ObserveJob func(kind string, wait, run time.Duration, err error)
	// ObserveMessage, when set, receives every message status change a
	// read-write transaction commits: the channel and the new status.
	ObserveMessage func(channel, status string)
	// ObserveAITokens, when set, receives the tokens of every AI usage row
	// a read-write transaction commits.
	ObserveAITokens func(prompt, completion int64)
	// OnRepeat, when set, is called for every N+1 suspicion CheckScope
	// finds, after the warning is logged (tests fail on it).
	OnRepeat func(ctx context.Context, scope *QueryScope, r QueryRepeat)

	// names remembers the names of hand-written statements, so that
	// QueryDone names every query without allocating.
	names queryNames
}

// queryNames maps the start of hand-written statements (what verbTable
// reads) to their names, up to maxQueryNames of them.
type queryNames struct {
	mu    sync.RWMutex
	names map[string]string
}

// maxQueryNames bounds queryNames: past it, further statements are named
// each time they run.
const maxQueryNames = 512

// queryName is QueryName, the name of a hand-written statement taken from
// m's names once it has been worked out (m may be nil: worked out each
// time).
func (m *QueryMonitor) queryName(sql string) string {
	name, q, ok := commentName(sql)
	if ok {
		return name
	}
	if len(q) > maxNameScan {
		q = q[:maxNameScan]
	}
	if m == nil {
		return clip("sql:" + verbTable(q))
	}
	m.names.mu.RLock()
	name, ok = m.names.names[q]
	m.names.mu.RUnlock()
	if ok {
		return name
	}
	name = clip("sql:" + verbTable(q))
	m.names.mu.Lock()
	if m.names.names == nil {
		m.names.names = map[string]string{}
	}
	if len(m.names.names) < maxQueryNames {
		m.names.names[strings.Clone(q)] = name
	}
	m.names.mu.Unlock()
	return name
}

// QueryDone records one query that started at start and ended with err.
// The backends call it; m may be nil.
func (m *QueryMonitor) QueryDone(ctx context.Context, sql string, start time.Time, err error) {
	d := time.Since(start)
	name := m.queryName(sql)
	tracing.Query(ctx, name, start, err)
	scope := QueryScopeFrom(ctx)
	if scope != nil && countable(name) {
		scope.add(name, d)
	}
	if m == nil {
		return
	}
	if m.Observe != nil {
		m.Observe(name, d, err != nil && ctx.Err() == nil)
	}
	slow := m.Slow
	if slow == 0 {
		slow = DefaultSlowQuery
	}
	if m.Logger != nil && slow > 0 && d >= slow {
		attrs := []slog.Attr{slog.String("query", name), slog.Duration("duration", d)}
		attrs = append(attrs, scope.attrs()...)
		if err != nil {
			attrs = append(attrs, slog.String("err", err.Error()))
		}
		m.Logger.LogAttrs(ctx, slog.LevelWarn, "slow query", attrs...)
	}
}

// CheckScope reports the queries that ran more than RepeatLimit times in
// scope (N+1 suspicions), most repeated first: each is logged as a warning
// naming the scope's route or job kind and passed to OnRepeat. m may be
// nil (the default limit, no log).
func (m *QueryMonitor) CheckScope(ctx context.Context, scope *QueryScope) []QueryRepeat {
	if scope == nil {
		return nil
	}
	limit := DefaultQueryRepeatLimit
	if m != nil && m.RepeatLimit > 0 {
		limit = m.RepeatLimit
	}
	reps := scope.Repeats(limit)
	if m == nil {
		return reps
	}
	for _, r := range reps {
		if m.Logger != nil {
			attrs := []slog.Attr{slog.String("query", r.Name), slog.Int("count", r.Count), slog.Int("limit", limit)}
			attrs = append(attrs, scope.attrs()...)
			m.Logger.LogAttrs(ctx, slog.LevelWarn, "N+1 suspicion: one query repeated in one unit of work", attrs...)
		}
		if m.OnRepeat != nil {
			m.OnRepeat(ctx, scope, r)
		}
	}
	return reps
}

// JobMiddleware returns a River worker middleware that gives every job a
// QueryScope (job ID, kind and the tenant its arguments name), checks it
// when the job ends and reports the job to ObserveJob. m may be nil.
func (m *QueryMonitor) JobMiddleware() rivertype.Middleware { return &jobMonitor{m: m} }

type jobMonitor struct {
	river.MiddlewareDefaults
	m *QueryMonitor
}

var _ rivertype.WorkerMiddleware = (*jobMonitor)(nil)

// Work runs the job inside its query scope.
func (j *jobMonitor) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	started := time.Now()
	scope := NewQueryScope(ScopeJob, job.Kind)
	scope.SetID(strconv.FormatInt(job.ID, 10))
	scope.SetTenant(argsTenant(job.EncodedArgs))
	err := doInner(WithQueryScope(ctx, scope))
	j.m.CheckScope(ctx, scope)
	if j.m != nil && j.m.ObserveJob != nil {
		wait := started.Sub(job.ScheduledAt)
		if wait < 0 {
			wait = 0
		}
		j.m.ObserveJob(job.Kind, wait, time.Since(started), err)
	}
	return err
}

// argsTenant reads the tenant a job's arguments name ("tenantId" or
// "tenant_id"), or uuid.Nil.
func argsTenant(args []byte) uuid.UUID {
	var v struct {
		TenantID  uuid.UUID `json:"tenantId"`
		TenantID2 uuid.UUID `json:"tenant_id"`
	}
	if json.Unmarshal(args, &v) != nil {
		return uuid.Nil
	}
	if v.TenantID != uuid.Nil {
		return v.TenantID
	}
	return v.TenantID2
}

// Kinds of QueryScope.
const (
	ScopeRequest = "request"
	ScopeJob     = "job"
)

// QueryScope counts the queries of one unit of work, an HTTP request or a
// River job, by name. It travels in the context (WithQueryScope); the
// backends count every query run with that context. Safe for concurrent
// use.
type QueryScope struct {
	kind string

	mu     sync.Mutex
	name   string
	id     string
	tenant uuid.UUID
	paused bool
	counts map[string]int
	total  int
	dbTime time.Duration
}

// NewQueryScope returns an empty scope of kind (ScopeRequest, ScopeJob)
// named by name (the route pattern, the job kind).
func NewQueryScope(kind, name string) *QueryScope {
	return &QueryScope{kind: kind, name: name, counts: map[string]int{}}
}

type queryScopeKey struct{}

// WithQueryScope returns ctx carrying scope.
func WithQueryScope(ctx context.Context, scope *QueryScope) context.Context {
	return context.WithValue(ctx, queryScopeKey{}, scope)
}

// QueryScopeFrom returns the scope ctx carries, or nil.
func QueryScopeFrom(ctx context.Context) *QueryScope {
	s, _ := ctx.Value(queryScopeKey{}).(*QueryScope)
	return s
}

// Kind is ScopeRequest or ScopeJob.
func (s *QueryScope) Kind() string { return s.kind }

// SetName names the scope (a request's route pattern once it is known).
func (s *QueryScope) SetName(name string) {
	s.mu.Lock()
	s.name = name
	s.mu.Unlock()
}

// Name is the route pattern or job kind.
func (s *QueryScope) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.name
}

// SetID sets the request or job ID logs name.
func (s *QueryScope) SetID(id string) {
	s.mu.Lock()
	s.id = id
	s.mu.Unlock()
}

// SetTenant sets the tenant the unit of work acts for.
func (s *QueryScope) SetTenant(id uuid.UUID) {
	s.mu.Lock()
	s.tenant = id
	s.mu.Unlock()
}

// Tenant is the tenant the unit of work acts for, or uuid.Nil.
func (s *QueryScope) Tenant() uuid.UUID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tenant
}

// Pause stops counting: a long-lived request (a live stream that rechecks
// its caller now and then) is not one unit of work. Slow queries are still
// logged.
func (s *QueryScope) Pause() {
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
}

func (s *QueryScope) add(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused {
		return
	}
	s.counts[name]++
	s.total++
	s.dbTime += d
}

// Count returns how many times the query named name ran in the scope.
func (s *QueryScope) Count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[name]
}

// Total returns how many queries ran in the scope, and their time.
func (s *QueryScope) Total() (int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, s.dbTime
}

// QueryRepeat is a query that ran more often than allowed in one scope.
type QueryRepeat struct {
	Name  string
	Count int
}

// Repeats returns the queries that ran more than limit times, most
// repeated first (then by name).
func (s *QueryScope) Repeats(limit int) []QueryRepeat {
	s.mu.Lock()
	defer s.mu.Unlock()
	var reps []QueryRepeat
	for name, n := range s.counts {
		if n > limit {
			reps = append(reps, QueryRepeat{Name: name, Count: n})
		}
	}
	sort.Slice(reps, func(i, j int) bool {
		if reps[i].Count != reps[j].Count {
			return reps[i].Count > reps[j].Count
		}
		return reps[i].Name < reps[j].Name
	})
	return reps
}

// attrs are the log attributes naming the scope; s may be nil.
func (s *QueryScope) attrs() []slog.Attr {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var attrs []slog.Attr
	if s.tenant != uuid.Nil {
		attrs = append(attrs, slog.String("tenant_id", s.tenant.String()))
	}
	switch s.kind {
	case ScopeRequest:
		attrs = append(attrs, slog.String("route", s.name), slog.String("request_id", s.id))
	case ScopeJob:
		attrs = append(attrs, slog.String("job_kind", s.name), slog.String("job_id", s.id))
	}
	return attrs
}

// countable tells whether a query counts towards N+1 suspicions:
// transaction control repeats with every transaction and is not one.
func countable(name string) bool {
	switch name {
	case "sql:begin", "sql:commit", "sql:rollback", "sql:savepoint", "sql:release", "sql:set", "sql:pragma":
		return false
	}
	return true
}

// maxQueryName bounds a query name (it is a metric label); maxNameScan
// bounds how much of a hand-written statement is read to name it.
const (
	maxQueryName = 80
	maxNameScan  = 2048
)

// QueryName names a query: the sqlc name in its "-- name: Foo :one"
// comment (our queries and River's), else "sql:" and the statement's verb
// and first table ("sql:select contacts", "sql:update workflow_executions",
// "sql:begin"), so hand-written statements get a stable, bounded name too.
func QueryName(sql string) string {
	return (*QueryMonitor)(nil).queryName(sql)
}

// commentName returns the name in sql's "-- name: Foo :one" comment, or
// (ok false) the statement after its leading comments. It allocates
// nothing.
func commentName(sql string) (name, rest string, ok bool) {
	q := sql
	for {
		q = strings.TrimLeft(q, " \t\r\n")
		if !strings.HasPrefix(q, "--") {
			return "", q, false
		}
		line, after, _ := strings.Cut(q, "\n")
		if n, found := strings.CutPrefix(strings.TrimSpace(line[2:]), "name:"); found {
			// The first field of n, as strings.Fields splits it.
			n = strings.TrimLeftFunc(n, unicode.IsSpace)
			if i := strings.IndexFunc(n, unicode.IsSpace); i >= 0 {
				n = n[:i]
			}
			if n != "" {
				return clip(n), "", true
			}
		}
		q = after
	}
}

func clip(s string) string {
	if len(s) > maxQueryName {
		return s[:maxQueryName]
	}
	return s
}

// verbTable returns the statement's verb and, for data statements, its
// first table, lower-cased.
func verbTable(q string) string {
	if len(q) > maxNameScan {
		q = q[:maxNameScan] // the verb and first table come early
	}
	words := strings.FieldsFunc(q, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '(' || r == ')' || r == ',' || r == ';'
	})
	if len(words) == 0 {
		return "empty"
	}
	verb := strings.ToLower(words[0])
	after := func(kw string) string {
		for i := 1; i < len(words)-1; i++ {
			if strings.EqualFold(words[i], kw) {
				return words[i+1]
			}
		}
		return ""
	}
	var table string
	switch verb {
	case "select", "with":
		table = after("from")
	case "insert", "replace":
		table = after("into")
	case "update":
		table = words[min(1, len(words)-1)]
		if strings.EqualFold(table, "only") && len(words) > 2 {
			table = words[2]
		}
	case "delete":
		table = after("from")
	case "begin", "commit", "rollback", "savepoint", "release", "set", "pragma":
		return verb
	default:
		if len(verb) > 20 {
			verb = verb[:20]
		}
		return verb
	}
	table = strings.ToLower(strings.ReplaceAll(table, `"`, ""))
	if i := strings.LastIndexByte(table, '.'); i >= 0 {
		table = table[i+1:]
	}
	if table == "" || !identifier(table) {
		return verb
	}
	return verb + " " + table
}

func identifier(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
