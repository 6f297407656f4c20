package remote

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
)

// The shapes of key documents peers publish, all resolved to the key and
// the actor that lists it.
func TestFetchKeyShapes(t *testing.T) {
	k, k2 := testKeys(t)
	p := newPeer(t)
	f := fetcherFor(t, 0, p.addr(t))
	actor := p.URL + "/users/bob"

	t.Run("fragment key in the actor (Mastodon)", func(t *testing.T) {
		p.put("/users/bob", 200, as2, p.actorDoc("/users/bob", &k.PublicKey))
		got, err := f.FetchKey(context.Background(), actor+"#main-key")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != actor+"#main-key" || got.Owner != actor || !got.Key.Equal(&k.PublicKey) {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("array of keys, PKCS #1 PEM, no owner", func(t *testing.T) {
		doc := p.actorDoc("/users/carol", &k.PublicKey)
		id := p.URL + "/users/carol"
		doc["publicKey"] = []any{
			id + "#iri-only",
			map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": spkiPEM(&k.PublicKey)},
			map[string]any{"id": id + "#second", "publicKeyPem": pkcs1PEM(&k2.PublicKey)},
		}
		p.put("/users/carol", 200, as2, doc)
		got, err := f.FetchKey(context.Background(), id+"#second")
		if err != nil {
			t.Fatal(err)
		}
		if got.Owner != id || !got.Key.Equal(&k2.PublicKey) {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("key path answered with the actor (GoToSocial)", func(t *testing.T) {
		id := p.URL + "/users/dave"
		doc := p.actorDoc("/users/dave", &k.PublicKey)
		doc["publicKey"] = map[string]any{"id": id + "/main-key", "owner": id, "publicKeyPem": spkiPEM(&k.PublicKey)}
		p.put("/users/dave/main-key", 200, as2, doc) // the minimal actor, id = the actor
		p.put("/users/dave", 200, as2, doc)
		got, err := f.FetchKey(context.Background(), id+"/main-key")
		if err != nil {
			t.Fatal(err)
		}
		if got.Owner != id || got.ID != id+"/main-key" {
			t.Errorf("got %+v", got)
		}
		if p.hitsOf("/users/dave") != 1 {
			t.Error("the actor was not fetched from its own id")
		}
	})
	t.Run("stand-alone key document confirmed by its owner", func(t *testing.T) {
		id := p.URL + "/users/erin"
		keyID := p.URL + "/keys/erin"
		doc := p.actorDoc("/users/erin", &k.PublicKey)
		doc["publicKey"] = map[string]any{"id": keyID, "owner": id, "publicKeyPem": spkiPEM(&k.PublicKey)}
		p.put("/users/erin", 200, as2, doc)
		p.put("/keys/erin", 200, as2, map[string]any{"id": keyID, "type": "Key", "owner": id, "publicKeyPem": spkiPEM(&k.PublicKey)})
		got, err := f.FetchKey(context.Background(), keyID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Owner != id {
			t.Errorf("got %+v", got)
		}
	})
}

// Key documents that must not be believed. Rows 36 and 39: a key is only
// ever attributed to an actor whose own document lists it.
func TestFetchKeyBadInput(t *testing.T) {
	k, k2 := testKeys(t)
	p := newPeer(t)
	f := fetcherFor(t, 0, p.addr(t))
	victim := p.URL + "/users/victim"
	p.put("/users/victim", 200, as2, p.actorDoc("/users/victim", &k.PublicKey))
	victim2 := p.actorDoc("/users/victim2", &k.PublicKey)
	victim2["publicKey"] = map[string]any{"id": p.URL + "/keys/v2", "owner": p.URL + "/users/victim2", "publicKeyPem": spkiPEM(&k.PublicKey)}
	p.put("/users/victim2", 200, as2, victim2)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)

	cases := []struct {
		name  string
		path  string
		doc   map[string]any
		keyID string // default path + "#main-key"
		want  error
	}{
		{name: "row36 actor lists a key owned by another actor", path: "/users/mallory", doc: map[string]any{
			"id": p.URL + "/users/mallory", "type": "Person",
			"publicKey": map[string]any{"id": p.URL + "/users/mallory#main-key", "owner": victim, "publicKeyPem": spkiPEM(&k2.PublicKey)},
		}, want: ErrNoKey},
		{name: "row36 stand-alone key claiming an owner that does not list it", path: "/keys/forged", doc: map[string]any{
			"id": p.URL + "/keys/forged", "owner": victim, "publicKeyPem": spkiPEM(&k2.PublicKey),
		}, keyID: "/keys/forged", want: ErrNoKey},
		{name: "row36 stand-alone key whose owner lists another key under its id", path: "/keys/v2", doc: map[string]any{
			"id": p.URL + "/keys/v2", "owner": p.URL + "/users/victim2", "publicKeyPem": spkiPEM(&k2.PublicKey),
		}, keyID: "/keys/v2", want: ErrNoKey},
		{name: "row39 key path answered with the victim's id", path: "/keys/redirected", doc: map[string]any{
			"id": victim, "type": "Person",
		}, keyID: "/keys/redirected", want: ErrNoKey},
		{name: "row39 fragment key, document id elsewhere", path: "/users/liar", doc: map[string]any{
			"id": victim, "type": "Person",
		}, want: ErrIDMismatch},
		{name: "stand-alone key without owner", path: "/keys/orphan", doc: map[string]any{
			"id": p.URL + "/keys/orphan", "publicKeyPem": spkiPEM(&k.PublicKey),
		}, keyID: "/keys/orphan", want: ErrNoKey},
		{name: "no such key", path: "/users/nokey", doc: map[string]any{
			"id": p.URL + "/users/nokey", "type": "Person",
			"publicKey": map[string]any{"id": p.URL + "/users/nokey#other", "publicKeyPem": spkiPEM(&k.PublicKey)},
		}, want: ErrNoKey},
		{name: "not PEM", path: "/users/junk", doc: map[string]any{
			"id": p.URL + "/users/junk", "publicKey": map[string]any{"id": p.URL + "/users/junk#main-key", "publicKeyPem": "hello"},
		}, want: ErrNoKey},
		{name: "PEM of another type", path: "/users/cert", doc: map[string]any{
			"id": p.URL + "/users/cert", "publicKey": map[string]any{"id": p.URL + "/users/cert#main-key",
				"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}))},
		}, want: ErrNoKey},
		{name: "EC key", path: "/users/ec", doc: map[string]any{
			"id": p.URL + "/users/ec", "publicKey": map[string]any{"id": p.URL + "/users/ec#main-key",
				"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}))},
		}, want: ErrNoKey},
		{name: "1024-bit RSA key", path: "/users/small", doc: map[string]any{
			"id": p.URL + "/users/small", "publicKey": map[string]any{"id": p.URL + "/users/small#main-key", "publicKeyPem": spkiPEM(&small.PublicKey)},
		}, want: ErrNoKey},
		{name: "publicKeyPem not a string", path: "/users/num", doc: map[string]any{
			"id": p.URL + "/users/num", "publicKey": map[string]any{"id": p.URL + "/users/num#main-key", "publicKeyPem": 42},
		}, want: ErrNoKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p.put(c.path, 200, as2, c.doc)
			keyID := p.URL + c.path + "#main-key"
			if c.keyID != "" {
				keyID = p.URL + c.keyID
			}
			got, err := f.FetchKey(context.Background(), keyID)
			if err == nil {
				t.Fatalf("accepted %+v", got)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			t.Log(err)
		})
	}
	if _, err := f.FetchKey(context.Background(), "/relative#k"); !errors.Is(err, ErrInvalid) {
		t.Errorf("relative keyId: %v", err)
	}
}
