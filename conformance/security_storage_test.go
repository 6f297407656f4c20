package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// SECURITY.md rows 52–54: storage and process faults. Each test runs its
// own server process on its own data directory.

// logEntry is one line of `naamio log`.
type logEntry struct {
	Seq  uint64    `json:"seq"`
	Kind string    `json:"kind"`
	Path string    `json:"path"`
	ETag string    `json:"etag"`
	Time time.Time `json:"time"`
}

// readLog runs `naamio log` and parses every line.
func readLog(t *testing.T, data string) []logEntry {
	t.Helper()
	out, errOut, err := runLog(naamioBin, data)
	if err != nil {
		t.Fatalf("naamio log: %v\n%s", err, errOut)
	}
	var entries []logEntry
	for i, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e logEntry
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("naamio log line %d: %v: %q", i+1, err, line)
		}
		entries = append(entries, e)
	}
	return entries
}

// bareTag strips W/ and quotes so a header ETag compares with a log ETag.
func bareTag(s string) string {
	return strings.Trim(strings.TrimPrefix(strings.TrimSpace(s), "W/"), `"`)
}

// sameGraphOrBytes says whether a GET reply carries what was written.
func sameGraphOrBytes(r *reply, ct string, body []byte) bool {
	if ct != ctTurtle {
		return bytes.Equal(r.body, body)
	}
	got, err := parseAs(r)
	if err != nil {
		return false
	}
	want, err := parseTurtle(body, r.url)
	return err == nil && groundEqual(got, want)
}

