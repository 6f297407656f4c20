package idp_test

import (
	"context"
	"errors"
	"testing"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
)

func TestProvisioner(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	akv, _ := st.KV(kv.Accounts)
	pkv, _ := st.KV(kv.Pods)
	accounts, err := account.New(ctx, akv, account.Options{BaseURL: "http://pod.test/", Argon2: account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := idp.LoadPods(ctx, pkv)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := idp.NewProvisioner(idp.ProvisionerOptions{Store: st, Accounts: accounts, Pods: pods, BaseURL: "http://pod.test/"})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := accounts.Provision(ctx, account.NewAccount{Email: "a@example.org", Password: "correct horse"}, false)
	if err != nil {
		t.Fatal(err)
	}
	webID, err := prov.CreatePod(ctx, acct.ID, "alice")
	if err != nil || webID != "http://pod.test/alice/profile/card#me" {
		t.Fatalf("CreatePod: %q %v", webID, err)
	}
	if _, err := prov.CreatePod(ctx, acct.ID, "alice"); !errors.Is(err, pod.ErrExists) {
		t.Fatalf("second pod with the same name: %v", err)
	}
	if _, err := prov.CreatePod(ctx, "no-such-account", "bob"); err == nil {
		t.Fatal("pod for a missing account")
	}
	if ok, _ := st.Exists(ctx, "/bob/"); ok {
		t.Fatal("a refused pod left its root behind")
	}
	got, _ := accounts.Get(ctx, acct.ID)
	if len(got.Pods) != 1 || got.Pods[0] != "alice" || !pods.IsRoot("/alice/") {
		t.Fatalf("account pods %v, registry %v", got.Pods, pods.IsRoot("/alice/"))
	}
	// From now on pods get hosts of their own; alice keeps her path.
	prov, err = idp.NewProvisioner(idp.ProvisionerOptions{Store: st, Accounts: accounts, Pods: pods, BaseURL: "http://pod.test/", Subdomain: true})
	if err != nil {
		t.Fatal(err)
	}
	webID, err = prov.CreatePod(ctx, acct.ID, "carol")
	if err != nil || webID != "http://carol.pod.test/profile/card#me" {
		t.Fatalf("subdomain CreatePod: %q %v", webID, err)
	}
	if !pods.Subdomain("carol") || pods.Subdomain("alice") || !pods.IsRoot("/carol/") {
		t.Fatal("registry does not know carol's layout")
	}
	if a, c := prov.PodURL("alice"), prov.PodURL("carol"); a != "http://pod.test/alice/" || c != "http://carol.pod.test/" {
		t.Fatalf("PodURL alice %q carol %q", a, c)
	}
	// The registry survives a restart.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	akv, _ = st.KV(kv.Accounts)
	pkv, _ = st.KV(kv.Pods)
	accounts, _ = account.New(ctx, akv, account.Options{BaseURL: "http://pod.test/", Argon2: account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}})
	pods, _ = idp.LoadPods(ctx, pkv)
	if !pods.IsRoot("/alice/") || !pods.Subdomain("carol") || pods.Subdomain("alice") {
		t.Fatal("registry lost on restart")
	}
	prov, err = idp.NewProvisioner(idp.ProvisionerOptions{Store: st, Accounts: accounts, Pods: pods, BaseURL: "http://pod.test/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := prov.DeleteAccount(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.Exists(ctx, "/carol/"); ok || pods.IsRoot("/carol/") || pods.Subdomain("carol") {
		t.Fatal("the subdomain pod outlived its account")
	}
	if ok, _ := st.Exists(ctx, "/alice/"); ok || pods.IsRoot("/alice/") {
		t.Fatal("the pod outlived its account")
	}
	if _, err := accounts.Get(ctx, acct.ID); !errors.Is(err, account.ErrNotFound) && !errors.Is(err, ldp.ErrNotFound) {
		t.Fatalf("account after delete: %v", err)
	}
}
