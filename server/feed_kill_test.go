package server

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
)

const feedCrashDirEnv = "NAAMIO_FEED_CRASH_DIR"

// printingConsumer prints "GOT <seq>" for every entry it handles.
type printingConsumer struct {
	mu  *sync.Mutex
	out *bufio.Writer
}

func (printingConsumer) Name() string { return "kill9" }

func (p printingConsumer) Handle(_ context.Context, cs []event.Change) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		fmt.Fprintf(p.out, "GOT %d\n", c.Seq)
	}
	return p.out.Flush()
}

// printingCursors prints "SAVED <seq>" once a cursor save has returned.
type printingCursors struct {
	event.Cursors
	mu  *sync.Mutex
	out *bufio.Writer
}

func (p printingCursors) Save(ctx context.Context, name string, c event.Cursor) error {
	err := p.Cursors.Save(ctx, name, c)
	if err == nil {
		p.mu.Lock()
		fmt.Fprintf(p.out, "SAVED %d\n", c)
		err = p.out.Flush()
		p.mu.Unlock()
	}
	return err
}

// TestFeedCrashChild is the child half of TestFeedKill9: it writes and
// consumes until killed.
func TestFeedCrashChild(t *testing.T) {
	dir := os.Getenv(feedCrashDirEnv)
	if dir == "" {
		t.Skip("child process of TestFeedKill9 only")
	}
	fs := openFeedStore(t, dir, 0)
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	fs.cf.feed.Batch = 7
	fs.cf.feed.Cursors = printingCursors{fs.cf.feed.Cursors, &mu, out}
	go func() { _ = fs.cf.feed.Run(context.Background(), printingConsumer{&mu, out}) }()
	for n := 0; n < 1_000_000; n++ {
		fs.put(t, fmt.Sprintf("/k/%d", n%50))
	}
}

// TestFeedKill9: after a SIGKILL in the middle of writes and deliveries,
// the consumer resumes after its last saved cursor, and every entry of the
// log was offered at least once across the two runs (issue 12 item 1).
func TestFeedKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFeedCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), feedCrashDirEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got := map[uint64]bool{}
	var saved uint64
	sc := bufio.NewScanner(stdout)
	deadline := time.Now().Add(60 * time.Second)
	for saved < 300 && sc.Scan() && time.Now().Before(deadline) {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "GOT":
			got[n] = true
		case "SAVED":
			saved = n
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if saved < 300 {
		t.Fatalf("the child saved its cursor only up to %d before it stopped", saved)
	}

	fs := openFeedStore(t, dir, 0)
	defer fs.store.Close()
	r := newRecorder("kill9")
	stop := fs.run(r)
	defer stop()
	fs.put(t, "/after-kill") // the log's newest entry
	r.until(t, "/after-kill")
	last := fs.store.LastSeq()
	var first uint64
	for _, b := range r.snapshot() {
		for _, c := range b {
			if first == 0 {
				first = c.Seq
			}
			got[c.Seq] = true
		}
	}
	if first <= saved {
		t.Fatalf("resumed at %d, but the cursor %d was saved before the kill", first, saved)
	}
	var cur event.Cursor
	for {
		cs, err := fs.store.Changes(context.Background(), cur, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			if !got[c.Seq] {
				t.Fatalf("entry %d (%s) was never offered", c.Seq, c.Path)
			}
		}
		cur = event.Cursor(cs[len(cs)-1].Seq)
	}
	t.Logf("child saved up to %d; resumed at %d; log ends at %d", saved, first, last)
}
