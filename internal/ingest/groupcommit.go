package ingest

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Group commit of requests.
//
// A request in a transaction of its own pays a commit (a WAL flush on
// PostgreSQL) and a dozen round trips (contacts read and written, events
// inserted, the tenant's event journeys and waits read, entries claimed,
// executions and steps inserted) whatever its size, so a single event
// pays them all for itself. With the group commit the small requests (up
// to 99 items; larger ones are stored alone at once) that arrive while
// its runners are busy share one transaction
// per tenant: their items are stored together by the same bulk statements
// and the engine starts and resumes their journeys in one EventTx. Each
// caller is answered only once that transaction has committed (accepted
// means committed), with the result it would have had alone: its own
// counts, its own stored events (a message ID sent by two requests of one
// batch is stored once and is the later one's duplicate) and the
// executions its own events started or resumed. A shared transaction that
// fails as a whole (an email that belongs to another contact, the plan's
// contact limit, a database error) is rolled back and each of its requests
// runs again alone, where those refusals are made item by item.

// Defaults of the group commit.
const (
	// DefaultGroupRequests is the most requests one shared transaction
	// holds.
	DefaultGroupRequests = 64
	// DefaultGroupItems is the most items one shared transaction holds; a
	// larger request runs alone.
	DefaultGroupItems = 1000
	// DefaultGroupRunners is the number of shared transactions that may
	// run at once.
	DefaultGroupRunners = 4
	// DefaultGroupAloneFrom is the size from which a request is stored
	// alone at once: its own bulk statements already share its
	// transaction's fixed cost among its items, and sharing it further
	// only lengthens the transaction (bench events with batches of 100:
	// ×0.85–0.95 grouped).
	DefaultGroupAloneFrom = 100
)

// groupTxTimeout bounds a shared transaction, which runs under no
// caller's context.
const groupTxTimeout = 30 * time.Second

// GroupCommit configures StartGroupCommit; zero fields take the defaults.
type GroupCommit struct {
	// Requests and Items bound one shared transaction; Runners is how many
	// run at once. Requests of 1 turns sharing off (every request alone,
	// through the runners).
	Requests, Items, Runners int
	// AloneFrom is the number of valid items from which a request skips
	// the group commit and is stored alone at once.
	AloneFrom int
	// BeforeBatch, when set (tests), runs when a runner has taken a batch,
	// with its number of requests, before its transactions.
	BeforeBatch func(requests int)
}

// groupRequest is one request waiting for its batch.
type groupRequest struct {
	ctx      context.Context
	tenantID uuid.UUID
	key      *auth.Principal // nil: nothing to confirm
	ready    []prepared
	res      Result // the refusals found while checking
	done     chan groupResult
}

type groupResult struct {
	res Result
	err error
}

// groupCommit collects requests and stores them in shared transactions.
type groupCommit struct {
	s         *Service
	c         *engine.Collector[*groupRequest]
	maxItems  int
	aloneFrom int
	before    func(int)
}

// StartGroupCommit lets concurrent Ingest calls share transactions (see
// the package's group commit notes). Call it before the service is used,
// and Close when done.
func (s *Service) StartGroupCommit(cfg GroupCommit) {
	if cfg.Requests <= 0 {
		cfg.Requests = DefaultGroupRequests
	}
	if cfg.Items <= 0 {
		cfg.Items = DefaultGroupItems
	}
	if cfg.Runners <= 0 {
		cfg.Runners = DefaultGroupRunners
	}
	if cfg.AloneFrom <= 0 {
		cfg.AloneFrom = DefaultGroupAloneFrom
	}
	g := &groupCommit{s: s, maxItems: cfg.Items, aloneFrom: cfg.AloneFrom, before: cfg.BeforeBatch}
	g.c = engine.NewCollector(cfg.Requests, cfg.Runners, g.run)
	s.group = g
}

// Close stops the group commit's runners once their transactions are
// done; later calls store each request alone.
func (s *Service) Close() {
	if s.group != nil {
		s.group.c.Close()
	}
}

// submit hands a request to a runner and waits for its outcome. A caller
// whose context ends while it waits for a runner gets the context's error
// and nothing is stored; once a runner has taken the request the caller
// waits for the commit, so it never reports a failure for items that were
// stored.
func (g *groupCommit) submit(ctx context.Context, tenantID uuid.UUID, key *auth.Principal, ready []prepared, res Result) (Result, error) {
	if err := ctx.Err(); err != nil {
		return res, err
	}
	r := &groupRequest{ctx: ctx, tenantID: tenantID, key: key, ready: ready, res: res, done: make(chan groupResult, 1)}
	taken, err := g.c.Offer(ctx, r)
	if err != nil {
		return res, err
	}
	if !taken {
		return g.s.storeAlone(ctx, tenantID, key, ready, res)
	}
	out := <-r.done
	return out.res, out.err
}