func TestSecurityStorage(t *testing.T) {
	requirement(t, "security-row-52-kill-9-during-writes", func(t *testing.T) {
		t.Parallel()
		data := filepath.Join(t.TempDir(), "data")
		s, err := startServer(naamioBin, data)
		if err != nil {
			t.Fatal(err)
		}
		defer s.kill()

		type write struct {
			path, ct, etag string
			body           []byte
		}
		const (
			workers  = 16
			maxPuts  = 1000
			maxTime  = 3 * time.Second
			killWhen = 400 // acknowledged writes before SIGKILL (or 1.5 s)
		)
		var (
			issued, ackCount atomic.Int64
			mu               sync.Mutex
			acked            []write
			attempted        = map[string]write{}
			wg               sync.WaitGroup
		)
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: workers}}
		defer client.CloseIdleConnections()
		start := time.Now()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; time.Since(start) < maxTime && issued.Add(1) <= maxPuts; i++ {
					wr := write{path: fmt.Sprintf("/crash/w%02d/r%04d.txt", w, i), ct: "text/plain",
						body: []byte(fmt.Sprintf("worker %d write %d %s", w, i, strings.Repeat("z", i%97)))}
					if i%2 == 1 {
						wr.path = fmt.Sprintf("/crash/w%02d/r%04d.ttl", w, i)
						wr.ct = ctTurtle
						wr.body = []byte(fmt.Sprintf(`<#it> <http://example.org/p> "worker %d write %d" .`, w, i))
					}
					mu.Lock()
					attempted[wr.path] = wr
					mu.Unlock()
					req, _ := http.NewRequest(http.MethodPut, s.url(wr.path), bytes.NewReader(wr.body))
					req.Header.Set("Content-Type", wr.ct)
					if err := owner.Sign(req); err != nil {
						continue
					}
					resp, err := client.Do(req)
					if err != nil {
						if s.exited() {
							return
						}
						continue
					}
					resp.Body.Close()
					if resp.StatusCode/100 == 2 {
						wr.etag = resp.Header.Get("ETag")
						mu.Lock()
						acked = append(acked, wr)
						mu.Unlock()
						ackCount.Add(1)
					}
				}
			}(w)
		}
		for ackCount.Load() < killWhen && time.Since(start) < maxTime/2 {
			time.Sleep(5 * time.Millisecond)
		}
		if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-s.done
		wg.Wait()
		t.Logf("SIGKILL after %v: %d PUTs issued, %d acknowledged", time.Since(start).Round(time.Millisecond), min(issued.Load(), maxPuts), len(acked))
		if len(acked) == 0 {
			t.Fatalf("no write was acknowledged before the kill; server output:\n%s", s.logTail())
		}

		// Every acknowledged write has its change-log entry.
		entries := readLog(t, data)
		byPath := map[string][]logEntry{}
		var last uint64
		for _, e := range entries {
			if e.Seq <= last {
				t.Errorf("change log out of order: seq %d after %d", e.Seq, last)
			}
			last = e.Seq
			byPath[e.Path] = append(byPath[e.Path], e)
		}
		for _, wr := range acked {
			es := byPath[wr.path]
			if len(es) == 0 {
				t.Errorf("acknowledged PUT %s has no change-log entry", wr.path)
				continue
			}
			if wr.etag != "" && bareTag(es[len(es)-1].ETag) != bareTag(wr.etag) {
				t.Errorf("%s: PUT answered ETag %s, change log has %s", wr.path, wr.etag, es[len(es)-1].ETag)
			}
		}

		// Restart on the same directory: every acknowledged write is there.
		s2, err := restartServer(s)
		if err != nil {
			t.Fatalf("restart after kill -9: %v", err)
		}
		defer s2.kill()
		for _, wr := range acked {
			r, err := s2.try(http.MethodGet, wr.path, nil)
			if err != nil {
				t.Errorf("GET %s: %v", wr.path, err)
				continue
			}
			if r.StatusCode != http.StatusOK {
				t.Errorf("acknowledged write lost: %s", r)
				continue
			}
			if !sameGraphOrBytes(r, wr.ct, wr.body) {
				t.Errorf("%s: content differs after restart: %q", wr.path, r.body)
			}
			if wr.etag != "" && r.Header.Get("ETag") != wr.etag {
				t.Errorf("%s: ETag %s after restart, %s when acknowledged", wr.path, r.Header.Get("ETag"), wr.etag)
			}
		}
		// No half-written resource: whatever is listed is whole, and logged.
		listed := 0
		for w := 0; w < workers; w++ {
			c := fmt.Sprintf("/crash/w%02d/", w)
			r, err := s2.try(http.MethodGet, c, nil, "Accept", ctNTriples)
			if err != nil || r.StatusCode == http.StatusNotFound {
				continue
			}
			g, err := parseNTriples(r.body)
			if err != nil {
				t.Errorf("%s: %v", c, err)
				continue
			}
			for _, tr := range g.match(iri(s2.url(c)), iri(ldpNS+"contains"), term{}) {
				listed++
				p := strings.TrimPrefix(tr.o.value, strings.TrimSuffix(s2.base, "/"))
				wr, ok := attempted[p]
				if !ok {
					t.Errorf("%s lists %s, which was never written", c, tr.o.value)
					continue
				}
				got := s2.do(t, http.MethodGet, p, nil)
				if got.StatusCode != http.StatusOK || !sameGraphOrBytes(got, wr.ct, wr.body) {
					t.Errorf("half-written resource %s: %s", p, got)
				}
				if len(byPath[p]) == 0 {
					t.Errorf("%s is stored but has no change-log entry", p)
				}
			}
		}
		t.Logf("after restart: %d resources listed, %d acknowledged, %d change-log entries", listed, len(acked), len(entries))
		if err := s2.stop(); err != nil {
			t.Errorf("graceful stop after restart: %v", err)
		}
	})

	requirement(t, "security-row-53-disk-full", func(t *testing.T) {
		t.Parallel()
		data := filepath.Join(t.TempDir(), "data")
		s, err := startServer(naamioBin, data)
		if err != nil {
			t.Fatal(err)
		}
		s.put(t, "/keep/a.txt", "text/plain", []byte("kept"))
		s.put(t, "/keep/b.ttl", ctTurtle, []byte(`<#a> <#b> "kept" .`))
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(data, &st); err != nil {
			t.Fatal(err)
		}
		free := int64(st.Bavail) * int64(st.Bsize)
		reserve := free + 1<<40
		s, err = restartServer(s, "--disk-reserve", fmt.Sprint(reserve))
		if err != nil {
			t.Fatalf("server with a reserve above free space did not start (no crash loop allowed): %v", err)
		}
		defer s.kill()
		for _, w := range []struct {
			method, path, ct string
			extra            []string
		}{
			{http.MethodPut, "/keep/a.txt", "text/plain", nil},
			{http.MethodPut, "/keep/new.txt", "text/plain", nil},
			{http.MethodPut, "/fresh/deep/new.ttl", ctTurtle, nil},
			{http.MethodPost, "/keep/", "text/plain", nil},
			{http.MethodPost, "/keep/", ctTurtle, []string{"Link", `<` + ldpNS + `BasicContainer>; rel="type"`}},
		} {
			body := []byte(`<#a> <#b> "new" .`)
			r := s.do(t, w.method, w.path, body, append([]string{"Content-Type", w.ct}, w.extra...)...)
			expect(t, r, http.StatusInsufficientStorage)
		}
		if r := s.do(t, http.MethodGet, "/keep/a.txt", nil); r.StatusCode != http.StatusOK || string(r.body) != "kept" {
			t.Errorf("read while disk is full: %s", r)
		}
		g, _ := s.fetchGraph(t, "/keep/b.ttl")
		if !g.has(term{}, term{}, lit("kept")) {
			t.Errorf("RDF read while disk is full:\n%s", g)
		}
		kids := s.children(t, "/keep/")
		if len(kids) != 2 {
			t.Errorf("refused writes changed the listing: %v", kids)
		}
		expect(t, s.do(t, http.MethodGet, "/fresh/", nil), http.StatusNotFound)
		time.Sleep(500 * time.Millisecond)
		if s.exited() {
			t.Fatalf("server exited while the disk was full: %v\n%s", s.err, s.logTail())
		}
		expect(t, s.do(t, http.MethodGet, "/.naamio/health", nil), http.StatusOK)
		if err := s.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		// Space returns (no reserve): writes work again on the same data.
		s, err = restartServer(s)
		if err != nil {
			t.Fatal(err)
		}
		defer s.kill()
		s.put(t, "/keep/new.txt", "text/plain", []byte("after"))
		if err := s.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})

	requirement(t, "security-row-54-corrupt-database", func(t *testing.T) {
		t.Parallel()
		type corruption struct {
			name string
			// apply damages the files; it returns false when there was
			// nothing of that kind to damage.
			apply       func(t *testing.T, files []string) bool
			mustRefuse  bool // start must fail (otherwise: fail, or serve only correct data)
			description string
		}
		truncateHalf := func(t *testing.T, f string) {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(f, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}
		scribble := func(t *testing.T, f string) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, at := range []int{len(b) / 5, len(b) / 3, len(b) / 2, 2 * len(b) / 3} {
				for i := at; i < at+48 && i < len(b); i++ {
					b[i] ^= 0x5A
				}
			}
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		bySuffix := func(files []string, suffix string) []string {
			var out []string
			for _, f := range files {
				if strings.HasSuffix(f, suffix) {
					out = append(out, f)
				}
			}
			return out
		}
		cases := []corruption{
			{name: "truncated-manifest", mustRefuse: true, apply: func(t *testing.T, files []string) bool {
				var hit bool
				for _, f := range files {
					if filepath.Base(f) == "MANIFEST" {
						truncateHalf(t, f)
						hit = true
					}
				}
				return hit
			}},
			{name: "truncated-tables", mustRefuse: true, apply: func(t *testing.T, files []string) bool {
				fs := bySuffix(files, ".sst")
				for _, f := range fs {
					truncateHalf(t, f)
				}
				return len(fs) > 0
			}},
			{name: "scribbled-tables", apply: func(t *testing.T, files []string) bool {
				fs := bySuffix(files, ".sst")
				for _, f := range fs {
					scribble(t, f)
				}
				return len(fs) > 0
			}},
			{name: "one-damaged-block", apply: func(t *testing.T, files []string) bool {
				// 16 bytes inside the data blocks of the largest table, far from
				// its index and footer: only some keys are affected.
				var big string
				var size int64
				for _, f := range bySuffix(files, ".sst") {
					if fi, err := os.Stat(f); err == nil && fi.Size() > size {
						big, size = f, fi.Size()
					}
				}
				if big == "" {
					return false
				}
				b, err := os.ReadFile(big)
				if err != nil {
					t.Fatal(err)
				}
				for i := len(b) * 2 / 5; i < len(b)*2/5+16; i++ {
					b[i] ^= 0xA5
				}
				if err := os.WriteFile(big, b, 0o600); err != nil {
					t.Fatal(err)
				}
				return true
			}},
			{name: "scribbled-value-log-and-wal", apply: func(t *testing.T, files []string) bool {
				fs := append(bySuffix(files, ".vlog"), bySuffix(files, ".mem")...)
				var hit bool
				for _, f := range fs {
					if fi, err := os.Stat(f); err == nil && fi.Size() > 0 {
						scribble(t, f)
						hit = true
					}
				}
				return hit
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				data := filepath.Join(t.TempDir(), "data")
				s, err := startServer(naamioBin, data)
				if err != nil {
					t.Fatal(err)
				}
				want := map[string][]byte{}
				for i := 0; i < 300; i++ {
					p := fmt.Sprintf("/c/r%03d.txt", i)
					b := []byte(fmt.Sprintf("resource %d %s", i, strings.Repeat("payload ", 1+i%29)))
					s.put(t, p, "text/plain", b)
					want[p] = b
				}
				if err := s.stop(); err != nil {
					t.Fatalf("graceful stop (SIGTERM) before corrupting: %v", err)
				}
				var files []string
				_ = filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
					if err == nil && d.Type().IsRegular() {
						files = append(files, p)
					}
					return nil
				})
				sort.Strings(files)
				if !c.apply(t, files) {
					t.Fatalf("nothing to corrupt for %s; data dir holds %v", c.name, files)
				}
				s, err = launchAt(naamioBin, data, s.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer s.kill()
				herr := s.waitHealthy(healthTimeout)
				if herr != nil {
					if !s.exited() {
						t.Fatalf("server neither served nor exited within %v:\n%s", healthTimeout, s.logTail())
					}
					out := s.logTail()
					switch {
					case s.err == nil:
						t.Errorf("refused to start but exited with status 0:\n%s", out)
					case strings.TrimSpace(out) == "":
						t.Errorf("refused to start without any message (%v)", s.err)
					case strings.Contains(out, "panic:") || strings.Contains(out, "goroutine "):
						t.Errorf("start crashed instead of reporting the damage:\n%s", out)
					default:
						t.Logf("start refused (%v): %s", s.err, lastLine(out))
					}
					return
				}
				if c.mustRefuse {
					t.Errorf("server started on a data dir with %s", c.name)
				}
				// It serves: never silently wrong data.
				good, errs := 0, 0
				for p, b := range want {
					r, err := s.try(http.MethodGet, p, nil)
					switch {
					case err != nil:
						errs++
					case r.StatusCode == http.StatusOK && bytes.Equal(r.body, b):
						good++
					case r.StatusCode >= 500:
						errs++
					default:
						t.Errorf("%s: silently wrong after %s: %s", p, c.name, r)
					}
				}
				// The listing is complete or an error.
				if r, err := s.try(http.MethodGet, "/c/", nil, "Accept", ctNTriples); err == nil && r.StatusCode == http.StatusOK {
					g, err := parseNTriples(r.body)
					if err != nil {
						t.Errorf("listing of /c/ after %s is not N-Triples: %v", c.name, err)
					} else if n := len(g.match(iri(s.url("/c/")), iri(ldpNS+"contains"), term{})); n != len(want) {
						t.Errorf("listing of /c/ silently shows %d of %d children after %s", n, len(want), c.name)
					}
				} else if err == nil && r.StatusCode < 500 {
					t.Errorf("listing of /c/ after %s: %s", c.name, r)
				}
				if err := s.stop(); err != nil {
					t.Errorf("stop: %v", err)
				}
				// The change log is complete or an error.
				if out, errOut, err := runLog(naamioBin, data); err == nil {
					logged := map[string]bool{}
					for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
						var e logEntry
						if json.Unmarshal(line, &e) == nil {
							logged[e.Path] = true
						}
					}
					missing := 0
					for p := range want {
						if !logged[p] {
							missing++
						}
					}
					if missing > 0 {
						t.Errorf("naamio log silently lacks %d of %d entries after %s", missing, len(want), c.name)
					}
				} else {
					t.Logf("naamio log refused after %s: %s", c.name, lastLine(string(errOut)))
				}
				t.Logf("started despite %s: %d resources intact, %d refused with an error", c.name, good, errs)
			})
		}
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
