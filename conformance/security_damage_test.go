package conformance

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SECURITY row 54, issue 10 item 11: a body whose stored bytes are damaged
// is never sent as a 200 that breaks off after the headers. What can be
// checked before the status is sent is checked (a small body whole, the
// first chunk of a large one), so that damage gives a 500; damage further
// on can only cut the response short, and is logged with the path. The
// store is really damaged: bytes of the value log, where bodies over 4 KiB
// live, are flipped while the server is stopped.

// markedBody is n bytes of filler with marker written at off.
func markedBody(n, off int, marker string) []byte {
	b := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
	copy(b[off:], marker)
	return b
}

// damageAt flips bytes just after each occurrence of marker in the value
// log files of data; it fails the test when the marker is nowhere.
func damageAt(t *testing.T, data, marker string) {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(data, "*.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	hit := false
	for _, f := range logs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		changed := false
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte(marker))
			if j < 0 {
				break
			}
			at := i + j + len(marker)
			for k := at; k < at+8 && k < len(b); k++ {
				b[k] ^= 0x5A
			}
			changed, i = true, at
		}
		if changed {
			hit = true
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !hit {
		t.Fatalf("marker %q not found in the value log %v", marker, logs)
	}
}

// rawGet GETs p as the owner and reads the body, returning a read error
// rather than failing.
func rawGet(s *server, p string, kv ...string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, s.url(p), nil)
	if err != nil {
		return nil, nil, err
	}
	if err := owner.Sign(req); err != nil {
		return nil, nil, err
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	c := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{Proxy: nil}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestSecurityDamagedBody(t *testing.T) {
	requirement(t, "security-row-54-damaged-body-not-a-cut-200", func(t *testing.T) {
		t.Parallel()
		data := filepath.Join(t.TempDir(), "data")
		s, err := startServer(naamioBin, data)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if s != nil {
				_ = s.kill()
			}
		}()
		bodies := map[string][]byte{
			// one chunk, damaged: the whole body is checked first
			"/dmg/small.bin": markedBody(40<<10, 20<<10, "SMALL-DAMAGE-HERE"),
			// damaged in its first chunk
			"/dmg/first.bin": markedBody(3<<20, 1000, "FIRST-DAMAGE-HERE"),
			// damaged in its 20th chunk, far from the start
			"/dmg/late.bin": markedBody(3<<20, 20*64<<10+500, "LATE-DAMAGE-HERE"),
			// not damaged
			"/dmg/whole.bin": markedBody(3<<20, 5000, "NO-DAMAGE"),
		}
		for p, b := range bodies {
			s.put(t, p, "application/octet-stream", b)
		}
		// Badger starts a new value-log file at every open, and at open
		// cuts its newest file short at the first entry that does not
		// check out (crash recovery). A restart puts the bodies in an
		// older file, where damage stays what it is.
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		if s, err = restartServer(s); err != nil {
			t.Fatal(err)
		}
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{"SMALL-DAMAGE-HERE", "FIRST-DAMAGE-HERE", "LATE-DAMAGE-HERE"} {
			damageAt(t, data, m)
		}
		if s, err = restartServer(s); err != nil {
			t.Fatal(err)
		}

		for _, c := range []struct {
			path string
			kv   []string
		}{
			{"/dmg/small.bin", nil},
			{"/dmg/first.bin", nil},
			{"/dmg/first.bin", []string{"Range", "bytes=0-99"}},
			{"/dmg/late.bin", []string{"Range", fmt.Sprintf("bytes=%d-%d", 20*64<<10, 20*64<<10+99)}},
		} {
			resp, body, err := rawGet(s, c.path, c.kv...)
			if err != nil && resp == nil {
				t.Errorf("GET %s %v: %v (want a 500, not a broken response)", c.path, c.kv, err)
				continue
			}
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("GET %s %v: %d with %d bytes, read error %v; want 500 before any byte of a damaged body",
					c.path, c.kv, resp.StatusCode, len(body), err)
			}
			if resp.StatusCode == http.StatusInternalServerError && resp.Header.Get("ETag") != "" {
				t.Errorf("GET %s %v: 500 carries ETag %s", c.path, c.kv, resp.Header.Get("ETag"))
			}
		}

		// Damage past the first chunk: the status is gone by then; the
		// response is cut short (never served whole with wrong bytes) and
		// the damage is logged with the path.
		resp, body, err := rawGet(s, "/dmg/late.bin")
		switch {
		case resp == nil:
			t.Errorf("GET /dmg/late.bin: %v", err)
		case resp.StatusCode == http.StatusOK && err == nil:
			t.Errorf("GET /dmg/late.bin: 200 with %d bytes and no error; the damaged body was served", len(body))
		case resp.StatusCode == http.StatusOK && bytes.Equal(body, bodies["/dmg/late.bin"][:len(body)]) && len(body) > 20*64<<10:
			t.Errorf("GET /dmg/late.bin: %d bytes sent, past the damaged chunk", len(body))
		}
		if r, b, err := rawGet(s, "/dmg/whole.bin"); err != nil || r.StatusCode != http.StatusOK || !bytes.Equal(b, bodies["/dmg/whole.bin"]) {
			t.Errorf("undamaged body beside damaged ones: %v", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			logs := s.logTail()
			late, small := false, false
			for _, l := range strings.Split(logs, "\n") {
				if strings.Contains(l, "damaged") && strings.Contains(l, "/dmg/late.bin") && strings.Contains(l, "cut short") {
					late = true
				}
				if strings.Contains(l, "damaged") && strings.Contains(l, "/dmg/small.bin") && strings.Contains(l, "status=500") {
					small = true
				}
			}
			if late && small {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("damage not logged with its path (late: %v, small: %v):\n%s", late, small, logs)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := s.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
}
