package server

import (
	"context"
	"sync"
)

// worker is one piece of background work that runs while the server
// serves: signing-key rotation today; the change-log consumers
// (notifications, federation delivery, module reactors) next. run returns
// once ctx is done.
type worker struct {
	name string // what it does, for people reading the wiring
	run  func(ctx context.Context)
}

// workerGroup runs the server's workers with the process: each gets a
// context that is cancelled on shutdown, and stop waits until every one
// has returned, so that none is still running when the store closes.
// (The store's own loops, value-log GC and the read-only reopen check, are
// started by badgerstore.Open and stopped by Store.Close.)
type workerGroup struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	stopped bool
}

// startWorkers starts ws under a context derived from ctx.
func startWorkers(ctx context.Context, ws ...worker) *workerGroup {
	g := &workerGroup{}
	g.ctx, g.cancel = context.WithCancel(ctx)
	for _, w := range ws {
		g.start(w)
	}
	return g
}

// start runs w in a goroutine of its own, unless the group has stopped.
func (g *workerGroup) start(w worker) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return false
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		w.run(g.ctx)
	}()
	return true
}

// stop cancels every worker and waits for all of them to return. It may
// be called more than once.
func (g *workerGroup) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
	g.cancel()
	g.wg.Wait()
}
