package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// The change-log feed over a real Badger store (issue 12 item 1): the
// storetest-style suite for event.Feed with the server's cursors.

// feedStore is a store in dir with a changeFeed wired as the server wires it.
type feedStore struct {
	store *badgerstore.Store
	cf    *changeFeed
	reads *readWatch
}

// readWatch wraps the store's Log to tell a test when the feed has read the
// log and found nothing new: from then on it can learn of a write only by
// a wake-up (or its poll interval).
type readWatch struct {
	event.Log
	mu    sync.Mutex
	empty chan struct{}
}

func (r *readWatch) Changes(ctx context.Context, after event.Cursor, limit int) ([]event.Change, error) {
	cs, err := r.Log.Changes(ctx, after, limit)
	if err == nil && len(cs) == 0 {
		r.mu.Lock()
		if r.empty != nil {
			close(r.empty)
			r.empty = nil
		}
		r.mu.Unlock()
	}
	return cs, err
}

// idle returns a channel closed once the feed next finds nothing to read.
func (r *readWatch) idle() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.empty = make(chan struct{})
	return r.empty
}

func openFeedStore(t *testing.T, dir string, retention time.Duration) *feedStore {
	t.Helper()
	cf := &changeFeed{}
	s, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, OnCommit: cf.committed})
	if err != nil {
		t.Fatal(err)
	}
	if err := cf.open(s, retention, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	fs := &feedStore{store: s, cf: cf, reads: &readWatch{Log: s}}
	cf.feed.Log = fs.reads
	cf.feed.MinBackoff, cf.feed.MaxBackoff = time.Millisecond, 10*time.Millisecond
	cf.feed.Poll = time.Hour // every delivery in these tests comes from a wake-up
	return fs
}

func (fs *feedStore) put(t *testing.T, path string) {
	t.Helper()
	if _, _, err := fs.store.Put(context.Background(), ldp.PutRequest{Path: path, Body: strings.NewReader(path)}); err != nil {
		t.Fatal(err)
	}
}

// recorder is a consumer that keeps what it was given; fail, when set,
// decides whether a batch fails.
type recorder struct {
	name    string
	mu      sync.Mutex
	batches [][]event.Change
	handled map[string]bool // paths of the batches Handle accepted
	fail    func(cs []event.Change) error
	got     chan struct{} // signalled after every handled batch
}

func newRecorder(name string) *recorder {
	return &recorder{name: name, handled: map[string]bool{}, got: make(chan struct{}, 1000)}
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Handle(_ context.Context, cs []event.Change) error {
	r.mu.Lock()
	r.batches = append(r.batches, append([]event.Change(nil), cs...))
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(cs); err != nil {
			return err
		}
	}
	r.mu.Lock()
	for _, c := range cs {
		r.handled[c.Path] = true
	}
	r.mu.Unlock()
	r.got <- struct{}{}
	return nil
}

// snapshot is a copy of the batches offered so far.
func (r *recorder) snapshot() [][]event.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]event.Change(nil), r.batches...)
}

// paths lists the paths of every entry offered so far, in order.
func (r *recorder) paths() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.batches {
		for _, c := range b {
			out = append(out, c.Path)
		}
	}
	return out
}

// until waits (bounded) until the consumer handled (accepted) a batch
// holding path: being offered it is not enough, a failed batch comes again.
func (r *recorder) until(t *testing.T, path string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		done := r.handled[path]
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("%s never saw %s; saw %v", r.name, path, r.paths())
		}
	}
}

// run runs the feed for c until the returned stop is called.
func (fs *feedStore) run(c event.Consumer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = fs.cf.feed.Run(ctx, c)
	}()
	return func() { cancel(); <-done }
}

