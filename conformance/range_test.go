package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Byte ranges (RFC 9110 §14) on non-RDF resources, and streaming of large
// bodies through the server in bounded memory.

// genReader yields n pseudo-random bytes determined by seed and offset, so
// any slice of a large body can be recomputed without holding the body.
type genReader struct {
	seed   uint64
	off, n int64
}

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.off >= g.n {
		return 0, io.EOF
	}
	if rem := g.n - g.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n := 0
	var w [8]byte
	for n < len(p) {
		k := int(g.off & 7)
		if k == 0 && len(p)-n >= 8 {
			binary.LittleEndian.PutUint64(p[n:], splitmix(g.seed^uint64(g.off>>3)))
			n += 8
			g.off += 8
			continue
		}
		binary.LittleEndian.PutUint64(w[:], splitmix(g.seed^uint64(g.off>>3)))
		c := copy(p[n:], w[k:])
		n += c
		g.off += int64(c)
	}
	return n, nil
}

// genBytes returns bytes [from, to) of the generated body.
func genBytes(seed uint64, from, to int64) []byte {
	b := make([]byte, to-from)
	_, _ = io.ReadFull(&genReader{seed: seed, off: from, n: to}, b)
	return b
}

// rssSampler records the peak VmRSS of a process, sampled periodically,
// with its anonymous and file-backed (mmapped files) parts at that moment.
type rssSampler struct {
	peak, anon, file int64 // read only after finish
	stop             chan struct{}
	wg               sync.WaitGroup
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if st, err := procStatusKB(pid); err == nil && st["VmRSS"] > s.peak {
				s.peak, s.anon, s.file = st["VmRSS"], st["RssAnon"], st["RssFile"]+st["RssShmem"]
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) finish() int64 {
	close(s.stop)
	s.wg.Wait()
	return s.peak
}

func (s *rssSampler) String() string {
	return fmt.Sprintf("peak VmRSS %.1f MiB = anon %.1f + file-backed %.1f",
		float64(s.peak)/(1<<20), float64(s.anon)/(1<<20), float64(s.file)/(1<<20))
}

// procStatusKB reads every "kB" field of /proc/<pid>/status, in bytes.
func procStatusKB(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		f := strings.Fields(v)
		if ok && len(f) == 2 && f[1] == "kB" {
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				out[k] = n << 10
			}
		}
	}
	return out, nil
}

// bigClient streams large bodies; its bound is per request, set by ctx.
var bigClient = &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}}

// status checks a ranged response without dumping binary bodies.
func status(t *testing.T, r *reply, what string, want int) bool {
	t.Helper()
	if r.StatusCode != want {
		t.Errorf("%s: status %d, want %d (Content-Range %q, Content-Length %q, %d body bytes)", what, r.StatusCode, want,
			r.Header.Get("Content-Range"), r.Header.Get("Content-Length"), len(r.body))
		return false
	}
	return true
}

