package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// backupBody is the body of version v of a writer's resource: its size
// and content follow from v, so a reader can tell a torn resource (a
// body of one version with the metadata of another).
func backupBody(name string, v int) []byte {
	n := 100 + (v%7)*30000 // inline and chunked bodies
	line := fmt.Sprintf("%s v=%d;", name, v)
	return bytes.Repeat([]byte(line), n/len(line)+1)[:n]
}

func httpDo(t *testing.T, method, url, ct string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// SECURITY row 56 (issue 16 item 2): a backup taken through the admin
// socket of a running server while writers create and overwrite
// resources restores to a real point in time: every resource's body is
// the version its metadata describes (size, type, content), each
// writer's new resources are a gap-free prefix (writes are sequential,
// so a later one without an earlier one would be a torn instant), the
// change log is contiguous up to its last entry, and a server started on
// the restored directory serves the same resources.
func TestBackupUnderWritesRestoresPointInTimeRow56(t *testing.T) {
	cfg := loopbackConfig(t)
	stop := runServe(t, cfg, io.Discard)
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	// An account with its pod, made through the admin socket.
	var aOut, aErr bytes.Buffer
	if err := runCLI(lookupCommand("account create"), []string{"--data", cfg.DataDir, "--email", "alice@example.org", "--pod", "alice"},
		strings.NewReader("correct horse battery staple\n"), &aOut, &aErr); err != nil {
		t.Fatalf("account create: %v %s", err, aErr.String())
	}
	webID := strings.TrimSpace(aOut.String())
	const writers = 4
	var stopW atomic.Bool
	var wg sync.WaitGroup
	var written [writers]atomic.Int64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stopW.Load(); n++ {
				// A new resource, and an overwrite of a shared one.
				name := fmt.Sprintf("/w%d/r%d.txt", w, n)
				if n == 0 { // the containers first: concurrent creations of one conflict (409)
					httpDo(t, "PUT", fmt.Sprintf("%s/w%d/", base, w), "", nil)
				}
				if code, _, b := httpDo(t, "PUT", base+name, "text/plain", backupBody(name, n)); code >= 300 {
					t.Errorf("PUT %s: %d %s", name, code, b)
					return
				}
				shared := fmt.Sprintf("/shared/w%d-s%d.txt", w, n%3)
				if code, _, _ := httpDo(t, "PUT", base+shared, "text/plain", backupBody(shared, n)); code >= 300 {
					t.Errorf("PUT %s: %d", shared, code)
					return
				}
				written[w].Add(1)
			}
		}()
	}
	// Let the writers get going, then back up while they write.
	waitWritten := func(n int64) {
		for deadline := time.Now().Add(30 * time.Second); written[0].Load() < n; runtimeGosched() {
			if time.Now().After(deadline) || t.Failed() {
				stopW.Store(true)
				t.Fatalf("writer 0 wrote only %d", written[0].Load())
			}
		}
	}
	waitWritten(10)
	file := filepath.Join(t.TempDir(), "full.backup")
	var out, errOut bytes.Buffer
	if err := runCLI(lookupCommand("backup"), []string{"--data", cfg.DataDir, "-o", file}, nil, &out, &errOut); err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut.String())
	}
	during := written[0].Load()
	waitWritten(during + 5)
	stopW.Store(true)
	wg.Wait()
	if !strings.Contains(errOut.String(), "done in") || !strings.Contains(errOut.String(), " keys, ") {
		t.Errorf("no progress report counting keys: %q", errOut.String())
	}
	if _, err := os.Stat(file + ".partial"); !os.IsNotExist(err) {
		t.Errorf("FILE.partial left after a successful backup: %v", err)
	}
	stop()

	restored := t.TempDir() + "/restored"
	var rOut, rErr bytes.Buffer
	if err := restore([]string{"--data", restored, file}, &rOut, &rErr); err != nil {
		t.Fatalf("restore: %v\n%s", err, rErr.String())
	}
	// The restored store, offline: the point-in-time checks.
	st, err := badgerstore.Open(restored, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(name string) (int, bool) {
		m, rc, err := st.Open(ctx, name)
		if err != nil {
			return 0, false
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, vs, _ := strings.Cut(string(body[:min(len(body), 40)]), " v=")
		v, _ := strconv.Atoi(strings.SplitN(vs, ";", 2)[0])
		if !bytes.Equal(body, backupBody(name, v)) || m.Size != int64(len(body)) || m.ContentType != "text/plain" {
			t.Fatalf("%s torn: meta size %d type %q, body of %d bytes (version %d)", name, m.Size, m.ContentType, len(body), v)
		}
		return v, true
	}
	total := 0
	for w := range writers {
		n := 0
		for ; ; n++ {
			if _, ok := check(fmt.Sprintf("/w%d/r%d.txt", w, n)); !ok {
				break
			}
		}
		total += n
		if _, ok := check(fmt.Sprintf("/w%d/r%d.txt", w, n+1)); ok {
			t.Fatalf("writer %d: r%d restored without r%d: not a point in time", w, n+1, n)
		}
		if int64(n) >= written[w].Load()+1 {
			t.Fatalf("writer %d: %d resources restored, only %d written", w, n, written[w].Load())
		}
	}
	if total < 10 {
		t.Fatalf("only %d resources restored", total)
	}
	for w := range writers {
		for i := range 3 {
			check(fmt.Sprintf("/shared/w%d-s%d.txt", w, i))
		}
	}
	var prev uint64
	var cur event.Cursor
	for {
		cs, err := st.Changes(ctx, cur, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			if prev != 0 && c.Seq != prev+1 {
				t.Fatalf("change log gap: %d after %d", c.Seq, prev)
			}
			prev = c.Seq
		}
		cur = event.Cursor(cs[len(cs)-1].Seq)
	}
	if prev != st.LastSeq() || prev < uint64(2*total) {
		t.Fatalf("change log ends at %d, last seq %d, %d resources", prev, st.LastSeq(), total)
	}
	st.Close()

	// A server on the restored directory serves the same resources.
	cfg2 := cfg // the same address: the pods' URLs are the server's
	cfg2.DataDir = restored
	runServe(t, cfg2, io.Discard)
	base2 := strings.TrimSuffix(cfg2.BaseURL, "/")
	if code, _, body := httpDo(t, "GET", strings.Split(webID, "#")[0], "", nil); code != 200 || !strings.Contains(string(body), "alice") {
		t.Fatalf("restored server: the pod's WebID %s: %d", webID, code)
	}
	var lOut, lErr bytes.Buffer
	if err := runCLI(lookupCommand("account reset-link"), []string{"--data", restored, "--email", "alice@example.org"}, nil, &lOut, &lErr); err != nil {
		t.Fatalf("restored server: the account: %v %s", err, lErr.String())
	}
	name := "/w0/r3.txt"
	code, h, body := httpDo(t, "GET", base2+name, "", nil)
	if code != 200 || !bytes.Equal(body, backupBody(name, 3)) || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("restored server GET %s: %d %q", name, code, h.Get("Content-Type"))
	}
	if code, _, _ := httpDo(t, "PUT", base2+"/after-restore.txt", "text/plain", []byte("x")); code >= 300 {
		t.Fatalf("restored server PUT: %d", code)
	}
}

func runtimeGosched() { time.Sleep(5 * time.Millisecond) }
