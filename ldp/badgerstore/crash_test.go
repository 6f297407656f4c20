package badgerstore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

const crashDirEnv = "NAAMIO_BADGERSTORE_CRASH_DIR"

// crashBodySize varies body sizes over inline, in-transaction chunks and
// streamed blobs.
func crashBodySize(n int) int { return []int{40, 3000, 20 << 10, 150 << 10, 1200 << 10}[n%5] }

// TestCrashChild is the child half of TestKill9: with the env var set it
// writes until killed, printing "ACK <path> <etag>" after each
// acknowledged Put.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("child process of TestKill9 only")
	}
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("OPEN-FAILED", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := 0; n < 100000; n++ {
				p := fmt.Sprintf("/crash/g%d/%d", g, n)
				m, _, err := s.Put(context.Background(), ldp.PutRequest{Path: p, Body: bytes.NewReader(patternBody(p, crashBodySize(n)))})
				if err != nil {
					fmt.Println("PUT-FAILED", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(out, "ACK %s %s\n", p, m.ETag)
				out.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestKill9: every write acknowledged before a SIGKILL is readable after
// reopening, with its ETag, body and change-log entry (SECURITY row 52).
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]string{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(20 * time.Second)
	killed := false
	for line := range lines {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "ACK" {
			acked[f[1]] = f[2]
		} else if !strings.HasPrefix(line, "=== ") {
			t.Logf("child: %s", line)
		}
		if !killed && len(acked) >= 250 {
			killed = true
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
		select {
		case <-deadline:
			if !killed {
				killed = true
				_ = cmd.Process.Signal(syscall.SIGKILL)
			}
		default:
		}
	}
	_ = cmd.Wait()
	if len(acked) < 50 {
		t.Fatalf("child acknowledged only %d writes", len(acked))
	}
	verifyAcked(t, dir, acked)
}

// verifyAcked reopens the store and checks every acknowledged write.
func verifyAcked(t *testing.T, dir string, acked map[string]string) {
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	logged := map[string]string{}
	for _, c := range allChanges(t, s) {
		if c.Kind == event.Create {
			logged[c.Path] = c.ETag
		}
	}
	for p, etag := range acked {
		var n int
		fmt.Sscanf(p[strings.LastIndexByte(p, '/')+1:], "%d", &n)
		m, body, err := readBody(t, s, p)
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", p, err)
		}
		if m.ETag != etag || !bytes.Equal(body, patternBody(p, crashBodySize(n))) {
			t.Fatalf("%s: ETag %s (acked %s), %d body bytes", p, m.ETag, etag, len(body))
		}
		if logged[p] != etag {
			t.Fatalf("%s: change-log entry has ETag %q, want %q", p, logged[p], etag)
		}
	}
	t.Logf("%d acknowledged writes survived kill -9; %d blobs on disk", len(acked), blobCount(t, s))
}