// run stores a batch: per tenant (row-level security scopes a transaction
// to one tenant), in transactions of at most maxItems items. A lone
// request, and every request of a shared transaction that failed, is
// stored alone.
func (g *groupCommit) run(batch []*groupRequest) {
	if g.before != nil {
		g.before(len(batch))
	}
	byTenant := map[uuid.UUID][]*groupRequest{}
	var tenants []uuid.UUID
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- groupResult{res: r.res, err: err} // its caller left before its batch began
			continue
		}
		if _, ok := byTenant[r.tenantID]; !ok {
			tenants = append(tenants, r.tenantID)
		}
		byTenant[r.tenantID] = append(byTenant[r.tenantID], r)
	}
	var alone []*groupRequest
	for _, tenantID := range tenants {
		for _, reqs := range g.chunks(byTenant[tenantID]) {
			if len(reqs) == 1 {
				alone = append(alone, reqs[0])
				continue
			}
			results, err := g.s.storeShared(tenantID, reqs)
			if err != nil {
				if !errors.Is(err, errShareRefused) {
					g.s.log().Warn("group-commit ingest failed; storing its requests one by one",
						"tenant", tenantID, "requests", len(reqs), "error", err)
				}
				alone = append(alone, reqs...)
				continue
			}
			for i, r := range reqs {
				r.done <- groupResult{res: results[i]}
			}
		}
	}
	for _, r := range alone {
		res, err := g.s.storeAlone(r.ctx, r.tenantID, r.key, r.ready, r.res)
		r.done <- groupResult{res: res, err: err}
	}
}

// chunks splits one tenant's requests, in order, into groups of at most
// maxItems items (a larger request is a group of its own).
func (g *groupCommit) chunks(reqs []*groupRequest) [][]*groupRequest {
	var out [][]*groupRequest
	var cur []*groupRequest
	n := 0
	for _, r := range reqs {
		if len(cur) > 0 && n+len(r.ready) > g.maxItems {
			out = append(out, cur)
			cur, n = nil, 0
		}
		cur = append(cur, r)
		n += len(r.ready)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// errShareRefused is a shared transaction's refusal that the requests
// alone sort out item by item (a contact conflict, the contact limit).
var errShareRefused = errors.New("refused as a whole")

// storeShared stores reqs (one tenant) in one transaction and returns each
// request's result, in order. It runs under the batch's own context: one
// caller leaving must not cancel the statements of the others.
func (s *Service) storeShared(tenantID uuid.UUID, reqs []*groupRequest) ([]Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTxTimeout)
	defer cancel()
	n := 0
	for _, r := range reqs {
		n += len(r.ready)
	}
	all := make([]prepared, 0, n)
	var keys []*auth.Principal
	for _, r := range reqs {
		all = append(all, r.ready...)
		keys = append(keys, keysOf(r.key)...)
	}
	out, err := s.store(ctx, tenantID, keys, all)
	if err != nil {
		var (
			le *contactLimitError
			ke *keyRefusedError
		)
		if errors.As(err, &le) || errors.As(err, &ke) || errors.Is(err, store.ErrConflict) {
			return nil, errShareRefused
		}
		return nil, err
	}
	// The stored events by message ID, each going to the first request
	// that sent its message ID; the executions by the event behind them.
	storedBy := make(map[string]*domain.Event, len(out.stored))
	for i := range out.stored {
		storedBy[out.stored[i].MessageID] = &out.stored[i]
	}
	started := map[uuid.UUID][]uuid.UUID{}
	for i, id := range out.result.Started {
		ev := out.result.StartedBy[i]
		started[ev] = append(started[ev], id)
	}
	resumed := map[uuid.UUID][]uuid.UUID{}
	for i, id := range out.result.Resumed {
		ev := out.result.ResumedBy[i]
		resumed[ev] = append(resumed[ev], id)
	}
	createdBy := map[string]bool{}
	results := make([]Result, len(reqs))
	for i, r := range reqs {
		res := r.res
		res.Accepted = len(r.ready)
		keys := map[string]bool{}
		events := 0
		for _, p := range r.ready {
			if !keys[p.key] {
				keys[p.key] = true
				res.Contacts++
				if out.createdKeys[p.key] && !createdBy[p.key] {
					createdBy[p.key] = true
					res.Created++
				}
			}
			if p.event == nil {
				continue
			}
			events++
			ev, ok := storedBy[p.event.MessageID]
			if !ok {
				continue // stored before, or by an earlier item
			}
			delete(storedBy, p.event.MessageID)
			res.Events = append(res.Events, *ev)
			res.Started = append(res.Started, started[ev.ID]...)
			res.Resumed = append(res.Resumed, resumed[ev.ID]...)
		}
		res.Duplicates = events - len(res.Events)
		slices.SortFunc(res.Errors, func(a, b ItemError) int { return a.Index - b.Index })
		results[i] = res
	}
	return results, nil
}