// Entries reach the consumer in commit order, in batches no larger than
// Batch, each exactly once while nothing fails.
func TestFeedOrder(t *testing.T) {
	fs := openFeedStore(t, t.TempDir(), 0)
	defer fs.store.Close()
	fs.cf.feed.Batch = 3
	r := newRecorder("order")
	var want []string
	for i := range 10 {
		p := fmt.Sprintf("/o%d", i)
		fs.put(t, p)
		want = append(want, p)
	}
	stop := fs.run(r)
	for i := range 10 {
		p := fmt.Sprintf("/p%d", i)
		fs.put(t, p)
		want = append(want, p)
	}
	r.until(t, "/p9")
	stop()
	got := r.paths()
	if got[0] != "/" { // the root container, created when the store was made
		t.Fatalf("first entry %s, want /", got[0])
	}
	if strings.Join(got[1:], " ") != strings.Join(want, " ") {
		t.Fatalf("offered %v, want / then %v", got, want)
	}
	var last uint64
	for _, b := range r.batches {
		if len(b) == 0 || len(b) > 3 {
			t.Fatalf("batch of %d entries, want 1..3", len(b))
		}
		for _, c := range b {
			if c.Seq <= last {
				t.Fatalf("Seq %d after %d", c.Seq, last)
			}
			last = c.Seq
		}
	}
}

// A write reaches an idle consumer by the commit's wake-up: its poll
// interval is an hour, so no timer can have fired.
func TestFeedWakesOnCommit(t *testing.T) {
	fs := openFeedStore(t, t.TempDir(), 0)
	defer fs.store.Close()
	r := newRecorder("wake")
	idle := fs.reads.idle()
	stop := fs.run(r)
	defer stop()
	<-idle // the feed has read everything and waits
	for i := range 3 {
		idle = fs.reads.idle()
		p := fmt.Sprintf("/w%d", i)
		fs.put(t, p)
		r.until(t, p)
		<-idle
	}
}

// After the store is closed and opened again, a consumer resumes after its
// saved cursor: it is offered the new entries and none it handled.
func TestFeedResumesAfterReopen(t *testing.T) {
	dir := t.TempDir()
	fs := openFeedStore(t, dir, 0)
	r := newRecorder("resume")
	stop := fs.run(r)
	fs.put(t, "/before")
	r.until(t, "/before")
	stop()
	fs.put(t, "/between") // written while the consumer does not run
	if err := fs.store.Close(); err != nil {
		t.Fatal(err)
	}
	fs = openFeedStore(t, dir, 0)
	defer fs.store.Close()
	r2 := newRecorder("resume")
	stop = fs.run(r2)
	defer stop()
	fs.put(t, "/after")
	r2.until(t, "/after")
	if got := strings.Join(r2.paths(), " "); got != "/between /after" {
		t.Fatalf("after reopening offered %q, want %q", got, "/between /after")
	}
}

// A consumer whose Handle fails is offered the same batch again (after a
// backoff), whole, and its cursor does not move past it: what it
// processed before failing is offered again too (at-least-once). After a
// restart it is not offered what it handled.
func TestFeedFailedBatchIsOfferedAgain(t *testing.T) {
	dir := t.TempDir()
	fs := openFeedStore(t, dir, 0)
	var problems []string
	fs.cf.feed.Problems = func(c string, err error) { problems = append(problems, c+": "+err.Error()) }
	r := newRecorder("flaky")
	failures := 2
	r.fail = func(cs []event.Change) error {
		for _, c := range cs {
			if c.Path == "/f2" && failures > 0 {
				failures--
				return errors.New("receiver down")
			}
		}
		return nil
	}
	idle := fs.reads.idle()
	stop := fs.run(r)
	<-idle
	fs.cf.feed.Batch = 100
	// One commit, so the three entries come as one batch.
	fs.put(t, "/f/f1") // creates /f/ and /f/f1
	r.until(t, "/f/f1")
	var wg sync.WaitGroup
	for _, p := range []string{"/f1", "/f2", "/f3"} {
		wg.Add(1)
		go func() { defer wg.Done(); fs.put(t, p) }()
	}
	wg.Wait()
	fs.put(t, "/f4")
	r.until(t, "/f4")
	stop()
	// Every batch that held /f2 was offered three times, the same way.
	var withF2 [][]event.Change
	for _, b := range r.batches {
		for _, c := range b {
			if c.Path == "/f2" {
				withF2 = append(withF2, b)
			}
		}
	}
	if len(withF2) != 3 {
		t.Fatalf("/f2 offered %d times, want 3 (2 failures, 1 success): %v", len(withF2), r.paths())
	}
	for _, b := range withF2[1:] {
		if b[0].Seq != withF2[0][0].Seq || len(b) < len(withF2[0]) {
			t.Fatalf("retry offered %v, want the failed batch %v again from its start", b, withF2[0])
		}
	}
	if len(problems) != 2 || !strings.Contains(problems[0], "flaky: receiver down") {
		t.Fatalf("problems = %q, want the two failures", problems)
	}
	if err := fs.store.Close(); err != nil {
		t.Fatal(err)
	}
	fs = openFeedStore(t, dir, 0)
	defer fs.store.Close()
	r2 := newRecorder("flaky")
	stop = fs.run(r2)
	defer stop()
	fs.put(t, "/f5")
	r2.until(t, "/f5")
	if got := r2.paths(); len(got) != 1 {
		t.Fatalf("after restart offered %v, want only /f5", got)
	}
}

