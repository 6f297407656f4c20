package modules

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/naamio/naamio/kv"
)

// wake tells the module's worker that its queue has events.
func (m *module) wake() {
	select {
	case m.wakeCh <- struct{}{}:
	default:
	}
}

// retire stops the module's worker (uninstalled, replaced, or the
// service is closing).
func (m *module) retire() { m.goneOnce.Do(func() { close(m.gone) }) }

func (m *module) retired() bool {
	select {
	case <-m.gone:
		return true
	default:
		return false
	}
}

// Run runs the reactors: one worker per installed module draining its
// queue in order, until ctx ends (the server's worker group).
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	running := map[*module]bool{}
	flush := time.NewTicker(statusEvery)
	defer flush.Stop()
	for {
		s.mu.RLock()
		for _, m := range s.modules {
			if m.prog != nil && !running[m] {
				running[m] = true
				wg.Add(1)
				go func(m *module) {
					defer wg.Done()
					s.worker(ctx, m)
				}(m)
			}
		}
		s.mu.RUnlock()
		for m := range running {
			if m.retired() {
				delete(running, m)
			}
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			s.flushStatus(context.WithoutCancel(ctx))
			return nil
		case <-s.changed:
		case <-flush.C:
			s.flushStatus(ctx)
		}
	}
}

// modulesChanged wakes Run to start the workers of new modules.
func (s *Service) modulesChanged() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *Service) worker(ctx context.Context, m *module) {
	for {
		s.drain(ctx, m)
		select {
		case <-ctx.Done():
			return
		case <-m.gone:
			return
		case <-m.wakeCh:
		}
	}
}

// drain runs m's queued events until the queue is empty, in order per
// resource: a batch's events are grouped by the resource they concern,
// and up to reactLanes resources are handled at once (each on its own
// instance), so one module's throughput is not one event's latency (a
// write's sync) after another. An event that fails holds back the later
// events of its resource; after the batch the worker pauses before the
// retry (the next batch starts at the failed event), and after the last
// retry, or at once when the module says {"retry": false}, the event
// becomes a dead letter. Handled events leave the queue in batches (one
// synced write per batch): after a crash, at most a batch is offered
// again, as at-least-once allows.
func (s *Service) drain(ctx context.Context, m *module) {
	for ctx.Err() == nil && !m.retired() {
		batch := s.nextQueued(ctx, m.path, drainBatch)
		if len(batch) == 0 {
			return
		}
		stopped := func() bool { return ctx.Err() != nil || m.retired() }
		done, failed := runLanes(batch, stopped, func(q queuedEvent) error { return m.react(ctx, q.p) })
		s.forget(ctx, done)
		if len(failed) == 0 {
			continue
		}
		if ctx.Err() != nil || m.retired() {
			return // stopped mid-call: offered again later
		}
		pause := time.Duration(0)
		for _, f := range failed {
			if d, ok := s.failed(ctx, m, f.q.key, f.q.p, f.err); ok && (pause == 0 || d < pause) {
				pause = d
			}
		}
		if pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
			case <-m.gone:
			case <-t.C:
			}
			t.Stop()
		}
	}
}

// reactLanes is how many resources' events one module handles at once.
const reactLanes = 2

type failedEvent struct {
	q   queuedEvent
	err error
}

