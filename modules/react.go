package modules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
)

// Keys in kv.Modules for reactor events:
//
//	q/<manifest path>\x00<seq, 20 digits>\x00<reactor, 3 digits>   pending
//	d/<manifest path>\x00<seq, 20 digits>\x00<reactor, 3 digits>   dead letters
const (
	keyQueue = "q/"
	keyDead  = "d/"
)

// Retry policy of a reactor event: attempts and the pause after each
// failure (the first retry within a second); after the last, the event is
// set aside as a dead letter.
var retryPauses = []time.Duration{time.Second, 4 * time.Second, 15 * time.Second, time.Minute}

// maxHops ends chains of modules reacting to each other's writes.
const maxHops = 3

// maxDead is how many dead letters a module keeps (the newest).
const maxDead = 100

// pending is one queued reactor event.
type pending struct {
	Export   string `json:"export"`
	Event    Event  `json:"event"`
	Hops     int    `json:"hops"`
	Attempts int    `json:"attempts,omitempty"`
	Error    string `json:"error,omitempty"`
}

func queueKey(prefix, path string, seq uint64, reactor int) string {
	return fmt.Sprintf("%s%s\x00%020d\x00%03d", prefix, path, seq, reactor)
}

// Reactors is the change-log consumer that queues reactor events: for
// every change, each module with a matching reactor that may Read the
// resource at that moment gets an event in its durable queue (written
// before the feed moves past the change), and its worker is woken.
func (s *Service) Reactors() event.Consumer { return reactors{s} }

type reactors struct{ s *Service }

func (reactors) Name() string { return "modules-react" }

func (r reactors) Handle(ctx context.Context, cs []event.Change) error {
	s := r.s
	type item struct {
		key string
		val []byte
		mod *module
	}
	var items []item
	for _, c := range cs {
		for _, q := range s.reactionsTo(ctx, c) {
			v, err := json.Marshal(q.p)
			if err != nil {
				return err
			}
			items = append(items, item{queueKey(keyQueue, q.mod.path, c.Seq, q.index), v, q.mod})
		}
	}
	if len(items) == 0 {
		return nil
	}
	err := s.cfg.Records.Update(ctx, func(tx kv.Txn) error {
		for _, it := range items {
			if err := tx.Set(it.key, it.val, 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, it := range items {
		it.mod.wake()
	}
	return nil
}

type reaction struct {
	mod   *module
	index int
	p     pending
}

// reactionsTo lists the reactor events of change c.
func (s *Service) reactionsTo(ctx context.Context, c event.Change) []reaction {
	if kind, _ := ldp.Auxiliary(c.Path); kind != ldp.NotAux {
		return nil
	}
	// A module's write carries the depth of the reaction that made it
	// (event.ChainOrigin), so chains stop after maxHops, restarts or not.
	writer, depth := event.SplitOrigin(c.Origin)
	hops := 1
	if s.isModuleAgent(writer) {
		hops = max(depth, 1) + 1
		if hops > maxHops {
			return nil
		}
	}
	s.mu.RLock()
	mods := make([]*module, 0, len(s.modules))
	for _, m := range s.modules {
		if m.prog != nil && m.agent != writer && len(m.reactorPaths) > 0 {
			mods = append(mods, m)
		}
	}
	s.mu.RUnlock()
	var out []reaction
	// The resource's type is in every event but a Delete's (the contract's
	// input): looked up once, when a reactor matches.
	contentType, looked := "", c.Kind == event.Delete
	for _, m := range mods {
		for i, r := range m.reactorPaths {
			if !within(c.Path, r.container, r.Recursive) || !typeListed(r.Types, string(c.Kind)) {
				continue
			}
			if !looked {
				looked = true
				if meta, err := s.cfg.Store.Stat(ctx, c.Path); err == nil {
					contentType = meta.ContentType
				}
			}
			if len(r.ContentTypes) > 0 && c.Kind != event.Delete && !typeMatches(r.ContentTypes, contentType) {
				continue // or gone since (no type): its Delete follows
			}
			// Decided on the resource's ACL now, as close to the change as
			// the feed is.
			if !s.ldp.ModuleMayRead(ctx, m.agent, m.owner, c.Path) {
				continue
			}
			ev := Event{Type: string(c.Kind), Object: s.ldp.IRI(c.Path), Target: s.ldp.IRI(ldp.Parent(c.Path)),
				State: c.ETag, ContentType: contentType, Published: c.Time.UTC().Format(time.RFC3339Nano), Actor: writer}
			if c.Kind == event.Delete {
				ev.State, ev.ContentType = "", ""
			}
			out = append(out, reaction{m, i, pending{Export: r.Export, Event: ev, Hops: hops}})
		}
	}
	return out
}

func typeListed(types []string, t string) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// isModuleAgent reports whether origin is an installed module's agent.
func (s *Service) isModuleAgent(origin string) bool {
	if !strings.HasSuffix(origin, "#module") {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, m := range s.modules {
		if m.agent == origin {
			return true
		}
	}
	return false
}

// errDeadNow is a module's error that asks not to be retried
// ({"retry": false} in its error text).
var errDeadNow = errors.New("the module asked not to retry")

// react runs one queued event; its error says whether to retry.
func (m *module) react(ctx context.Context, p pending) error {
	input, err := marshal(p.Event)
	if err != nil {
		return err
	}
	ctx = withHops(ctx, p.Hops)
	_, err = m.call(ctx, p.Export, input)
	var ce *CallError
	if errors.As(err, &ce) && ce.Kind == FailModule {
		var no struct {
			Retry *bool `json:"retry"`
		}
		if json.Unmarshal([]byte(ce.Message), &no) == nil && no.Retry != nil && !*no.Retry {
			return fmt.Errorf("%w: %s", errDeadNow, ce.Message)
		}
	}
	return err
}