// Retention deletes the entries that every durable consumer has passed
// and that are older than --change-log-retention, and nothing else; a
// consumer with no cursor yet holds the whole log.
func TestFeedRetention(t *testing.T) {
	ctx := context.Background()
	fs := openFeedStore(t, t.TempDir(), 7*24*time.Hour)
	defer fs.store.Close()
	for _, p := range []string{"/r1", "/r2", "/r3", "/r4"} {
		fs.put(t, p)
	}
	all, err := fs.store.Changes(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seqOf := func(path string) event.Cursor {
		for _, c := range all {
			if c.Path == path {
				return event.Cursor(c.Seq)
			}
		}
		t.Fatalf("no entry for %s", path)
		return 0
	}
	ahead, behind := newRecorder("ahead"), newRecorder("behind")
	stop := fs.run(ahead)
	ahead.until(t, "/r4")
	stop()
	if err := fs.cf.feed.Cursors.Save(ctx, "behind", seqOf("/r2")); err != nil {
		t.Fatal(err)
	}
	fs.cf.consumers = []event.Consumer{ahead, behind}
	left := func() string {
		cs, err := fs.store.Changes(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var ps []string
		for _, c := range cs {
			ps = append(ps, c.Path)
		}
		return strings.Join(ps, " ")
	}
	now := time.Now()
	if n, err := fs.cf.retain(ctx, now); err != nil || n != 0 {
		t.Fatalf("retain(now) = %d, %v; want nothing deleted: no entry is a week old", n, err)
	}
	later := now.Add(8 * 24 * time.Hour)
	newcomer := newRecorder("newcomer") // registered, never ran: no cursor
	fs.cf.consumers = []event.Consumer{ahead, behind, newcomer}
	if n, err := fs.cf.retain(ctx, later); err != nil || n != 0 {
		t.Fatalf("retain with a consumer that has no cursor = %d, %v; want 0", n, err)
	}
	fs.cf.consumers = []event.Consumer{ahead, behind}
	if n, err := fs.cf.retain(ctx, later); err != nil || n != 3 || left() != "/r3 /r4" {
		t.Fatalf("retain(in 8 days) = %d, %v, left %q; want /, /r1, /r2 deleted", n, err, left())
	}
	// The consumer behind resumes where it was.
	stop = fs.run(behind)
	behind.until(t, "/r4")
	stop()
	if got := strings.Join(behind.paths(), " "); got != "/r3 /r4" {
		t.Fatalf("behind offered %q after retention, want /r3 /r4", got)
	}
	// With no consumer at all, everything old goes but the newest entry.
	fs.cf.consumers = nil
	if n, err := fs.cf.retain(ctx, later); err != nil || n != 1 || left() != "/r4" {
		t.Fatalf("retain with no consumers = %d, %v, left %q; want only /r4 kept", n, err, left())
	}
}

// --change-log-retention and NAAMIO_CHANGE_LOG_RETENTION: a duration, 7
// days by default, 0 keeps the log, negative is refused.
func TestChangeLogRetentionConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want time.Duration
		ok   bool
	}{
		{"default", nil, "", 7 * 24 * time.Hour, true},
		{"env", nil, "48h", 48 * time.Hour, true},
		{"flag beats env", []string{"--change-log-retention", "1h"}, "48h", time.Hour, true},
		{"zero keeps", []string{"--change-log-retention", "0"}, "", 0, true},
		{"negative flag", []string{"--change-log-retention", "-1h"}, "", 0, false},
		{"negative env", nil, "-24h", 0, false},
		{"not a duration", []string{"--change-log-retention", "a week"}, "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseValidated(tc.args, "NAAMIO_CHANGE_LOG_RETENTION", tc.env)
			if !tc.ok {
				if err == nil {
					t.Fatalf("accepted: %v", c.ChangeLogRetention)
				}
				return
			}
			if err != nil || c.ChangeLogRetention != tc.want {
				t.Fatalf("got %v, %v; want %v", c.ChangeLogRetention, err, tc.want)
			}
		})
	}
}

