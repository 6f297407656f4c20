package conformance

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// codeLifetime is how long the server keeps an authorization code valid,
// plus a margin: RFC 6749 §4.1.2 recommends at most ten minutes; Naamio
// documents 60 s (idp/op CodeTTL). The expired-code test waits this long.
const codeLifetime = 62 * time.Second

// docServer serves Client Identifier Documents over https on 127.0.0.1:
// /good.json is a valid document; /redir-NNN.json answers NNN with a
// Location to /target-NNN.json, which holds a document whose client_id is
// the redirecting URL — so a server that followed the redirect would find
// a matching document, and only the redirect itself is a reason to refuse.
type docServer struct {
	ts       *httptest.Server
	redirect string // the redirect URI every document registers
	targets  atomic.Int64
	caFile   string
}

func newDocServer(t *testing.T, redirect string) *docServer {
	t.Helper()
	d := &docServer{redirect: redirect}
	d.ts = httptest.NewUnstartedServer(nil)
	doc := func(id string) []byte {
		b, _ := json.Marshal(map[string]any{
			"@context":                   []string{"https://www.w3.org/ns/solid/oidc-context.jsonld"},
			"client_id":                  id,
			"client_name":                "row 33 document client",
			"redirect_uris":              []string{redirect},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "none",
		})
		return b
	}
	d.ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := d.ts.URL
		switch {
		case r.URL.Path == "/good.json":
			w.Header().Set("Content-Type", "application/ld+json")
			_, _ = w.Write(doc(base + "/good.json"))
		case strings.HasPrefix(r.URL.Path, "/redir-"):
			var code int
			fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/redir-"), "%d.json", &code)
			http.Redirect(w, r, "/target-"+fmt.Sprint(code)+".json", code)
		case strings.HasPrefix(r.URL.Path, "/target-"):
			d.targets.Add(1)
			var code int
			fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/target-"), "%d.json", &code)
			w.Header().Set("Content-Type", "application/ld+json")
			_, _ = w.Write(doc(base + "/redir-" + fmt.Sprint(code) + ".json"))
		default:
			http.NotFound(w, r)
		}
	})
	d.ts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	d.ts.StartTLS()
	t.Cleanup(d.ts.Close)
	d.caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.ts.Certificate().Raw})
	if err := os.WriteFile(d.caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *docServer) addr() string { return strings.TrimPrefix(d.ts.URL, "https://") }

// wantNoRedirect checks that an authorization request was refused with a
// 400 page and no Location header at all.
func wantNoRedirect(t *testing.T, r *reply, what string) {
	t.Helper()
	if r.StatusCode != http.StatusBadRequest || r.Header.Get("Location") != "" {
		t.Errorf("%s: want 400 without Location, got %s (Location %q)", what, r, r.Header.Get("Location"))
	}
}

// wantLoginRedirect checks that an authorization request was accepted:
// 303 to the server's log-in page for the new interaction.
func wantLoginRedirect(t *testing.T, s *server, r *reply, what string) {
	t.Helper()
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, s.base+".idp/login?interaction=") {
		t.Errorf("%s: want 303 to the log-in page, got %s (Location %q)", what, r, loc)
	}
}

