package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// retentionCheck is how often the running server deletes the change-log
// entries that Config.ChangeLogRetention no longer keeps.
const retentionCheck = time.Hour

// changeFeed is the change-log feed of a running server: the wake-up
// signal the store fires on every commit, the durable consumers that read
// the log through event.Feed (none yet: notifications, federation delivery
// and module reactors register here), and the retention of the log.
type changeFeed struct {
	wake      event.Signal
	feed      event.Feed
	store     *badgerstore.Store
	retention time.Duration
	consumers []event.Consumer
	log       *slog.Logger
}

// committed is called by the store after each commit (OnCommit, on the
// committer goroutine): it wakes the consumers and never blocks.
func (f *changeFeed) committed([]event.Change) { f.wake.Fire() }

// open connects the feed to the opened store: the log it reads and the
// KV namespace its cursors live in.
func (f *changeFeed) open(store *badgerstore.Store, retention time.Duration, log *slog.Logger) error {
	ns, err := store.KV(kv.FeedCursors)
	if err != nil {
		return err
	}
	f.store, f.retention, f.log = store, retention, log
	f.feed = event.Feed{
		Log:     store,
		Cursors: kvCursors{ns},
		Wake:    &f.wake,
		Problems: func(consumer string, err error) {
			log.Warn("change-log consumer failed; retrying", "consumer", consumer, "err", err)
		},
	}
	return nil
}

// workers runs each consumer, and the retention of the log.
func (f *changeFeed) workers() []worker {
	var ws []worker
	for _, c := range f.consumers {
		ws = append(ws, worker{"change-log consumer " + c.Name(), func(ctx context.Context) { _ = f.feed.Run(ctx, c) }})
	}
	if f.retention > 0 {
		ws = append(ws, worker{"change-log retention", f.retainEvery})
	}
	return ws
}

func (f *changeFeed) retainEvery(ctx context.Context) {
	t := time.NewTicker(retentionCheck)
	defer t.Stop()
	for {
		if n, err := f.retain(ctx, time.Now()); err != nil && ctx.Err() == nil {
			f.log.Warn("change-log retention failed", "err", err)
		} else if n > 0 {
			f.log.Info("change-log entries deleted", "entries", n, "retention", f.retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// retain deletes the entries older than the retention at now that every
// consumer has passed.
func (f *changeFeed) retain(ctx context.Context, now time.Time) (int, error) {
	names := make([]string, len(f.consumers))
	for i, c := range f.consumers {
		names[i] = c.Name()
	}
	passed, err := f.feed.Passed(ctx, names...)
	if err != nil || passed == 0 {
		return 0, err
	}
	return f.store.DeleteChanges(ctx, passed, now.Add(-f.retention))
}

// kvCursors keeps the feed's cursors in kv.FeedCursors: the consumer's
// name is the key, the Seq (8 bytes, big-endian) the value.
type kvCursors struct{ kv kv.KV }

var _ event.Cursors = kvCursors{}

func (k kvCursors) Load(ctx context.Context, name string) (event.Cursor, bool, error) {
	v, err := k.kv.Get(ctx, name)
	if errors.Is(err, kv.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("feed cursor %q: %d bytes, want 8", name, len(v))
	}
	return event.Cursor(binary.BigEndian.Uint64(v)), true, nil
}

func (k kvCursors) Save(ctx context.Context, name string, c event.Cursor) error {
	return k.kv.Put(ctx, name, binary.BigEndian.AppendUint64(nil, uint64(c)), 0)
}