func TestRange(t *testing.T) {
	const size = 1000
	body := genBytes(7, 0, size)
	rangeDoc := func(t *testing.T) (string, string) {
		t.Helper()
		p := fresh(t.Name()) + "blob.bin"
		srv.put(t, p, "application/octet-stream", body)
		r := srv.do(t, http.MethodHead, p, nil)
		return p, r.Header.Get("ETag")
	}

	requirement(t, "range-accept-ranges", func(t *testing.T) {
		p, _ := rangeDoc(t)
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			r := srv.do(t, m, p, nil)
			status(t, r, m, http.StatusOK)
			if !tokens(r.Header, "Accept-Ranges")["bytes"] {
				t.Errorf("%s %s: Accept-Ranges %q", m, p, r.Header.Get("Accept-Ranges"))
			}
		}
		if r := srv.do(t, http.MethodGet, p, nil); !bytes.Equal(r.body, body) {
			t.Errorf("full body differs (%d bytes)", len(r.body))
		}
	})

	requirement(t, "range-single", func(t *testing.T) {
		p, etag := rangeDoc(t)
		for _, c := range []struct {
			spec       string
			first, end int // inclusive end
		}{
			{"bytes=10-19", 10, 19},
			{"bytes=0-0", 0, 0},
			{"bytes=990-", 990, 999},
			{"bytes=0-", 0, 999},
			{"bytes=-5", 995, 999},
			{"bytes=-1", 999, 999},
			{"bytes=999-999", 999, 999},
			{"bytes=500-5000", 500, 999}, // last-pos past the end is clamped
			{"bytes=-5000", 0, 999},      // suffix longer than the body is the body
			{"bytes = 3-4", 3, 4},        // whitespace around = is tolerated by many; see below
		} {
			r := srv.do(t, http.MethodGet, p, nil, "Range", c.spec)
			if c.spec == "bytes = 3-4" {
				// Not valid ABNF: 206 with the range or 200 full are both fine.
				if r.StatusCode == http.StatusOK && bytes.Equal(r.body, body) {
					continue
				}
			}
			if !status(t, r, c.spec, http.StatusPartialContent) {
				continue
			}
			want := fmt.Sprintf("bytes %d-%d/%d", c.first, c.end, size)
			if got := r.Header.Get("Content-Range"); got != want {
				t.Errorf("%s: Content-Range %q, want %q", c.spec, got, want)
			}
			if !bytes.Equal(r.body, body[c.first:c.end+1]) {
				t.Errorf("%s: got %d bytes, not bytes %d-%d", c.spec, len(r.body), c.first, c.end)
			}
			if cl := r.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(c.end-c.first+1) {
				t.Errorf("%s: Content-Length %s", c.spec, cl)
			}
			if r.Header.Get("ETag") != etag {
				t.Errorf("%s: 206 ETag %q, want %q", c.spec, r.Header.Get("ETag"), etag)
			}
			if mediaType(r) != "application/octet-stream" {
				t.Errorf("%s: 206 Content-Type %q", c.spec, r.Header.Get("Content-Type"))
			}
		}
	})

	requirement(t, "range-unsatisfiable", func(t *testing.T) {
		p, _ := rangeDoc(t)
		for _, spec := range []string{"bytes=1000-", "bytes=1000-1001", "bytes=5000-6000", "bytes=-0"} {
			r := srv.do(t, http.MethodGet, p, nil, "Range", spec)
			if spec == "bytes=-0" && r.StatusCode == http.StatusOK {
				continue // RFC 9110 allows treating a zero suffix as invalid and ignoring it
			}
			if status(t, r, spec, http.StatusRequestedRangeNotSatisfiable) {
				if got := r.Header.Get("Content-Range"); got != fmt.Sprintf("bytes */%d", size) {
					t.Errorf("%s: Content-Range %q, want bytes */%d", spec, got, size)
				}
			}
		}
		// An empty body has no satisfiable range.
		dir := fresh(t.Name())
		srv.put(t, dir+"empty.bin", "application/octet-stream", []byte{})
		r := srv.do(t, http.MethodGet, dir+"empty.bin", nil, "Range", "bytes=0-0")
		if r.StatusCode != http.StatusOK || len(r.body) != 0 {
			if status(t, r, "empty body bytes=0-0", http.StatusRequestedRangeNotSatisfiable) && r.Header.Get("Content-Range") != "bytes */0" {
				t.Errorf("empty body: Content-Range %q", r.Header.Get("Content-Range"))
			}
		}
	})

	requirement(t, "range-ignored", func(t *testing.T) {
		p, _ := rangeDoc(t)
		for _, spec := range []string{"bytes=abc", "bytes=5-2", "items=0-5", "bytes=", "bytes=0-1,5-6", "bytes=0-0,-1", "bytes=--5", "bytes=1-2-3"} {
			r := srv.do(t, http.MethodGet, p, nil, "Range", spec)
			if status(t, r, spec, http.StatusOK) && !bytes.Equal(r.body, body) {
				t.Errorf("%s: 200 but not the full body (%d bytes)", spec, len(r.body))
			}
			if r.Header.Get("Content-Range") != "" {
				t.Errorf("%s: 200 with Content-Range %q", spec, r.Header.Get("Content-Range"))
			}
		}
		// RDF sources and containers are not ranged.
		dir := fresh(t.Name())
		srv.put(t, dir+"r.ttl", ctTurtle, []byte(`<#a> <#b> "some text in a literal" .`))
		for _, q := range []string{dir + "r.ttl", dir} {
			full := srv.do(t, http.MethodGet, q, nil, "Accept", ctTurtle)
			r := srv.do(t, http.MethodGet, q, nil, "Accept", ctTurtle, "Range", "bytes=0-3")
			if expect(t, r, http.StatusOK) && !bytes.Equal(r.body, full.body) {
				t.Errorf("%s: Range on an RDF source changed the body", q)
			}
		}
	})

	requirement(t, "range-if-range", func(t *testing.T) {
		p, etag := rangeDoc(t)
		r := srv.do(t, http.MethodGet, p, nil, "Range", "bytes=0-9", "If-Range", etag)
		if status(t, r, "If-Range current ETag", http.StatusPartialContent) && !bytes.Equal(r.body, body[:10]) {
			t.Errorf("If-Range current ETag: wrong bytes")
		}
		old := "Sat, 01 Jan 2000 00:00:00 GMT"
		r = srv.do(t, http.MethodGet, p, nil, "Range", "bytes=0-9", "If-Range", old)
		if status(t, r, "If-Range old date", http.StatusOK) && !bytes.Equal(r.body, body) {
			t.Errorf("If-Range old date: not the full body")
		}
		// A weak validator never matches in If-Range (RFC 9110 §13.1.5).
		if len(etag) > 0 && etag[0] == '"' {
			r = srv.do(t, http.MethodGet, p, nil, "Range", "bytes=0-9", "If-Range", "W/"+etag)
			status(t, r, "If-Range weak ETag", http.StatusOK)
		}
		// After a change the old ETag gets the new full body.
		changed := genBytes(8, 0, size)
		srv.put(t, p, "application/octet-stream", changed)
		r = srv.do(t, http.MethodGet, p, nil, "Range", "bytes=0-9", "If-Range", etag)
		if status(t, r, "If-Range old ETag", http.StatusOK) && !bytes.Equal(r.body, changed) {
			t.Errorf("If-Range old ETag: not the new full body")
		}
		newTag := srv.do(t, http.MethodHead, p, nil).Header.Get("ETag")
		if newTag == etag {
			t.Fatalf("ETag unchanged after a PUT")
		}
		r = srv.do(t, http.MethodGet, p, nil, "Range", "bytes=-3", "If-Range", newTag)
		if status(t, r, "If-Range new ETag", http.StatusPartialContent) && !bytes.Equal(r.body, changed[size-3:]) {
			t.Errorf("If-Range new ETag: wrong bytes")
		}
	})

	// A 64 MiB body goes in and out as a stream: the server's resident
	// memory stays under 150 MB and the bytes round-trip. Its own server,
	// so other tests' allocations do not count.
	requirement(t, "large-binary-streaming", func(t *testing.T) {
		const n = 64 << 20
		const seed = 64
		const rssLimit = 150_000_000 // 150 MB
		s, err := startServer(naamioBin, filepath.Join(t.TempDir(), "data"))
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := s.stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
		}()
		pid := s.cmd.Process.Pid
		base, _ := vmRSS(pid)
		sampler := sampleRSS(pid, 20*time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()

		want := sha256.New()
		src := io.TeeReader(&genReader{seed: seed, n: n}, want)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, s.url("/big/blob.bin"), src)
		req.ContentLength = n
		req.Header.Set("Content-Type", "application/octet-stream")
		if err := owner.Sign(req); err != nil {
			sampler.finish()
			t.Fatal(err)
		}
		t0 := time.Now()
		resp, err := bigClient.Do(req)
		if err != nil {
			sampler.finish()
			t.Fatalf("PUT: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		putTook := time.Since(t0)
		if resp.StatusCode != http.StatusCreated {
			sampler.finish()
			t.Fatalf("PUT 64 MiB: %s", resp.Status)
		}

		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, s.url("/big/blob.bin"), nil)
		if err := owner.Sign(req); err != nil {
			sampler.finish()
			t.Fatal(err)
		}
		t0 = time.Now()
		resp, err = bigClient.Do(req)
		if err != nil {
			sampler.finish()
			t.Fatalf("GET: %v", err)
		}
		got := sha256.New()
		m, err := io.Copy(got, resp.Body)
		resp.Body.Close()
		getTook := time.Since(t0)
		if err != nil {
			t.Errorf("reading the body: %v after %d bytes", err, m)
		}
		if resp.StatusCode != http.StatusOK || m != n {
			t.Errorf("GET: %s, %d bytes", resp.Status, m)
		}
		if resp.Header.Get("Content-Length") != strconv.Itoa(n) {
			t.Errorf("GET Content-Length %q", resp.Header.Get("Content-Length"))
		}
		if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
			t.Errorf("SHA-256 differs: body did not round-trip")
		}
		// A range from the middle of the large body.
		from := int64(n/2 - 12345)
		r := s.do(t, http.MethodGet, "/big/blob.bin", nil, "Range", fmt.Sprintf("bytes=%d-%d", from, from+(1<<20)-1))
		if status(t, r, "range in the large body", http.StatusPartialContent) && !bytes.Equal(r.body, genBytes(seed, from, from+(1<<20))) {
			t.Errorf("range in the middle of the large body: wrong bytes")
		}
		peak := sampler.finish()
		t.Logf("64 MiB: PUT %.0f MB/s, GET %.0f MB/s; server VmRSS %.1f MiB before, %s",
			float64(n)/1e6/putTook.Seconds(), float64(n)/1e6/getTook.Seconds(), float64(base)/(1<<20), sampler)
		if peak == 0 {
			t.Errorf("could not sample the server's VmRSS")
		} else if peak >= rssLimit {
			t.Errorf("server %s; limit %d MB", sampler, rssLimit/1_000_000)
		}
		// And it is a listed, deletable resource like any other.
		if !s.children(t, "/big/")[s.url("/big/blob.bin")] {
			t.Errorf("large body not listed")
		}
		mustStatus(t, s.do(t, http.MethodDelete, "/big/blob.bin", nil), deleted...)
		expect(t, s.do(t, http.MethodGet, "/big/blob.bin", nil), http.StatusNotFound)
	})
}
