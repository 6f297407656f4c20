package federation

import (
	"context"
	"sync"

	"github.com/naamio/naamio/kv"
)

// groupCommit runs the small index writes of concurrent inbox requests
// together, one kv transaction (one sync) for all that wait, instead of
// one each: Badger makes every read-write transaction wait for the ones
// before it, so one transaction per activity capped the inbox near 400
// activities/s on the 2-core test machine (BenchmarkInboxReceive).
type groupCommit struct {
	kv kv.KV

	mu      sync.Mutex
	pending []*indexWrite
	running bool
}

// indexWrite is one caller's writes; done gets the transaction's result.
type indexWrite struct {
	fn   func(tx kv.Txn) error
	done chan error
}

// maxGroup bounds the writes of one transaction.
const maxGroup = 256

// do runs fn in a transaction shared with the other writes waiting now.
// fn may run more than once (kv.Update) and, when another write of its
// group fails, it is run again alone.
func (g *groupCommit) do(ctx context.Context, fn func(tx kv.Txn) error) error {
	w := &indexWrite{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, w)
	if !g.running {
		g.running = true
		go g.run()
	}
	g.mu.Unlock()
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		// The write may still happen; the caller's request is over.
		return ctx.Err()
	}
}

func (g *groupCommit) run() {
	for {
		g.mu.Lock()
		batch := g.pending
		if len(batch) > maxGroup {
			batch = batch[:maxGroup]
		}
		g.pending = g.pending[len(batch):]
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		err := g.kv.Update(context.Background(), func(tx kv.Txn) error {
			for _, w := range batch {
				if err := w.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for _, w := range batch {
				w.done <- nil
			}
			continue
		}
		// One failed: run each alone, so only it fails.
		for _, w := range batch {
			w.done <- g.kv.Update(context.Background(), w.fn)
		}
	}
}
