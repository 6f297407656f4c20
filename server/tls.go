package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// Built-in HTTPS (issue 16 item 5). Two ways, one flag each:
//
//   - --tls-acme DOMAIN[,DOMAIN...]: certificates from an ACME CA (Let's
//     Encrypt by default) obtained and renewed automatically by
//     golang.org/x/crypto/acme/autocert, already a dependency of the
//     module (certmagic would have brought a dozen more modules for
//     features we do not use: DNS-01 providers, clustering). The server
//     answers TLS-ALPN-01 challenges on its HTTPS listener (--listen,
//     normally :443) and HTTP-01 challenges on --tls-http-listen (normally
//     :80), which redirects every other GET/HEAD to https. Account key and
//     certificates are cached in <data>/acme (owner-only). In the
//     subdomain pod layout each registered pod's host gets a certificate
//     of its own on first use (per-host HTTP-01/TLS-ALPN-01: no wildcard).
//     Wildcard certificates need DNS-01, which this server does not do:
//     use a reverse proxy for them (README).
//   - --tls-cert FILE --tls-key FILE: a certificate the operator provides
//     (PEM, chain first). The files are read again when they change (a
//     certbot renewal needs no restart).

// tlsOn reports whether the server serves HTTPS itself.
func (c Config) tlsOn() bool { return len(c.TLSACME) > 0 || c.TLSCert != "" }

// checkTLS checks the TLS settings against the base URL.
func checkTLS(c Config, base *url.URL) error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.TLSCert != "" && len(c.TLSACME) > 0 {
		return errors.New("--tls-acme and --tls-cert exclude each other")
	}
	if c.TLSEmail != "" && len(c.TLSACME) == 0 {
		return errors.New("--tls-email needs --tls-acme")
	}
	if c.ACMEDirectory != "" && len(c.TLSACME) == 0 {
		return errors.New("--acme-directory needs --tls-acme")
	}
	if c.ACMECARoot != "" && c.ACMEDirectory == "" {
		return errors.New("--acme-ca-root needs --acme-directory (Let's Encrypt needs no extra root)")
	}
	if c.ACMEDirectory != "" {
		// RFC 8555 section 6.1: ACME runs over HTTPS only (the account
		// key's requests and the certificates must not travel in clear).
		u, err := url.Parse(c.ACMEDirectory)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
			return fmt.Errorf("--acme-directory %q must be an absolute https URL without user name or fragment", c.ACMEDirectory)
		}
	}
	if c.TLSEmail != "" && (len(c.TLSEmail) > 254 || strings.ContainsAny(c.TLSEmail, " \t\r\n<>,;") || !strings.Contains(c.TLSEmail, "@")) {
		return fmt.Errorf("--tls-email %q is not an email address", c.TLSEmail)
	}
	if c.tlsOn() && base.Scheme != "https" {
		return fmt.Errorf("with built-in TLS the base URL must be https, not %q", base.String())
	}
	if len(c.TLSACME) == 0 {
		return nil
	}
	if c.TLSHTTPListen != "" {
		if _, _, err := net.SplitHostPort(c.TLSHTTPListen); err != nil {
			return fmt.Errorf("--tls-http-listen %q: %w", c.TLSHTTPListen, err)
		}
		if c.TLSHTTPListen == c.Listen {
			return errors.New("--tls-http-listen must differ from --listen")
		}
	}
	for _, d := range c.TLSACME {
		if err := checkACMEDomain(d); err != nil {
			return err
		}
	}
	if !containsFold(c.TLSACME, base.Hostname()) {
		return fmt.Errorf("the base URL's host %q must be one of the --tls-acme domains", base.Hostname())
	}
	return nil
}

// checkACMEDomain accepts a DNS name an ACME CA can issue for over
// HTTP-01/TLS-ALPN-01: no wildcard, no IP address, no port.
func checkACMEDomain(d string) error {
	bad := func(why string) error { return fmt.Errorf("--tls-acme domain %q: %s", d, why) }
	if d == "" || len(d) > 253 {
		return bad("empty or too long")
	}
	if strings.Contains(d, "*") {
		return bad("wildcards need DNS-01: use a reverse proxy (see the README)")
	}
	if net.ParseIP(strings.Trim(d, "[]")) != nil {
		return bad("an IP address, not a domain name")
	}
	if !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return bad("not a fully qualified domain name")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad("bad label")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return bad("only lower-case letters, digits and '-' (write IDNs as xn--)")
			}
		}
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// acmeCacheDir is where autocert keeps its account key and certificates.
func acmeCacheDir(dataDir string) string { return filepath.Join(dataDir, "acme") }

