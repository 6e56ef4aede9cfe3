package engine

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Group commit of single starts.
//
// An HTTP start (a webhook, POST …/executions) starts one execution; in a
// transaction of its own it pays a commit (a WAL flush on PostgreSQL) and a
// few round trips for a journey that an eager start may finish in memory.
// The start batcher lets the starts that arrive while its runners are busy
// share one transaction per tenant, as the advance path's group commit
// does: each request's checks run in the shared transaction, the starts
// they ask for go through StartManyTx's bulk path, and every caller gets
// its own execution or its own error once the transaction holding its
// start has committed. A request that fails its checks or its start fails
// alone; a shared transaction that fails as a whole (a database error) is
// rolled back and each of its requests runs again in a transaction of its
// own, so the errors callers see are the ones they would get alone.

// Defaults of the start group commit.
const (
	// DefaultStartBatch is the largest number of starts one group-commit
	// transaction holds.
	DefaultStartBatch = 64
	// DefaultStartBatchers is the number of start group-commit transactions
	// that may run at once. Two, not four: with four, 16 webhook clients
	// formed batches of 2.8 starts on average and PostgreSQL spent about a
	// third more CPU per start (most of a start's cost there is per
	// transaction) than with two, which formed batches of 5.0 (`nextflow
	// bench webhook --start-batchers`, 2-core machine under load).
	DefaultStartBatchers = 2
)

// startPrepare checks a start request inside the transaction that will
// hold its start and returns the start it asks for; cache holds what the
// transaction has read. It may run more than once (a failed shared
// transaction is retried one request at a time).
type startPrepare func(ctx context.Context, tx store.Tx, cache *startTxCache) (StartParams, error)

// startTxCache is what one start transaction has read, shared by the
// requests it holds: the workflow and version rows (startCache) and the
// webhook credentials opened. It lives as long as the transaction, so
// every request of a batch sees what the first one read, as if they had
// all been checked at that moment.
type startTxCache struct {
	*startCache
	// secrets are the credential values opened, by name (one tenant per
	// transaction).
	secrets map[string]string
	// checked are the outcomes of StartChecked's checks, by key: a check
	// runs once per key and transaction.
	checked map[any]error
}

func newStartTxCache() *startTxCache {
	return &startTxCache{startCache: newStartCache(), secrets: map[string]string{}, checked: map[any]error{}}
}

// startRequest is one start waiting for its batch.
type startRequest struct {
	ctx      context.Context
	tenantID uuid.UUID
	prepare  startPrepare
	done     chan startResult
}

// startResult is a request's execution or error.
type startResult struct {
	exec *domain.Execution
	err  error
}

// startBatcher collects start requests and runs them in shared
// transactions (through a collector, as the advance batcher does).
type startBatcher struct {
	e *Engine
	c *collector[*startRequest]
	// txs counts the transactions the runners committed and starts the
	// requests they answered (StartBatchStats).
	txs, starts atomic.Int64
}

// newStartBatcher starts runners goroutines that each take up to max
// waiting requests at a time. beforeBatch, when set (tests), runs when a
// runner has taken a batch and before its transaction.
func newStartBatcher(e *Engine, max, runners int, beforeBatch func(int)) *startBatcher {
	run := e.startBatch
	if beforeBatch != nil {
		run = func(batch []*startRequest) {
			beforeBatch(len(batch))
			e.startBatch(batch)
		}
	}
	return &startBatcher{e: e, c: newCollector(max, runners, run)}
}

// StartBatchStats returns how many transactions the start group commit's
// runners have run (a shared one that failed and was redone one start at
// a time counts as those) and how many start requests they answered,
// successes and refusals, since the engine was made: starts/transactions
// is the mean batch. Both are zero without the group commit.
func (e *Engine) StartBatchStats() (transactions, starts int64) {
	if e.starts == nil {
		return 0, 0
	}
	return e.starts.txs.Load(), e.starts.starts.Load()
}

// close stops the runners; starts submitted after it run on their own.
func (b *startBatcher) close() { b.c.close() }

