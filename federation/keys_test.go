package federation

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
)

func TestKeyStoreOncePerPod(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	ks := NewKeyStore(records(t, st))
	const n = 8
	got := make([]*PodKey, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := ks.Key(ctx, "alice")
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = k
		}()
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if got[i] == nil || got[i].Private.N.Cmp(got[0].Private.N) != 0 {
			t.Fatalf("concurrent callers got different keys")
		}
	}
	if ks.loads != 1 {
		t.Errorf("%d loads for one pod, want 1", ks.loads)
	}
	if got[0].Private.N.BitLen() != KeyBits {
		t.Errorf("key has %d bits", got[0].Private.N.BitLen())
	}
	// The PEM is the SPKI of the private key's public half, and verifies
	// what the private key signs.
	blk, rest := pem.Decode([]byte(got[0].PublicPEM))
	if blk == nil || blk.Type != "PUBLIC KEY" || len(rest) != 0 {
		t.Fatalf("publicKeyPem is not one PUBLIC KEY block: %q", got[0].PublicPEM)
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("(request-target): post /inbox"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, got[0].Private, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("published key does not verify the private key's signature: %v", err)
	}

	// A restarted server (a new KeyStore on the same records) reads the
	// same key; another pod gets another key; a forgotten pod a new one.
	again, err := NewKeyStore(records(t, st)).Key(ctx, "alice")
	if err != nil || again.PublicPEM != got[0].PublicPEM {
		t.Fatalf("key after restart differs (err %v)", err)
	}
	bob, err := ks.Key(ctx, "bob")
	if err != nil || bob.PublicPEM == got[0].PublicPEM {
		t.Fatalf("bob shares alice's key (err %v)", err)
	}
	if err := ks.Forget(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	fresh, err := ks.Key(ctx, "alice")
	if err != nil || fresh.PublicPEM == got[0].PublicPEM {
		t.Fatalf("a forgotten pod kept its key (err %v)", err)
	}
}

func TestKeyStoreBadInput(t *testing.T) {
	ks := NewKeyStore(records(t, openStore(t)))
	for _, pod := range []string{"", "Alice", "a/b", "../x", "a b", "-a"} {
		if _, err := ks.Key(context.Background(), pod); err == nil {
			t.Errorf("Key(%q) made a key", pod)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ks.Key(ctx, "carol"); err == nil {
		t.Error("a cancelled context still returned a key")
	}
	// A damaged record is an error, never a silently new key.
	if err := ks.kv.Put(context.Background(), keyKey("dave"), []byte("{"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Key(context.Background(), "dave"); err == nil {
		t.Error("a damaged key record was accepted")
	}
}

// BenchmarkGenerateKey is the cost of making one pod's key (first use of
// its actor): an RSA-2048 generation.
func BenchmarkGenerateKey(b *testing.B) {
	for b.Loop() {
		if _, err := rsa.GenerateKey(rand.Reader, KeyBits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeyCached is the cost of every later use.
func BenchmarkKeyCached(b *testing.B) {
	ks := NewKeyStore(records(b, openStore(b)))
	ctx := context.Background()
	if _, err := ks.Key(ctx, "alice"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ks.Key(ctx, "alice"); err != nil {
			b.Fatal(err)
		}
	}
}
