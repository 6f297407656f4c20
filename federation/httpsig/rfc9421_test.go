package httpsig

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	sfv "github.com/dunglas/httpsfv"
)

func TestRFC9421RoundTrip(t *testing.T) {
	k, _ := testKeys(t)
	v := testVerifier(newKeyring(alicePublic(k)))
	body := []byte(activity)

	post := outgoingPOST(t, inboxURL+"?x=1&y=%2F", body)
	if err := Sign9421(post, aliceKeyID, k, body); err != nil {
		t.Fatal(err)
	}
	wantInput := `sig1=("@method" "@target-uri" "@authority" "host" "date" "content-digest");alg="rsa-v1_5-sha256";keyid="` + aliceKeyID + `";created=` + itoa(fixedNow.Unix())
	if got := post.Header.Get("Signature-Input"); got != wantInput {
		t.Errorf("Signature-Input\n got %s\nwant %s", got, wantInput)
	}
	if got, want := post.Header.Get("Content-Digest"), "sha-256=:"+b64sha256(body)+":"; got != want {
		t.Errorf("Content-Digest %q, want %q", got, want)
	}
	got, err := v.Verify(asReceived(post, body), body)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	if got.KeyID != aliceKeyID || got.Owner != aliceActor || got.Scheme != RFC9421 {
		t.Errorf("verified as %+v", got)
	}

	get, _ := http.NewRequest(http.MethodGet, publicURL+"/.ap/actors/bob", nil)
	get.Header.Set("Date", fixedNow.Format(http.TimeFormat))
	if err := Sign9421(get, aliceKeyID, k, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(get.Header.Get("Signature-Input"), "content-digest") {
		t.Error("a GET covers content-digest")
	}
	if _, err := v.Verify(asReceived(get, nil), nil); err != nil {
		t.Fatalf("GET: %v", err)
	}
}

// The signature base of a request, written out by hand from RFC 9421 §2.5
// and the order Fedify signs in: a golden check that does not go through
// signatureBase's own reading of the spec.
func TestRFC9421SignatureBaseGolden(t *testing.T) {
	k, _ := testKeys(t)
	body := []byte(activity)
	r := outgoingPOST(t, "https://Naamio.Example:443/alice/inbox/?a=%20b", body)
	if err := Sign9421(r, aliceKeyID, k, body); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		`"@method": POST`,
		`"@target-uri": https://naamio.example/alice/inbox/?a=%20b`,
		`"@authority": naamio.example`,
		`"host": Naamio.Example:443`,
		`"date": ` + fixedNow.Format(http.TimeFormat),
		`"content-digest": sha-256=:` + b64sha256(body) + `:`,
		`"@signature-params": ("@method" "@target-uri" "@authority" "host" "date" "content-digest");alg="rsa-v1_5-sha256";keyid="` + aliceKeyID + `";created=` + itoa(fixedNow.Unix()),
	}, "\n")
	sum := sha256.Sum256([]byte(want))
	sig := sigBytes(t, r.Header.Get("Signature"))
	if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("the signature is not over the expected base:\n%s", want)
	}
}