// newACMEManager is the autocert manager for cfg. podHost reports whether
// a host is a pod's own (subdomain layout), to which a certificate may be
// issued as well; nil: none.
func newACMEManager(cfg Config, podHost func(host string) bool) (*autocert.Manager, error) {
	dir := acmeCacheDir(cfg.DataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	domains := append([]string(nil), cfg.TLSACME...)
	m := &autocert.Manager{
		Prompt: autocert.AcceptTOS,
		Cache:  autocert.DirCache(dir),
		Email:  cfg.TLSEmail,
		// Only the configured names and registered pods' hosts: a client
		// cannot make the server ask the CA for any name it likes (each
		// order costs rate limit).
		HostPolicy: func(_ context.Context, host string) error {
			// The HTTP-01 handler passes the Host header, which may
			// carry a port ("pod.example.org:80"); a name is what is
			// checked.
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
			if containsFold(domains, host) || (podHost != nil && podHost(strings.ToLower(host))) {
				return nil
			}
			return fmt.Errorf("acme: host %q is not served here", host)
		},
	}
	if cfg.ACMEDirectory != "" {
		m.Client = &acme.Client{DirectoryURL: cfg.ACMEDirectory}
	}
	if cfg.ACMECARoot != "" {
		hc, err := acmeHTTPClient(cfg.ACMECARoot)
		if err != nil {
			return nil, err
		}
		m.Client.HTTPClient = hc
	}
	return m, nil
}

// acmeHTTPClient is the HTTP client of the ACME connection when the
// directory's HTTPS certificate chains to a private CA (step-ca, a test
// CA): the system's roots and the certificates of the PEM file rootFile.
// Only the ACME client trusts them, not the server's other outbound
// fetches (WebIDs, federation).
func acmeHTTPClient(rootFile string) (*http.Client, error) {
	b, err := os.ReadFile(rootFile)
	if err != nil {
		return nil, fmt.Errorf("--acme-ca-root: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	n := 0
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("--acme-ca-root %s: a %q PEM block, want only CERTIFICATE", rootFile, blk.Type)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--acme-ca-root %s: %w", rootFile, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("--acme-ca-root %s: no PEM certificate", rootFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	return &http.Client{Transport: tr}, nil
}

// tlsSetup is what Serve needs for HTTPS: the listener's TLS
// configuration and, with ACME, the handler of the plain-HTTP listener
// (HTTP-01 challenges and a redirect to https).
type tlsSetup struct {
	config *tls.Config
	http   http.Handler
}

// newTLSSetup prepares HTTPS for s's configuration (nil when off).
func (s *Server) newTLSSetup() (*tlsSetup, error) {
	cfg := s.cfg
	switch {
	case len(cfg.TLSACME) > 0:
		var podHost func(string) bool
		if u, err := url.Parse(cfg.BaseURL); err == nil && s.pods != nil {
			base := "." + strings.ToLower(u.Hostname())
			podHost = func(host string) bool {
				name, ok := strings.CutSuffix(host, base)
				return ok && name != "" && !strings.Contains(name, ".") && s.pods.Subdomain(name)
			}
		}
		m, err := newACMEManager(cfg, podHost)
		if err != nil {
			return nil, err
		}
		tc := m.TLSConfig() // h2, http/1.1 and acme-tls/1 (TLS-ALPN-01)
		tc.MinVersion = tls.VersionTLS12
		ts := &tlsSetup{config: tc}
		// HTTPHandler also tells autocert to fall back to HTTP-01 when
		// TLS-ALPN-01 fails: only when a listener answers it, or each
		// failure would cost a second, doomed validation against port 80.
		if cfg.TLSHTTPListen != "" {
			ts.http = m.HTTPHandler(nil)
		}
		return ts, nil
	case cfg.TLSCert != "":
		kp := &keyPairFiles{cert: cfg.TLSCert, key: cfg.TLSKey}
		if _, err := kp.get(); err != nil {
			return nil, err
		}
		return &tlsSetup{config: &tls.Config{
			MinVersion:     tls.VersionTLS12,
			NextProtos:     []string{"h2", "http/1.1"},
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return kp.get() },
		}}, nil
	}
	return nil, nil
}

// keyPairFiles is a certificate and key read from files, read again when
// either file's modification time or size changes.
type keyPairFiles struct {
	cert, key string

	mu    sync.Mutex
	stamp string
	pair  *tls.Certificate
}

func (k *keyPairFiles) get() (*tls.Certificate, error) {
	stamp := ""
	for _, f := range []string{k.cert, k.key} {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		stamp += fi.ModTime().Format(time.RFC3339Nano) + fmt.Sprint(fi.Size()) + ";"
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pair != nil && stamp == k.stamp {
		return k.pair, nil
	}
	pair, err := tls.LoadX509KeyPair(k.cert, k.key)
	if err != nil {
		if k.pair != nil {
			return k.pair, nil // half-written renewal: keep serving the old one
		}
		return nil, fmt.Errorf("tls: %w", err)
	}
	k.pair, k.stamp = &pair, stamp
	return k.pair, nil
}

// serveTLSRedirect runs the plain-HTTP listener of ACME mode; the returned
// stop closes it.
func (s *Server) serveTLSRedirect(h http.Handler) (stop func(), err error) {
	if h == nil || s.cfg.TLSHTTPListen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", s.cfg.TLSHTTPListen)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()
	s.log.Info("naamio HTTP-01 and redirect listener", "listen", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// stringList is a flag.Value for "a.example,b.example" (lower-cased, no
// empty elements allowed).
type stringList struct{ l *[]string }

func (s stringList) String() string {
	if s.l == nil {
		return ""
	}
	return strings.Join(*s.l, ",")
}

func (s stringList) Set(v string) error {
	if v == "" {
		*s.l = nil
		return nil
	}
	var out []string
	for _, x := range strings.Split(v, ",") {
		x = strings.ToLower(strings.TrimSpace(x))
		if x == "" {
			return fmt.Errorf("empty element in %q", v)
		}
		out = append(out, x)
	}
	*s.l = out
	return nil
}
