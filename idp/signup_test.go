package idp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/pod"
)

// SignUp refuses a name it cannot use before any account exists, so a
// refused sign-up leaves nothing behind (SECURITY.md row 57 for the
// retired name).
func TestSignUpRefusesNameBeforeAccount(t *testing.T) {
	ctx := context.Background()
	e := openIdP(t, t.TempDir(), true)
	if err := e.pods.Retire(ctx, "gone", "", nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, pod string
		want      error
	}{
		{"bad name", "Not A Name", nil},
		{"empty name", "", nil},
		{"retired name", "gone", idp.ErrNameRetired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			email := "u@example.org"
			_, err := e.prov.SignUp(ctx, idp.SignUp{NewAccount: account.NewAccount{Email: email, Password: "correct horse battery"}, Pod: tc.pod})
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("SignUp(%q) = %v, want %v", tc.pod, err, tc.want)
			}
			if _, err := e.accounts.ByEmail(ctx, email); !errors.Is(err, account.ErrNotFound) {
				t.Fatalf("an account was made: %v", err)
			}
		})
	}
}

// An operator's sign-up (naamio account create) is not subject to the
// registration mode and gets the admin flag it asks for; its pod failing
// undoes it the same way.
func TestSignUpOperator(t *testing.T) {
	ctx := context.Background()
	e := openIdP(t, t.TempDir(), false)
	putTurtle(t, e.st, "/taken/", ``, false)
	op := idp.SignUp{NewAccount: account.NewAccount{Email: "root@example.org", Password: "correct horse battery"}, Pod: "taken", Operator: true, Admin: true}
	if _, err := e.prov.SignUp(ctx, op); !errors.Is(err, pod.ErrExists) {
		t.Fatalf("operator sign-up onto an existing resource: %v", err)
	}
	if _, err := e.accounts.ByEmail(ctx, "root@example.org"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("the failed operator sign-up's account is still there: %v", err)
	}
	op.Pod = "boss"
	acct, err := e.prov.SignUp(ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	if !acct.Admin || len(acct.Pods) != 1 || acct.Pods[0] != "boss" || acct.WebIDs[0] != "http://pod.test/boss/profile/card#me" {
		t.Fatalf("operator account: admin %v pods %v webids %v", acct.Admin, acct.Pods, acct.WebIDs)
	}
}
