package op

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/internal/testissuer"
)

const (
	testWebID    = "https://pod.example/alice/profile/card#me"
	testRedirect = "https://app.example/callback"
)

// authParamsFor is a valid authorization request for clientID.
func authParamsFor(clientID, challenge, scope string) url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {testRedirect},
		"scope":                 {scope},
		"state":                 {"st-123"},
		"nonce":                 {"n-456"},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
}

// login runs /auth → interaction → Complete and returns the code and its
// verifier.
func (o *testOP) login(t testing.TB, clientID, scope string) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkce()
	resp := o.authorize(t, authParamsFor(clientID, challenge, scope))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.HasPrefix(loc.String(), loginPage) {
		t.Fatalf("authorize redirected to %s, want the login page", loc)
	}
	id := loc.Query().Get("id")
	back, err := o.p.Complete(context.Background(), id, testWebID, "acct-1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(back)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if !strings.HasPrefix(back, testRedirect+"?") || q.Get("state") != "st-123" || q.Get("iss") != o.p.Issuer() || q.Get("code") == "" {
		t.Fatalf("Complete returned %s", back)
	}
	return q.Get("code"), verifier
}

func (o *testOP) jwks(t testing.TB) jwk.Set {
	t.Helper()
	set, err := jwk.Fetch(context.Background(), o.url(PathJWKS))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestAuthorizationCodeFlow(t *testing.T) {
	for _, confidential := range []bool{false, true} {
		name := map[bool]string{false: "public", true: "confidential"}[confidential]
		t.Run(name, func(t *testing.T) {
			o := newTestOP(t, "", nil)
			ctx := context.Background()
			method := "none"
			if confidential {
				method = "client_secret_basic"
			}
			reg := o.register(t, map[string]any{
				"redirect_uris":              []string{testRedirect},
				"client_name":                "Test App",
				"grant_types":                []string{"authorization_code", "refresh_token"},
				"token_endpoint_auth_method": method,
			})
			clientID := reg["client_id"].(string)
			secret, _ := reg["client_secret"].(string)
			if confidential == (secret == "") {
				t.Fatalf("client_secret %q for a %s client", secret, name)
			}
			var basic []string
			if confidential {
				basic = []string{clientID, secret}
			}

			// The pending request tells the consent page what to show.
			verifier, challenge := pkce()
			resp := o.authorize(t, authParamsFor(clientID, challenge, "openid webid offline_access email"))
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("authorize: %d", resp.StatusCode)
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			id := loc.Query().Get("id")
			pd, err := o.p.Pending(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if pd.ClientName != "Test App" || pd.Origin != "https://app.example" || !pd.Dynamic ||
				!slices.Equal(pd.Scopes, []string{"openid", "webid", "offline_access"}) || pd.RedirectURI != testRedirect {
				t.Fatalf("pending = %+v", pd)
			}
			back, err := o.p.Complete(ctx, id, testWebID, "acct-1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := o.p.Complete(ctx, id, testWebID, "acct-1"); !errors.Is(err, ErrUnknownInteraction) {
				t.Fatalf("second Complete: %v, want ErrUnknownInteraction", err)
			}
			bu, _ := url.Parse(back)
			code := bu.Query().Get("code")
			if bu.Query().Get("iss") != o.srv.URL || bu.Query().Get("state") != "st-123" {
				t.Fatalf("redirect %s lacks iss or state", back)
			}

			key := newKey(t)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
				"code_verifier": {verifier}}
			if !confidential {
				form.Set("client_id", clientID)
			}
			// Without DPoP: refused, and the code is not consumed.
			if st, body := o.tokenCall(t, form, nil, basic...); st != 400 || body["error"] != "invalid_dpop_proof" {
				t.Fatalf("no DPoP: %d %v", st, body)
			}
			st, tok := o.tokenCall(t, form, key, basic...)
			if st != 200 {
				t.Fatalf("token: %d %v", st, tok)
			}
			if tok["token_type"] != "DPoP" || tok["scope"] != "openid webid offline_access" {
				t.Fatalf("token response %v", tok)
			}
			at := tok["access_token"].(string)
			set := o.jwks(t)
			if _, err := jwt.Parse([]byte(at), jwt.WithKeySet(set), jwt.WithValidate(true)); err != nil {
				t.Fatalf("access token does not verify with the JWKS: %v", err)
			}
			ac := claims(t, at)
			if ac["iss"] != o.srv.URL || ac["sub"] != testWebID || ac["webid"] != testWebID || ac["client_id"] != clientID ||
				ac["cnf"].(map[string]any)["jkt"] != key.Thumbprint() || ac["jti"] == "" {
				t.Fatalf("access token claims %v", ac)
			}
			if aud := ac["aud"].([]any); len(aud) != 2 || aud[0] != "solid" || aud[1] != clientID {
				t.Fatalf("aud %v", aud)
			}
			if exp, iat := ac["exp"].(float64), ac["iat"].(float64); exp-iat != DefaultAccessTokenTTL.Seconds() {
				t.Fatalf("lifetime %v", exp-iat)
			}
			// Our own resource-server verifier accepts it.
			vt, err := auth.VerifyAccessToken(at, set, time.Now(), auth.TokenOptions{Issuer: o.srv.URL})
			if err != nil || vt.WebID != testWebID || vt.JKT != key.Thumbprint() {
				t.Fatalf("auth.VerifyAccessToken: %v %+v", err, vt)
			}

			idt := tok["id_token"].(string)
			if _, err := jwt.Parse([]byte(idt), jwt.WithKeySet(set), jwt.WithValidate(true), jwt.WithAudience(clientID),
				jwt.WithIssuer(o.srv.URL)); err != nil {
				t.Fatalf("id token: %v", err)
			}
			ic := claims(t, idt)
			if ic["nonce"] != "n-456" || ic["azp"] != clientID || ic["webid"] != testWebID || ic["sub"] != testWebID || ic["auth_time"] == nil {
				t.Fatalf("id token claims %v", ic)
			}

			// The code is single use.
			if st, body := o.tokenCall(t, form, key, basic...); st != 400 || body["error"] != "invalid_grant" {
				t.Fatalf("code reuse: %d %v", st, body)
			}
			// Reusing the code revoked the grant it gave.
			rt := tok["refresh_token"].(string)
			rform := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
			if !confidential {
				rform.Set("client_id", clientID)
			}
			if st, body := o.tokenCall(t, rform, key, basic...); st != 400 || body["error"] != "invalid_grant" {
				t.Fatalf("refresh after code reuse: %d %v", st, body)
			}
		})
	}
}

func TestRefreshRotation(t *testing.T) {
	o := newTestOP(t, "", nil)
	clientID, key, tok := o.refreshingClient(t)
	rt1 := tok["refresh_token"].(string)
	refresh := func(rt string, k *testissuer.Key) (int, map[string]any) {
		if k == nil {
			k = key
		}
		return o.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}}, k)
	}

	// A public client's refresh token is bound to its DPoP key (RFC 9449 §5).
	if st, body := refresh(rt1, newKey(t)); st != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("other key: %d %v", st, body)
	}
	if st, body := o.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}, "client_id": {clientID},
		"scope": {"webid profile"}}, key); st != 400 || body["error"] != "invalid_scope" {
		t.Fatalf("wider scope: %d %v", st, body)
	}
	st, tok2 := refresh(rt1, nil)
	if st != 200 {
		t.Fatalf("refresh: %d %v", st, tok2)
	}
	rt2 := tok2["refresh_token"].(string)
	if rt2 == rt1 || tok2["id_token"] == nil || claims(t, tok2["access_token"].(string))["cnf"].(map[string]any)["jkt"] != key.Thumbprint() {
		t.Fatalf("refresh response %v", tok2)
	}
	if g, err := o.p.Grants(context.Background(), "acct-1"); err != nil || len(g) != 1 || g[0].ClientID != clientID {
		t.Fatalf("grants %v %v", g, err)
	}
	// Reusing the rotated token revokes the whole family, rt2 included.
	if st, body := refresh(rt1, nil); st != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("reuse: %d %v", st, body)
	}
	if st, body := refresh(rt2, nil); st != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("after reuse: %d %v", st, body)
	}
	if g, _ := o.p.Grants(context.Background(), "acct-1"); len(g) != 0 {
		t.Fatalf("grant still listed after reuse: %v", g)
	}
}

