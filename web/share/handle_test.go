package share

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/naamio/naamio/auth"
)

// resolve calls the endpoint as agent (nil: no token).
func resolve(t *testing.T, h *Handler, handle string, agent *auth.Agent) (int, map[string]string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, ResolvePath+"?handle="+url.QueryEscape(handle), nil)
	if agent != nil {
		req = req.WithContext(auth.WithAgent(req.Context(), *agent))
	}
	rec := httptest.NewRecorder()
	h.ServeResolve(rec, req)
	var out map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	return rec.Code, out
}

// Issue 15 item 1: a Fediverse handle resolves to a WebID: this server's
// own pods directly, another server's accounts through WebFinger (RFC
// 7033) fetched by the server (here a TLS server on 127.0.0.1 through a
// client that trusts it), preferring a solid:webid link, then the profile
// page, then the ActivityPub actor. The endpoint needs a DPoP-authenticated
// agent: without one it answers 401.
func TestResolveHandle(t *testing.T) {
	var asked []string
	peer := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Query().Get("resource"))
		switch r.URL.Query().Get("resource") {
		case "acct:bob@" + r.Host:
			_, _ = io.WriteString(w, `{"subject":"acct:bob","links":[
				{"rel":"self","type":"application/activity+json","href":"https://social.example/users/bob"},
				{"rel":"http://webfinger.net/rel/profile-page","href":"https://bob.example/profile/card#me"}]}`)
		case "acct:masto@" + r.Host:
			_, _ = io.WriteString(w, `{"links":[{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"javascript:alert(1)"},
				{"rel":"self","type":"application/activity+json","href":"https://social.example/users/masto"}]}`)
		case "acct:empty@" + r.Host:
			_, _ = io.WriteString(w, `{"links":[]}`)
		case "acct:junk@" + r.Host:
			_, _ = io.WriteString(w, `<html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer peer.Close()
	peerHost := strings.TrimPrefix(peer.URL, "https://")
	client := peer.Client()
	tp := newTestPods(t, func(o *Options) {
		o.WebFinger = func(ctx context.Context, u string) (int, []byte, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			resp, err := client.Do(req)
			if err != nil {
				return 0, nil, err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			return resp.StatusCode, b, err
		}
	})
	me := &auth.Agent{WebID: carol}
	for _, c := range []struct {
		handle string
		status int
		webID  string
	}{
		{"@alice@pod.example", 200, alice},
		{"alice@POD.example", 200, alice},
		{"@nobody@pod.example", 404, ""},
		{"@bob@" + peerHost, 200, "https://bob.example/profile/card#me"},
		{"@masto@" + peerHost, 200, "https://social.example/users/masto"},
		{"@empty@" + peerHost, 422, ""},
		{"@junk@" + peerHost, 502, ""},
		{"@ghost@" + peerHost, 404, ""},
		{"@bob@127.0.0.1:1", 502, ""},
	} {
		st, out := resolve(t, tp.h, c.handle, me)
		if st != c.status || out["webid"] != c.webID {
			t.Errorf("%s: %d %v, want %d %s", c.handle, st, out, c.status, c.webID)
		}
	}
	if st, _ := resolve(t, tp.h, "@alice@pod.example", nil); st != http.StatusUnauthorized {
		t.Errorf("without a token: %d", st)
	}
	if st, _ := resolve(t, tp.h, "@bob@"+peerHost, &auth.Agent{WebID: "https://elsewhere.example/card#me"}); st != http.StatusForbidden {
		t.Errorf("an agent of another server: %d", st)
	}
	if len(asked) != 5 {
		t.Errorf("WebFinger asked %d times (%v), want once per remote handle", len(asked), asked)
	}
}

// Bad input: hostile handles are refused before any request is made.
func TestResolveHandleBadInput(t *testing.T) {
	fetched := false
	tp := newTestPods(t, func(o *Options) {
		o.WebFinger = func(context.Context, string) (int, []byte, error) {
			fetched = true
			return 0, nil, errors.New("no network in this test")
		}
	})
	me := &auth.Agent{WebID: carol}
	for _, h := range []string{"", "javascript:alert(1)", "@<script>alert(1)</script>@x.example", "@bob@x.example/../admin",
		"@bob@x.example?q=1", "@bob@x.example#f", "@a@b@c", "@bob", "bob", "@bob@" + strings.Repeat("a", 400) + ".example",
		"@" + strings.Repeat("b", 65) + "@x.example", "@bob@user:pw@x.example", "@bob@[::1]", "@bob@x.example:99999999",
		"@bob@x.example\r\nHost: evil", "@bob@ x.example", "https://bob.example/profile/card#me"} {
		st, out := resolve(t, tp.h, h, me)
		if st != http.StatusBadRequest || out["webid"] != "" {
			t.Errorf("%.50q: %d %v", h, st, out)
		}
		if strings.Contains(out["error"], "<script>") {
			t.Errorf("%.50q: error echoes the input", h)
		}
	}
	if fetched {
		t.Fatal("a hostile handle was looked up")
	}
}
