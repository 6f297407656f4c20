package op

import (
	"context"
	"net/url"
	"testing"

	"github.com/naamio/naamio/kv"
)

// Access tokens die with what they came from (RFC 6749 §4.1.2, RFC 7009
// §2.1): a reused code, a reused refresh token and a revoked grant revoke
// the access tokens issued with them, and a new provider on the same
// store still knows.
func TestAccessTokensRevokedWithTheirGrant(t *testing.T) {
	var kv kv.KV
	o := newTestOP(t, "", func(opts *Options) { kv = opts.KV })
	reg := o.register(t, map[string]any{
		"redirect_uris": []string{testRedirect}, "grant_types": []string{"authorization_code", "refresh_token"},
		"token_endpoint_auth_method": "none",
	})
	clientID := reg["client_id"].(string)
	key := newKey(t)
	redeem := func(scope string) (url.Values, map[string]any) {
		code, verifier := o.login(t, clientID, scope)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
			"code_verifier": {verifier}, "client_id": {clientID}}
		st, tok := o.tokenCall(t, form, key)
		if st != 200 {
			t.Fatalf("token: %d %v", st, tok)
		}
		return form, tok
	}
	jti := func(tok map[string]any) string { return claims(t, tok["access_token"].(string))["jti"].(string) }
	refresh := func(rt string) (int, map[string]any) {
		return o.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}}, key)
	}

	t.Run("code reused, without a grant", func(t *testing.T) {
		form, tok := redeem("openid webid")
		if o.p.Revoked(jti(tok)) {
			t.Fatal("revoked before anything happened")
		}
		if st, _ := o.tokenCall(t, form, key); st != 400 {
			t.Fatalf("reuse: %d", st)
		}
		if !o.p.Revoked(jti(tok)) {
			t.Fatal("the code's access token survived its reuse")
		}
	})
	t.Run("code reused, with its refreshed tokens", func(t *testing.T) {
		form, tok := redeem("openid webid offline_access")
		st, tok2 := refresh(tok["refresh_token"].(string))
		if st != 200 {
			t.Fatalf("refresh: %d %v", st, tok2)
		}
		if st, _ := o.tokenCall(t, form, key); st != 400 {
			t.Fatalf("reuse: %d", st)
		}
		if !o.p.Revoked(jti(tok)) || !o.p.Revoked(jti(tok2)) {
			t.Fatal("access tokens of the grant survived the code's reuse")
		}
	})
	t.Run("refresh token reused", func(t *testing.T) {
		_, tok := redeem("openid webid offline_access")
		st, tok2 := refresh(tok["refresh_token"].(string))
		if st != 200 {
			t.Fatalf("refresh: %d", st)
		}
		if o.p.Revoked(jti(tok)) || o.p.Revoked(jti(tok2)) {
			t.Fatal("a normal refresh revoked something")
		}
		if st, _ := refresh(tok["refresh_token"].(string)); st != 400 {
			t.Fatalf("reuse: %d", st)
		}
		if !o.p.Revoked(jti(tok)) || !o.p.Revoked(jti(tok2)) {
			t.Fatal("access tokens survived the refresh token's reuse")
		}
	})
	var revokedByAccount string
	t.Run("grant revoked by the account", func(t *testing.T) {
		_, tok := redeem("openid webid offline_access")
		if err := o.p.RevokeClient(context.Background(), "acct-1", clientID); err != nil {
			t.Fatal(err)
		}
		if revokedByAccount = jti(tok); !o.p.Revoked(revokedByAccount) {
			t.Fatal("access token survived RevokeClient")
		}
	})
	t.Run("revocation endpoint with the refresh token", func(t *testing.T) {
		_, tok := redeem("openid webid offline_access")
		st, _ := o.formCall(t, "/.oidc/revoke", url.Values{"token": {tok["refresh_token"].(string)}, "client_id": {clientID}}, nil)
		if st != 200 {
			t.Fatalf("revoke: %d", st)
		}
		if !o.p.Revoked(jti(tok)) {
			t.Fatal("access token survived the revocation of its refresh token")
		}
	})
	t.Run("known after a restart", func(t *testing.T) {
		p2, err := New(context.Background(), Options{Issuer: o.srv.URL, KV: kv, Interaction: o.ia})
		if err != nil {
			t.Fatal(err)
		}
		if !p2.Revoked(revokedByAccount) || p2.Revoked("never-issued") {
			t.Fatal("the revoked set was not reloaded")
		}
	})
}
