package op

import (
	"context"
	"testing"
	"time"
)

// Issue 11 item 4: the account service is given the provider's
// Revocations at construction (account.Options.Revoker), before the
// provider exists. Revoking through them is what the provider answers
// (SECURITY.md row 59), and a provider refuses Revocations made for
// another store or other token lifetimes.
func TestSharedRevocations(t *testing.T) {
	ctx := context.Background()
	var rev *Revocations
	o := newTestOP(t, testWebID, func(opts *Options) {
		var err error
		rev, err = NewRevocations(ctx, RevocationOptions{KV: opts.KV})
		if err != nil {
			t.Fatal(err)
		}
		opts.Revocations = rev
	})
	st, tok := o.tokenCall(t, ccForm, newKey(t), credID, credSecret)
	if st != 200 {
		t.Fatalf("token: %d %v", st, tok)
	}
	jti := claims(t, tok["access_token"].(string))["jti"].(string)
	if o.p.Revoked(jti) {
		t.Fatal("revoked before anything happened")
	}
	if err := rev.RevokeCredential(ctx, credAccount, credID); err != nil {
		t.Fatal(err)
	}
	if !o.p.Revoked(jti) {
		t.Fatal("a token revoked through the shared Revocations is not revoked for the provider")
	}

	for _, tc := range []struct {
		name string
		opts func(kvOpts *RevocationOptions)
	}{
		{"other store", func(r *RevocationOptions) { r.KV = newKV(t) }},
		{"other access token lifetime", func(r *RevocationOptions) { r.AccessTokenTTL = 2 * DefaultAccessTokenTTL }},
		{"other refresh token lifetime", func(r *RevocationOptions) { r.RefreshTokenTTL = time.Hour }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kvv := newKV(t)
			ro := RevocationOptions{KV: kvv}
			tc.opts(&ro)
			other, err := NewRevocations(ctx, ro)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := New(ctx, Options{Issuer: "https://op.example", KV: kvv, Interaction: &fakeInteraction{}, Revocations: other}); err == nil {
				t.Fatal("New accepted mismatched Revocations")
			}
		})
	}
	if _, err := NewRevocations(ctx, RevocationOptions{}); err == nil {
		t.Fatal("NewRevocations without a KV")
	}
}
