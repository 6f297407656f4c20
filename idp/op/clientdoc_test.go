package op

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
)

// docServer is an httptest TLS server of Client Identifier Documents.
type docServer struct {
	*httptest.Server
	fetches atomic.Int64
}

func newDocServer(t testing.TB) *docServer {
	ds := &docServer{}
	ds.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ds.fetches.Add(1)
		base := "https://" + r.Host
		doc := func(id string, redirects ...string) {
			if len(redirects) == 0 {
				redirects = []string{base + "/app/cb"}
			}
			w.Header().Set("Content-Type", "application/ld+json")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"@context":                  []string{"https://www.w3.org/ns/solid/oidc-context.jsonld"},
				"client_id":                 id,
				"client_name":               "Doc App",
				"redirect_uris":             redirects,
				"post_logout_redirect_uris": base + "/app/bye", // a single string, as JSON-LD compaction writes it
				"grant_types":               []string{"authorization_code", "refresh_token"},
				"scope":                     "openid webid offline_access",
			})
		}
		switch r.URL.Path {
		case "/app/id":
			doc(base + "/app/id")
		case "/redirect":
			http.Redirect(w, r, "/app/id", http.StatusFound)
		case "/mismatch":
			doc(base + "/app/id")
		case "/secret-client":
			w.Header().Set("Content-Type", "application/ld+json")
			_ = json.NewEncoder(w).Encode(map[string]any{"client_id": base + "/secret-client",
				"redirect_uris": []string{base + "/app/cb"}, "token_endpoint_auth_method": "client_secret_basic"})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ds.Close)
	return ds
}

// fetcher adapts an http.Client to Fetcher the way the server adapts
// safehttp: the final URL is reported, so a followed redirect is visible.
func fetcher(hc *http.Client) Fetcher {
	return FetcherFunc(func(ctx context.Context, u string) (*Fetched, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/ld+json, application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		return &Fetched{StatusCode: resp.StatusCode, URL: resp.Request.URL.String(), Body: b}, nil
	})
}

func TestClientIdentifierDocument(t *testing.T) {
	ds := newDocServer(t)
	o := newTestOP(t, "", func(o *Options) { o.Fetcher = fetcher(ds.Client()) })
	clientID := ds.URL + "/app/id"
	redirect := ds.URL + "/app/cb"

	verifier, challenge := pkce()
	q := authParamsFor(clientID, challenge, "openid webid offline_access")
	q.Set("redirect_uri", redirect)
	resp := o.authorize(t, q)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	pd, err := o.p.Pending(context.Background(), loc.Query().Get("id"))
	if err != nil || pd.ClientName != "Doc App" || pd.Dynamic || pd.ClientID != clientID {
		t.Fatalf("pending %+v %v", pd, err)
	}
	back, err := o.p.Complete(context.Background(), pd.ID, testWebID, "acct-1")
	if err != nil {
		t.Fatal(err)
	}
	bu, _ := url.Parse(back)
	key := newKey(t)
	st, tok := o.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "code": {bu.Query().Get("code")},
		"redirect_uri": {redirect}, "code_verifier": {verifier}, "client_id": {clientID}}, key)
	if st != 200 || tok["refresh_token"] == nil {
		t.Fatalf("token: %d %v", st, tok)
	}
	if c := claims(t, tok["access_token"].(string)); c["client_id"] != clientID {
		t.Fatalf("client_id claim %v", c["client_id"])
	}
	if n := ds.fetches.Load(); n != 1 {
		t.Fatalf("document fetched %d times, want 1 (cached)", n)
	}
	// The single-string post_logout_redirect_uris is understood.
	lr, err := o.hc.Get(o.url(PathLogout) + "?" + url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {ds.URL + "/app/bye"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	lr.Body.Close()
	if lr.StatusCode != http.StatusSeeOther || lr.Header.Get("Location") != ds.URL+"/app/bye" {
		t.Fatalf("logout: %d %q", lr.StatusCode, lr.Header.Get("Location"))
	}
}

// TestClientDocumentRefused: SECURITY.md row 33 for documents. Every case
// is a 400 page and never a redirect.
func TestClientDocumentRefused(t *testing.T) {
	ds := newDocServer(t)
	following := ds.Client()
	notFollowing := *ds.Client()
	notFollowing.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tc := range []struct {
		name     string
		hc       *http.Client
		path     string
		redirect string
	}{
		{"redirect (fetcher follows)", following, "/redirect", "/app/cb"},
		{"redirect (fetcher does not follow)", &notFollowing, "/redirect", "/app/cb"},
		{"client_id is another URL", following, "/mismatch", "/app/cb"},
		{"redirect_uri not in the document", following, "/app/id", "/app/other"},
		{"confidential client in a document", following, "/secret-client", "/app/cb"},
		{"document missing", following, "/nothing", "/app/cb"},
		{"http client_id", following, "", "/app/cb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newTestOP(t, "", func(o *Options) { o.Fetcher = fetcher(tc.hc) })
			_, challenge := pkce()
			clientID := ds.URL + tc.path
			if tc.path == "" {
				clientID = "http://" + ds.Listener.Addr().String() + "/app/id"
			}
			q := authParamsFor(clientID, challenge, "openid webid")
			q.Set("redirect_uri", ds.URL+tc.redirect)
			resp := o.authorize(t, q)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q; want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}
