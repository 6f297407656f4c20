package server

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/naamio/naamio/federation/httpsig"
	"github.com/naamio/naamio/federation/remote"
	"github.com/naamio/naamio/internal/safehttp"
)

// The server's instance actor (<base>/.ap/instance) is an Application with
// a key, and every fetch the server makes is signed with it: a peer in
// "authorized fetch" mode (GoToSocial's default), which serves its actors
// only to signed GETs it can verify, still has its Follow accepted.
func TestFederationAuthorizedFetch(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	instance := strings.TrimSuffix(e.base, "/") + "/.ap/instance"
	resp, body := fedGet(t, instance, "application/activity+json")
	var doc struct {
		ID, Type, Inbox string
		PublicKey       struct{ ID, Owner, PublicKeyPem string }
	}
	if err := json.Unmarshal(body, &doc); err != nil || resp.StatusCode != 200 ||
		resp.Header.Get("Content-Type") != "application/activity+json" || doc.ID != instance || doc.Type != "Application" ||
		doc.PublicKey.ID != instance+"#main-key" || doc.PublicKey.Owner != instance || !strings.Contains(doc.PublicKey.PublicKeyPem, "PUBLIC KEY") {
		t.Fatalf("instance actor: %d %s", resp.StatusCode, body)
	}
	if resp, _ := fedGet(t, instance, "text/turtle"); resp.StatusCode != http.StatusNotAcceptable {
		t.Fatalf("instance actor as Turtle: %d", resp.StatusCode)
	}

	// The peer now refuses unsigned GETs, verifying signatures with keys it
	// fetches from Naamio.
	f := &remote.Fetcher{Client: safehttp.New(safehttp.Options{AllowAddrPorts: []netip.AddrPort{addrPort(t, e.base)}})}
	v, err := httpsig.NewVerifier(remote.NewKeyCache(f, remote.KeyCacheOptions{}), p.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.authorized = v
	p.mu.Unlock()
	if resp, _ := fedGet(t, p.srv.URL+"/users/dora", "application/activity+json"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the peer answers an unsigned GET %d", resp.StatusCode)
	}
	dora := p.actor("dora")
	if st, body := p.post(t, e.inbox("alice"), activity("Follow", dora, e.actor("alice"))); st != http.StatusAccepted {
		t.Fatalf("Follow from an authorized-fetch peer: %d %s", st, body)
	}
	p.mu.Lock()
	signers := slices.Clone(p.signers)
	p.mu.Unlock()
	if len(signers) == 0 || !slices.Contains(signers, instance+"#main-key") {
		t.Fatalf("the peer's key was fetched with signatures by %v, want the instance key", signers)
	}
	waitFor(t, "the Accept", func() bool { return len(p.received("Accept")) > 0 })
}
