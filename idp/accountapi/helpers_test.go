package accountapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// cheapArgon2 keeps tests fast; production uses account.DefaultArgon2.
var cheapArgon2 = account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// env is a real account API over a real Badger store.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	base     string
	accounts *account.Service
	clock    *fakeClock
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type envOptions struct {
	accounts account.Options
	api      Options
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	akv, err := st.KV(kv.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	pkv, err := st.KV(kv.Pods)
	if err != nil {
		t.Fatal(err)
	}
	// The server's address is known only once it listens: start an
	// unstarted server to learn it, then build the handler.
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	base := srv.URL + "/"
	clock := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	ao := o.accounts
	ao.BaseURL, ao.Argon2, ao.Now = base, cheapArgon2, clock.Now
	accounts, err := account.New(ctx, akv, ao)
	if err != nil {
		t.Fatal(err)
	}
	pods, err := idp.LoadPods(ctx, pkv)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := idp.NewProvisioner(idp.ProvisionerOptions{Store: st, Accounts: accounts, Pods: pods, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	opts := o.api
	opts.BaseURL, opts.Accounts, opts.Provision, opts.Now = base, accounts, prov, clock.Now
	if h, err = New(opts); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, base: base, accounts: accounts, clock: clock}
}

// resp is an answer: status, headers, raw body and the body as JSON.
type resp struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// str returns the string at a dotted path of the JSON body.
func (r resp) str(path string) string {
	var cur any = r.body
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	s, _ := cur.(string)
	return s
}

func (r resp) obj(path string) map[string]any {
	var cur any = r.body
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	m, _ := cur.(map[string]any)
	return m
}

// req describes a request: a token goes into the Authorization header.
type req struct {
	method, url, token string
	body               any // string (sent as is) or a value sent as JSON
	header             map[string]string
}

func (e *env) do(q req) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := q.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(q.method, q.url, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if q.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if q.token != "" {
		hr.Header.Set("Authorization", "CSS-Account-Token "+q.token)
	}
	for k, v := range q.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	hresp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer hresp.Body.Close()
	raw, _ := io.ReadAll(hresp.Body)
	out := resp{status: hresp.StatusCode, header: hresp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func (e *env) get(url, token string) resp { return e.do(req{method: "GET", url: url, token: token}) }

func (e *env) post(url, token string, body any) resp {
	if body == nil {
		body = map[string]any{}
	}
	return e.do(req{method: "POST", url: url, token: token, body: body})
}

// must fails the test unless the answer has status want.
func must(t *testing.T, what string, r resp, want int) resp {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, want, r.raw)
	}
	return r
}

// user is an account made through the API the way a CSS script does.
type user struct {
	token    string
	controls map[string]any
	webID    string
	pod      string
}

func (u user) control(path string) string { return resp{body: u.controls}.str(path) }

const testPassword = "correct horse battery"

// signUp runs the script flow up to a pod: controls, create account, add
// email/password, fetch the account controls, create pod.
func (e *env) signUp(email, podName string) user {
	e.t.Helper()
	idx := must(e.t, "index", e.get(e.base+".account/", ""), 200)
	created := must(e.t, "create account", e.post(idx.str("controls.account.create"), "", nil), 200)
	token := created.str("authorization")
	if token == "" {
		e.t.Fatalf("no authorization: %s", created.raw)
	}
	idx = must(e.t, "index with token", e.get(e.base+".account/", token), 200)
	must(e.t, "add password", e.post(idx.str("controls.password.create"), token,
		map[string]any{"email": email, "password": testPassword}), 200)
	u := user{token: token, controls: idx.obj("controls")}
	if podName != "" {
		p := must(e.t, "create pod", e.post(u.control("account.pod"), token, map[string]any{"name": podName}), 200)
		u.webID, u.pod = p.str("webId"), p.str("pod")
	}
	return u
}
