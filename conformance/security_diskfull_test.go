package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
)

// SECURITY row 53 (issue 10, item 10): a really full disk. The data
// directory lives on a small tmpfs of its own, which a filler file in the
// same tmpfs fills. Badger writes its value log, write-ahead logs and tables
// through memory-mapped files, so a write it makes with no room left is a
// SIGBUS, not an error: the server must refuse writes (507) before that
// can happen, keep serving reads, start read-only when the disk is full,
// and take writes again by itself once space returns.

const tmpfsSize = 192 << 20

// mountTmpfs mounts a tmpfs of size bytes on a fresh directory and
// unmounts it when the test ends. It needs root (mount(2)).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testdeps.Missing(t, testdeps.Root, "SECURITY row 53 disk-full test needs root to mount a tmpfs (mount -t tmpfs)")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// freeBytes is the space available on the file system holding dir.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// fill grows the filler file until at most leave bytes stay free (0: until
// the file system refuses more).
func fill(t *testing.T, filler string, leave int64) {
	t.Helper()
	f, err := os.OpenFile(filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := bytes.Repeat([]byte{0xF1}, 1<<20)
	for {
		n := freeBytes(t, filepath.Dir(filler)) - leave
		if n <= 0 {
			return
		}
		if _, err := f.Write(buf[:min(int64(len(buf)), n)]); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

// putExpectContinue PUTs body as the owner with Expect: 100-continue and
// returns the status.
func putExpectContinue(s *server, p string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPut, s.url(p), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Expect", "100-continue")
	if err := owner.Sign(req); err != nil {
		return 0, err
	}
	c := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{Proxy: nil, ExpectContinueTimeout: 10 * time.Second}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestSecurityDiskFull(t *testing.T) {
	requirement(t, "security-row-53-disk-full-tmpfs", func(t *testing.T) {
		mnt := mountTmpfs(t, tmpfsSize)
		data := filepath.Join(mnt, "data")
		filler := filepath.Join(mnt, "filler")
		s, err := startServer(naamioBin, data, "--disk-reserve", "2MiB")
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if s != nil {
				_ = s.kill()
			}
		}()

		acked := map[string][]byte{} // every write answered 2xx: never lost
		var mu sync.Mutex
		ack := func(p string, b []byte) { mu.Lock(); acked[p] = b; mu.Unlock() }
		for i := 0; i < 5; i++ {
			p := fmt.Sprintf("/full/before-%d.txt", i)
			b := []byte(fmt.Sprintf("written before the disk filled %d %s", i, strings.Repeat("x", i*5000)))
			s.put(t, p, "text/plain", b)
			ack(p, b)
		}
		alive := func(when string) {
			t.Helper()
			if s.exited() {
				t.Fatalf("server died %s: %v\n%s", when, s.err, s.logTail())
			}
		}
		readAll := func(when string) {
			t.Helper()
			mu.Lock()
			defer mu.Unlock()
			for p, b := range acked {
				r, err := s.try(http.MethodGet, p, nil)
				if err != nil {
					alive(when)
					t.Fatalf("GET %s %s: %v", p, when, err)
				}
				if r.StatusCode != http.StatusOK || !bytes.Equal(r.body, b) {
					t.Errorf("acknowledged %s %s: %d, %d bytes (want 200, %d bytes)", p, when, r.StatusCode, len(r.body), len(b))
				}
			}
		}

		// Nearly full: a 40 MiB PUT does not fit.
		fill(t, filler, 56<<20)
		big := bytes.Repeat([]byte("forty mebibytes "), (40<<20)/16)
		// Sent as careful clients send large bodies (Expect: 100-continue),
		// so the refusal arrives before the body is sent.
		status, err := putExpectContinue(s, "/full/big.bin", big)
		alive("after a 40 MiB PUT on a nearly full disk")
		if err != nil {
			time.Sleep(time.Second)
			alive("after a 40 MiB PUT on a nearly full disk")
			t.Fatalf("40 MiB PUT on a nearly full disk: %v\n%s", err, s.logTail())
		}
		if status != http.StatusInsufficientStorage {
			t.Errorf("40 MiB PUT on a nearly full disk: %d, want 507", status)
		}
		expect(t, s.do(t, http.MethodGet, "/full/big.bin", nil), http.StatusNotFound)

		// A burst of writes runs into the limit: each is acknowledged or
		// refused with 507, and the server lives.
		var wg sync.WaitGroup
		var refused, other sync.Map
		deadline := time.Now().Add(20 * time.Second)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 60 && time.Now().Before(deadline); i++ {
					p := fmt.Sprintf("/full/burst/w%d-%03d.bin", w, i)
					b := bytes.Repeat([]byte{byte('a' + w), byte(i)}, 96<<10)
					r, err := s.try(http.MethodPut, p, b, "Content-Type", "application/octet-stream")
					switch {
					case err != nil:
						other.Store(p, err.Error())
						return
					case r.StatusCode/100 == 2:
						ack(p, b)
					case r.StatusCode == http.StatusInsufficientStorage:
						refused.Store(p, true)
					default:
						other.Store(p, r.Status)
					}
				}
			}(w)
		}
		wg.Wait()
		alive("after a burst of writes on a nearly full disk")
		other.Range(func(k, v any) bool { t.Errorf("burst PUT %s: %v", k, v); return true })
		nRefused := 0
		refused.Range(func(any, any) bool { nRefused++; return true })
		t.Logf("burst with 56 MiB free: %d writes acknowledged in all, %d refused with 507", len(acked), nRefused)
		if nRefused == 0 {
			t.Errorf("a burst of 96 MiB of writes with 56 MiB free: none refused with 507")
		}
		readAll("after the burst")

		// Completely full, and restarted: the store opens read-only.
		fill(t, filler, 0)
		expect(t, s.do(t, http.MethodPut, "/full/none.txt", []byte("no room"), "Content-Type", "text/plain"), http.StatusInsufficientStorage)
		alive("with the disk completely full")
		if err := s.stop(); err != nil {
			t.Fatalf("stop with the disk full: %v\n%s", err, s.logTail())
		}
		for _, l := range strings.Split(s.logTail(), "\n") {
			if strings.Contains(l, "close the store") {
				t.Log(l)
			}
		}
		wals, _ := filepath.Glob(filepath.Join(data, "*.mem"))
		t.Logf("stopped on a full disk; write-ahead logs left: %v", wals)
		if s, err = restartServer(s, "--disk-reserve", "2MiB"); err != nil {
			t.Fatalf("restart with the disk full (no crash loop allowed): %v", err)
		}
		readAll("after a restart on a full disk")
		expect(t, s.do(t, http.MethodPut, "/full/none.txt", []byte("no room"), "Content-Type", "text/plain"), http.StatusInsufficientStorage)
		expect(t, s.do(t, http.MethodDelete, "/full/before-0.txt", nil), http.StatusInsufficientStorage)
		expect(t, s.do(t, http.MethodGet, "/.naamio/health", nil), http.StatusOK)

		// Space returns: writes resume without a restart.
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		resumed := false
		for ctx.Err() == nil {
			r, err := s.try(http.MethodPut, "/full/after.txt", []byte("space returned"), "Content-Type", "text/plain")
			alive("while space returned")
			if err == nil && r.StatusCode/100 == 2 {
				resumed = true
				ack("/full/after.txt", []byte("space returned"))
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if !resumed {
			t.Fatalf("writes did not resume within 15 s of space returning\n%s", s.logTail())
		}
		for _, l := range strings.Split(s.logTail(), "\n") {
			if strings.Contains(l, "room") && !strings.Contains(l, "request failed") {
				t.Log(l)
			}
		}
		s.put(t, "/full/big.bin", "application/octet-stream", big)
		ack("/full/big.bin", big)
		readAll("after space returned")
		if err := s.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		if s, err = restartServer(s); err != nil {
			t.Fatal(err)
		}
		readAll("after a restart with space")
		if err := s.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
}