// A consumer stuck in Handle does not hold up writes: the commit's wake-up
// never waits for it (issue 12 item 1, "slow consumers do not slow writes").
func TestFeedStuckConsumerDoesNotBlockWrites(t *testing.T) {
	fs := openFeedStore(t, t.TempDir(), 0)
	defer fs.store.Close()
	release := make(chan struct{})
	r := newRecorder("stuck")
	r.fail = func([]event.Change) error { <-release; return nil }
	stop := fs.run(r)
	defer stop()
	defer close(release)
	for i := range 200 {
		fs.put(t, fmt.Sprintf("/s/%d", i))
	}
	if got := len(r.snapshot()); got != 1 {
		t.Fatalf("the stuck consumer got %d batches, want 1", got)
	}
}

// naamio log keeps working on a log that retention has shortened: it
// prints the entries kept, from the oldest.
func TestLogAfterRetention(t *testing.T) {
	dir := t.TempDir()
	fs := openFeedStore(t, dir, time.Hour)
	for _, p := range []string{"/l1", "/l2", "/l3"} {
		fs.put(t, p)
	}
	if n, err := fs.cf.retain(context.Background(), time.Now().Add(2*time.Hour)); err != nil || n != 3 {
		t.Fatalf("retain = %d, %v; want /, /l1, /l2 deleted", n, err)
	}
	if err := fs.store.Close(); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	if code := Main([]string{"log", "--data", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("naamio log: exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"path":"/l3"`) {
		t.Fatalf("naamio log printed %q, want the one kept entry, /l3", stdout.String())
	}
}

// The server wires the feed: New fires its wake-up from the store's commit
// hook, so a consumer of a real server's feed sees a write with no poll
// (an hour here), and the retention worker runs unless it is set to 0.
func TestServerWiresFeed(t *testing.T) {
	for _, retention := range []time.Duration{0, time.Hour} {
		cfg := defaults()
		cfg.Listen = "127.0.0.1:0"
		cfg.DataDir, cfg.DiskReserve = t.TempDir(), 0
		cfg.ChangeLogRetention = retention
		s, err := New(cfg, discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, w := range s.workers {
			names = append(names, w.name)
		}
		if has := strings.Contains(strings.Join(names, ","), "change-log retention"); has != (retention > 0) {
			t.Fatalf("retention %v: workers %q", retention, names)
		}
		s.feed.feed.Poll = time.Hour
		reads := &readWatch{Log: s.store}
		s.feed.feed.Log = reads
		idle := reads.idle()
		r := newRecorder("wired")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = s.feed.feed.Run(ctx, r) }()
		<-idle // it has read the log to its end and waits
		if _, _, err := s.store.Put(ctx, ldp.PutRequest{Path: "/wired", Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
		r.until(t, "/wired")
		cancel()
		<-done
		s.ldp.Close()
		s.id.pages.Close()
		if err := s.store.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
