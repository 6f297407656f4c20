package idp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/rdf"
)

const testBase = "http://pod.test/"

type testIdP struct {
	st       *badgerstore.Store
	accounts *account.Service
	pods     *idp.Pods
	prov     *idp.Provisioner
}

func openIdP(t *testing.T, dir string, firstAdmin bool) *testIdP {
	t.Helper()
	ctx := context.Background()
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	akv, _ := st.KV(kv.Accounts)
	pkv, _ := st.KV(kv.Pods)
	accounts, err := account.New(ctx, akv, account.Options{BaseURL: testBase, FirstAccountAdmin: firstAdmin,
		Argon2: account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := idp.LoadPods(ctx, pkv)
	if err != nil {
		t.Fatal(err)
	}
	e := &testIdP{st: st, accounts: accounts, pods: pods}
	e.prov = e.provisioner(t, nil)
	return e
}

// provisioner is a Provisioner on e's store, accounts and pods with the
// hook created after each pod (nil: none).
func (e *testIdP) provisioner(t *testing.T, created func(context.Context, *account.Account, string) error) *idp.Provisioner {
	t.Helper()
	prov, err := idp.NewProvisioner(idp.ProvisionerOptions{Store: e.st, Accounts: e.accounts, Pods: e.pods,
		BaseURL: testBase, Issuer: "http://pod.test", OnPodCreated: created})
	if err != nil {
		t.Fatal(err)
	}
	return prov
}

// signup signs up through Provisioner.SignUp, as the web page does.
func (e *testIdP) signup(t *testing.T, email, name string) (*account.Account, string, error) {
	t.Helper()
	acct, err := e.prov.SignUp(context.Background(), idp.SignUp{
		NewAccount: account.NewAccount{Email: email, Password: "correct horse battery"}, Pod: name})
	if err != nil {
		return nil, "", err
	}
	return acct, acct.WebIDs[len(acct.WebIDs)-1], nil
}

func putTurtle(t *testing.T, st ldp.Store, path, body string, aux bool) {
	t.Helper()
	g, err := rdf.Parse(strings.NewReader(body), rdf.MediaTurtle, testBase+strings.TrimPrefix(path, "/"), rdf.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rdf.Write(&buf, g, rdf.MediaTurtle); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Put(context.Background(), ldp.PutRequest{Path: path, ContentType: rdf.MediaTurtle, RDF: true, Aux: aux, Body: &buf}); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, st ldp.Store, path string) string {
	t.Helper()
	_, body, err := st.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer body.Close()
	b, _ := io.ReadAll(body)
	return string(b)
}

// SECURITY.md row 57 (issue 10, item 1): a deleted account's pod name
// stays reserved, so the WebID it made never passes to a stranger; only
// ForgetWebIDs + Release (naamio pod release) free it, and then the old
// WebID is in no ACL any more: the root's (the deleted account was the
// owner) nor another pod's grant to it.
func TestSecurityRow57RetiredPodName(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openIdP(t, dir, true)
	dave, daveWebID, err := e.signup(t, "dave@example.org", "dave")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.signup(t, "alice@example.org", "alice"); err != nil {
		t.Fatal(err)
	}
	// dave owns the storage root, and alice shared a folder with him.
	putTurtle(t, e.st, "/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#owner> a acl:Authorization; acl:agent <`+daveWebID+`>; acl:accessTo </>; acl:default </>; acl:mode acl:Read, acl:Write, acl:Control.`, true)
	putTurtle(t, e.st, "/alice/shared/", ``, false)
	putTurtle(t, e.st, "/alice/shared/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#alice> a acl:Authorization; acl:agent <http://pod.test/alice/profile/card#me>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#friends> a acl:Authorization; acl:agent <`+daveWebID+`>, <http://bob.example/#me>; acl:accessTo <./>; acl:mode acl:Read.`, true)

	if err := e.prov.DeleteAccount(ctx, dave.ID); err != nil {
		t.Fatal(err)
	}
	if !e.pods.Retired("dave") || e.pods.IsRoot("/dave/") {
		t.Fatal("the deleted pod's name is not reserved")
	}
	if _, _, err := e.signup(t, "stranger@example.org", "dave"); !errors.Is(err, idp.ErrNameRetired) {
		t.Fatalf("sign-up with a deleted pod's name: %v, want ErrNameRetired", err)
	}
	if ok, _ := e.st.Exists(ctx, "/dave/"); ok {
		t.Fatal("the refused sign-up left a pod behind")
	}
	// The reservation survives a restart.
	e.st.Close()
	e = openIdP(t, dir, true)
	if webIDs, ok := e.pods.RetiredWebIDs("dave"); !ok || len(webIDs) != 1 || webIDs[0] != daveWebID {
		t.Fatalf("after a restart: retired %v %v", webIDs, ok)
	}
	if _, err := e.pods.Release(ctx, "alice"); !errors.Is(err, idp.ErrNotRetired) {
		t.Fatalf("Release of a live pod: %v", err)
	}

	webIDs, _ := e.pods.RetiredWebIDs("dave")
	changed, err := idp.ForgetWebIDs(ctx, e.st, func(p string) string { return testBase + strings.TrimPrefix(p, "/") }, webIDs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(changed, " ") != "/.acl /alice/shared/.acl" {
		t.Fatalf("changed %v", changed)
	}
	for _, p := range changed {
		if body := read(t, e.st, p); strings.Contains(body, daveWebID) {
			t.Errorf("%s still names the old WebID:\n%s", p, body)
		}
	}
	if body := read(t, e.st, "/alice/shared/.acl"); !strings.Contains(body, "http://bob.example/#me") || !strings.Contains(body, "alice/profile/card#me") {
		t.Errorf("other agents were removed too:\n%s", body)
	}
	if _, err := e.pods.Release(ctx, "dave"); err != nil {
		t.Fatal(err)
	}
	_, webID, err := e.signup(t, "stranger@example.org", "dave")
	if err != nil || webID != daveWebID {
		t.Fatalf("sign-up after the release: %q %v", webID, err)
	}
}

// Retire leaves another account's pod alone; Add refuses a name that is
// live or retired, in its own transaction.
func TestPodsRetireAndAdd(t *testing.T) {
	ctx := context.Background()
	e := openIdP(t, t.TempDir(), false)
	now := time.Now()
	if err := e.pods.Add(ctx, "carol", "acct-c", testBase+"carol/profile/card#me", false); err != nil {
		t.Fatal(err)
	}
	if err := e.pods.Add(ctx, "carol", "acct-x", testBase+"carol/profile/card#me", false); !errors.Is(err, pod.ErrExists) {
		t.Fatalf("Add of a live name: %v", err)
	}
	if err := e.pods.Retire(ctx, "carol", "acct-x", nil, now); !errors.Is(err, idp.ErrNotOwner) || !e.pods.IsRoot("/carol/") {
		t.Fatalf("Retire by another account: %v", err)
	}
	if err := e.pods.Retire(ctx, "carol", "acct-c", []string{"https://other.example/#me"}, now); err != nil {
		t.Fatal(err)
	}
	if err := e.pods.Retire(ctx, "carol", "acct-c", nil, now); err != nil {
		t.Fatalf("Retire again: %v", err)
	}
	if w, ok := e.pods.RetiredWebIDs("carol"); !ok || len(w) != 2 {
		t.Fatalf("retired WebIDs %v", w)
	}
	if err := e.pods.Add(ctx, "carol", "acct-x", testBase+"carol/profile/card#me", false); !errors.Is(err, idp.ErrNameRetired) {
		t.Fatalf("Add of a retired name: %v", err)
	}
}

// Issue 10, item 6: a first sign-up whose pod cannot be made (the name
// collides with an existing resource) is undone with its first-account
// marker; the next sign-up becomes the administrator, and the name of the
// failed attempt is not reserved.
func TestUndoneFirstSignup(t *testing.T) {
	ctx := context.Background()
	e := openIdP(t, t.TempDir(), true)
	putTurtle(t, e.st, "/taken/", ``, false)
	if _, _, err := e.signup(t, "first@example.org", "taken"); !errors.Is(err, pod.ErrExists) {
		t.Fatalf("sign-up onto an existing resource: %v", err)
	}
	if e.pods.Retired("taken") {
		t.Fatal("a failed sign-up reserved its name")
	}
	if _, err := e.accounts.ByEmail(ctx, "first@example.org"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("the failed sign-up's account is still there: %v", err)
	}
	acct, _, err := e.signup(t, "second@example.org", "second")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.accounts.Get(ctx, acct.ID); !got.Admin {
		t.Fatal("the first successful sign-up is not the administrator")
	}
}

// A pod whose creation fails after it was linked to the account (here the
// OnPodCreated hook fails) is unlinked again: the account keeps neither
// its name nor its WebID, which someone else may get with the name later
// (SECURITY.md row 57: a WebID never changes hands).
func TestFailedPodUnlinked(t *testing.T) {
	ctx := context.Background()
	e := openIdP(t, t.TempDir(), false)
	acct, err := e.accounts.Create(ctx, account.NewAccount{Email: "a@example.org", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	failing := errors.New("hook failed")
	e.prov = e.provisioner(t, func(context.Context, *account.Account, string) error { return failing })
	if _, err := e.prov.CreatePod(ctx, acct.ID, "erin"); !errors.Is(err, failing) {
		t.Fatalf("CreatePod: %v", err)
	}
	got, err := e.accounts.Get(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Pods) != 0 || len(got.WebIDs) != 0 || e.pods.IsRoot("/erin/") || e.pods.Retired("erin") {
		t.Fatalf("after a failed creation: pods %v, WebIDs %v", got.Pods, got.WebIDs)
	}
	if ok, _ := e.st.Exists(ctx, "/erin/"); ok {
		t.Fatal("the failed pod was left in the store")
	}
}