func TestNoRefreshWithoutOfflineAccess(t *testing.T) {
	o := newTestOP(t, "", nil)
	reg := o.register(t, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none"})
	clientID := reg["client_id"].(string)
	// The client may not refresh (no refresh_token grant): offline_access is dropped.
	code, verifier := o.login(t, clientID, "openid webid offline_access")
	st, tok := o.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"code_verifier": {verifier}, "client_id": {clientID}}, newKey(t))
	if st != 200 || tok["refresh_token"] != nil || tok["scope"] != "openid webid" {
		t.Fatalf("token: %d %v", st, tok)
	}
}

func TestRevocation(t *testing.T) {
	o := newTestOP(t, "", nil)
	reg := o.register(t, map[string]any{
		"redirect_uris": []string{testRedirect}, "grant_types": []string{"authorization_code", "refresh_token"},
	})
	clientID, secret := reg["client_id"].(string), reg["client_secret"].(string)
	code, verifier := o.login(t, clientID, "webid offline_access")
	key := newKey(t)
	st, tok := o.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"code_verifier": {verifier}}, key, clientID, secret)
	if st != 200 {
		t.Fatalf("token: %d %v", st, tok)
	}
	if tok["id_token"] != nil {
		t.Fatal("id_token issued without openid")
	}
	rt := tok["refresh_token"].(string)
	if st, _ := o.formCall(t, PathRevoke, url.Values{"token": {rt}}, nil, clientID, "wrong"); st != 401 {
		t.Fatalf("revoke with a wrong secret: %d", st)
	}
	if st, _ := o.formCall(t, PathRevoke, url.Values{"token": {"unknown"}}, nil, clientID, secret); st != 200 {
		t.Fatalf("revoke unknown: %d", st)
	}
	if st, _ := o.formCall(t, PathRevoke, url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}}, nil, clientID, secret); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	if st, body := o.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, key, clientID, secret); st != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("refresh after revoke: %d %v", st, body)
	}
}

func TestDeny(t *testing.T) {
	o := newTestOP(t, "", nil)
	reg := o.register(t, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none"})
	_, challenge := pkce()
	resp := o.authorize(t, authParamsFor(reg["client_id"].(string), challenge, "openid webid"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	back, err := o.p.Deny(context.Background(), loc.Query().Get("id"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(back)
	if q := u.Query(); q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Get("iss") != o.srv.URL || q.Get("code") != "" {
		t.Fatalf("Deny returned %s", back)
	}
}
