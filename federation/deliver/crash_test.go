package deliver

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
)

const crashEnv = "NAAMIO_DELIVER_CRASH_CHILD"

// A process killed (SIGKILL, no shutdown) after Enqueue returned, or
// even between Enqueue's durable write and the expansion of its
// deliveries, loses nothing: a Deliverer on the reopened store sends the
// activity to every inbox (at least once).
func TestCrashAfterEnqueue(t *testing.T) {
	for _, mode := range []string{"queued", "written"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			rc := newReceiver(t, nil)
			inboxes := []string{rc.url("/a/inbox"), rc.url("/b/inbox"), rc.url("/c/inbox")}
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashEnv+"="+strings.Join(append([]string{mode, dir, rc.addr().String()}, inboxes...), "|"))
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line := make(chan string, 1)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "CRASH-READY") {
						line <- sc.Text()
						return
					}
				}
				close(line)
			}()
			select {
			case l, ok := <-line:
				if !ok {
					_ = cmd.Wait()
					t.Fatal("the child ended without queuing")
				}
				t.Log(l)
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("the child did not queue in time")
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no Close, no flush
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if rc.requests() != 0 {
				t.Fatal("the child sent something")
			}
			s := openStore(t, dir)
			d, _ := deliverer(t, s, Config{}, rc)
			run(t, d)
			waitFor(t, 20*time.Second, "the queue drained", func() bool { return len(s.keys("a")) == 0 })
			got := map[string]bool{}
			for _, g := range rc.delivered() {
				got[g.path] = true
				if string(g.body) != note || g.signer != alice {
					t.Fatalf("delivered %+v", g)
				}
			}
			if len(got) != 3 {
				t.Fatalf("delivered to %v, want 3 inboxes", got)
			}
		})
	}
}

// TestCrashChild is the process TestCrashAfterEnqueue kills: it queues
// one activity without sending it, says so, and waits to be killed
// ("written": stopped right after Enqueue's durable write).
func TestCrashChild(t *testing.T) {
	v := os.Getenv(crashEnv)
	if v == "" {
		t.Skip("run by TestCrashAfterEnqueue only")
	}
	parts := strings.Split(v, "|")
	mode, dir, addr, inboxes := parts[0], parts[1], parts[2], parts[3:]
	s := openStore(t, dir)
	client := safehttp.New(safehttp.Options{MaxRedirects: -1, AllowAddrPorts: []netip.AddrPort{netip.MustParseAddrPort(addr)}})
	d, err := New(context.Background(), Config{Queue: s.q, Client: client, SignerFor: testSigner})
	if err != nil {
		t.Fatal(err)
	}
	ready := func() {
		fmt.Println("CRASH-READY", mode)
		select {} // killed here
	}
	if mode == "written" {
		testHookWritten = ready
	}
	if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: inboxes}); err != nil {
		t.Fatal(err)
	}
	ready()
}
