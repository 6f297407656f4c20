package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
)

// testCA makes a CA and returns it (as a pool and as PEM) with a function
// that issues a leaf for 127.0.0.1 with the given serial, as PEM cert and
// key files in dir.
func testCA(t *testing.T) (*x509.CertPool, []byte, func(dir string, serial int64)) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "naamio test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	issue := func(dir string, serial int64) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		// Key first, then the certificate: both change before the next
		// handshake reads them.
		if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return pool, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), issue
}

// Issue 16 item 5: with --tls-cert/--tls-key the server serves HTTPS (h2
// and http/1.1) with the operator's certificate, re-read when the files
// change; plain HTTP on that port gets no page.
func TestTLSCertFiles(t *testing.T) {
	pool, _, issue := testCA(t)
	certDir := t.TempDir()
	issue(certDir, 100)
	cfg := loopbackConfig(t)
	cfg.BaseURL = "https://" + cfg.Listen + "/"
	cfg.TLSCert, cfg.TLSKey = filepath.Join(certDir, "cert.pem"), filepath.Join(certDir, "key.pem")
	log, _ := NewLogger(io.Discard, "json", "info")
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	serveInTest(t, context.Background(), s)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	get := func() (*http.Response, error) {
		resp, err := client.Get("https://" + cfg.Listen + "/.naamio/health")
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	var resp *http.Response
	for range 250 {
		if resp, err = get(); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.PeerCertificates[0].SerialNumber.Int64() != 100 {
		t.Fatalf("HTTPS health: %v %v", resp, err)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2", resp.Proto)
	}
	// Plain HTTP on the TLS port is no page.
	if r, err := http.Get("http://" + cfg.Listen + "/.naamio/health"); err == nil {
		r.Body.Close()
		if r.StatusCode == 200 {
			t.Fatal("plain HTTP served on the HTTPS port")
		}
	}
	// A renewed certificate is served without a restart.
	time.Sleep(10 * time.Millisecond) // a later modification time
	issue(certDir, 101)
	client.CloseIdleConnections()
	if resp, err = get(); err != nil || resp.TLS.PeerCertificates[0].SerialNumber.Int64() != 101 {
		t.Fatalf("after renewal: %v %v", resp, err)
	}
	// A certificate no trusted CA signed is refused by the client: the
	// test really checks the chain.
	bad := &http.Client{Timeout: 5 * time.Second}
	if _, err := bad.Get("https://" + cfg.Listen + "/.naamio/health"); err == nil {
		t.Fatal("system roots accepted the test CA's certificate")
	}
}

// The ACME wiring, without a CA: the manager's configuration, its host
// policy (names with a port, as the HTTP-01 handler passes the Host
// header, included), its cache directory, the ALPN protocols that answer
// TLS-ALPN-01, and the plain-HTTP listener's redirect and challenge path.
// Obtaining certificates from a real ACME CA over both challenges is
// TestTLSACMEPebble (tls_acme_test.go).
func TestTLSACMEManager(t *testing.T) {
	cfg := defaults()
	cfg.DataDir = t.TempDir()
	cfg.TLSACME = []string{"pod.example.org", "www.pod.example.org"}
	cfg.TLSEmail = "ops@example.org"
	m, err := newACMEManager(cfg, func(h string) bool { return h == "alice.pod.example.org" })
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(acmeCacheDir(cfg.DataDir))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("cache dir: %v %v", fi, err)
	}
	if m.Email != "ops@example.org" || m.Prompt == nil {
		t.Fatalf("manager: %+v", m)
	}
	ctx := context.Background()
	for _, h := range []string{"pod.example.org", "WWW.pod.example.org", "alice.pod.example.org", "pod.example.org:80", "alice.pod.example.org:8080"} {
		if err := m.HostPolicy(ctx, h); err != nil {
			t.Errorf("host %q refused: %v", h, err)
		}
	}
	for _, h := range []string{"evil.example", "bob.pod.example.org", "127.0.0.1", "", "pod.example.org.evil.example", "x.alice.pod.example.org",
		"evil.example:80", "127.0.0.1:80", "[::1]:443", ":80", "pod.example.org:80:80"} {
		if err := m.HostPolicy(ctx, h); err == nil {
			t.Errorf("host %q accepted", h)
		}
	}
	if tc := m.TLSConfig(); !slices.Contains(tc.NextProtos, acme.ALPNProto) || !slices.Contains(tc.NextProtos, "h2") {
		t.Fatalf("ALPN %v", tc.NextProtos)
	}
	srv := httptest.NewServer(m.HTTPHandler(nil))
	defer srv.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", srv.URL+"/alice/notes/?x=1", nil)
	req.Host = "pod.example.org"
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://pod.example.org/alice/notes/?x=1" {
		t.Fatalf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ = http.NewRequest("GET", srv.URL+"/.well-known/acme-challenge/unknown-token", nil)
	req.Host = "pod.example.org"
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown challenge: %d", resp.StatusCode)
	}
}

