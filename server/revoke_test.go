package server

import (
	"context"
	"testing"
)

// SECURITY.md row 59 (issue 10, item 3): deleting a client credential, or
// the account, refuses the access tokens issued for it at once (401 from
// the resource server), not when they expire, and no new token is issued.
func TestSecurityRow59TokensDieWithCredentialAndAccount(t *testing.T) {
	s, base := serveAccounts(t, "alice")
	ctx := context.Background()
	acct, err := s.id.accounts.ByEmail(ctx, "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("credential deleted", func(t *testing.T) {
		id, secret, key := scriptCredentials(t, s, "alice@example.org")
		st, access := tokenRequest(t, base, id, secret, key)
		if st != 200 {
			t.Fatalf("token: %d", st)
		}
		if got := getWith(t, base, "/alice/", access, key); got != 200 {
			t.Fatalf("before: GET /alice/ = %d", got)
		}
		if err := s.id.accounts.DeleteClientCredentials(ctx, acct.ID, id); err != nil {
			t.Fatal(err)
		}
		if got := getWith(t, base, "/alice/", access, key); got != 401 {
			t.Errorf("after the credential was deleted: GET /alice/ = %d, want 401", got)
		}
		if st, _ := tokenRequest(t, base, id, secret, key); st != 401 {
			t.Errorf("token with the deleted credential: %d, want 401", st)
		}
	})
	t.Run("account deleted", func(t *testing.T) {
		id, secret, key := scriptCredentials(t, s, "alice@example.org")
		st, access := tokenRequest(t, base, id, secret, key)
		if st != 200 {
			t.Fatalf("token: %d", st)
		}
		if got := getWith(t, base, "/alice/", access, key); got != 200 {
			t.Fatalf("before: GET /alice/ = %d", got)
		}
		if err := s.id.provision.DeleteAccount(ctx, acct.ID); err != nil {
			t.Fatal(err)
		}
		// The pod is gone too: the token must be refused as a token (401),
		// not answered 404 for the missing pod.
		if got := getWith(t, base, "/alice/", access, key); got != 401 {
			t.Errorf("after the account was deleted: GET /alice/ = %d, want 401", got)
		}
		if got := getWith(t, base, "/", access, key); got != 401 {
			t.Errorf("after the account was deleted: GET / = %d, want 401", got)
		}
	})
}