// Requests signed by the real Fedify 1.8.8 (testdata/gen-fedify.mjs), in
// both forms, verify: the interoperability INTEROP.md "Fedify as a peer"
// asks for. Fedify sends RFC 9421 first, so this is what it sends us.
func TestFedifySignedRequests(t *testing.T) {
	raw, err := os.ReadFile("testdata/fedify-1.8.8-signed.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		PublicKeyPem string  `json:"publicKeyPem"`
		KeyID        string  `json:"keyId"`
		Owner        string  `json:"owner"`
		Now          float64 `json:"now"`
		Requests     []struct {
			Spec, Method, URL, Body string
			Headers                 map[string]string
		}
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode([]byte(fx.PublicKeyPem))
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	kr := newKeyring(&PublicKey{ID: fx.KeyID, Owner: fx.Owner, Key: pub.(*rsa.PublicKey)})
	v := testVerifier(kr)
	v.Now = func() time.Time { return time.Unix(int64(fx.Now), 0) }
	if len(fx.Requests) != 4 {
		t.Fatalf("%d requests in the fixture", len(fx.Requests))
	}
	for _, fr := range fx.Requests {
		t.Run(fr.Spec+" "+fr.Method, func(t *testing.T) {
			in := fedifyRequest(fr.Method, fr.URL, fr.Headers, fr.Body)
			got, err := v.Verify(in, []byte(fr.Body))
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			want := Cavage
			if fr.Spec == "rfc9421" {
				want = RFC9421
			}
			if got.Scheme != want || got.KeyID != fx.KeyID || got.Owner != fx.Owner {
				t.Errorf("verified as %+v", got)
			}
			// The same request a few bytes different is refused (row 37).
			if fr.Body != "" {
				if _, err := v.Verify(in, []byte(strings.Replace(fr.Body, "Like", "Dislike", 1))); err == nil {
					t.Error("changed body accepted")
				}
			}
			late := *v
			late.Now = func() time.Time { return time.Unix(int64(fx.Now), 0).Add(2 * time.Hour) }
			if _, err := late.Verify(in, []byte(fr.Body)); err == nil {
				t.Error("accepted two hours later")
			}
		})
	}
}

func fedifyRequest(method, url string, headers map[string]string, body string) *http.Request {
	in := httptest.NewRequest(method, url, strings.NewReader(body))
	in.RequestURI = in.URL.RequestURI()
	for k, v := range headers {
		if strings.EqualFold(k, "host") {
			in.Host = v
			continue
		}
		in.Header.Set(k, v)
	}
	return in
}

// sign9421Covering signs r in RFC 9421 form over the given components and
// parameters, so a test can make a well-signed but incomplete request.
func sign9421Covering(t *testing.T, r *http.Request, key *rsa.PrivateKey, names []string, params [][2]any) {
	t.Helper()
	list := sfv.InnerList{Params: sfv.NewParams()}
	for _, n := range names {
		list.Items = append(list.Items, sfv.NewItem(n))
	}
	for _, p := range params {
		list.Params.Add(p[0].(string), p[1])
	}
	base, err := signatureBase(outgoing(r), list)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(base)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	in := sfv.NewDictionary()
	in.Add("sig1", list)
	s := sfv.NewDictionary()
	s.Add("sig1", sfv.NewItem(sig))
	si, _ := sfv.Marshal(in)
	ss, _ := sfv.Marshal(s)
	r.Header.Set("Signature-Input", si)
	r.Header.Set("Signature", ss)
}

// SECURITY rows 37 and 38 for RFC 9421 signatures.
func TestRFC9421BadInput(t *testing.T) {
	k, other := testKeys(t)
	body := []byte(activity)
	fedify := []string{"@method", "@target-uri", "@authority", "host", "date", "content-digest"}
	std := [][2]any{{"alg", "rsa-v1_5-sha256"}, {"keyid", aliceKeyID}, {"created", fixedNow.Unix()}}
	without := func(names []string, drop string) []string {
		var out []string
		for _, n := range names {
			if n != drop {
				out = append(out, n)
			}
		}
		return out
	}
	withParam := func(name string, v any) [][2]any {
		out := [][2]any{}
		for _, p := range std {
			if p[0] != name {
				out = append(out, p)
			}
		}
		if v != nil {
			out = append(out, [2]any{name, v})
		}
		return out
	}
	digest := func(r *http.Request) { r.Header.Set("Content-Digest", "sha-256=:"+b64sha256(body)+":") }

	cases := []struct {
		name     string
		method   string
		target   string
		names    []string
		params   [][2]any
		key      *rsa.PrivateKey
		before   func(r *http.Request)
		after    func(r *http.Request, body *[]byte)
		want     error
		keyFetch bool
	}{
		{name: "ok", want: nil, keyFetch: true},
		{name: "ok with @path and @authority, no date", names: []string{"@method", "@path", "@query", "@authority", "content-digest"}, want: nil, keyFetch: true},
		{name: "row37 body changed after signing", after: func(r *http.Request, b *[]byte) {
			*b = []byte(strings.Replace(string(*b), "Like", "Announce", 1))
		}, want: ErrDigest},
		{name: "row37 body and Content-Digest changed", after: func(r *http.Request, b *[]byte) {
			*b = []byte(strings.Replace(string(*b), "Like", "Announce", 1))
			r.Header.Set("Content-Digest", "sha-256=:"+b64sha256(*b)+":")
		}, want: ErrBadSignature, keyFetch: true},
		{name: "row37 content-digest not signed", names: without(fedify, "content-digest"), want: ErrNotCovered},
		{name: "row37 Content-Digest header removed", after: func(r *http.Request, _ *[]byte) { r.Header.Del("Content-Digest") }, want: ErrDigest},
		{name: "row37 Content-Digest wrong", before: func(r *http.Request) {
			r.Header.Set("Content-Digest", "sha-256=:"+b64sha256([]byte("x"))+":")
		}, want: ErrDigest},
		{name: "row37 Content-Digest sha-512 wrong beside a right sha-256", before: func(r *http.Request) {
			r.Header.Set("Content-Digest", "sha-256=:"+b64sha256(body)+":, sha-512=:"+b64sha256(body)+b64sha256(body)+":")
		}, want: ErrDigest},
		{name: "row37 Content-Digest of an unknown algorithm only", before: func(r *http.Request) {
			r.Header.Set("Content-Digest", "md5=:1B2M2Y8AsgTpgAmY7PhCfg==:")
		}, want: ErrDigest},
		{name: "row37 Content-Digest not a dictionary", before: func(r *http.Request) {
			r.Header.Set("Content-Digest", "SHA-256="+b64sha256(body))
		}, want: ErrDigest},
		{name: "row37 @method not signed", names: without(fedify, "@method"), want: ErrNotCovered},
		{name: "row37 no target signed", names: []string{"@method", "@authority", "host", "date", "content-digest"}, want: ErrNotCovered},
		{name: "row37 no host signed", names: []string{"@method", "@path", "date", "content-digest"}, want: ErrNotCovered},
		{name: "row37 neither created nor date", names: without(fedify, "date"), params: withParam("created", nil), want: ErrNotCovered},
		{name: "row37 signed for another host", target: "https://other.example/alice/inbox/", after: func(r *http.Request, _ *[]byte) {
			r.Host = "other.example"
		}, want: ErrHost},
		{name: "row37 Host rewritten to ours", target: "https://other.example/alice/inbox/", after: func(r *http.Request, _ *[]byte) {
			r.Host = "naamio.example"
		}, want: ErrBadSignature, keyFetch: true},
		{name: "row37 other path", after: func(r *http.Request, _ *[]byte) { r.RequestURI = "/bob/inbox/" }, want: ErrBadSignature, keyFetch: true},
		{name: "row38 created 61 minutes old", params: withParam("created", fixedNow.Add(-61*time.Minute).Unix()), want: ErrDate},
		{name: "row38 created 61 minutes ahead", params: withParam("created", fixedNow.Add(61*time.Minute).Unix()), want: ErrDate},
		{name: "row38 Date 61 minutes old", before: func(r *http.Request) {
			r.Header.Set("Date", fixedNow.Add(-61*time.Minute).Format(http.TimeFormat))
		}, want: ErrDate},
		{name: "row38 expired", params: append(std, [2]any{"expires", fixedNow.Add(-time.Second).Unix()}), want: ErrDate},
		{name: "row38 created not an integer", params: withParam("created", "now"), want: ErrMalformed},
		{name: "row38 duplicated keyid", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature-Input", r.Header.Get("Signature-Input")+`;keyid="https://evil.example/k"`)
		}, want: ErrDuplicate},
		{name: "row38 duplicated identical created", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature-Input", r.Header.Get("Signature-Input")+`;created=`+itoa(fixedNow.Unix()))
		}, want: ErrDuplicate},
		{name: "row38 duplicated label in Signature-Input", after: func(r *http.Request, _ *[]byte) {
			si := r.Header.Get("Signature-Input")
			r.Header.Set("Signature-Input", `sig1=("@method");keyid="https://evil.example/k", `+si)
		}, want: ErrDuplicate},
		{name: "row38 duplicated label in Signature", after: func(r *http.Request, _ *[]byte) {
			r.Header.Add("Signature", r.Header.Get("Signature"))
		}, want: ErrDuplicate},
		{name: "row38 duplicated component", names: append(append([]string{}, fedify...), "date"), want: ErrDuplicate},
		{name: "alg ed25519", params: withParam("alg", "ed25519"), want: ErrAlgorithm},
		{name: "alg rsa-pss-sha512", params: withParam("alg", "rsa-pss-sha512"), want: ErrAlgorithm},
		{name: "no alg is fine", params: withParam("alg", nil), want: nil, keyFetch: true},
		{name: "no keyid", params: withParam("keyid", nil), want: ErrMalformed},
		{name: "component with parameters", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `"date"`, `"date";sf`, 1))
		}, want: ErrMalformed},
		{name: "unsupported derived component", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `"date"`, `"@status"`, 1))
		}, want: ErrMalformed},
		{name: "signed header missing", names: append(append([]string{}, fedify...), "x-extra"), before: func(r *http.Request) {
			r.Header.Set("X-Extra", "1")
		}, after: func(r *http.Request, _ *[]byte) { r.Header.Del("X-Extra") }, want: ErrNotCovered},
		{name: "Signature-Input not a dictionary", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature-Input", "(((")
		}, want: ErrMalformed},
		{name: "Signature not a byte sequence", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", `sig1="abc"`)
		}, want: ErrMalformed},
		{name: "labels do not meet", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "sig1=", "sig2=", 1))
		}, want: ErrMalformed},
		{name: "signed by another key", key: other, want: ErrBadSignature, keyFetch: true},
		{name: "GET without content-digest is fine", method: http.MethodGet, names: []string{"@method", "@target-uri", "host", "date"}, want: nil, keyFetch: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := c.target
			if target == "" {
				target = inboxURL
			}
			b := body
			r := outgoingPOST(t, target, b)
			if c.method != "" {
				r.Method = c.method
				b = nil
			} else {
				digest(r)
			}
			if c.before != nil {
				c.before(r)
			}
			names, params, key := c.names, c.params, c.key
			if names == nil {
				names = fedify
			}
			if params == nil {
				params = std
			}
			if key == nil {
				key = k
			}
			sign9421Covering(t, r, key, names, params)
			in := asReceived(r, b)
			if c.after != nil {
				c.after(in, &b)
			}
			kr := newKeyring(alicePublic(k))
			got, err := testVerifier(kr).Verify(in, b)
			checkVerify(t, got, err, c.want)
			if calls, _ := kr.counts(); !c.keyFetch && calls > 0 {
				t.Errorf("the key was fetched %d times for a request refused before", calls)
			}
		})
	}
}

func sigBytes(t *testing.T, header string) []byte {
	t.Helper()
	d, err := sfv.UnmarshalDictionary([]string{header})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := d.Get("sig1")
	b, _ := m.(sfv.Item).Value.([]byte)
	return b
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
