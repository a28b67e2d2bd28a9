package worker

import "sync"

// Batching of claims and results. Each consumer goroutine hands its claim or its result to a
// batcher and waits; the batcher writes what many consumers handed over in one statement or one
// transaction: one round trip and one commit for up to batchMax runs instead of one or more each.
//
// The linger is adaptive (group commit): a request that arrives while fewer than batchFlushers
// batches are being written is written at once, alone if need be, so a quiet system adds no
// delay; requests that arrive while the flushers are busy wait for the next batch, so under load
// the batches grow by themselves. The wait is never longer than the batch before it takes.
const (
	// batchMax caps a batch: a larger one holds its row locks longer and makes the runs in it wait
	// for the slowest statement. 256 rather than 128 halves the commits of a burst, which took 20 s
	// instead of 23 s for 100,000 runs (issue 25); 512 gave no steadier figures.
	batchMax = 256
	// batchFlushers is how many batches of one kind are written at once. Two keep the database
	// busy while the next batch gathers; more would make batches smaller without making them
	// faster on a small machine.
	batchFlushers = 2
)

// batcher gathers requests from many goroutines and writes them together with flush, which
// returns one result per request, in order. A caller waits for its own request's result.
type batcher[Req, Res any] struct {
	flush func(reqs []Req) []batchResult[Res]

	mu      sync.Mutex
	pending []*batchItem[Req, Res]
	active  int
}

// batchResult is what came of one request in a batch.
type batchResult[Res any] struct {
	val Res
	err error
}

type batchItem[Req, Res any] struct {
	req  Req
	res  batchResult[Res]
	done chan struct{}
}

func newBatcher[Req, Res any](flush func(reqs []Req) []batchResult[Res]) *batcher[Req, Res] {
	return &batcher[Req, Res]{flush: flush}
}

// do hands req over and waits until the batch it went into is written. It does not give up when
// the caller's context ends: the batch may already have committed the request, and the caller must
// know whether it did (a claimed run must be executed, a recorded result acked).
func (b *batcher[Req, Res]) do(req Req) (Res, error) {
	it := &batchItem[Req, Res]{req: req, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, it)
	start := b.active < batchFlushers
	if start {
		b.active++
	}
	b.mu.Unlock()
	if start {
		go b.drain()
	}
	<-it.done
	return it.res.val, it.res.err
}

// drain writes batches until nothing is pending.
func (b *batcher[Req, Res]) drain() {
	for {
		b.mu.Lock()
		n := min(len(b.pending), batchMax)
		if n == 0 {
			b.active--
			b.mu.Unlock()
			return
		}
		items := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()

		reqs := make([]Req, n)
		for i, it := range items {
			reqs[i] = it.req
		}
		results := b.flush(reqs)
		for i, it := range items {
			it.res = results[i]
			close(it.done)
		}
	}
}