// TestSecurityIdP covers SECURITY.md rows 33-35 (OpenID Provider, log-in,
// single-use codes and tokens) against dedicated servers: one with an
// https Client Identifier Document host it may fetch from (its
// certificate trusted through SSL_CERT_FILE) and an SMTP sink for reset
// mails, and one for the login rate limits, which would otherwise lock
// 127.0.0.1 out of every other server log-in for 15 minutes.
func TestSecurityIdP(t *testing.T) {
	const cb = "http://127.0.0.1:9/row33-doc-cb"
	docs := newDocServer(t, cb)
	sink := newSMTPSink(t)
	s := startIdPServer(t, []string{"SSL_CERT_FILE=" + docs.caFile},
		"--allow-fetch-addr", issuer.AddrPort()+","+docs.addr(),
		"--smtp-addr", sink.addr(), "--smtp-from", "naamio@example.org")

	// secrets collects every secret the server handed out, for the
	// storage check at the end of row 35; controls are plain values
	// stored alongside them.
	var secrets, controls []string

	// A code obtained now and redeemed once the code lifetime has passed
	// (row 35, expired code); the wait overlaps the other rows.
	expAcct := newIdPAccount(t, s, "expiry")
	expClient := publicClient(t, s)
	expCode, expVerifier := getCode(t, s, newBrowser(t, ""), expClient, expAcct, "openid webid")
	expIssued := time.Now()
	secrets = append(secrets, expCode, expAcct.password)
	controls = append(controls, expAcct.email)

	requirement(t, "security-row-33-unregistered-redirect-uri", func(t *testing.T) {
		c := publicClient(t, s)
		_, ch := pkce()
		u, _ := url.Parse(c.redirect)
		bad := map[string]string{
			"other path":    "http://127.0.0.1:9/other",
			"suffix":        c.redirect + "x",
			"sub path":      c.redirect + "/x",
			"dot segment":   c.redirect + "/../evil",
			"extra query":   c.redirect + "?a=b",
			"trailing ?":    c.redirect + "?",
			"trailing /":    c.redirect + "/",
			"fragment":      c.redirect + "#f",
			"other port":    "http://127.0.0.1:10" + u.Path,
			"localhost":     "http://localhost:9" + u.Path,
			"https":         "https://127.0.0.1:9" + u.Path,
			"user info":     "http://evil@127.0.0.1:9" + u.Path,
			"upper scheme":  "HTTP://127.0.0.1:9" + u.Path,
			"encoded path":  "http://127.0.0.1:9" + strings.Replace(u.Path, "-", "%2D", 1),
			"other host":    "https://evil.example" + u.Path,
			"javascript":    "javascript:alert(1)",
			"relative":      u.Path,
			"empty":         "",
			"another's uri": publicClient(t, s).redirect,
		}
		for name, ru := range bad {
			q := authQuery(c.id, ru, ch, "openid webid", "redirect_uri", ru)
			wantNoRedirect(t, s.doAs(t, nil, http.MethodGet, "/.oidc/auth?"+q.Encode(), nil), "GET "+name)
			wantNoRedirect(t, s.doAs(t, nil, http.MethodPost, "/.oidc/auth", []byte(q.Encode()),
				"Content-Type", "application/x-www-form-urlencoded"), "POST "+name)
		}
		// Errors that would otherwise go to the redirect URI (bad
		// response_type, scope) still may not use an unregistered one.
		q := authQuery(c.id, c.redirect+"x", ch, "openid webid", "response_type", "token")
		wantNoRedirect(t, s.doAs(t, nil, http.MethodGet, "/.oidc/auth?"+q.Encode(), nil), "bad response_type")
		q = authQuery(c.id, "http://127.0.0.1:9/other", ch, "nonsense")
		wantNoRedirect(t, s.doAs(t, nil, http.MethodGet, "/.oidc/auth?"+q.Encode(), nil), "bad scope")
		// An unknown client with any redirect URI.
		q = authQuery("no-such-client-"+randomHex(), c.redirect, ch, "openid webid")
		wantNoRedirect(t, s.doAs(t, nil, http.MethodGet, "/.oidc/auth?"+q.Encode(), nil), "unknown client")
		// The registered URI is accepted (the refusals above are about the URI).
		q = authQuery(c.id, c.redirect, ch, "openid webid")
		wantLoginRedirect(t, s, s.doAs(t, nil, http.MethodGet, "/.oidc/auth?"+q.Encode(), nil), "registered redirect_uri")
		// And with it, a bad response_type goes back to the client as an error.
		q = authQuery(c.id, c.redirect, ch, "openid webid", "response_type", "token")
		r := s.doAs(t, nil, http.MethodGet, "/.oidc/auth?"+q.Encode(), nil)
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(loc, c.redirect+"?") || !strings.Contains(loc, "error=unsupported_response_type") {
			t.Errorf("registered URI, bad response_type: want 303 with an error to the client, got %s (Location %q)", r, loc)
		}
	})

	requirement(t, "security-row-33-redirecting-client-document", func(t *testing.T) {
		_, ch := pkce()
		good := docs.ts.URL + "/good.json"
		q := authQuery(good, cb, ch, "openid webid")
		wantLoginRedirect(t, s, s.doAs(t, nil, http.MethodGet, "/.oidc/auth?"+q.Encode(), nil),
			"a document answering 200 at its own URL (control)")
		for _, code := range []int{301, 302, 303, 307, 308} {
			id := fmt.Sprintf("%s/redir-%d.json", docs.ts.URL, code)
			q := authQuery(id, cb, ch, "openid webid")
			wantNoRedirect(t, s.doAs(t, nil, http.MethodGet, "/.oidc/auth?"+q.Encode(), nil),
				fmt.Sprintf("document answering %d", code))
		}
		// The token endpoint does not accept such a client either.
		key, err := testissuer.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "code_verifier": {strings.Repeat("a", 43)},
			"redirect_uri": {cb}, "client_id": {docs.ts.URL + "/redir-302.json"}}
		oauthErrorIs(t, tokenRequest(t, s, key, form, "", ""), "invalid_client")
		if n := docs.targets.Load(); n != 0 {
			t.Errorf("the server followed a client document redirect %d times", n)
		}
	})

	requirement(t, "security-row-33-pkce-plain-or-missing", func(t *testing.T) {
		c := publicClient(t, s)
		verifier, ch := pkce()
		cases := map[string][]string{
			"plain":                   {"code_challenge_method", "plain", "code_challenge", verifier},
			"plain, S256 challenge":   {"code_challenge_method", "plain"},
			"no method (plain)":       {"code_challenge_method", "", "code_challenge", verifier},
			"no method":               {"code_challenge_method", ""},
			"no challenge":            {"code_challenge", ""},
			"no PKCE at all":          {"code_challenge_method", "", "code_challenge", ""},
			"short challenge":         {"code_challenge", ch[:42]},
			"long challenge":          {"code_challenge", ch + "A"},
			"challenge not base64url": {"code_challenge", ch[:42] + "+"},
			"unknown method":          {"code_challenge_method", "S512"},
		}
		for name, extra := range cases {
			q := authQuery(c.id, c.redirect, ch, "openid webid", extra...)
			r := s.doAs(t, nil, http.MethodGet, "/.oidc/auth?"+q.Encode(), nil)
			wantNoRedirect(t, r, name)
		}
		q := authQuery(c.id, c.redirect, ch, "openid webid")
		wantLoginRedirect(t, s, s.doAs(t, nil, http.MethodGet, "/.oidc/auth?"+q.Encode(), nil), "S256 (control)")
	})

	// Row 34 runs on its own server: its address limit would otherwise
	// lock 127.0.0.1 out of the logins of the other rows.
	rl := startIdPServer(t, nil)
	alice := newIdPAccount(t, rl, "alice")
	bob := newIdPAccount(t, rl, "bob")
	carol := newIdPAccount(t, rl, "carol")
	loginURL := rl.url("/.account/login/password/")
	login := func(t *testing.T, b *browser, email, password string) *reply {
		t.Helper()
		return b.postJSON(t, loginURL, map[string]any{"email": email, "password": password})
	}
	// Each phase sends from its own loopback address, so that the limits
	// per account and per address can be told apart.

	requirement(t, "security-row-34-unknown-user-same-answer", func(t *testing.T) {
		b := newBrowser(t, "127.0.0.11")
		unknown := login(t, b, "nobody-"+randomHex()+"@example.org", "wrong password 1")
		wrong := login(t, b, carol.email, "wrong password 1")
		expect(t, unknown, http.StatusForbidden)
		sameAnswer(t, unknown, wrong, "account API: unknown user vs wrong password")
		// The same through the log-in page (same browser: same CSRF token).
		page := b.get(t, rl.url("/.idp/login"))
		mustStatus(t, page, http.StatusOK)
		form := hiddenFields(page.body)
		if form.Get("csrf") == "" {
			t.Fatalf("no csrf field in the log-in page: %s", page)
		}
		post := func(email string) *reply {
			v := url.Values{"csrf": {form.Get("csrf")}, "email": {email}, "password": {"wrong password 2"}}
			return b.postForm(t, rl.url("/.idp/login"), v)
		}
		pu, pw := post("nobody-"+randomHex()+"@example.org"), post(carol.email)
		if pu.StatusCode < 400 || pu.StatusCode > 499 {
			t.Errorf("log-in page, unknown user: want 4xx, got %s", pu)
		}
		sameAnswer(t, pu, pw, "log-in page: unknown user vs wrong password")
		if bytes.Contains(pw.body, []byte(carol.email)) {
			t.Errorf("the log-in page echoes the email back")
		}
		// The right password still works (4 failures are below any limit).
		expect(t, login(t, b, carol.email, carol.password), http.StatusOK)
	})

	requirement(t, "security-row-34-account-limit", func(t *testing.T) {
		b := newBrowser(t, "127.0.0.12")
		limitedAt := 0
		for i := 1; i <= 100; i++ {
			r := login(t, b, alice.email, fmt.Sprintf("wrong password %d", i))
			switch {
			case r.StatusCode == http.StatusTooManyRequests:
				if limitedAt == 0 {
					limitedAt = i
				}
			case r.StatusCode == http.StatusForbidden && limitedAt == 0:
			default:
				t.Fatalf("attempt %d: want 403 until limited, 429 after, got %s", i, r)
			}
		}
		if limitedAt == 0 {
			t.Fatalf("100 failed logins for one account were never rate limited")
		}
		t.Logf("account limited from attempt %d", limitedAt)
		// The right password is refused too, from this and another address.
		expect(t, login(t, b, alice.email, alice.password), http.StatusTooManyRequests)
		other := newBrowser(t, "127.0.0.13")
		expect(t, login(t, other, alice.email, alice.password), http.StatusTooManyRequests)
		// Through the log-in page as well.
		page := other.get(t, rl.url("/.idp/login"))
		r := other.postForm(t, rl.url("/.idp/login"), url.Values{"csrf": {hiddenFields(page.body).Get("csrf")},
			"email": {alice.email}, "password": {alice.password}})
		expect(t, r, http.StatusTooManyRequests)
		// Another account from the same address is not affected.
		expect(t, login(t, b, bob.email, bob.password), http.StatusOK)
	})

	requirement(t, "security-row-34-address-limit", func(t *testing.T) {
		b := newBrowser(t, "127.0.0.14")
		limitedAt := 0
		var firstUnknown429 *reply
		for i := 1; i <= 100; i++ {
			r := login(t, b, fmt.Sprintf("nobody-%d-%s@example.org", i, randomHex()), "wrong password")
			switch {
			case r.StatusCode == http.StatusTooManyRequests:
				if limitedAt == 0 {
					limitedAt, firstUnknown429 = i, r
				}
			case r.StatusCode == http.StatusForbidden && limitedAt == 0:
			default:
				t.Fatalf("attempt %d: want 403 until limited, 429 after, got %s", i, r)
			}
		}
		if limitedAt == 0 {
			t.Fatalf("100 failed logins from one address were never rate limited")
		}
		t.Logf("address limited from attempt %d", limitedAt)
		// A real account with its right password is refused from there,
		// with the same answer as an unknown one.
		r := login(t, b, bob.email, bob.password)
		expect(t, r, http.StatusTooManyRequests)
		sameAnswer(t, firstUnknown429, r, "limited address: unknown user vs right password")
		page := b.get(t, rl.url("/.idp/login"))
		r = b.postForm(t, rl.url("/.idp/login"), url.Values{"csrf": {hiddenFields(page.body).Get("csrf")},
			"email": {bob.email}, "password": {bob.password}})
		expect(t, r, http.StatusTooManyRequests)
		// The same account from another address logs in.
		expect(t, login(t, newBrowser(t, "127.0.0.15"), bob.email, bob.password), http.StatusOK)
	})

	// Row 35.
	requirement(t, "security-row-35-code-reuse", func(t *testing.T) {
		acct := newIdPAccount(t, s, "reuse")
		c := publicClient(t, s)
		code, verifier := getCode(t, s, newBrowser(t, ""), c, acct, "openid webid offline_access")
		secrets = append(secrets, code)
		key, err := testissuer.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {c.redirect}, "client_id": {c.id}}
		// Another client presenting the code is refused and does not use it up.
		other := publicClient(t, s)
		stolen := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {c.redirect}, "client_id": {other.id}}
		oauthErrorIs(t, tokenRequest(t, s, key, stolen, "", ""), "invalid_grant")

		tk := tokensOf(t, tokenRequest(t, s, key, form, "", ""))
		if tk.Refresh == "" {
			t.Fatalf("no refresh token for offline_access")
		}
		secrets = append(secrets, tk.Refresh)
		mustStatus(t, readWith(t, s, key, tk.Access, acct.pod), http.StatusOK)

		// The same code again: refused, with the same and with another key.
		oauthErrorIs(t, tokenRequest(t, s, key, form, "", ""), "invalid_grant")
		key2, err := testissuer.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		oauthErrorIs(t, tokenRequest(t, s, key2, form, "", ""), "invalid_grant")
		// RFC 6749 §4.1.2: what the code gave is revoked: the refresh
		// token, and the access token that read the pod a moment ago.
		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.Refresh}, "client_id": {c.id}}
		oauthErrorIs(t, tokenRequest(t, s, key, refresh, "", ""), "invalid_grant")
		mustStatus(t, readWith(t, s, key, tk.Access, acct.pod), http.StatusUnauthorized)

		// A confidential client: the code is single use as well.
		conf := registerClient(t, s, map[string]any{
			"client_name": "row 35 confidential " + randomHex(), "redirect_uris": []string{"http://127.0.0.1:9/conf-" + randomHex()},
			"grant_types": []string{"authorization_code", "refresh_token"},
		})
		if conf.secret == "" {
			t.Fatalf("confidential client without secret")
		}
		secrets = append(secrets, conf.secret)
		code2, verifier2 := getCode(t, s, newBrowser(t, ""), conf, acct, "openid webid")
		secrets = append(secrets, code2)
		form2 := url.Values{"grant_type": {"authorization_code"}, "code": {code2}, "code_verifier": {verifier2},
			"redirect_uri": {conf.redirect}}
		tokensOf(t, tokenRequest(t, s, key, form2, conf.id, conf.secret))
		oauthErrorIs(t, tokenRequest(t, s, key, form2, conf.id, conf.secret), "invalid_grant")
	})

	requirement(t, "security-row-35-refresh-reuse", func(t *testing.T) {
		acct := newIdPAccount(t, s, "refresh")
		c := publicClient(t, s)
		code, verifier := getCode(t, s, newBrowser(t, ""), c, acct, "openid webid offline_access")
		key, err := testissuer.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {c.redirect}, "client_id": {c.id}}
		r0 := tokensOf(t, tokenRequest(t, s, key, form, "", "")).Refresh
		refresh := func(k *testissuer.Key, tok string) *reply {
			return tokenRequest(t, s, k, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}, "client_id": {c.id}}, "", "")
		}
		r1 := tokensOf(t, refresh(key, r0)).Refresh
		if r1 == "" || r1 == r0 {
			t.Fatalf("refresh token not rotated: %q → %q", r0, r1)
		}
		// Bound to the DPoP key of the public client.
		other, err := testissuer.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		oauthErrorIs(t, refresh(other, r1), "invalid_grant")
		r2 := tokensOf(t, refresh(key, r1)).Refresh
		secrets = append(secrets, r0, r1, r2)
		// The rotated r1 again: refused, and the whole grant is revoked.
		oauthErrorIs(t, refresh(key, r1), "invalid_grant")
		oauthErrorIs(t, refresh(key, r2), "invalid_grant")
		oauthErrorIs(t, refresh(key, r0), "invalid_grant")
	})

	requirement(t, "security-row-35-interaction-replay", func(t *testing.T) {
		acct := newIdPAccount(t, s, "consent")
		c := publicClient(t, s)
		b := newBrowser(t, "")
		f := &flow{s: s, b: b, client: c}
		var ch string
		f.verifier, ch = pkce()
		page := f.authorize(t, authQuery(c.id, c.redirect, ch, "openid webid", "prompt", "consent"))
		if page.StatusCode != http.StatusOK || !strings.Contains(page.url, "/.idp/login") {
			t.Fatalf("want the log-in page, got %s", page)
		}
		loginForm := hiddenFields(page.body)
		loginForm.Set("email", acct.email)
		loginForm.Set("password", acct.password)
		consent := f.follow(t, b.postForm(t, s.url("/.idp/login"), loginForm))
		if consent.StatusCode != http.StatusOK || !strings.Contains(consent.url, "/.idp/consent") {
			t.Fatalf("want the consent page, got %s", consent)
		}
		form := hiddenFields(consent.body)
		iid := form.Get("interaction")
		if iid == "" {
			t.Fatalf("no interaction in the consent form")
		}
		form.Set("decision", "approve")

		// Another logged-in browser cannot take the interaction over.
		mallory := newIdPAccount(t, s, "mallory")
		mb := newBrowser(t, "")
		lp := mb.get(t, s.url("/.idp/login"))
		mv := url.Values{"csrf": {hiddenFields(lp.body).Get("csrf")}, "email": {mallory.email}, "password": {mallory.password}}
		mustStatus(t, mb.postForm(t, s.url("/.idp/login"), mv), http.StatusSeeOther)
		notToClient(t, c, mb.get(t, s.url("/.idp/consent?interaction="+url.QueryEscape(iid))), "other browser opens the consent page")
		ap := mb.get(t, s.url("/.idp/account"))
		mf := url.Values{"csrf": {hiddenFields(ap.body).Get("csrf")}, "interaction": {iid}, "decision": {"approve"}}
		if mf.Get("csrf") == "" {
			t.Errorf("no csrf on the account page: %s", ap)
		}
		notToClient(t, c, mb.postForm(t, s.url("/.idp/consent"), mf), "other browser approves")

		// The owner approves: a code.
		code := f.codeFrom(t, f.follow(t, b.postForm(t, s.url("/.idp/consent"), form)))
		secrets = append(secrets, code)
		// Replays of the finished interaction are refused, with no code.
		notToClient(t, c, b.postForm(t, s.url("/.idp/consent"), form), "consent replayed")
		form.Set("decision", "deny")
		notToClient(t, c, b.postForm(t, s.url("/.idp/consent"), form), "deny after approve")
		notToClient(t, c, b.get(t, s.url("/.idp/consent?interaction="+url.QueryEscape(iid))), "consent page reopened")
		notToClient(t, c, b.postForm(t, s.url("/.idp/login"), loginForm), "log-in replayed")
		notToClient(t, c, b.get(t, s.url("/.idp/login?interaction="+url.QueryEscape(iid))), "log-in page reopened")
		// The code from the one approval works, once.
		key, err := testissuer.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		tf := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {f.verifier},
			"redirect_uri": {c.redirect}, "client_id": {c.id}}
		tokensOf(t, tokenRequest(t, s, key, tf, "", ""))

		// A denied interaction cannot be approved afterwards.
		f2 := &flow{s: s, b: b, client: c}
		f2.verifier, ch = pkce()
		consent = f2.authorize(t, authQuery(c.id, c.redirect, ch, "openid webid", "prompt", "consent"))
		if consent.StatusCode != http.StatusOK || !strings.Contains(consent.url, "/.idp/consent") {
			t.Fatalf("want the consent page (logged in), got %s", consent)
		}
		form = hiddenFields(consent.body)
		form.Set("decision", "deny")
		r := b.postForm(t, s.url("/.idp/consent"), form)
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, c.redirect+"?") ||
			!strings.Contains(loc, "error=access_denied") || strings.Contains(loc, "code=") {
			t.Errorf("deny: want 303 to the client with error=access_denied, got %s (Location %q)", r, loc)
		}
		form.Set("decision", "approve")
		notToClient(t, c, b.postForm(t, s.url("/.idp/consent"), form), "approve after deny")
	})

	requirement(t, "security-row-35-reset-link-reuse", func(t *testing.T) {
		acct := newIdPAccount(t, s, "reset")
		b := newBrowser(t, "")
		page := b.get(t, s.url("/.idp/reset"))
		mustStatus(t, page, http.StatusOK)
		r := b.postForm(t, s.url("/.idp/reset"), url.Values{"csrf": {hiddenFields(page.body).Get("csrf")}, "email": {acct.email}})
		mustStatus(t, r, http.StatusOK)
		mail, ok := sink.waitFor("To: "+acct.email, 20*time.Second)
		if !ok {
			t.Fatalf("no reset mail for %s within 20 s\n%s", acct.email, s.logTail())
		}
		link := regexp.MustCompile(`https?://\S+/\.idp/reset\?token=\S+`).FindString(mail)
		if link == "" {
			t.Fatalf("no reset link in the mail:\n%s", mail)
		}
		lu, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, lu.Query().Get("token"))
		form := b.get(t, link)
		mustStatus(t, form, http.StatusOK)
		v := hiddenFields(form.body)
		if v.Get("token") == "" || v.Get("csrf") == "" {
			t.Fatalf("no token or csrf in the reset form: %s", form)
		}
		first, second := "first new password "+randomHex(), "second new password "+randomHex()
		secrets = append(secrets, first, second)
		v.Set("password", first)
		mustStatus(t, b.postForm(t, s.url("/.idp/reset"), v), http.StatusOK)
		v.Set("password", second)
		r = b.postForm(t, s.url("/.idp/reset"), v)
		if r.StatusCode < 400 || r.StatusCode > 499 {
			t.Errorf("reset link used twice: want 4xx, got %s", r)
		}
		// The link page itself shows the form again (it cannot know), but a
		// fresh browser submitting it is refused just the same.
		b2 := newBrowser(t, "")
		f2 := b2.get(t, link)
		v2 := hiddenFields(f2.body)
		v2.Set("password", second)
		r = b2.postForm(t, s.url("/.idp/reset"), v2)
		if r.StatusCode < 400 || r.StatusCode > 499 {
			t.Errorf("reset link used twice from another browser: want 4xx, got %s", r)
		}
		// Only the first new password works.
		lb := newBrowser(t, "")
		in := func(pw string) int {
			return lb.postJSON(t, s.url("/.account/login/password/"), map[string]any{"email": acct.email, "password": pw}).StatusCode
		}
		if got := in(first); got != http.StatusOK {
			t.Errorf("login with the password set by the link: %d", got)
		}
		if got := in(second); got != http.StatusForbidden {
			t.Errorf("login with the password of the second use: %d, want 403", got)
		}
		if got := in(acct.password); got != http.StatusForbidden {
			t.Errorf("login with the old password: %d, want 403", got)
		}
	})

	requirement(t, "security-row-35-expired-code", func(t *testing.T) {
		if wait := time.Until(expIssued.Add(codeLifetime)); wait > 0 {
			t.Logf("waiting %v for the code to expire", wait.Round(time.Second))
			time.Sleep(wait)
		}
		key, err := testissuer.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		// A fresh code from the same client and account still works...
		fresh, freshVerifier := getCode(t, s, newBrowser(t, ""), expClient, expAcct, "openid webid")
		tokensOf(t, tokenRequest(t, s, key, url.Values{"grant_type": {"authorization_code"}, "code": {fresh},
			"code_verifier": {freshVerifier}, "redirect_uri": {expClient.redirect}, "client_id": {expClient.id}}, "", ""))
		// ...the one older than its lifetime does not.
		oauthErrorIs(t, tokenRequest(t, s, key, url.Values{"grant_type": {"authorization_code"}, "code": {expCode},
			"code_verifier": {expVerifier}, "redirect_uri": {expClient.redirect}, "client_id": {expClient.id}}, "", ""), "invalid_grant")
	})

	requirement(t, "security-row-35-secrets-stored-hashed", func(t *testing.T) {
		// The data directory of the running server, byte for byte: none of
		// the secrets handed out (codes, refresh tokens, reset token, client
		// secret, passwords) appears in it, while plain values written
		// alongside them (an account email) do, so the search can see.
		needles := append(append([]string{}, controls...), secrets...)
		hits, scanned, err := scanDir(s.data, needles)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("searched %d bytes of %s", scanned, s.data)
		found := func(needle string) string { return hits[needle] }
		for _, c := range controls {
			if found(c) == "" {
				t.Fatalf("control value %q not found in the data directory: the search cannot see stored values", c)
			}
		}
		if len(secrets) < 10 {
			t.Errorf("only %d secrets collected (an earlier subtest failed?)", len(secrets))
		}
		for _, sec := range secrets {
			if sec == "" {
				continue
			}
			if f := found(sec); f != "" {
				t.Errorf("secret %.8s… stored in clear in %s", sec, f)
			}
		}
	})
}