// runLanes runs handle on a batch, in order per resource and up to
// reactLanes resources at once. It returns the keys of the handled
// events and the first failed event of each resource that had one (the
// events after it stay queued). Events not run, or failed, once stopped
// says so are in neither.
func runLanes(batch []queuedEvent, stopped func() bool, handle func(queuedEvent) error) (done []string, failed []failedEvent) {
	var order []string
	lanes := map[string][]queuedEvent{}
	for _, q := range batch {
		r := q.p.Event.Object
		if _, ok := lanes[r]; !ok {
			order = append(order, r)
		}
		lanes[r] = append(lanes[r], q)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, reactLanes)
	for _, r := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func(events []queuedEvent) {
			defer func() { <-sem; wg.Done() }()
			for _, q := range events {
				if stopped() {
					return
				}
				err := handle(q)
				mu.Lock()
				if err == nil {
					done = append(done, q.key)
				} else if !stopped() {
					failed = append(failed, failedEvent{q, err})
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}(lanes[r])
	}
	wg.Wait()
	return done, failed
}

// drainBatch is how many queued events a worker reads at once.
const drainBatch = 32

// failed records a failed attempt of a queued event: a dead letter after
// the last retry (or at once for {"retry": false}), else the pause
// before its retry (ok true).
func (s *Service) failed(ctx context.Context, m *module, key string, p pending, err error) (time.Duration, bool) {
	p.Attempts++
	p.Error = err.Error()
	if errors.Is(err, errDeadNow) || p.Attempts > len(retryPauses) {
		s.bury(ctx, m, key, p)
		return 0, false
	}
	if v, err := json.Marshal(p); err == nil {
		_ = s.cfg.Records.Put(ctx, key, v, 0)
	}
	return retryPauses[p.Attempts-1], true
}

// forget deletes handled events from the queue, in one write.
func (s *Service) forget(ctx context.Context, keys []string) {
	if len(keys) == 0 {
		return
	}
	_ = s.cfg.Records.Update(context.WithoutCancel(ctx), func(tx kv.Txn) error {
		for _, k := range keys {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

type queuedEvent struct {
	key string
	p   pending
}

// nextQueued returns the oldest queued events of the module at path, at
// most n.
func (s *Service) nextQueued(ctx context.Context, path string, n int) []queuedEvent {
	var out []queuedEvent
	var unreadable []string
	defer func() { s.forget(ctx, unreadable) }()
	stop := errors.New("stop")
	err := s.cfg.Records.List(ctx, keyQueue+path+"\x00", func(k string, v []byte) error {
		var p pending
		if json.Unmarshal(v, &p) != nil {
			unreadable = append(unreadable, k) // dropped
			return nil
		}
		out = append(out, queuedEvent{k, p})
		if len(out) == n {
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return nil
	}
	return out
}

// bury moves a queued event to the module's dead letters, keeping the
// newest maxDead.
func (s *Service) bury(ctx context.Context, m *module, key string, p pending) {
	v, _ := json.Marshal(p)
	dead := keyDead + strings.TrimPrefix(key, keyQueue)
	err := s.cfg.Records.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Delete(key); err != nil {
			return err
		}
		return tx.Set(dead, v, 0)
	})
	if err != nil {
		return
	}
	m.status.deadLetter()
	m.status.logLine("error", "dead letter: "+p.Event.Type+" "+p.Event.Object+": "+p.Error)
	var all []string
	_ = s.cfg.Records.List(ctx, keyDead+m.path+"\x00", func(k string, _ []byte) error {
		all = append(all, k)
		return nil
	})
	for len(all) > maxDead {
		_ = s.cfg.Records.Delete(ctx, all[0])
		all = all[1:]
	}
}

// dropQueues deletes the queued events and dead letters of the module at
// path (uninstalled).
func (s *Service) dropQueues(ctx context.Context, path string) {
	for _, prefix := range []string{keyQueue, keyDead} {
		var keys []string
		_ = s.cfg.Records.List(ctx, prefix+path+"\x00", func(k string, _ []byte) error {
			keys = append(keys, k)
			return nil
		})
		for _, k := range keys {
			_ = s.cfg.Records.Delete(ctx, k)
		}
	}
}

type hopsKey struct{}

// withHops marks ctx as a reaction at chain depth hops: the writes made in
// it carry the depth in their change-log origin (ldp.AsModuleAt).
func withHops(ctx context.Context, hops int) context.Context {
	return context.WithValue(ctx, hopsKey{}, hops)
}

// hopsOf is the chain depth of the reaction ctx belongs to (0 outside one).
func hopsOf(ctx context.Context) int {
	n, _ := ctx.Value(hopsKey{}).(int)
	return n
}
