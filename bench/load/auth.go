package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// Access control support: the test Solid-OIDC issuer, the owner's signed
// requests, ACLs written by the owner, and the pubget and authget scenarios.
//
// With -issuer ADDR the load tool runs internal/testissuer on that exact
// loopback address for as long as it runs, signed with the key in
// -issuer-key (created if missing), so that the issuer's JWKS is the same in
// every invocation. The owner is the agent "owner" of that issuer: WebID
// http://ADDR/owner/profile/card#me, which is what the server's
// --owner-webid must name (its --allow-fetch-addr must be ADDR). Every
// request of the get, put, list, rss, patch and big scenarios is then signed
// as the owner (Authorization: DPoP plus a fresh proof per request, made
// while the request is sent, so the client's signing shares the cores with
// the server); pubget is anonymous and authget sends proofs made before its
// timed window.

// ownerName is the owner's account at the test issuer.
const ownerName = "owner"

// startIssuer runs the test issuer on addr with the key stored in keyPath
// and returns it with the owner agent.
func startIssuer(addr, keyPath string) (*testissuer.Issuer, *testissuer.Agent, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("-issuer %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, nil, fmt.Errorf("-issuer %q: must be a loopback IP and port", addr)
	}
	if keyPath == "" {
		return nil, nil, errors.New("-issuer needs -issuer-key (the signing key must stay the same across runs)")
	}
	key, err := loadOrCreateKey(keyPath)
	if err != nil {
		return nil, nil, err
	}
	iss, err := testissuer.Start(testissuer.Options{Addr: addr, SigningKey: key})
	if err != nil {
		return nil, nil, fmt.Errorf("starting the test issuer on %s: %w", addr, err)
	}
	owner, err := iss.NewAgent(ownerName)
	if err != nil {
		iss.Close()
		return nil, nil, err
	}
	return iss, owner, nil
}

// loadOrCreateKey reads a PEM P-256 private key ("EC PRIVATE KEY" or PKCS#8
// "PRIVATE KEY") from path, or generates one and writes it there (mode 0600)
// when the file does not exist.
func loadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) { // created meanwhile by another run
			return loadOrCreateKey(path)
		}
		if err != nil {
			return nil, err
		}
		if err := pem.Encode(f, &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}); err != nil {
			f.Close()
			return nil, err
		}
		return k, f.Close()
	}
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	var k any
	switch blk.Type {
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	default:
		err = fmt.Errorf("PEM block %q", blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s: not a P-256 private key", path)
	}
	return ek, nil
}

// signingTransport signs every request that has no Authorization header yet
// as agent (a fresh DPoP proof each time, so retries and redirects are never
// replays). Requests that already carry credentials (presigned) pass as
// they are.
type signingTransport struct {
	base  http.RoundTripper
	agent *testissuer.Agent
}

func (t *signingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") != "" {
		return t.base.RoundTrip(r)
	}
	r2 := r.Clone(r.Context()) // a RoundTripper must not modify its request
	if err := t.agent.Sign(r2); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(r2)
}

