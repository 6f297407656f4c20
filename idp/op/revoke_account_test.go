package op

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/naamio/naamio/kv"
)

// SECURITY.md row 59 (issue 10, item 3): deleting a client credential
// revokes the access tokens issued with it (and only those); deleting the
// account revokes every access token issued for it — from a code, from a
// refresh token, from a credential — its refresh tokens, the codes not yet
// exchanged, and any further credential token; a new provider on the same
// store still knows.
func TestSecurityRow59TokensDieWithAccountAndCredential(t *testing.T) {
	ctx := context.Background()
	var kv kv.KV
	o := newTestOP(t, testWebID, func(opts *Options) { kv = opts.KV })
	reg := o.register(t, map[string]any{
		"redirect_uris": []string{testRedirect}, "grant_types": []string{"authorization_code", "refresh_token"},
		"token_endpoint_auth_method": "none",
	})
	clientID := reg["client_id"].(string)
	key := newKey(t)
	jti := func(tok map[string]any) string { return claims(t, tok["access_token"].(string))["jti"].(string) }
	codeForm := func(scope string) url.Values {
		code, verifier := o.login(t, clientID, scope)
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
			"code_verifier": {verifier}, "client_id": {clientID}}
	}
	token := func(form url.Values, basic ...string) map[string]any {
		t.Helper()
		st, tok := o.tokenCall(t, form, key, basic...)
		if st != 200 {
			t.Fatalf("token: %d %v", st, tok)
		}
		return tok
	}

	fromCred := token(ccForm, credID, credSecret)
	fromCode := token(codeForm("openid webid"))
	withGrant := token(codeForm("openid webid offline_access"))
	st, refreshed := o.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {withGrant["refresh_token"].(string)}, "client_id": {clientID}}, key)
	if st != 200 {
		t.Fatalf("refresh: %d %v", st, refreshed)
	}
	for _, tok := range []map[string]any{fromCred, fromCode, withGrant, refreshed} {
		if o.p.Revoked(jti(tok)) {
			t.Fatal("revoked before anything happened")
		}
	}

	t.Run("credential deleted", func(t *testing.T) {
		if err := o.p.RevokeCredential(ctx, credAccount, credID); err != nil {
			t.Fatal(err)
		}
		if !o.p.Revoked(jti(fromCred)) {
			t.Error("the credential's token survived its deletion")
		}
		for _, tok := range []map[string]any{fromCode, withGrant, refreshed} {
			if o.p.Revoked(jti(tok)) {
				t.Error("deleting a credential revoked a token of another client")
			}
		}
		// The check (fakeCreds) still passes, as it would for a request
		// checked just before the deletion: no token is issued.
		if st, _ := o.tokenCall(t, ccForm, key, credID, credSecret); st != 401 {
			t.Errorf("token with the deleted credential: %d, want 401", st)
		}
	})

	pendingCode := codeForm("openid webid")
	t.Run("account deleted", func(t *testing.T) {
		if err := o.p.RevokeAccount(ctx, "acct-1"); err != nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]map[string]any{"code": fromCode, "code with grant": withGrant, "refreshed": refreshed} {
			if !o.p.Revoked(jti(tok)) {
				t.Errorf("%s: access token survived the account's deletion", name)
			}
		}
		if st, _ := o.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshed["refresh_token"].(string)}, "client_id": {clientID}}, key); st != 400 {
			t.Errorf("refresh after the deletion: %d, want 400", st)
		}
		if st, _ := o.tokenCall(t, pendingCode, key); st != 400 {
			t.Errorf("code issued before the deletion, exchanged after: %d, want 400", st)
		}
	})
	t.Run("known after a restart", func(t *testing.T) {
		p2, err := New(ctx, Options{Issuer: o.srv.URL, KV: kv, Interaction: o.ia})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []map[string]any{fromCred, fromCode, withGrant, refreshed} {
			if !p2.Revoked(jti(tok)) {
				t.Error("a revoked token was forgotten by a new provider")
			}
		}
	})
}

// naamio account enable (issue 16 item 1): an account revoked when it was
// disabled gets tokens again once re-enabled, but a code issued before the
// revocation stays refused for the whole of its life, even when the
// account is re-enabled at once: codes live CodeTTL, so the account's
// marker outlives the last of them by a minute, and no longer.
func TestReinstateAccount(t *testing.T) {
	ctx := context.Background()
	var store kv.KV
	o := newTestOP(t, testWebID, func(opts *Options) { store = opts.KV })
	reg := o.register(t, map[string]any{
		"redirect_uris": []string{testRedirect}, "grant_types": []string{"authorization_code"},
		"token_endpoint_auth_method": "none",
	})
	clientID := reg["client_id"].(string)
	key := newKey(t)
	codeForm := func() url.Values {
		code, verifier := o.login(t, clientID, "openid webid")
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
			"code_verifier": {verifier}, "client_id": {clientID}}
	}
	pending := codeForm()
	if err := o.p.RevokeAccount(ctx, "acct-1"); err != nil {
		t.Fatal(err)
	}
	// Re-enabled at once: the code issued before is still refused, and so
	// is any token for a minute past the codes' life.
	from, err := o.p.ReinstateAccount(ctx, "acct-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(from); d < CodeTTL || d > CodeTTL+2*time.Minute {
		t.Errorf("tokens again in %v, want a little over CodeTTL (%v)", d, CodeTTL)
	}
	if st, _ := o.tokenCall(t, pending, key); st != 400 {
		t.Errorf("code issued before the revocation, exchanged after the reinstatement: %d, want 400", st)
	}
	// Revoked long enough ago (every code of before has expired): the
	// marker goes, and the account gets tokens at once.
	old := strconv.FormatInt(time.Now().Add(-CodeTTL-2*time.Minute).Unix(), 10)
	if err := store.Put(ctx, goneAccountKey("acct-1"), []byte(old), time.Hour); err != nil {
		t.Fatal(err)
	}
	if from, err := o.p.ReinstateAccount(ctx, "acct-1"); err != nil || time.Until(from) > 0 {
		t.Fatalf("reinstated long after the revocation: tokens from %v (%v)", from, err)
	}
	if st, tok := o.tokenCall(t, codeForm(), key); st != 200 {
		t.Errorf("a new code after the reinstatement: %d %v", st, tok)
	}
	// Reinstating an account never revoked is no error.
	if _, err := o.p.ReinstateAccount(ctx, "acct-2"); err != nil {
		t.Error(err)
	}
}
