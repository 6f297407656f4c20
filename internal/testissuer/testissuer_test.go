package testissuer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/internal/safehttp"
)

const podBase = "http://pod.example"

func start(t *testing.T, opts Options) *Issuer {
	t.Helper()
	i, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(i.Close)
	return i
}

// authenticator is the real resource-server check, allowed to fetch from
// exactly the issuer's address.
func authenticator(t *testing.T, i *Issuer) *auth.Authenticator {
	t.Helper()
	ap, err := netip.ParseAddrPort(i.AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	c := safehttp.New(safehttp.Options{Timeout: 3 * time.Second, AllowAddrPorts: []netip.AddrPort{ap}})
	return auth.NewAuthenticator(auth.AuthOptions{BaseURL: podBase, Client: c})
}

func signed(t *testing.T, a *Agent, method, target string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	// httptest.NewRequest leaves the URL relative; sign the absolute one.
	r.URL.Scheme, r.URL.Host = "http", "pod.example"
	if err := a.Sign(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSignedRequestAuthenticates(t *testing.T) {
	i := start(t, Options{})
	if !strings.HasPrefix(i.URL(), "http://127.0.0.1:") || i.URL() != "http://"+i.AddrPort() {
		t.Fatalf("URL %q AddrPort %q", i.URL(), i.AddrPort())
	}
	a := authenticator(t, i)
	alice, err := i.NewAgent("alice")
	if err != nil {
		t.Fatal(err)
	}
	if alice.WebID != i.URL()+"/alice/profile/card#me" {
		t.Fatalf("WebID %q", alice.WebID)
	}
	got, err := a.Authenticate(context.Background(), signed(t, alice, "GET", "/notes/x.ttl?q=1"))
	if err != nil {
		t.Fatal(err)
	}
	want := auth.Agent{WebID: alice.WebID, Issuer: i.URL(), ClientID: DefaultClientID}
	if got != want {
		t.Fatalf("agent %+v, want %+v", got, want)
	}
	if n := i.Requests(); n != 3 { // profile, discovery, JWKS
		t.Fatalf("%d requests to the issuer, want 3", n)
	}
	// A second request: fresh proof, cached token, no fetch.
	if _, err := a.Authenticate(context.Background(), signed(t, alice, "PUT", "/notes/y.ttl")); err != nil {
		t.Fatal(err)
	}
	if n := i.Requests(); n != 3 {
		t.Fatalf("%d requests after a cached check, want 3", n)
	}
}

func TestProofIsSingleUse(t *testing.T) {
	i := start(t, Options{})
	a := authenticator(t, i)
	bob, err := i.NewAgent("bob")
	if err != nil {
		t.Fatal(err)
	}
	r := signed(t, bob, "GET", "/")
	if _, err := a.Authenticate(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	r2 := httptest.NewRequest("GET", "/", nil)
	r2.Header = r.Header.Clone()
	if _, err := a.Authenticate(context.Background(), r2); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("replayed proof: err %v", err)
	}
}

func TestProfileWithoutIssuerRefused(t *testing.T) {
	i := start(t, Options{})
	a := authenticator(t, i)
	i.SetProfile("mallory", "@prefix solid: <http://www.w3.org/ns/solid/terms#> .\n<#me> solid:oidcIssuer <https://other.example> .\n")
	m, err := i.NewAgent("mallory")
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Authenticate(context.Background(), signed(t, m, "GET", "/"))
	if !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("err %v, want ErrUnauthenticated", err)
	}
	// Restoring the default profile is seen by a fresh authenticator.
	i.SetProfile("mallory", "")
	if _, err := authenticator(t, i).Authenticate(context.Background(), signed(t, m, "GET", "/")); err != nil {
		t.Fatal(err)
	}
}

func TestTokenFromAnotherIssuerRefused(t *testing.T) {
	i := start(t, Options{})
	other := start(t, Options{})
	a := authenticator(t, i)
	k, _ := NewKey()
	// Signed by other, claiming to be i.
	tok, err := other.Token(TokenClaims{WebID: i.WebID("eve"), ClientID: "x", Issuer: i.URL()}, k)
	if err != nil {
		t.Fatal(err)
	}
	ag := &Agent{WebID: i.WebID("eve"), Token: tok, Key: k}
	if _, err := a.Authenticate(context.Background(), signed(t, ag, "GET", "/")); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("err %v, want ErrUnauthenticated", err)
	}
	if other.Requests() != 0 {
		t.Fatal("the other issuer was contacted")
	}
}

// A restarted issuer with the same key and address keeps its JWKS.
func TestRestartKeepsKeys(t *testing.T) {
	i, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr, key := i.AddrPort(), i.SigningKey()
	alice, err := i.NewAgent("alice")
	if err != nil {
		t.Fatal(err)
	}
	i.Close()
	i2 := start(t, Options{Addr: addr, SigningKey: key})
	if _, err := authenticator(t, i2).Authenticate(context.Background(), signed(t, alice, "GET", "/")); err != nil {
		t.Fatal(err)
	}
}

// Client signs each hop through a real HTTP exchange, redirects included.
func TestClientSignsEveryHop(t *testing.T) {
	i := start(t, Options{})
	var a *auth.Authenticator
	var (
		mu   sync.Mutex
		seen []string
	)
	pod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agent, err := a.Authenticate(r.Context(), r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", auth.WWWAuthenticate(err))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		seen = append(seen, r.URL.Path+" "+agent.WebID)
		mu.Unlock()
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new?x=1", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer pod.Close()
	ap, _ := netip.ParseAddrPort(i.AddrPort())
	a = auth.NewAuthenticator(auth.AuthOptions{BaseURL: pod.URL, Client: safehttp.New(safehttp.Options{
		Timeout: 3 * time.Second, AllowAddrPorts: []netip.AddrPort{ap}})})
	carol, err := i.NewAgent("carol")
	if err != nil {
		t.Fatal(err)
	}
	c := carol.Client(&http.Client{Timeout: 10 * time.Second})
	resp, err := c.Get(pod.URL + "/old")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d (%v)", resp.StatusCode, resp.Header)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "/old "+carol.WebID || seen[1] != "/new "+carol.WebID {
		t.Fatalf("seen %v", seen)
	}
}

func TestServeAndHandle(t *testing.T) {
	i := start(t, Options{})
	i.Serve("/groups/g", "text/turtle", "<#g> a <http://www.w3.org/2006/vcard/ns#Group> .")
	i.Handle("/slow", Stall(time.Minute, "text/plain", "late"))
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(i.URL() + "/groups/g")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/turtle" {
		t.Fatalf("group doc: %d %v", resp.StatusCode, resp.Header)
	}
	short := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := short.Get(i.URL() + "/slow"); err == nil {
		t.Fatal("stalled handler answered")
	}
	resp, err = c.Get(i.URL() + "/nobody/else")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: %d", resp.StatusCode)
	}
	if n := i.Requests(); n != 3 {
		t.Fatalf("Requests() = %d, want 3", n)
	}
}
