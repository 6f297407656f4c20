package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
	"github.com/naamio/naamio/ldp/ldptest"
)

// The end-to-end ACME tests run Let's Encrypt's Pebble (a real ACME CA
// for tests, built by testdeps) and its DNS test server on 127.0.0.1.
// The DNS server answers every A query with 127.0.0.1 and AAAA with
// nothing, so Pebble's validation authority reaches our listeners for a
// real-looking host name; Pebble's httpPort and tlsPort say which ports it
// validates HTTP-01 and TLS-ALPN-01 on (normally 80 and 443).
const (
	acmeTestHost  = "pod.acme-test.example"
	acmeOtherHost = "other.acme-test.example"
)

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, err2 := strconv.Atoi(p)
	if err != nil || err2 != nil {
		t.Fatalf("port of %q: %v %v", addr, err, err2)
	}
	return n
}

// startProcess runs a test helper program until the test ends (killed at
// cleanup, or when the test binary dies), its output into out.
func startProcess(t *testing.T, out io.Writer, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
}

// waitCtx calls ok every 50ms until it is true or ctx ends.
func waitCtx(ctx context.Context, t *testing.T, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startChallDNS starts pebble-challtestsrv as a DNS server only and
// returns its address.
func startChallDNS(ctx context.Context, t *testing.T, bin string, out io.Writer) string {
	t.Helper()
	dns := freeAddr(t)
	startProcess(t, out, nil, bin, "-dnsserver", dns, "-management", freeAddr(t),
		"-http01", "", "-https01", "", "-doh", "", "-tlsalpn01", "",
		"-defaultIPv4", "127.0.0.1", "-defaultIPv6", "")
	waitCtx(ctx, t, "challtestsrv DNS", func() bool {
		c, err := net.DialTimeout("tcp", dns, time.Second) // Pebble asks over TCP
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return dns
}

// pebbleCA is a running Pebble.
type pebbleCA struct {
	directory string       // ACME directory URL
	mgmt      string       // management interface, https://127.0.0.1:port
	caFile    string       // PEM of the CA of Pebble's own HTTPS listeners
	client    *http.Client // trusts caFile
	log       *lockedBuffer
}

// startPebble starts Pebble validating HTTP-01 on httpPort and TLS-ALPN-01
// on tlsPort of the names dns resolves. Its listeners' certificate comes
// from a test CA made here (not Pebble's checked-in one).
func startPebble(ctx context.Context, t *testing.T, bin, dns string, httpPort, tlsPort int) *pebbleCA {
	t.Helper()
	dir := t.TempDir()
	pool, caPEM, issue := testCA(t)
	issue(dir, 2)
	p := &pebbleCA{caFile: filepath.Join(dir, "pebble-ca.pem"), log: &lockedBuffer{}}
	if err := os.WriteFile(p.caFile, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	listen, mgmt := freeAddr(t), freeAddr(t)
	p.directory, p.mgmt = "https://"+listen+"/dir", "https://"+mgmt
	var conf struct {
		Pebble map[string]any `json:"pebble"`
	}
	conf.Pebble = map[string]any{
		"listenAddress":           listen,
		"managementListenAddress": mgmt,
		"certificate":             filepath.Join(dir, "cert.pem"),
		"privateKey":              filepath.Join(dir, "key.pem"),
		"httpPort":                httpPort,
		"tlsPort":                 tlsPort,
		"keyAlgorithm":            "ecdsa",
		"retryAfter":              map[string]int{"authz": 1, "order": 1},
	}
	b, _ := json.Marshal(conf)
	cfgFile := filepath.Join(dir, "pebble-config.json")
	if err := os.WriteFile(cfgFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// No random validation delay; every challenge is really checked (no
	// PEBBLE_VA_ALWAYS_VALID); every request's nonce is accepted, so the
	// test does not depend on the client's bad-nonce retries.
	startProcess(t, p.log, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"},
		bin, "-config", cfgFile, "-dnsserver", dns)
	p.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	waitCtx(ctx, t, "pebble directory", func() bool {
		resp, err := p.client.Get(p.directory)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pebble log:\n%s", p.log.String())
		}
	})
	return p
}

// cert fetches a PEM certificate of the management interface (/roots/0,
// /intermediates/0).
func (p *pebbleCA) cert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	resp, err := p.client.Get(p.mgmt + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	blk, _ := pem.Decode(b)
	if resp.StatusCode != 200 || blk == nil {
		t.Fatalf("pebble %s: %d %q", path, resp.StatusCode, b)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// orders is how many orders Pebble has received.
func (p *pebbleCA) orders() int { return strings.Count(p.log.String(), "Added order ") }

// decoy accepts connections and closes them at once: a port where a
// challenge cannot be answered.
func decoy(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return portOf(t, ln.Addr().String())
}

// Issue 16 item 5 (no SECURITY.md row covers TLS; the host policy keeps
// certificates to the configured names, checked below as hostile input):
// `--tls-acme` really obtains a certificate from an ACME CA, answering
// the challenge itself. Pebble validates one challenge type on our
// listener and the other on a port that drops every connection, so the
// certificate can only come from the challenge named in the subtest:
//
//   - tls-alpn-01: Pebble's tlsPort is our HTTPS listener (--listen),
//     its httpPort the decoy. autocert offers TLS-ALPN-01 first.
//   - http-01: Pebble's httpPort is our --tls-http-listen, its tlsPort
//     the decoy: autocert's TLS-ALPN-01 order fails, and the next order
//     is validated over HTTP-01.
//
// Then: the served chain verifies against Pebble's root (fetched from its
// management interface) and names the host; a Solid GET over HTTPS
// works; plain HTTP redirects to https; a name not in --tls-acme, and no
// name at all, get no certificate and cause no order; a restart serves
// the cached certificate without a new order. tls-alpn-01-only: without
// an HTTP listener no HTTP-01 is attempted.
func TestTLSACMEPebble(t *testing.T) {
	pebbleBin, challBin := testdeps.NeedPebble(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dnsLog := &lockedBuffer{}
	dns := startChallDNS(ctx, t, challBin, dnsLog)
	for _, challenge := range []string{"tls-alpn-01", "http-01"} {
		t.Run(challenge, func(t *testing.T) {
			cfg := loopbackConfig(t)
			cfg.TLSHTTPListen = freeAddr(t)
			httpPort, tlsPort := decoy(t), portOf(t, cfg.Listen)
			if challenge == "http-01" {
				httpPort, tlsPort = portOf(t, cfg.TLSHTTPListen), decoy(t)
			}
			ca := startPebble(ctx, t, pebbleBin, dns, httpPort, tlsPort)
			cfg.BaseURL = "https://" + acmeTestHost + ":" + strconv.Itoa(portOf(t, cfg.Listen)) + "/"
			cfg.TLSACME = []string{acmeTestHost}
			cfg.TLSEmail = "ops@acme-test.example"
			cfg.ACMEDirectory = ca.directory
			cfg.ACMECARoot = ca.caFile
			logs := &lockedBuffer{}
			stop := startACMEServer(ctx, t, cfg, logs)
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("server log:\n%s", logs.String())
				}
			})

			root, inter := ca.cert(t, "/roots/0"), ca.cert(t, "/intermediates/0")
			roots := x509.NewCertPool()
			roots.AddCert(root)
			// The first handshake for the host makes the server obtain the
			// certificate (the client waits; a handshake that times out on
			// the server's side is tried again).
			var cs tls.ConnectionState
			waitCtx(ctx, t, "certificate for "+acmeTestHost, func() bool {
				var err error
				cs, err = handshake(ctx, cfg.Listen, acmeTestHost, roots)
				if err != nil {
					t.Logf("handshake: %v", err)
				}
				return err == nil
			})
			leaf := cs.PeerCertificates[0]
			if !slices.Equal(leaf.DNSNames, []string{acmeTestHost}) {
				t.Errorf("certificate names %v", leaf.DNSNames)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: poolOf(cs.PeerCertificates[1:]...), DNSName: acmeTestHost}); err != nil {
				t.Errorf("chain: %v", err)
			}
			if len(cs.PeerCertificates) < 2 || !cs.PeerCertificates[1].Equal(inter) {
				t.Errorf("served chain does not carry Pebble's intermediate")
			}
			// The certificate is from this CA, not any: the test CA of
			// Pebble's own listener does not verify it.
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: poolOf(mustPEMCert(t, ca.caFile)), Intermediates: poolOf(cs.PeerCertificates[1:]...), DNSName: acmeTestHost}); err == nil {
				t.Errorf("the leaf verifies against an unrelated root")
			}
			// Which challenge Pebble validated: the one on our listener.
			pl := ca.log.String()
			if n := strings.Count(pl, "set VALID by completed challenge"); n != 1 {
				t.Errorf("%d valid authorizations, want 1", n)
			}
			if (challenge == "http-01") != strings.Contains(pl, "Attempting to validate w/ HTTP: http://"+acmeTestHost+":"+strconv.Itoa(httpPort)+"/.well-known/acme-challenge/") {
				t.Errorf("HTTP-01 validation on our listener: want %v", challenge == "http-01")
			}
			if challenge == "http-01" && !strings.Contains(pl, "set INVALID by completed challenge") {
				t.Errorf("the TLS-ALPN-01 attempt on the decoy did not fail first")
			}
			orders := ca.orders()

			// Solid Protocol server-tls-https, server-http-2: a Solid GET
			// over HTTPS with the obtained certificate, over HTTP/2.
			t.Run("server-tls-https", func(t *testing.T) {
				client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
					TLSClientConfig:   &tls.Config{RootCAs: roots},
					ForceAttemptHTTP2: true,
					DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
						return (&net.Dialer{}).DialContext(ctx, network, cfg.Listen)
					},
				}}
				req, _ := http.NewRequestWithContext(ctx, "GET", cfg.BaseURL, nil)
				req.Header.Set("Accept", "text/turtle")
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/turtle") ||
					!strings.Contains(resp.Header.Get("Link"), "http://www.w3.org/ns/ldp#BasicContainer") || resp.ProtoMajor != 2 {
					t.Errorf("GET %s over HTTPS: %s %s %v %q", cfg.BaseURL, resp.Proto, resp.Status, resp.Header, body)
				}
			})
			// server-tls-https-redirect: plain HTTP redirects to https.
			t.Run("server-tls-https-redirect", func(t *testing.T) {
				noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+cfg.TLSHTTPListen+"/alice/notes/?x=1", nil)
				req.Host = acmeTestHost
				resp, err := noFollow.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://"+acmeTestHost+"/alice/notes/?x=1" {
					t.Errorf("plain HTTP: %d %q", resp.StatusCode, resp.Header.Get("Location"))
				}
			})

			// Hostile: another name the DNS resolves here (any case), no
			// name, names around the configured one: no certificate, no
			// order.
			for _, sni := range []string{acmeOtherHost, strings.ToUpper(acmeOtherHost), "", "x." + acmeTestHost, acmeTestHost + ".evil.example"} {
				if _, err := handshake(ctx, cfg.Listen, sni, nil); err == nil {
					t.Errorf("handshake for %q succeeded", sni)
				}
			}
			if n := ca.orders(); n != orders {
				t.Errorf("hostile handshakes made %d more orders", n-orders)
			}
			if strings.Contains(ca.log.String(), acmeOtherHost) {
				t.Errorf("Pebble was asked about %s", acmeOtherHost)
			}

			// A restart serves the cached certificate: no new order.
			stop()
			startACMEServer(ctx, t, cfg, logs)
			cs2, err := handshake(ctx, cfg.Listen, acmeTestHost, roots)
			if err != nil || !cs2.PeerCertificates[0].Equal(leaf) {
				t.Errorf("after restart: %v (same certificate: %v)", err, err == nil && cs2.PeerCertificates[0].Equal(leaf))
			}
			if n := ca.orders(); n != orders {
				t.Errorf("restart made %d more orders", n-orders)
			}
		})
	}
	// With --tls-http-listen empty (TLS-ALPN-01 only), a failed
	// TLS-ALPN-01 is not followed by an HTTP-01 attempt on port 80 that
	// nothing here answers (each failed validation counts against the
	// CA's limits): Pebble's httpPort is a witness that counts
	// connections, its tlsPort the decoy.
	t.Run("tls-alpn-01-only", func(t *testing.T) {
		cfg := loopbackConfig(t)
		cfg.TLSHTTPListen = ""
		witness, hits := countingListener(t)
		ca := startPebble(ctx, t, pebbleBin, dns, witness, decoy(t))
		cfg.BaseURL = "https://" + acmeTestHost + ":" + strconv.Itoa(portOf(t, cfg.Listen)) + "/"
		cfg.TLSACME = []string{acmeTestHost}
		cfg.ACMEDirectory = ca.directory
		cfg.ACMECARoot = ca.caFile
		logs := &lockedBuffer{}
		startACMEServer(ctx, t, cfg, logs)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("server log:\n%s", logs.String())
			}
		})
		if _, err := handshake(ctx, cfg.Listen, acmeTestHost, nil); err == nil {
			t.Fatal("a certificate although TLS-ALPN-01 could not succeed")
		}
		// autocert gives up once no challenge type is left to try.
		waitCtx(ctx, t, "autocert to give up", func() bool {
			return strings.Contains(logs.String(), "no viable challenge type found")
		})
		if n := hits(); n != 0 || strings.Contains(ca.log.String(), "Attempting to validate w/ HTTP") {
			t.Errorf("HTTP-01 attempted without an HTTP listener (%d connections to port 80's stand-in)", n)
		}
		if strings.Count(ca.log.String(), "set INVALID by completed challenge") != 1 {
			t.Errorf("want exactly one failed validation (TLS-ALPN-01)")
		}
	})
}

