package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The patch and big scenarios.

// patchTurtle is a resource of n triples about <#s>, one of them the
// ex:counter that every patch replaces.
func patchTurtle(n int) []byte {
	var b bytes.Buffer
	b.WriteString("@prefix ex: <http://example.org/>.\n<#s> ex:counter \"0\".\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "<#s> ex:p%d \"value %d of a resource for the patch load test\".\n", i, i)
	}
	return b.Bytes()
}

// counterPatch deletes the current ex:counter triple and inserts a new one.
// The where clause binds the old value, so the patch applies whatever
// order concurrent patches of one resource arrive in.
func counterPatch(i int) []byte {
	return []byte(fmt.Sprintf(`@prefix solid: <http://www.w3.org/ns/solid/terms#>.
@prefix ex: <http://example.org/>.
_:p a solid:InsertDeletePatch;
  solid:where { <#s> ex:counter ?c };
  solid:deletes { <#s> ex:counter ?c };
  solid:inserts { <#s> ex:counter "%d" }.
`, i))
}

func okPatch(c int) bool {
	return c == http.StatusOK || c == http.StatusNoContent || c == http.StatusResetContent
}

func patchRequest(u string, i int) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPatch, u, bytes.NewReader(counterPatch(i)))
	if err == nil {
		req.Header.Set("Content-Type", "text/n3")
	}
	return req, err
}

// countTriples GETs u as N-Triples and counts its statements.
func countTriples(client *http.Client, u string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/n-triples")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	n := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			n++
		}
	}
	return n, sc.Err()
}

func patchScenario(client *http.Client, cfg config, base string) ([]result, error) {
	if cfg.patchTriples < 1 {
		return nil, errors.New("-patch-triples must be at least 1")
	}
	doc := patchTurtle(cfg.patchTriples)
	own := func(w int) string { return fmt.Sprintf("%spatch/r%04d.ttl", base, w) }
	one := base + "patch/one.ttl"
	for w := 0; w < cfg.conns; w++ {
		if err := put(client, own(w), doc); err != nil {
			return nil, err
		}
	}
	if err := put(client, one, doc); err != nil {
		return nil, err
	}
	check := func(urls ...string) string {
		for _, u := range urls {
			n, err := countTriples(client, u)
			if err != nil {
				return "check failed: " + err.Error()
			}
			if n != cfg.patchTriples {
				return fmt.Sprintf("CHECK FAILED: %s has %d triples, want %d", u, n, cfg.patchTriples)
			}
		}
		return fmt.Sprintf("%d triples each afterwards", cfg.patchTriples)
	}

	// Striped: worker w sends requests i with i%conns == w, all to own(w).
	r, err := timed(client, cfg, "patch", okPatch, true, func(i int) (string, string) { return http.MethodPatch, own(i % cfg.conns) },
		func(w, i int) (*http.Request, error) { return patchRequest(own(w), i) })
	if err != nil {
		return nil, err
	}
	r.name = fmt.Sprintf("N3 PATCH, %d-triple resource per connection", cfg.patchTriples)
	r.target = "≥ 3,000 req/s"
	r.note = join("delete+insert one triple (where binds the old value); "+check(own(0), own(cfg.conns-1)), r.note)
	r.met = yes(r.rate() >= 3000 && r.errors == 0 && !strings.Contains(r.note, "FAILED"))
	emitProgress(r)

	s, err := timed(client, cfg, "patch-one", okPatch, false, func(int) (string, string) { return http.MethodPatch, one },
		func(_, i int) (*http.Request, error) { return patchRequest(one, i) })
	if err != nil {
		return nil, err
	}
	s.name = fmt.Sprintf("N3 PATCH, one %d-triple resource, all connections", cfg.patchTriples)
	s.target = "(report only)"
	s.note = join("patches of one resource serialize; "+check(one), s.note)
	emitProgress(s)
	return []result{r, s}, nil
}

// genReader yields n pseudo-random bytes from a seed without holding them.
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
		if g.off&7 == 0 && len(p)-n >= 8 {
			binary.LittleEndian.PutUint64(p[n:], splitmix(g.seed^uint64(g.off>>3)))
			n += 8
			g.off += 8
			continue
		}
		binary.LittleEndian.PutUint64(w[:], splitmix(g.seed^uint64(g.off>>3)))
		c := copy(p[n:], w[g.off&7:])
		n += c
		g.off += int64(c)
	}
	return n, nil
}

// peakSampler records the largest VmRSS of pid seen every 50 ms, and the
// anonymous and file-backed parts of it at that moment (file-backed pages
// are mmapped files such as Badger's tables and value log: the kernel can
// drop them, but they count in VmRSS).
type peakSampler struct {
	peak, anon, file int64 // guarded by wg: read only after finish
	stop             chan struct{}
	wg               sync.WaitGroup
}

