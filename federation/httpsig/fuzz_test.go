package httpsig

import (
	"crypto/rsa"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// FuzzVerify feeds arbitrary signature headers to Verify: it must never
// panic, accept only a signature value the key made (the seeds' own), and
// otherwise answer with one of the error kinds. (Its first find was a panic
// in httpsfv v1.1.0's display-string parser on "a0=%0", fixed in v1.1.2;
// the input stays in testdata/fuzz.)
func FuzzVerify(f *testing.F) {
	k, _ := testKeys(f)
	body := []byte(activity)
	var made []string
	for _, sign := range []func(*http.Request, string, *rsa.PrivateKey, []byte) error{Sign, Sign9421} {
		r := outgoingPOST(f, inboxURL, body)
		if err := sign(r, aliceKeyID, k, body); err != nil {
			f.Fatal(err)
		}
		f.Add(r.Header.Get("Signature"), r.Header.Get("Signature-Input"), r.Header.Get("Digest"), r.Header.Get("Content-Digest"))
		made = append(made, sigValue(r.Header.Get("Signature")))
	}
	f.Add(`keyId="a",keyId="b"`, "", "SHA-256=", "")
	f.Add("sig1=:AAAA:", `sig1=("@method";sf "date");keyid="k";created=1`, "", "sha-256=:AAAA:, sha-256=:BBBB:")
	v := testVerifier(newKeyring(alicePublic(k)))
	f.Fuzz(func(t *testing.T, sig, input, digest, contentDigest string) {
		r := outgoingPOST(t, inboxURL, body)
		for name, val := range map[string]string{"Signature": sig, "Signature-Input": input, "Digest": digest, "Content-Digest": contentDigest} {
			if val != "" {
				r.Header[name] = []string{val}
			}
		}
		_, err := v.Verify(asReceived(r, body), body)
		if err == nil {
			if !slices.ContainsFunc(made, func(m string) bool { return strings.Contains(sig, m) }) {
				t.Fatalf("accepted Signature %q Signature-Input %q", sig, input)
			}
			return
		}
		if !errors.Is(err, ErrRejected) && !errors.Is(err, ErrUnsigned) && !errors.Is(err, ErrKeyUnavailable) {
			t.Fatalf("error of no kind: %v", err)
		}
	})
}

// sigValue is the base64 signature in either form of Signature header.
func sigValue(h string) string {
	if i := strings.Index(h, `signature="`); i >= 0 {
		return strings.TrimSuffix(h[i+len(`signature="`):], `"`)
	}
	return strings.Trim(strings.TrimPrefix(h, "sig1="), ":")
}

// FuzzSfvDuplicates: the duplicate scan ends and does not panic on any
// input, parsed or not.
func FuzzSfvDuplicates(f *testing.F) {
	f.Add(`sig1=("@method" "date");keyid="a\"b";created=1, sig2=:AAAA:;x`)
	f.Add(`a=(`)
	f.Add(`"`)
	f.Fuzz(func(t *testing.T, s string) { sfvDuplicates(s) })
}