// Bad TLS settings are refused at start.
func TestTLSConfigBadInput(t *testing.T) {
	env := func(string) string { return "" }
	ok := []string{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org,www.pod.example.org", "--tls-email", "ops@example.org"}
	if c, err := parseServeConfig(ok, env); err != nil || len(c.TLSACME) != 2 || c.TLSHTTPListen != ":80" {
		t.Fatalf("good ACME config: %+v %v", c.TLSACME, err)
	}
	for _, args := range [][]string{
		{"--base-url", "http://pod.example.org/", "--tls-acme", "pod.example.org"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "other.example.org"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "*.pod.example.org,pod.example.org"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org,,x.example"},
		{"--base-url", "https://127.0.0.1/", "--tls-acme", "127.0.0.1"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org:443"},
		{"--base-url", "https://localhost/", "--tls-acme", "localhost"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--tls-email", "not an email"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--tls-email", "<script>@x"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--tls-http-listen", "nonsense"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--tls-cert", "c.pem", "--tls-key", "k.pem"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "-bad-.example.org,pod.example.org"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", strings.Repeat("a", 64) + ".example.org,pod.example.org"},
		{"--base-url", "https://pod.example.org/", "--tls-cert", "c.pem"},
		{"--base-url", "https://pod.example.org/", "--tls-key", "k.pem"},
		{"--base-url", "http://pod.example.org/", "--tls-cert", "c.pem", "--tls-key", "k.pem"},
		{"--tls-email", "ops@example.org"},
		// The ACME directory: https only (RFC 8555 section 6.1), with
		// --tls-acme; a private CA root only with a directory.
		{"--base-url", "https://pod.example.org/", "--acme-directory", "https://ca.example/dir"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--acme-directory", "http://ca.example/dir"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--acme-directory", "https:///dir"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--acme-directory", "https://user:pw@ca.example/dir"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--acme-directory", "https://ca.example/dir#x"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--acme-directory", "javascript:alert(1)"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--acme-directory", "ca.example/dir"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--acme-directory", "https:ca.example"},
		{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--acme-ca-root", "root.pem"},
	} {
		if _, err := parseServeConfig(args, env); err == nil {
			t.Errorf("accepted: %q", args)
		}
	}
	good := []string{"--base-url", "https://pod.example.org/", "--tls-acme", "pod.example.org", "--acme-directory", "https://ca.home.arpa/acme/acme/directory"}
	envRoot := func(k string) string { return map[string]string{"NAAMIO_ACME_CA_ROOT": "/etc/step/root_ca.crt"}[k] }
	if c, err := parseServeConfig(good, envRoot); err != nil || c.ACMECARoot != "/etc/step/root_ca.crt" || c.ACMEDirectory != good[5] {
		t.Fatalf("private ACME CA config: %q %q %v", c.ACMEDirectory, c.ACMECARoot, err)
	}
	// Unreadable certificate files fail at start, not at the first handshake.
	cfg := loopbackConfig(t)
	cfg.BaseURL = "https://" + cfg.Listen + "/"
	cfg.TLSCert, cfg.TLSKey = filepath.Join(t.TempDir(), "none.pem"), filepath.Join(t.TempDir(), "none.key")
	log, _ := NewLogger(io.Discard, "json", "info")
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(context.Background()); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Fatalf("Serve with missing certificate files: %v", err)
	}
}

// --acme-ca-root is read when the server starts: a file that is missing,
// empty, not PEM, holds a key or a broken certificate stops it; a good one
// gives the ACME client (only it) a client trusting the file's CA besides
// the system's.
func TestTLSACMECARootBadInput(t *testing.T) {
	dir := t.TempDir()
	_, caPEM, _ := testCA(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	kder, _ := x509.MarshalECPrivateKey(key)
	files := map[string][]byte{
		"empty.pem":   nil,
		"garbage.pem": []byte("<script>alert(1)</script>\n"),
		"key.pem":     pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
		"cakey.pem":   append(append([]byte(nil), caPEM...), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})...),
		"broken.pem":  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}),
		"big.pem":     []byte(strings.Repeat("A", 1<<20)),
		"ca.pem":      append(append([]byte(nil), caPEM...), caPEM...),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := defaults()
	cfg.DataDir = t.TempDir()
	cfg.TLSACME = []string{"pod.example.org"}
	cfg.ACMEDirectory = "https://127.0.0.1:14000/dir"
	for _, name := range []string{"missing.pem", "empty.pem", "garbage.pem", "key.pem", "cakey.pem", "broken.pem", "big.pem"} {
		cfg.ACMECARoot = filepath.Join(dir, name)
		if _, err := newACMEManager(cfg, nil); err == nil || !strings.Contains(err.Error(), "--acme-ca-root") {
			t.Errorf("%s: %v", name, err)
		}
	}
	cfg.ACMECARoot = filepath.Join(dir, "ca.pem")
	m, err := newACMEManager(cfg, nil)
	if err != nil || m.Client == nil || m.Client.HTTPClient == nil || m.Client.DirectoryURL != cfg.ACMEDirectory {
		t.Fatalf("good root: %+v %v", m, err)
	}
	if tr, ok := m.Client.HTTPClient.Transport.(*http.Transport); !ok || tr.TLSClientConfig.RootCAs == nil || tr.TLSClientConfig.InsecureSkipVerify {
		t.Fatalf("ACME transport: %+v", m.Client.HTTPClient.Transport)
	}
	// Without the flag the ACME client keeps the default (system roots).
	cfg.ACMECARoot = ""
	if m, err := newACMEManager(cfg, nil); err != nil || m.Client.HTTPClient != nil {
		t.Fatalf("no root: %v", err)
	}
}