// submit hands a start to a runner and waits for its outcome. A caller
// whose context ends while it waits for a runner gets the context's error
// and nothing is started; once a runner has taken the request the caller
// waits for the commit, so it never reports a failure for a start that
// committed.
func (b *startBatcher) submit(ctx context.Context, tenantID uuid.UUID, prepare startPrepare) (*domain.Execution, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := &startRequest{ctx: ctx, tenantID: tenantID, prepare: prepare, done: make(chan startResult, 1)}
	taken, err := b.c.offer(ctx, req)
	if err != nil {
		return nil, err
	}
	if !taken {
		return b.e.startAlone(ctx, tenantID, prepare)
	}
	res := <-req.done
	return res.exec, res.err
}

// startBatch runs a batch: one transaction per tenant (row-level security
// scopes a transaction to one tenant). A tenant's lone request, and every
// request of a shared transaction that failed, runs on its own.
func (e *Engine) startBatch(batch []*startRequest) {
	byTenant := map[uuid.UUID][]*startRequest{}
	var tenants []uuid.UUID
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- startResult{err: err} // its caller left before its start began
			continue
		}
		if _, ok := byTenant[r.tenantID]; !ok {
			tenants = append(tenants, r.tenantID)
		}
		byTenant[r.tenantID] = append(byTenant[r.tenantID], r)
	}
	var alone []*startRequest
	for _, tenantID := range tenants {
		reqs := byTenant[tenantID]
		if len(reqs) == 1 {
			alone = append(alone, reqs[0])
			continue
		}
		results, err := e.startTenantBatch(tenantID, reqs)
		if err != nil {
			e.log.Warn("group-commit start failed; starting its requests one by one",
				"tenant", tenantID, "starts", len(reqs), "error", err)
			alone = append(alone, reqs...)
			continue
		}
		e.startCommits.Add(1)
		if b := e.starts; b != nil {
			b.txs.Add(1)
			b.starts.Add(int64(len(reqs)))
		}
		for i, r := range reqs {
			r.done <- results[i]
		}
	}
	for _, r := range alone {
		exec, err := e.startAlone(r.ctx, r.tenantID, r.prepare)
		if b := e.starts; b != nil {
			b.txs.Add(1)
			b.starts.Add(1)
		}
		r.done <- startResult{exec: exec, err: err}
	}
}

// startTenantBatch runs reqs (one tenant) in one transaction and returns
// their results in order. Requests run with the batch's context: one
// caller leaving must not cancel the statements of the others.
func (e *Engine) startTenantBatch(tenantID uuid.UUID, reqs []*startRequest) ([]startResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTxTimeout)
	defer cancel()
	var results []startResult
	err := e.store.InTx(ctx, tenantID, func(tx store.Tx) error {
		results = make([]startResult, len(reqs))
		cache := newStartTxCache()
		ps := make([]StartParams, 0, len(reqs))
		at := make([]int, 0, len(reqs))
		for i, r := range reqs {
			p, err := r.prepare(ctx, tx, cache)
			if err != nil {
				results[i].err = err
				continue
			}
			if p.TenantID != tenantID {
				results[i].err = fmt.Errorf("start of tenant %s in a transaction of tenant %s", p.TenantID, tenantID)
				continue
			}
			p.traceCtx = r.ctx
			ps, at = append(ps, p), append(at, i)
		}
		errs := make([]error, len(ps))
		execs, err := e.startMany(ctx, tx, ps, cache.startCache, errs)
		if err != nil {
			return err
		}
		for j, i := range at {
			results[i] = startResult{exec: execs[j], err: errs[j]}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// startAlone runs one start request in its own transaction.
func (e *Engine) startAlone(ctx context.Context, tenantID uuid.UUID, prepare startPrepare) (*domain.Execution, error) {
	var exec *domain.Execution
	err := e.store.InTx(ctx, tenantID, func(tx store.Tx) error {
		cache := newStartTxCache()
		p, err := prepare(ctx, tx, cache)
		if err != nil {
			return err
		}
		execs, err := e.startMany(ctx, tx, []StartParams{p}, cache.startCache, nil)
		if err != nil {
			return err
		}
		exec = execs[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return exec, nil
}

// startOne starts one execution through the start batcher, or in its own
// transaction without one.
func (e *Engine) startOne(ctx context.Context, tenantID uuid.UUID, prepare startPrepare) (*domain.Execution, error) {
	if e.starts == nil {
		return e.startAlone(ctx, tenantID, prepare)
	}
	return e.starts.submit(ctx, tenantID, prepare)
}