func samplePeak(pid int) *peakSampler {
	s := &peakSampler{stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if st, err := procStatusAll(pid); err == nil && st["VmRSS"] > s.peak {
				s.peak, s.anon, s.file = st["VmRSS"], st["RssAnon"], st["RssFile"]+st["RssShmem"]
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *peakSampler) finish() int64 {
	close(s.stop)
	s.wg.Wait()
	return s.peak
}

func (s *peakSampler) String() string {
	return fmt.Sprintf("peak VmRSS %.1f MiB = anon %.1f + file-backed %.1f", mib(s.peak), mib(s.anon), mib(s.file))
}

// procStatusAll reads every "kB" field of /proc/<pid>/status, in bytes.
func procStatusAll(pid int) (map[string]int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
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

func bigScenario(cfg config, base string) ([]result, error) {
	if cfg.pid <= 0 {
		return nil, errors.New("the big scenario needs -pid of the server")
	}
	if cfg.bigSize <= 0 {
		return nil, errors.New("-big-size must be positive")
	}
	// No client timeout: each direction is bounded by its own context.
	client := signed(&http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}}, cfg.owner)
	defer client.CloseIdleConnections()
	u := base + "big/blob.bin"
	defer func() { // clean up, bounded
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
		if err == nil {
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}()
	const seed = 0xB16
	table := crc32.MakeTable(crc32.Castagnoli)
	size := cfg.bigSize
	mb := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }
	before, _ := vmRSS(cfg.pid)

	// PUT, streamed from the generator.
	sent := crc32.New(table)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.bigTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, io.TeeReader(&genReader{seed: seed, n: size}, sent))
	if err != nil {
		return nil, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	putSampler := samplePeak(cfg.pid)
	t0 := time.Now()
	resp, err := client.Do(req)
	putTook := time.Since(t0)
	putPeak := putSampler.finish()
	if err != nil {
		return nil, fmt.Errorf("PUT %d bytes: %w after %v", size, err, putTook)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && !okPut(resp.StatusCode) {
		return nil, fmt.Errorf("PUT %d bytes: %s", size, resp.Status)
	}
	put := result{name: fmt.Sprintf("PUT %s streamed", human(size)), conns: 1, requests: 1, elapsed: putTook,
		target: "≥ 200 MB/s, peak RSS < 150 MB"}
	put.met = yes(mb(putTook) >= 200 && putPeak < 150e6)
	put.note = fmt.Sprintf("%.0f MB/s; server %s (VmRSS before %.1f MiB)", mb(putTook), putSampler, mib(before))
	emitProgress(put)

	// GET, streamed into a checksum.
	ctx2, cancel2 := context.WithTimeout(context.Background(), cfg.bigTimeout)
	defer cancel2()
	req, err = http.NewRequestWithContext(ctx2, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	got := crc32.New(table)
	sampler := samplePeak(cfg.pid)
	t0 = time.Now()
	resp, err = client.Do(req)
	if err != nil {
		sampler.finish()
		return nil, fmt.Errorf("GET: %w", err)
	}
	n, err := io.Copy(got, resp.Body)
	resp.Body.Close()
	getTook := time.Since(t0)
	getPeak := sampler.finish()
	if err != nil {
		return nil, fmt.Errorf("GET: %w after %d bytes", err, n)
	}
	get := result{name: fmt.Sprintf("GET %s streamed", human(size)), conns: 1, requests: 1, elapsed: getTook,
		target: "≥ 200 MB/s, peak RSS < 150 MB"}
	intact := resp.StatusCode == http.StatusOK && n == size && got.Sum32() == sent.Sum32()
	get.met = yes(intact && mb(getTook) >= 200 && getPeak < 150e6)
	get.note = fmt.Sprintf("%.0f MB/s; server %s; body intact (CRC-32C): %v", mb(getTook), sampler, intact)
	if !intact {
		put.errors, get.errors = 0, 1
		fmt.Fprintf(os.Stderr, "load: big GET: %s, %d of %d bytes, crc %08x want %08x\n", resp.Status, n, size, got.Sum32(), sent.Sum32())
	}
	emitProgress(get)
	return []result{put, get}, nil
}

func human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// serverPID is the server's process id (-pid), 0 if unknown; hammer uses
// it to tell how much CPU other processes took during a timed window.
var serverPID int

// cpuSample is the host's busy CPU time and that of this process and the
// server, in clock ticks (from /proc).
type cpuSample struct{ host, self, server int64 }

func sampleCPU() (cpuSample, bool) {
	var s cpuSample
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		return s, false
	}
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		s.host += n
	}
	var ok bool
	if s.self, ok = procTicks("self"); !ok {
		return s, false
	}
	if serverPID > 0 {
		if s.server, ok = procTicks(strconv.Itoa(serverPID)); !ok {
			return s, false
		}
	}
	return s, true
}

// procTicks is utime+stime of /proc/<pid>/stat.
func procTicks(pid string) (int64, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')') // the command name may hold spaces
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:])) // state is f[0]; utime, stime are fields 14, 15
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	return u + st, err1 == nil && err2 == nil
}

// foreignCPU describes the CPU that processes other than this one and the
// server used between a and b, as a share of all CPUs over that time.
func foreignCPU(a, b cpuSample, elapsed time.Duration, cpus int) string {
	const hz = 100 // USER_HZ on Linux
	other := (b.host - a.host) - (b.self - a.self) - (b.server - a.server)
	if other < 0 {
		other = 0
	}
	share := float64(other) / hz / (elapsed.Seconds() * float64(cpus))
	if serverPID <= 0 {
		return fmt.Sprintf("others (server included) used %.0f%% of the CPUs", 100*share)
	}
	return fmt.Sprintf("other processes used %.0f%% of the CPUs", 100*share)
}
