package op

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/internal/testissuer"
)

// tokenCallProof posts form to the token endpoint with exactly the given
// DPoP proof.
func (o *testOP) tokenCallProof(t testing.TB, form url.Values, proof string, basic ...string) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, o.url(PathToken), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := o.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

var ccForm = url.Values{"grant_type": {"client_credentials"}, "scope": {"webid"}}

func TestClientCredentials(t *testing.T) {
	o := newTestOP(t, testWebID, nil)
	key := newKey(t)
	st, tok := o.tokenCall(t, ccForm, key, credID, credSecret)
	if st != 200 {
		t.Fatalf("token: %d %v", st, tok)
	}
	if tok["token_type"] != "DPoP" || tok["refresh_token"] != nil || tok["id_token"] != nil || tok["scope"] != "webid" {
		t.Fatalf("response %v", tok)
	}
	c := claims(t, tok["access_token"].(string))
	if c["webid"] != testWebID || c["sub"] != testWebID || c["client_id"] != credID || c["cnf"].(map[string]any)["jkt"] != key.Thumbprint() {
		t.Fatalf("claims %v", c)
	}

	proof := func(method, htu string) string {
		p, err := key.Proof(method, htu, "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			proof  string
			basic  []string
			status int
		}{
			{"wrong secret", proof("POST", o.url(PathToken)), []string{credID, "nope"}, 401},
			{"unknown id", proof("POST", o.url(PathToken)), []string{"nobody", credSecret}, 401},
			{"no credentials", proof("POST", o.url(PathToken)), nil, 401},
			{"no proof", "", []string{credID, credSecret}, 400},
			{"proof for another URL", proof("POST", "http://evil.example"+PathToken), []string{credID, credSecret}, 400},
			{"proof for another method", proof("GET", o.url(PathToken)), []string{credID, credSecret}, 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				st, h := o.tokenCallProof(t, ccForm, tc.proof, tc.basic...)
				if st != tc.status {
					t.Fatalf("status %d, want %d", st, tc.status)
				}
				if st == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
					t.Fatalf("401 without a Basic challenge")
				}
			})
		}
	})
	t.Run("replayed proof", func(t *testing.T) {
		pr := proof("POST", o.url(PathToken))
		if st, _ := o.tokenCallProof(t, ccForm, pr, credID, credSecret); st != 200 {
			t.Fatalf("first use: %d", st)
		}
		if st, _ := o.tokenCallProof(t, ccForm, pr, credID, credSecret); st != 400 {
			t.Fatalf("replay: %d, want 400", st)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		o := newTestOP(t, testWebID, func(o *Options) { o.Credentials = nil })
		if st, body := o.tokenCall(t, ccForm, key, credID, credSecret); st != 400 || body["error"] != "unsupported_grant_type" {
			t.Fatalf("%d %v", st, body)
		}
	})
}

// profileServer serves WebID profiles whose Turtle can be changed.
type profileServer struct {
	*httptest.Server
	mu     sync.Mutex
	turtle string
}

func newProfileServer(t testing.TB) *profileServer {
	ps := &profileServer{}
	ps.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/alice/profile/card" {
			http.NotFound(w, r)
			return
		}
		ps.mu.Lock()
		body := ps.turtle
		ps.mu.Unlock()
		w.Header().Set("Content-Type", "text/turtle")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ps.Close)
	return ps
}

func (ps *profileServer) set(issuer string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.turtle = "@prefix solid: <http://www.w3.org/ns/solid/terms#> .\n<#me> solid:oidcIssuer <" + issuer + "> .\n"
}

func addrPort(t testing.TB, srvURL string) netip.AddrPort {
	t.Helper()
	u, _ := url.Parse(srvURL)
	ap, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// TestResourceServerAcceptsIssuedToken is the decisive interop check: our
// resource server (auth.Authenticator), through the normal WebID →
// solid:oidcIssuer → discovery → JWKS path and a safehttp client allowed
// exactly the two test servers, accepts a token this OP issued, with a
// fresh DPoP proof, when the WebID names the OP, and refuses it otherwise.
func TestResourceServerAcceptsIssuedToken(t *testing.T) {
	ps := newProfileServer(t)
	webID := ps.URL + "/alice/profile/card#me"
	o := newTestOP(t, webID, nil)
	key := newKey(t)

	// One token from client_credentials, one from the authorization code flow.
	st, cc := o.tokenCall(t, ccForm, key, credID, credSecret)
	if st != 200 {
		t.Fatalf("client_credentials: %d %v", st, cc)
	}
	reg := o.register(t, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none"})
	clientID := reg["client_id"].(string)
	verifier, challenge := pkce()
	resp := o.authorize(t, authParamsFor(clientID, challenge, "openid webid"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	back, err := o.p.Complete(context.Background(), loc.Query().Get("id"), webID, "acct-1")
	if err != nil {
		t.Fatal(err)
	}
	bu, _ := url.Parse(back)
	st, ac := o.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "code": {bu.Query().Get("code")},
		"redirect_uri": {testRedirect}, "code_verifier": {verifier}, "client_id": {clientID}}, key)
	if st != 200 {
		t.Fatalf("authorization_code: %d %v", st, ac)
	}

	newRS := func() *auth.Authenticator {
		sc := safehttp.New(safehttp.Options{AllowAddrPorts: []netip.AddrPort{addrPort(t, o.srv.URL), addrPort(t, ps.URL)}})
		return auth.NewAuthenticator(auth.AuthOptions{BaseURL: "https://pod.example", Client: sc})
	}
	call := func(rs *auth.Authenticator, tok string, k *testissuer.Key) (auth.Agent, error) {
		const target = "https://pod.example/alice/private/notes.ttl"
		r := httptest.NewRequest(http.MethodGet, "/alice/private/notes.ttl", nil)
		proof, err := k.Proof(http.MethodGet, target, tok, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "DPoP "+tok)
		r.Header.Set("DPoP", proof)
		return rs.Authenticate(context.Background(), r)
	}

	for name, tok := range map[string]map[string]any{"client_credentials": cc, "authorization_code": ac} {
		at := tok["access_token"].(string)
		t.Run(name, func(t *testing.T) {
			ps.set(o.srv.URL)
			rs := newRS()
			agent, err := call(rs, at, key)
			if err != nil {
				t.Fatalf("resource server refused the token: %v", err)
			}
			if agent.WebID != webID || agent.Issuer != o.srv.URL {
				t.Fatalf("agent %+v", agent)
			}
			// Bound to the DPoP key: a proof by another key is refused.
			if _, err := call(rs, at, newKey(t)); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("other key: %v", err)
			}
			// A WebID that does not name this OP: refused (SECURITY row 32).
			ps.set("https://other-idp.example")
			if _, err := call(newRS(), at, key); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("WebID without this issuer: %v, want ErrUnauthenticated", err)
			}
		})
	}
}