// scanDir searches every file under dir for each needle, in chunks (the
// value log is preallocated and mostly zeros), and returns the base name
// of a file holding each needle found, and the bytes read.
func scanDir(dir string, needles []string) (map[string]string, int64, error) {
	const chunk = 4 << 20
	longest := 0
	for _, n := range needles {
		longest = max(longest, len(n))
	}
	hits := map[string]string{}
	var total int64
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return nil // the admin socket, say: no stored bytes
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		buf := make([]byte, chunk+longest)
		zero := []byte{0}
		carry := 0
		for {
			n, err := io.ReadFull(f, buf[carry:])
			total += int64(n)
			win := buf[:carry+n]
			if bytes.Count(win, zero) < len(win) { // skip all-zero (preallocated) chunks
				for _, nd := range needles {
					if nd != "" && hits[nd] == "" && bytes.Contains(win, []byte(nd)) {
						hits[nd] = filepath.Base(p)
					}
				}
			}
			if err != nil { // io.EOF or io.ErrUnexpectedEOF: done
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return nil
				}
				return err
			}
			carry = min(longest, len(win))
			copy(buf, win[len(win)-carry:])
		}
	})
	return hits, total, err
}

// sameAnswer checks that two answers are identical in status, body bytes
// and header names and values (except Date and the per-request
// X-Request-Id).
func sameAnswer(t *testing.T, a, b *reply, what string) {
	t.Helper()
	if a.StatusCode != b.StatusCode || !bytes.Equal(a.body, b.body) {
		t.Errorf("%s: answers differ:\n%d %q\n%d %q", what, a.StatusCode, a.body, b.StatusCode, b.body)
	}
	ha, hb := a.Header.Clone(), b.Header.Clone()
	for _, h := range []string{"Date", "X-Request-Id"} {
		ha.Del(h)
		hb.Del(h)
	}
	if fmt.Sprint(ha) != fmt.Sprint(hb) {
		t.Errorf("%s: headers differ:\n%v\n%v", what, ha, hb)
	}
}

// notToClient checks that a replayed or foreign interaction step was
// refused with a 4xx and sent nothing to the client's redirect URI.
func notToClient(t *testing.T, c oidcClient, r *reply, what string) {
	t.Helper()
	loc := r.Header.Get("Location")
	if r.StatusCode < 400 || r.StatusCode > 499 || strings.HasPrefix(loc, c.redirect) {
		t.Errorf("%s: want 4xx and nothing for the client, got %s (Location %q)", what, r, loc)
	}
}
