package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func fedGet(t *testing.T, u, accept string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// Issue 14 discovery through the whole server: the WebID profile links to
// the actor, WebFinger of the handle names the same actor, the actor's id
// is the URL it is fetched from and it links back to the WebID.
func TestFederationDiscovery(t *testing.T) {
	_, base := serveAccounts(t, "alice")
	origin := strings.TrimSuffix(base, "/")
	host := strings.TrimPrefix(origin, "http://")
	actor := origin + "/.ap/actors/alice"
	webID := base + "alice/profile/card#me"

	for _, m := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequest(m, base+"alice/profile/card", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := `<` + actor + `>; rel="alternate"; type="application/activity+json"`
		if !strings.Contains(resp.Header.Get("Link"), want) {
			t.Errorf("%s profile: Link %q lacks %q", m, resp.Header.Get("Link"), want)
		}
	}
	if resp, _ := fedGet(t, base+"alice/", "text/turtle"); strings.Contains(resp.Header.Get("Link"), "/.ap/actors/") {
		t.Errorf("a resource other than the profile links to the actor: %q", resp.Header.Get("Link"))
	}

	resp, body := fedGet(t, origin+"/.well-known/webfinger?resource="+url.QueryEscape("acct:alice@"+host), "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jrd+json" {
		t.Fatalf("webfinger: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var jrd struct {
		Subject string
		Links   []struct{ Rel, Type, Href string }
	}
	if err := json.Unmarshal(body, &jrd); err != nil || jrd.Subject != "acct:alice@"+host || jrd.Links[0].Href != actor {
		t.Fatalf("webfinger %s (%v)", body, err)
	}

	resp, body = fedGet(t, actor, "application/activity+json", "Origin", "https://app.example")
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil || resp.Header.Get("Content-Type") != "application/activity+json" {
		t.Fatalf("actor: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if doc["id"] != actor || doc["url"] != webID || doc["inbox"] != base+"alice/inbox/" {
		t.Errorf("actor %s", body)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("actor without CORS: %v", resp.Header)
	}
	// A browser is sent to the WebID profile.
	if resp, _ := fedGet(t, actor, "text/html"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != webID {
		t.Errorf("browser: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := fedGet(t, origin+"/.ap/actors/nobody", "application/activity+json"); resp.StatusCode != 404 {
		t.Errorf("unknown actor: %d", resp.StatusCode)
	}

	resp, body = fedGet(t, origin+"/nodeinfo/2.1", "")
	var ni struct {
		Software          struct{ Name, Version string }
		Protocols         []string
		OpenRegistrations bool
		Usage             struct{ Users struct{ Total int } }
	}
	if err := json.Unmarshal(body, &ni); err != nil || ni.Software.Name != "naamio" || ni.Software.Version == "" ||
		len(ni.Protocols) != 1 || !ni.OpenRegistrations || ni.Usage.Users.Total != 1 {
		t.Errorf("nodeinfo %d %s", resp.StatusCode, body)
	}
}

// --federation=false: no actor, no discovery, no link from the profile;
// the paths stay the server's (404), never a pod's.
func TestFederationOff(t *testing.T) {
	on, _ := startServer(t, nil)
	off, _ := startServer(t, func(c *Config) { c.Federation = false; c.Registration = "closed" })
	for _, p := range []string{"/.well-known/nodeinfo", "/nodeinfo/2.1", "/.well-known/host-meta", "/.well-known/host-meta.json"} {
		if resp, _ := fedGet(t, on+p, ""); resp.StatusCode != 200 {
			t.Errorf("on: %s %d", p, resp.StatusCode)
		}
		if resp, _ := fedGet(t, off+p, ""); resp.StatusCode != 404 {
			t.Errorf("off: %s %d", p, resp.StatusCode)
		}
	}
	if resp, body := fedGet(t, on+"/nodeinfo/2.1", ""); !strings.Contains(string(body), `"openRegistrations":true`) {
		t.Errorf("open registration not reported: %d %s", resp.StatusCode, body)
	}
}

// SECURITY row 62 (issue 14, CVE-2024-25623 class) through the server: a client PUT of an
// AS2 type is refused.
func TestSecurityRow62FederationNoUserAS2(t *testing.T) {
	base, _ := startServer(t, nil)
	fake := `{"id":"` + base + `/evil","type":"Person","inbox":"` + base + `/evil/inbox"}`
	for _, ct := range []string{"application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
		req, _ := http.NewRequest(http.MethodPut, base+"/evil", strings.NewReader(fake))
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("PUT %s: %d, want 415", ct, resp.StatusCode)
		}
	}
}

// A deleted pod's actor is gone (410, so peers drop their copy); once the
// administrator releases the name, whoever takes it is another actor with
// another key.
func TestFederationReleasedNameNewKey(t *testing.T) {
	s, base := serveAccounts(t, "dave")
	actor := strings.TrimSuffix(base, "/") + "/.ap/actors/dave"
	pemOf := func(body []byte) string {
		var doc struct{ PublicKey struct{ PublicKeyPem string } }
		if err := json.Unmarshal(body, &doc); err != nil || doc.PublicKey.PublicKeyPem == "" {
			t.Fatalf("actor %s (%v)", body, err)
		}
		return doc.PublicKey.PublicKeyPem
	}
	_, body := fedGet(t, actor, "application/activity+json")
	old := pemOf(body)
	ctx := context.Background()
	dave, err := s.id.accounts.ByEmail(ctx, "dave@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.id.provision.DeleteAccount(ctx, dave.ID); err != nil {
		t.Fatal(err)
	}
	if resp, _ := fedGet(t, actor, "application/activity+json"); resp.StatusCode != http.StatusGone {
		t.Errorf("deleted pod's actor: %d, want 410", resp.StatusCode)
	}
	dir := s.cfg.DataDir
	closeServer(s)
	var out, errOut bytes.Buffer
	if err := podCommand([]string{"release", "--data", dir, "--base-url", base, "dave"}, &out, &errOut); err != nil {
		t.Fatalf("%v %s", err, errOut.String())
	}
	if err := accountCommand([]string{"create", "--data", dir, "--base-url", base, "--email", "new@example.org", "--pod", "dave"},
		strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
		t.Fatalf("%v %s", err, errOut.String())
	}
	log, _ := NewLogger(io.Discard, "json", "info")
	s2, err := New(s.cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer closeServer(s2)
	srv := httptest.NewServer(s2.http.Handler)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/.ap/actors/dave", nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || pemOf(b) == old {
		t.Errorf("the new owner of the name got the old key (%d)", resp.StatusCode)
	}
}

// A base URL with a path: the actors are under it (<base>/.ap/actors/),
// discovery stays at the host's root (RFC 8615).
func TestFederationBasePath(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/solid/"
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := accountCommand([]string{"create", "--data", dir, "--base-url", base, "--email", "a@example.org", "--pod", "alice"},
		strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
		t.Fatalf("%v %s", err, errOut.String())
	}
	log, _ := NewLogger(io.Discard, "json", "info")
	cfg := defaults()
	cfg.DataDir, cfg.DiskReserve, cfg.BaseURL = dir, 0, base
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeServer(s) })
	srv := httptest.NewUnstartedServer(s.http.Handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	actor := base + ".ap/actors/alice"
	resp, body := fedGet(t, srv.URL+"/.well-known/webfinger?resource="+url.QueryEscape("acct:alice@"+ln.Addr().String()), "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"href":"`+actor+`"`) {
		t.Fatalf("webfinger %d %s", resp.StatusCode, body)
	}
	resp, body = fedGet(t, actor, "application/activity+json")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"`+actor+`"`) ||
		!strings.Contains(string(body), `"inbox":"`+base+`alice/inbox/"`) {
		t.Errorf("actor %d %s", resp.StatusCode, body)
	}
}

// --federation / NAAMIO_FEDERATION: on by default; a flag beats the
// environment.
func TestFederationFlag(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, c := range []struct {
		args []string
		env  map[string]string
		want bool
	}{
		{nil, nil, true},
		{[]string{"--federation=false"}, nil, false},
		{nil, map[string]string{"NAAMIO_FEDERATION": "false"}, false},
		{[]string{"--federation"}, map[string]string{"NAAMIO_FEDERATION": "false"}, true},
	} {
		cfg, err := parseServeConfig(c.args, env(c.env))
		if err != nil || cfg.Federation != c.want {
			t.Errorf("%v %v: Federation %v (%v), want %v", c.args, c.env, cfg.Federation, err, c.want)
		}
	}
	if _, err := parseServeConfig(nil, env(map[string]string{"NAAMIO_FEDERATION": "maybe"})); err == nil {
		t.Error("NAAMIO_FEDERATION=maybe accepted")
	}
}

// naamio pod lock / unlock: the actor says manuallyApprovesFollowers.
func TestFederationPodLock(t *testing.T) {
	dir := t.TempDir()
	base := "http://pod.test/"
	var out, errOut bytes.Buffer
	if err := accountCommand([]string{"create", "--data", dir, "--base-url", base, "--email", "a@example.org", "--pod", "alice"},
		strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	locked := func() any {
		t.Helper()
		cfg := defaults()
		cfg.DataDir, cfg.DiskReserve, cfg.BaseURL = dir, 0, base
		log, _ := NewLogger(io.Discard, "json", "info")
		s, err := New(cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		defer closeServer(s)
		req := httptest.NewRequest(http.MethodGet, base+".ap/actors/alice", nil)
		req.Header.Set("Accept", "application/activity+json")
		w := httptest.NewRecorder()
		s.http.Handler.ServeHTTP(w, req)
		var doc map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		return doc["manuallyApprovesFollowers"]
	}
	if got := locked(); got != false {
		t.Fatalf("new account locked: %v", got)
	}
	for _, c := range []struct {
		cmd  string
		want bool
	}{{"lock", true}, {"unlock", false}} {
		if err := podCommand([]string{c.cmd, "--data", dir, "alice"}, &out, &errOut); err != nil {
			t.Fatalf("%s: %v %s", c.cmd, err, errOut.String())
		}
		if got := locked(); got != c.want {
			t.Errorf("after %s: manuallyApprovesFollowers %v", c.cmd, got)
		}
	}
	for _, args := range [][]string{{"lock"}, {"lock", "--data", dir}, {"lock", "--data", dir, "bob"},
		{"unlock", "--data", dir, "../x"}, {"lock", "--data", dir, "a", "b"}, {"lock", "--bogus", "alice"}} {
		if err := podCommand(args, &out, &errOut); err == nil {
			t.Errorf("pod %q accepted", args)
		}
	}
}
