package engine

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// queued is a request of the tenant queue tests: a tenant and a number.
type queued struct {
	tenant string
	n      int
}

// tenantBatches records the batches a tenant queue ran, as their numbers;
// a batch holding a number in hold waits for release first.
type tenantBatches struct {
	mu      sync.Mutex
	got     [][]int
	ran     chan struct{}
	hold    map[int]bool
	release chan struct{}
	started chan int
}

func newTenantBatches(hold ...int) *tenantBatches {
	b := &tenantBatches{ran: make(chan struct{}, 64), hold: map[int]bool{}, release: make(chan struct{}), started: make(chan int, 64)}
	for _, n := range hold {
		b.hold[n] = true
	}
	return b
}

func (b *tenantBatches) run(batch []queued) {
	var ns []int
	held := false
	for _, r := range batch {
		ns = append(ns, r.n)
		held = held || b.hold[r.n]
	}
	b.started <- ns[0]
	if held {
		<-b.release
	}
	b.mu.Lock()
	b.got = append(b.got, ns)
	b.mu.Unlock()
	b.ran <- struct{}{}
}

// wait returns the batches once n more have run.
func (b *tenantBatches) wait(t *testing.T, n int) [][]int {
	t.Helper()
	for range n {
		select {
		case <-b.ran:
		case <-time.After(5 * time.Second):
			t.Fatalf("no batch ran in 5 s")
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]int(nil), b.got...)
}

// waitStarted waits for the batch whose first number is n to start.
func (b *tenantBatches) waitStarted(t *testing.T, n int) {
	t.Helper()
	for {
		select {
		case got := <-b.started:
			if got == n {
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("batch %d did not start in 5 s", n)
		}
	}
}

func tenantOfQueued(r queued) string { return r.tenant }

// TestTenantQueueOneBatchPerTenant: while a tenant's batch is under way its
// new requests wait and then run together as its next batch, and another
// tenant's request runs meanwhile on the other runner.
func TestTenantQueueOneBatchPerTenant(t *testing.T) {
	t.Parallel()
	got := newTenantBatches(1)
	q := newTenantQueue(8, 2, tenantOfQueued, 0, nil, got.run)
	defer q.close()
	require.True(t, q.offer(queued{"a", 1}))
	got.waitStarted(t, 1)
	for n := 2; n <= 4; n++ {
		require.True(t, q.offer(queued{"a", n}))
	}
	require.True(t, q.offer(queued{"b", 10}))
	require.Equal(t, [][]int{{10}}, got.wait(t, 1), "tenant b runs beside a's batch, a's new requests wait")
	close(got.release)
	require.Equal(t, [][]int{{10}, {1}, {2, 3, 4}}, got.wait(t, 2))
}

// TestTenantQueueTakesTurns: a tenant with more requests waiting than a
// batch holds runs its first max, then another tenant's turn comes, then
// the rest.
func TestTenantQueueTakesTurns(t *testing.T) {
	t.Parallel()
	got := newTenantBatches(0)
	q := newTenantQueue(3, 1, tenantOfQueued, 0, nil, got.run)
	defer q.close()
	require.True(t, q.offer(queued{"z", 0}))
	got.waitStarted(t, 0) // the only runner is held: what follows waits
	for n := 1; n <= 5; n++ {
		require.True(t, q.offer(queued{"a", n}))
	}
	require.True(t, q.offer(queued{"b", 10}))
	close(got.release)
	require.Equal(t, [][]int{{0}, {1, 2, 3}, {10}, {4, 5}}, got.wait(t, 4))
}

// TestTenantQueueLingersForCompany: a runner whose batch is lonely waits
// for the tenant's next request and runs both together; the other
// runner, free meanwhile, does not take it.
func TestTenantQueueLingersForCompany(t *testing.T) {
	t.Parallel()
	got := newTenantBatches()
	q := newTenantQueue(8, 2, tenantOfQueued, time.Minute, func(batch []queued) bool { return len(batch) < 2 }, got.run)
	defer q.close()
	require.True(t, q.offer(queued{"a", 0}))
	time.Sleep(10 * time.Millisecond) // a runner has taken it and waits
	require.True(t, q.offer(queued{"a", 1}))
	require.Equal(t, [][]int{{0, 1}}, got.wait(t, 1))
}

// TestTenantQueueLingersOnlyWhenLonely: a batch lonely does not call
// lonely runs at once, however long the linger.
func TestTenantQueueLingersOnlyWhenLonely(t *testing.T) {
	t.Parallel()
	got := newTenantBatches()
	q := newTenantQueue(8, 2, tenantOfQueued, time.Minute, func([]queued) bool { return false }, got.run)
	defer q.close()
	require.True(t, q.offer(queued{"a", 7}))
	require.Equal(t, [][]int{{7}}, got.wait(t, 1))
}

// TestTenantQueueLingerEnds: a lonely batch that finds no company runs
// once its linger is over, and the queue still closes; an offer after
// close is refused.
func TestTenantQueueLingerEnds(t *testing.T) {
	t.Parallel()
	got := newTenantBatches()
	q := newTenantQueue(8, 2, tenantOfQueued, 20*time.Millisecond, func([]queued) bool { return true }, got.run)
	require.True(t, q.offer(queued{"a", 3}))
	require.Equal(t, [][]int{{3}}, got.wait(t, 1))
	q.close()
	require.False(t, q.offer(queued{"a", 4}), "closed")
}

// TestTenantQueueCloseRunsWhatWasQueued: close returns only once every
// request offered before it ran, those waiting behind a batch under way
// included.
func TestTenantQueueCloseRunsWhatWasQueued(t *testing.T) {
	t.Parallel()
	got := newTenantBatches(1)
	q := newTenantQueue(2, 2, tenantOfQueued, 0, nil, got.run)
	require.True(t, q.offer(queued{"a", 1}))
	got.waitStarted(t, 1)
	for n := 2; n <= 6; n++ {
		require.True(t, q.offer(queued{"a", n}))
	}
	closed := make(chan struct{})
	go func() {
		q.close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("close returned with a batch under way")
	case <-time.After(20 * time.Millisecond):
	}
	close(got.release)
	<-closed
	var ran []int
	for _, b := range got.wait(t, 0) {
		ran = append(ran, b...)
	}
	require.ElementsMatch(t, []int{1, 2, 3, 4, 5, 6}, ran)
}

// TestTenantQueueFullBatchRunsBeside: while a tenant's batch is under way,
// a full batch of its requests runs beside it on another runner; a
// request short of a full batch waits for both to end.
func TestTenantQueueFullBatchRunsBeside(t *testing.T) {
	t.Parallel()
	got := newTenantBatches(1)
	q := newTenantQueue(2, 3, tenantOfQueued, 0, nil, got.run)
	defer q.close()
	require.True(t, q.offer(queued{"a", 1}))
	got.waitStarted(t, 1)
	require.True(t, q.offer(queued{"a", 2}))
	require.True(t, q.offer(queued{"a", 3}))
	require.Equal(t, [][]int{{2, 3}}, got.wait(t, 1), "a full batch runs beside the one held")
	require.True(t, q.offer(queued{"a", 4}))
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, [][]int{{2, 3}}, got.wait(t, 0), "4 waits for the held batch")
	close(got.release)
	require.Equal(t, [][]int{{2, 3}, {1}, {4}}, got.wait(t, 2))
}
