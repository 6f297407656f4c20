package httpsig

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"testing"
)

// The inbox must verify at least 1,000 signed activities per second on the
// 2-core machine with cached keys (issue 14). These measure one
// verification of a signed POST with the key already at hand (a keyring
// lookup): parsing, the checks, the digest and one RSA-2048 verification.
// Figures are in the README.

func benchVerify(b *testing.B, sign func(r *http.Request, keyID string, k *rsa.PrivateKey, body []byte) error) {
	k, _ := testKeys(b)
	benchVerifyWith(b, k, sign)
}

func benchVerifyWith(b *testing.B, k *rsa.PrivateKey, sign func(r *http.Request, keyID string, k *rsa.PrivateKey, body []byte) error) {
	v := testVerifier(newKeyring(alicePublic(k)))
	body := []byte(activity)
	out := outgoingPOST(b, inboxURL, body)
	if err := sign(out, aliceKeyID, k, body); err != nil {
		b.Fatal(err)
	}
	in := asReceived(out, body)
	if _, err := v.Verify(in, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(in, body); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerifyCavage(b *testing.B) { benchVerify(b, Sign) }

func BenchmarkVerify9421(b *testing.B) { benchVerify(b, Sign9421) }

// Fedify makes RSA-4096 keys; verifying with one costs about three times
// as much.
func BenchmarkVerify9421RSA4096(b *testing.B) {
	k, err := rsa.GenerateKey(rand.Reader, 4096)
	if err != nil {
		b.Fatal(err)
	}
	benchVerifyWith(b, k, Sign9421)
}

// BenchmarkSignCavage is the cost of signing one delivery (RSA-2048 sign).
func BenchmarkSignCavage(b *testing.B) {
	k, _ := testKeys(b)
	body := []byte(activity)
	b.ReportAllocs()
	for b.Loop() {
		r := outgoingPOST(b, inboxURL, body)
		if err := Sign(r, aliceKeyID, k, body); err != nil {
			b.Fatal(err)
		}
	}
}
