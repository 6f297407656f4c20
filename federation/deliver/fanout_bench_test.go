package deliver

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
)

const farmEnv = "NAAMIO_DELIVER_FARM"

// BenchmarkFanOut: one post from one sender to 1,000 followers on 100
// domains, from Enqueue until every inbox has answered 2xx and the queue
// is empty. The 100 domains are 100 HTTP listeners on 127.0.0.1, each its
// own host:port (the per-host unit) allowed as with --allow-fetch-addr,
// served by a child process (TestFanOutFarm) so that the heap figures are
// the Deliverer's alone. Each request is signed with RSA-2048 (SHA-256
// over a draft-cavage-like signing string), which is what a real signer
// costs. Default Config: 32 workers, 2 requests in flight per host.
//
//   - shared: followers use their domain's shared inbox, as Mastodon's
//     do: 100 deliveries;
//   - personal: no shared inboxes: 1,000 deliveries, 10 per domain.
//
// Metrics: ms/post (the slowest iteration), enqueue-ms (the slowest
// Enqueue, its synced writes), cpu-ms/post (CPU time of this process,
// which does not depend on what else runs on the machine),
// failing-hosts (should be 0), peak-heap-MiB (largest
// HeapInuse sampled every 5 ms during the fan-outs) and base-heap-MiB
// (HeapInuse before). The README figures:
// `go test -run '^$' -bench FanOut -benchtime 5x ./federation/deliver`.
func BenchmarkFanOut(b *testing.B) {
	addrs, count := startFarm(b, 100)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		shared bool
	}{{"shared", true}, {"personal", false}} {
		b.Run(tc.name, func(b *testing.B) {
			s := openStore(b, "")
			client := safehttp.New(safehttp.Options{Timeout: 10 * time.Second, MaxRedirects: -1, AllowAddrPorts: addrs})
			d, logs := deliverer(b, s, Config{Client: client, SignerFor: rsaSigner(key),
				MinBackoff: time.Second, MaxBackoff: time.Second}, nil...)
			run(b, d)
			var inboxes []string
			for i := range 1000 {
				a := addrs[i%len(addrs)]
				if tc.shared {
					inboxes = append(inboxes, "http://"+a.String()+"/inbox")
				} else {
					inboxes = append(inboxes, fmt.Sprintf("http://%s/users/u%d/inbox", a, i))
				}
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapInuse
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ms runtime.MemStats
				t := time.NewTicker(5 * time.Millisecond)
				defer t.Stop()
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-t.C:
					}
				}
			}()
			var slowest, enq time.Duration
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				before := count()
				start := time.Now()
				q, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: inboxes})
				if err != nil {
					b.Fatal(err)
				}
				enq = max(enq, time.Since(start))
				waitFor(b, 60*time.Second, "the fan-out", func() bool { return len(s.keys(keyActivity)) == 0 })
				el := time.Since(start)
				slowest = max(slowest, el)
				if got := count() - before; got != q.Targets {
					b.Fatalf("receivers got %d of %d", got, q.Targets)
				}
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(slowest.Milliseconds()), "ms/post")
			b.ReportMetric(float64(enq.Milliseconds()), "enqueue-ms")
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/post")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(base)/(1<<20), "base-heap-MiB")
			b.ReportMetric(float64(strings.Count(logs.String(), "retrying with backoff")), "failing-hosts")
			if testing.Verbose() {
				b.Log(logs.String())
			}
		})
	}
}

// cpuTime is the CPU time this process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rsaSigner signs like a draft-cavage rsa-sha256 signer would: a Digest,
// then an RSA-2048 PKCS #1 v1.5 signature over the signing string.
func rsaSigner(key *rsa.PrivateKey) func(context.Context, string) (Signer, error) {
	return func(_ context.Context, sender string) (Signer, error) {
		return func(req *http.Request, body []byte) error {
			dg := digest(body)
			req.Header.Set("Digest", dg)
			ss := "(request-target): post " + req.URL.RequestURI() + "\nhost: " + req.URL.Host +
				"\ndate: " + req.Header.Get("Date") + "\ndigest: " + dg
			sum := sha256.Sum256([]byte(ss))
			sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
			if err != nil {
				return err
			}
			req.Header.Set("Signature", `keyId="`+sender+`#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="`+
				base64.StdEncoding.EncodeToString(sig)+`"`)
			return nil
		}, nil
	}
}

// startFarm starts n inbox listeners in a child process and returns their
// addresses and a function counting the POSTs they answered 2xx.
func startFarm(tb testing.TB, n int) ([]netip.AddrPort, func() int) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFanOutFarm$", "-test.count=1")
	cmd.Env = append(os.Environ(), farmEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		in.Close() // the farm ends when its stdin closes
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	var addrs []netip.AddrPort
	var control string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "FARM-CONTROL" {
			control = f[1]
			break
		}
		if len(f) == 2 && f[0] == "FARM-INBOX" {
			addrs = append(addrs, netip.MustParseAddrPort(f[1]))
		}
	}
	if len(addrs) != n || control == "" {
		_ = cmd.Process.Kill()
		tb.Fatalf("the farm started %d listeners", len(addrs))
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	count := func() int {
		resp, err := http.Get("http://" + control + "/")
		if err != nil {
			tb.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		v, err := strconv.Atoi(string(b))
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
	return addrs, count
}

// TestFanOutFarm is BenchmarkFanOut's child process: n inboxes on
// 127.0.0.1 that check the Digest and answer 202, and a control listener
// that tells how many they accepted. It ends when its stdin closes.
func TestFanOutFarm(t *testing.T) {
	v := os.Getenv(farmEnv)
	if v == "" {
		t.Skip("run by BenchmarkFanOut only")
	}
	n, _ := strconv.Atoi(v)
	var accepted atomic.Int64
	inbox := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Digest") != digest(body) || r.Header.Get("Signature") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		accepted.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = http.Serve(l, inbox) }()
		fmt.Println("FARM-INBOX", l.Addr())
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, accepted.Load())
		}))
	}()
	fmt.Println("FARM-CONTROL", l.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
}
