package op

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const fuzzDocURL = "https://app.example/id"

// FuzzParseClientDocument: a Client Identifier Document is outside input.
// Whatever it holds, an accepted document names itself, lists only valid
// redirect URIs and describes a public client.
func FuzzParseClientDocument(f *testing.F) {
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/solid/oidc-context.jsonld"],"client_id":"https://app.example/id","redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code","refresh_token"]}`))
	f.Add([]byte(`{"client_id":"https://app.example/id","redirect_uris":"https://app.example/cb","post_logout_redirect_uris":"https://app.example/bye"}`))
	f.Add([]byte(`{"client_id":"https://app.example/id","redirect_uris":["javascript:alert(1)"]}`))
	f.Add([]byte(`{"client_id":"https://app.example/id","redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"client_secret_basic"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"client_id":{"@id":"https://app.example/id"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseClientDocument(fuzzDocURL, body)
		if err != nil {
			return
		}
		if c.ID != fuzzDocURL || !c.public() || !c.Document || len(c.RedirectURIs) == 0 || !c.allowsGrant(grantCode) {
			t.Fatalf("accepted %+v", c)
		}
		for _, u := range append(append([]string{}, c.RedirectURIs...), c.PostLogoutRedirectURIs...) {
			if !validRedirectURI(u) {
				t.Fatalf("accepted redirect URI %q", u)
			}
		}
	})
}

// FuzzRegistration: registration metadata is outside input too.
func FuzzRegistration(f *testing.F) {
	f.Add([]byte(`{"redirect_uris":["https://app.example/cb"],"client_name":"x","token_endpoint_auth_method":"none"}`))
	f.Add([]byte(`{"redirect_uris":["http://127.0.0.1/cb","com.example.app:/cb"],"grant_types":["refresh_token","authorization_code"]}`))
	f.Add([]byte(`{"redirect_uris":["http://[::1]:80/cb"],"logo_uri":"https://x/"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseRegistration(body)
		if err != nil {
			return
		}
		if c.AuthMethod != authNone && c.AuthMethod != authSecretBasic {
			t.Fatalf("auth method %q", c.AuthMethod)
		}
		for _, u := range c.RedirectURIs {
			if !validRedirectURI(u) || strings.HasPrefix(strings.ToLower(u), "javascript:") {
				t.Fatalf("accepted redirect URI %q", u)
			}
		}
	})
}

// FuzzAuthorize drives the authorization endpoint with arbitrary query
// strings for one registered client. Whatever the query, the answer never
// redirects anywhere but the login page or the registered redirect URI
// (SECURITY.md row 33), and never to the client without a verified
// code_challenge.
func FuzzAuthorize(f *testing.F) {
	o := newTestOP(f, "", nil)
	reg := o.register(f, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none"})
	clientID := reg["client_id"].(string)
	_, challenge := pkce()
	f.Add(authParamsFor(clientID, challenge, "openid webid").Encode())
	f.Add("client_id=" + clientID + "&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=code")
	f.Add("client_id=" + clientID + "&redirect_uri=" + testRedirect + "&code_challenge_method=plain&code_challenge=abc")
	f.Add("client_id=" + clientID + "&redirect_uri=" + testRedirect + "&redirect_uri=https://evil.example/")
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, PathAuth, nil)
		r.URL.RawQuery = query
		w := httptest.NewRecorder()
		o.p.ServeHTTP(w, r.WithContext(context.Background()))
		loc := w.Header().Get("Location")
		switch {
		case loc == "":
		case strings.HasPrefix(loc, loginPage+"?"):
		case strings.HasPrefix(loc, testRedirect+"?"):
		default:
			t.Fatalf("redirect to %q", loc)
		}
		if w.Code >= 500 {
			t.Fatalf("status %d", w.Code)
		}
	})
}
