package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/web"
)

// env is a real server: Badger store, account service, provisioner, the
// OpenID Provider with the pages as its Interaction, served by httptest.
type env struct {
	base     string // with trailing slash
	srv      *httptest.Server
	store    *badgerstore.Store
	accounts *account.Service
	prov     *idp.Provisioner
	op       *op.Provider
	pages    *web.Handler
}

var cheapArgon2 = account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newEnv(t *testing.T, mod func(*account.Options, *web.Options)) *env {
	t.Helper()
	return newEnvLayout(t, false, mod)
}

// newEnvLayout is newEnv whose new pods are subdomain pods if subdomain.
func newEnvLayout(t *testing.T, subdomain bool, mod func(*account.Options, *web.Options)) *env {
	t.Helper()
	ctx := context.Background()
	var mu sync.RWMutex
	var root http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		h := root
		mu.RUnlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e := &env{base: srv.URL + "/", srv: srv}
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e.store = st
	akv, err := st.KV(kv.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	pkv, _ := st.KV(kv.Pods)
	tkv, _ := st.KV(kv.Tokens)
	aopts := account.Options{BaseURL: e.base, Argon2: cheapArgon2, FirstAccountAdmin: true}
	wopts := web.Options{BaseURL: e.base}
	if mod != nil {
		mod(&aopts, &wopts)
	}
	if e.accounts, err = account.New(ctx, akv, aopts); err != nil {
		t.Fatal(err)
	}
	pods, err := idp.LoadPods(ctx, pkv)
	if err != nil {
		t.Fatal(err)
	}
	e.prov, err = idp.NewProvisioner(idp.ProvisionerOptions{Store: st, Accounts: e.accounts, Pods: pods, BaseURL: e.base, Subdomain: subdomain})
	if err != nil {
		t.Fatal(err)
	}
	wopts.Accounts, wopts.Provision = e.accounts, e.prov
	wopts.NewProvider = func(pages web.Pages) (*op.Provider, error) {
		return op.New(ctx, op.Options{Issuer: idp.IssuerOf(e.base), KV: tkv, Interaction: pages.Interaction,
			Sessions: pages.Sessions, ErrorPage: pages.ErrorPage})
	}
	if e.pages, err = web.New(wopts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.pages.Close) // before the store closes
	e.op = e.pages.Provider()
	m := http.NewServeMux()
	for _, p := range op.Paths {
		m.Handle(p, e.op)
	}
	m.Handle(web.PathPrefix, e.pages)
	mu.Lock()
	root = m
	mu.Unlock()
	return e
}

// user makes an account with a pod directly through the services.
func (e *env) user(t *testing.T, email, password, podName string) (*account.Account, string) {
	t.Helper()
	ctx := context.Background()
	a, err := e.accounts.Provision(ctx, account.NewAccount{Email: email, Password: password}, false)
	if err != nil {
		t.Fatal(err)
	}
	webID, err := e.prov.CreatePod(ctx, a.ID, podName)
	if err != nil {
		t.Fatal(err)
	}
	return a, webID
}

// browser is a user agent with a cookie jar that does not follow
// redirects, so that tests see every step.
type browser struct {
	t   *testing.T
	e   *env
	hc  *http.Client
	jar http.CookieJar
}

type response struct {
	status int
	header http.Header
	body   string
}

func (r *response) location() string { return r.header.Get("Location") }

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, jar: jar, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// abs makes a path absolute on the test server.
func (b *browser) abs(target string) string {
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		return target
	}
	return b.e.srv.URL + target
}

func (b *browser) do(req *http.Request) *response {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(target string) *response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.abs(target), nil)
	return b.do(req)
}

func (b *browser) post(target string, form url.Values) *response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.abs(target), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// submit fills the first form on page whose action is action: its hidden
// inputs plus fields.
func (b *browser) submit(page *response, action string, fields url.Values) *response {
	b.t.Helper()
	form := hiddenInputs(b.t, page.body, action)
	for k, v := range fields {
		form[k] = v
	}
	return b.post(action, form)
}

var (
	formRe   = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// hiddenInputs returns the hidden inputs of the form posting to action.
func hiddenInputs(t *testing.T, body, action string) url.Values {
	t.Helper()
	for _, m := range formRe.FindAllStringSubmatch(body, -1) {
		if html.UnescapeString(m[1]) != action {
			continue
		}
		v := url.Values{}
		for _, h := range hiddenRe.FindAllStringSubmatch(m[2], -1) {
			v.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		return v
	}
	t.Fatalf("no form posting to %s in:\n%s", action, body)
	return nil
}

// login logs the browser in without an authorization request.
func (b *browser) login(email, password string) {
	b.t.Helper()
	page := b.get("/.idp/login")
	resp := b.submit(page, "/.idp/login", url.Values{"email": {email}, "password": {password}})
	if resp.status != http.StatusSeeOther || resp.location() != "/.idp/account" {
		b.t.Fatalf("login: %d %s", resp.status, resp.location())
	}
}

// register registers a public client dynamically.
func (e *env) register(t *testing.T, redirect string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"redirect_uris": []string{redirect}, "client_name": "Test App",
		"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none"})
	resp, err := http.Post(e.base+".oidc/reg", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	return out.ClientID
}

// jwtClaims decodes a JWT's payload without verifying it.
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