// countingListener is a port that counts the connections it gets (and
// closes them).
func countingListener(t *testing.T) (port int, hits func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return portOf(t, ln.Addr().String()), func() int { return int(n.Load()) }
}

// startACMEServer starts the server on cfg (HTTPS on cfg.Listen, plain
// HTTP on cfg.TLSHTTPListen) and waits until the plain-HTTP listener
// answers (without one, until the HTTPS port accepts); the returned stop ends it (also at cleanup).
func startACMEServer(ctx context.Context, t *testing.T, cfg Config, logs io.Writer) (stop func()) {
	t.Helper()
	log, _ := NewLogger(logs, "json", "info")
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ldptest.WriteACL(t, s.store, cfg.BaseURL, "/.acl", ldptest.PublicRootACL)
	stop, exited := serveInTest(t, ctx, s)
	noFollow := &http.Client{Timeout: time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	waitCtx(ctx, t, "listeners", func() bool {
		select {
		case <-exited:
			t.Fatal("Serve returned before its listeners were up (its error is reported at cleanup)")
		default:
		}
		if cfg.TLSHTTPListen == "" { // a connection, no handshake (that would order)
			c, err := net.DialTimeout("tcp", cfg.Listen, time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil
		}
		resp, err := noFollow.Get("http://" + cfg.TLSHTTPListen + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return stop
}

// handshake dials addr with TLS for server name sni (h2 and http/1.1),
// verifying against roots (nil: the handshake is not verified, so only
// the server's refusal fails it).
func handshake(ctx context.Context, addr, sni string, roots *x509.CertPool) (tls.ConnectionState, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conf := &tls.Config{ServerName: sni, RootCAs: roots, NextProtos: []string{"h2", "http/1.1"}}
	if roots == nil {
		conf.InsecureSkipVerify = true
	}
	c, err := (&tls.Dialer{Config: conf}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState(), nil
}

func poolOf(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func mustPEMCert(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", file)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
