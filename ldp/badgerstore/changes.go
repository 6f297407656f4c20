package badgerstore

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/event"
)

// defaultChangesLimit is used when Changes is asked for limit <= 0.
const defaultChangesLimit = 100

// Change-log value, version 1:
//
//	version:1 kind:1 time:varint(unix ns) len(path):uvarint path
//	len(etag):uvarint etag len(origin):uvarint origin
const changeVersion = 1

var kindCodes = map[event.Kind]byte{event.Create: 1, event.Update: 2, event.Delete: 3}

var codeKinds = [...]event.Kind{1: event.Create, 2: event.Update, 3: event.Delete}

func encodeChange(c event.Change) []byte {
	b := make([]byte, 0, 16+len(c.Path)+len(c.ETag)+len(c.Origin))
	b = append(b, changeVersion, kindCodes[c.Kind])
	b = binary.AppendVarint(b, c.Time.UnixNano())
	b = appendString(b, c.Path)
	b = appendString(b, c.ETag)
	return appendString(b, c.Origin)
}

func decodeChange(seq uint64, v []byte) (event.Change, error) {
	d := decoder{b: v}
	if d.byte() != changeVersion {
		return event.Change{}, errCorrupt
	}
	code := d.byte()
	c := event.Change{Seq: seq}
	c.Time = time.Unix(0, d.varint()).UTC()
	c.Path = d.string()
	c.ETag = d.string()
	c.Origin = d.string()
	if d.bad || len(d.b) != 0 || code == 0 || int(code) >= len(codeKinds) {
		return event.Change{}, errCorrupt
	}
	c.Kind = codeKinds[code]
	return c, nil
}

// appendChanges numbers and sets the plan's change-log entries. Called by
// the committer only.
func (s *Store) appendChanges(txn *badger.Txn, cs []event.Change, now int64) error {
	t := time.Unix(0, now).UTC()
	for i := range cs {
		cs[i].Seq = s.nextSeq
		cs[i].Time = t
		s.nextSeq++
		if err := txn.Set(logKey(cs[i].Seq), encodeChange(cs[i])); err != nil {
			return err
		}
	}
	return nil
}

// initLog sets the next Seq and the last commit time from the newest entry.
func (s *Store) initLog() error {
	s.nextSeq = 1
	return s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: []byte(prefixLog)})
		defer it.Close()
		it.Seek(logKey(^uint64(0)))
		if !it.Valid() {
			return nil
		}
		c, err := changeOf(it.Item())
		if err != nil {
			return err
		}
		s.nextSeq = c.Seq + 1
		s.lastTime = c.Time.UnixNano()
		s.lastSeq.Store(c.Seq)
		return nil
	})
}

func decodeItemChange(item *badger.Item, seq uint64) (event.Change, error) {
	var c event.Change
	err := item.Value(func(v []byte) error {
		var err error
		c, err = decodeChange(seq, v)
		return err
	})
	if errors.Is(err, errCorrupt) {
		return c, corrupt(item.Key())
	}
	return c, err
}

// Changes returns up to limit entries with Seq > after, in Seq order
// (limit <= 0 means 100). Entries become visible in commit order, which is
// Seq order, so a reader never sees an entry before a lower one.
func (s *Store) Changes(ctx context.Context, after event.Cursor, limit int) ([]event.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = defaultChangesLimit
	}
	var out []event.Change
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixLog)})
		defer it.Close()
		for it.Seek(logKey(uint64(after) + 1)); it.Valid() && len(out) < limit; it.Next() {
			c, err := changeOf(it.Item())
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// LastSeq is the highest Seq acknowledged so far (0 for an empty log).
// Changes(ctx, LastSeq()-1, n) is guaranteed to include it.
func (s *Store) LastSeq() uint64 { return s.lastSeq.Load() }

// Notify returns a channel that is closed after the next commit that
// appends to the change log. Take it before reading Changes, then wait on
// it when Changes returned nothing new:
//
//	for {
//		ch := s.Notify()
//		cs, _ := s.Changes(ctx, cur, 100)
//		if len(cs) == 0 { <-ch; continue }
//		...
//	}
func (s *Store) Notify() <-chan struct{} {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.notifyCh
}

// published records an acknowledged Seq and wakes Notify waiters.
func (s *Store) published(seq uint64) {
	for {
		cur := s.lastSeq.Load()
		if seq <= cur || s.lastSeq.CompareAndSwap(cur, seq) {
			break
		}
	}
	s.notifyMu.Lock()
	close(s.notifyCh)
	s.notifyCh = make(chan struct{})
	s.notifyMu.Unlock()
}

// changeOf decodes the change-log entry stored in item.
func changeOf(item *badger.Item) (event.Change, error) {
	seq, ok := seqOfLogKey(item.Key())
	if !ok {
		return event.Change{}, corrupt(item.Key())
	}
	return decodeItemChange(item, seq)
}