// CloseIdleConnections lets (*http.Client).CloseIdleConnections reach the
// base transport.
func (t *signingTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// signed returns client with its requests signed as agent (nil: unchanged).
func signed(client *http.Client, agent *testissuer.Agent) *http.Client {
	if agent == nil {
		return client
	}
	c := *client
	c.Transport = &signingTransport{base: client.Transport, agent: agent}
	return &c
}

// aclFor is an ACL document giving owner Read, Write and Control and, when
// public, everyone (foaf:Agent) Read: on target alone, or with def also
// inherited by everything in the container target.
func aclFor(target, owner string, public, def bool) []byte {
	scope := fmt.Sprintf("acl:accessTo <%s>", target)
	if def {
		scope += fmt.Sprintf("; acl:default <%s>", target)
	}
	var b strings.Builder
	b.WriteString("@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n")
	fmt.Fprintf(&b, "<#owner> a acl:Authorization; acl:agent <%s>; %s; acl:mode acl:Read, acl:Write, acl:Control.\n", owner, scope)
	if public {
		fmt.Fprintf(&b, "<#public> a acl:Authorization; acl:agentClass foaf:Agent; %s; acl:mode acl:Read.\n", scope)
	}
	return []byte(b.String())
}

// aclURL is the URL of the ACL resource of u ("/a" -> "/a.acl", "/c/" ->
// "/c/.acl").
func aclURL(u string) string { return u + ".acl" }

// makePublic writes, as the owner, an ACL giving everyone Read on u (and on
// everything in it when u is a container), then checks that an anonymous
// GET of u answers 200.
func makePublic(client, anon *http.Client, owner, u string) error {
	if err := put(client, aclURL(u), aclFor(u, owner, true, strings.HasSuffix(u, "/"))); err != nil {
		return fmt.Errorf("writing the public-read ACL: %w", err)
	}
	if code, err := getStatus(anon, u, nil); err != nil || code != http.StatusOK {
		return fmt.Errorf("anonymous GET %s after making it public: %d %v", u, code, err)
	}
	return nil
}

// getStatus GETs u with the given extra headers and returns the status.
func getStatus(client *http.Client, u string, hdr http.Header) (int, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/turtle")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func getTurtle(u string) request {
	return func(_, _ int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err == nil {
			req.Header.Set("Accept", "text/turtle")
		}
		return req, err
	}
}

// pubgetScenario: anonymous GET of a small Turtle resource whose own ACL
// grants foaf:Agent Read. Without an issuer (a server without access
// control) no ACL is written and this is the plain anonymous GET.
func pubgetScenario(client, anon *http.Client, cfg config, base string) (result, error) {
	u := base + "pub/small.ttl"
	if err := put(client, u, smallTurtle(0)); err != nil {
		return result{}, err
	}
	note := "resource ACL: foaf:Agent Read"
	if cfg.owner != nil {
		if err := makePublic(client, anon, cfg.owner.WebID, u); err != nil {
			return result{}, err
		}
	} else {
		note = "no -issuer: no ACL written"
	}
	r := hammer(anon, cfg.conns, cfg.duration, cfg.maxRequests, ok200, getTurtle(u))
	r.name = "GET small Turtle, public-read (anonymous)"
	r.note = note
	if cfg.pubBaseline > 0 {
		r.target = fmt.Sprintf("≥ %.0f req/s (80%% of %.0f, the GET without access control)", 0.8*cfg.pubBaseline, cfg.pubBaseline)
		r.met = yes(r.rate() >= 0.8*cfg.pubBaseline && r.errors == 0)
	} else {
		r.target = "within 20% of the GET without access control"
	}
	return r, nil
}

// authgetScenario: GET of a private small Turtle resource (readable by the
// owner only, through the root ACL's acl:default) with the owner's
// DPoP-bound token, each request with its own proof and jti. The proofs are
// made before the timed window (presigned), so the client's ECDSA signing
// does not take the server's cores. The server has the token in its
// verified-token cache after the first request, so this measures proof
// verification (ES256), the replay check and the ACL decision.
func authgetScenario(client, anon *http.Client, cfg config, base string) (result, error) {
	if cfg.owner == nil {
		return result{}, errors.New("the authget scenario needs -issuer (the server must run with --owner-webid)")
	}
	u := base + "private/small.ttl"
	if err := put(client, u, smallTurtle(0)); err != nil {
		return result{}, err
	}
	// The resource must really be private, and the owner's token accepted.
	if code, err := getStatus(anon, u, nil); err != nil || code != http.StatusUnauthorized {
		return result{}, fmt.Errorf("anonymous GET %s of the private resource: %d %v (want 401)", u, code, err)
	}
	if code, err := getStatus(client, u, nil); err != nil || code != http.StatusOK {
		return result{}, fmt.Errorf("owner GET %s: %d %v", u, code, err)
	}
	ps, err := presign(cfg, "authget", func(int) (string, string) { return http.MethodGet, u })
	if err != nil {
		return result{}, err
	}
	r := hammer(client, cfg.conns, ps.dur, len(ps.proofs), ok200, func(_, i int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err == nil {
			req.Header.Set("Accept", "text/turtle")
			ps.sign(req, i)
		}
		return req, err
	})
	r.name = "GET small Turtle, private, DPoP (owner)"
	r.target = "≥ 5,000 req/s"
	r.met = yes(r.rate() >= 5000 && r.errors == 0)
	r.note = "fresh proof + jti per request, " + ps.note(r)
	return r, nil
}

// presigned is a set of DPoP proofs made before a timed window, and the
// length of that window.
type presigned struct {
	proofs []string
	authz  string
	dur    time.Duration
	took   time.Duration
}

// sign sets the credentials of request i.
func (p *presigned) sign(r *http.Request, i int) {
	r.Header.Set("Authorization", p.authz)
	r.Header.Set("DPoP", p.proofs[i])
}

// note describes the proofs for the result of a run that used them.
func (p *presigned) note(r result) string {
	s := fmt.Sprintf("%d proofs made in %v before the window", len(p.proofs), p.took.Round(time.Millisecond))
	if r.requests+r.errors >= len(p.proofs) && r.elapsed < p.dur-100*time.Millisecond {
		s += fmt.Sprintf("; they ran out after %v (raise -proof-rate)", r.elapsed.Round(time.Millisecond))
	}
	return s
}

// presign makes the proofs of a timed scenario as cfg.owner: request i is
// target(i) (method and URL). Their number is -proof-rate × -d, at most
// -proof-cap and -n, which bounds the scenario's requests. Every proof must
// reach the server within the proof window of its iat, so the timed window
// is shortened if making them took long, and -d must leave room for that.
// The proofs are made on every CPU before the window opens.
func presign(cfg config, what string, target func(i int) (method, u string)) (*presigned, error) {
	n := int(cfg.proofRate * cfg.duration.Seconds())
	n = max(1, min(n, cfg.proofCap, cfg.maxRequests))
	const margin = 5 * time.Second // clock steps, requests in flight at the end
	budget := cfg.proofWindow - margin
	if cfg.duration >= budget-time.Second {
		return nil, fmt.Errorf("-d %v is too long for a proof window of %v (at most %v)", cfg.duration, cfg.proofWindow, budget-time.Second)
	}
	t0 := time.Now()
	deadline := t0.Add(budget - cfg.duration)
	workers := runtime.NumCPU()
	parts := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]string, 0, hi-lo)
			for i := lo; i < hi; i++ {
				if i%256 == 0 && time.Now().After(deadline) {
					break
				}
				m, u := target(i)
				p, err := cfg.owner.Key.Proof(m, u, cfg.owner.Token, time.Now())
				if err != nil {
					fmt.Fprintln(os.Stderr, "load: making a proof:", err)
					break
				}
				mine = append(mine, p)
			}
			parts[w] = mine
		}()
	}
	wg.Wait()
	ps := &presigned{authz: "DPoP " + cfg.owner.Token, took: time.Since(t0)}
	// Only a prefix of indexes can be used: stop at the first worker that
	// was cut short.
	for w, p := range parts {
		ps.proofs = append(ps.proofs, p...)
		if len(p) < n*(w+1)/workers-n*w/workers {
			break
		}
	}
	if len(ps.proofs) == 0 {
		return nil, errors.New("no proofs made")
	}
	ps.dur = min(cfg.duration, budget-time.Since(t0))
	fmt.Fprintf(os.Stderr, "load: %s: %d proofs made in %v; timed window %v\n", what, len(ps.proofs), ps.took.Round(time.Millisecond), ps.dur.Round(time.Millisecond))
	runtime.GC() // do not collect the signing's garbage in the timed window
	return ps, nil
}
