package server

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/internal/safehttp"
)

// hookReceiver is a webhook receiver on 127.0.0.1 that verifies every
// delivery as a Solid resource server verifies a request (verifyDelivery)
// and records the notifications. While down it answers 503.
type hookReceiver struct {
	srv *httptest.Server
	// verify checks a delivery (default verifyDelivery).
	verify func(r *http.Request, sendTo string) error
	down   atomic.Bool
	hits   atomic.Int32
	mu     sync.Mutex
	got    []map[string]any
	errs   []error
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{}
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		if rc.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		verify := verifyDelivery
		if rc.verify != nil {
			verify = rc.verify
		}
		err := verify(r, rc.url())
		var n map[string]any
		if err == nil {
			err = json.Unmarshal(body, &n)
		}
		rc.mu.Lock()
		if err != nil {
			rc.errs = append(rc.errs, err)
		} else {
			rc.got = append(rc.got, n)
		}
		rc.mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *hookReceiver) url() string { return rc.srv.URL + "/inbox" }

func (rc *hookReceiver) addr() netip.AddrPort {
	return netip.MustParseAddrPort(rc.srv.Listener.Addr().String())
}

// wait returns the first n verified deliveries, failing on a delivery
// that did not verify or after 10 s.
func (rc *hookReceiver) wait(t *testing.T, n int) []map[string]any {
	t.Helper()
	end := time.Now().Add(10 * time.Second)
	for {
		rc.mu.Lock()
		got, errs := append([]map[string]any(nil), rc.got...), rc.errs
		rc.mu.Unlock()
		if len(errs) > 0 {
			t.Fatalf("delivery did not verify: %v", errs)
		}
		if len(got) >= n {
			return got[:n]
		}
		if time.Now().After(end) {
			t.Fatalf("receiver verified %d deliveries, want %d", len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verifyDelivery checks a webhook delivery as a receiver written for the
// reference server does, trusting nothing but the server's documents:
// the token's webid is a WebID whose solid:oidcIssuer is the token's iss;
// the issuer's JWKS (from its discovery document) verifies the token,
// whose aud has "solid" and which has not expired; the DPoP proof is
// signed by the key in its header, whose RFC 7638 thumbprint is the
// token's cnf.jkt; the proof is for a POST to this receiver's URL.
func verifyDelivery(r *http.Request, sendTo string) error {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
	if !ok || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/ld+json" {
		return fmt.Errorf("not a DPoP-authenticated JSON-LD POST: %s %v", r.Method, r.Header)
	}
	unverified, err := jwt.ParseInsecure([]byte(tok))
	if err != nil {
		return err
	}
	webID, _ := unverified.PrivateClaims()["webid"].(string)
	iss := unverified.Issuer()
	// The WebID names the issuer.
	profile, err := fetch(webID, "text/turtle")
	if err != nil {
		return err
	}
	if !strings.Contains(profile, "<"+webID+"> solid:oidcIssuer <"+iss+">") {
		return fmt.Errorf("WebID %s does not name issuer %s:\n%s", webID, iss, profile)
	}
	// The issuer's JWKS verifies the token.
	disc, err := fetch(iss+"/.well-known/openid-configuration", "application/json")
	if err != nil {
		return err
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal([]byte(disc), &meta); err != nil || meta.Issuer != iss {
		return fmt.Errorf("discovery of %s: %v %s", iss, err, disc)
	}
	keys, err := fetch(meta.JWKSURI, "application/json")
	if err != nil {
		return err
	}
	set, err := jwk.Parse([]byte(keys))
	if err != nil {
		return err
	}
	token, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set), jwt.WithIssuer(iss), jwt.WithAudience("solid"),
		jwt.WithAudience(webID), jwt.WithValidate(true), jwt.WithAcceptableSkew(time.Minute))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	for _, c := range []string{"azp", "webid", "client_id"} {
		if v, _ := token.PrivateClaims()[c].(string); v != webID {
			return fmt.Errorf("token %s %q, want %q", c, v, webID)
		}
	}
	if token.Subject() != webID || token.JwtID() == "" || token.Expiration().Sub(token.IssuedAt()) > time.Hour {
		return fmt.Errorf("token sub %q jti %q iat %v exp %v", token.Subject(), token.JwtID(), token.IssuedAt(), token.Expiration())
	}
	cnf, _ := token.PrivateClaims()["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	// The proof: signed by its header's key, which cnf.jkt names.
	proof := r.Header.Get("DPoP")
	msg, err := jws.Parse([]byte(proof))
	if err != nil || len(msg.Signatures()) != 1 {
		return fmt.Errorf("proof: %v", err)
	}
	hdr := msg.Signatures()[0].ProtectedHeaders()
	if hdr.Type() != "dpop+jwt" || hdr.JWK() == nil {
		return errors.New("proof header without typ dpop+jwt or jwk")
	}
	tp, err := hdr.JWK().Thumbprint(crypto.SHA256)
	if err != nil || base64.RawURLEncoding.EncodeToString(tp) != jkt {
		return fmt.Errorf("proof key is not the token's cnf.jkt %q", jkt)
	}
	payload, err := jws.Verify([]byte(proof), jws.WithKey(jwa.ES256, hdr.JWK()))
	if err != nil {
		return fmt.Errorf("proof signature: %w", err)
	}
	var claims struct {
		HTU string `json:"htu"`
		HTM string `json:"htm"`
		IAT int64  `json:"iat"`
		JTI string `json:"jti"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return err
	}
	if claims.HTU != sendTo || claims.HTM != "POST" || claims.JTI == "" || time.Since(time.Unix(claims.IAT, 0)).Abs() > time.Minute {
		return fmt.Errorf("proof claims %+v for %s", claims, sendTo)
	}
	return nil
}

func fetch(url, accept string) (string, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return string(b), err
}

// subscribeHook finds the webhook subscription service in the storage
// description and subscribes (anonymously: the public may read) to
// url+path with sendTo; it returns the channel's id.
func subscribeHook(t *testing.T, url, path, sendTo string) string {
	t.Helper()
	sd, err := fetch(url+"/.well-known/solid", "application/n-triples")
	if err != nil {
		t.Fatal(err)
	}
	svc := url + "/.notifications/WebhookChannel2023/"
	for _, want := range []string{
		"<http://www.w3.org/ns/solid/notifications#subscription> <" + svc + ">",
		"<" + svc + "> <http://www.w3.org/ns/solid/notifications#channelType> <http://www.w3.org/ns/solid/notifications#WebhookChannel2023>",
	} {
		if !strings.Contains(sd, want) {
			t.Fatalf("storage description without %s:\n%s", want, sd)
		}
	}
	body := `{"@context":["https://www.w3.org/ns/solid/notification/v1"],"type":"notify:WebhookChannel2023","topic":"` + url + path + `","sendTo":"` + sendTo + `"}`
	resp, err := http.Post(svc, "application/ld+json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var desc struct {
		ID     string `json:"id"`
		SendTo string `json:"sendTo"`
	}
	err = json.NewDecoder(resp.Body).Decode(&desc)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || desc.SendTo != sendTo {
		t.Fatalf("subscribe: %d %v %+v", resp.StatusCode, err, desc)
	}
	return desc.ID
}

func putText(t *testing.T, url, body string, want int) {
	t.Helper()
	req, _ := http.NewRequest("PUT", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("PUT %s = %d, want %d", url, resp.StatusCode, want)
	}
}

// The running server lists its WebhookChannel2023 service in the storage
// description, subscribes through it, and POSTs a write's notification to
// a receiver on an address the operator allowed (--allow-fetch-addr); the
// receiver verifies the delivery's DPoP-bound token against the server's
// own WebID document, discovery and JWKS, as for the reference server
// (issue 12 items 2 and 4).
func TestNotificationsWebhookVerifiedDelivery(t *testing.T) {
	rc := newHookReceiver(t)
	url, _ := startServer(t, func(c *Config) { c.AllowFetch = []netip.AddrPort{rc.addr()} })
	subscribeHook(t, url, "/doc", rc.url())
	putText(t, url+"/doc", "one", http.StatusCreated)
	putText(t, url+"/doc", "two", http.StatusNoContent)
	got := rc.wait(t, 2)
	if got[0]["type"] != "Create" || got[1]["type"] != "Update" || got[0]["object"] != url+"/doc" {
		t.Fatalf("deliveries %v", got)
	}
}

// A webhook delivery survives a restart (issue 12 item 4): one queued
// while the receiver was down, and one for a write committed while the
// server was stopped (read from the durable change-log feed), both arrive
// after the restart, verified and in commit order.
func TestNotificationsWebhookAfterRestart(t *testing.T) {
	rc := newHookReceiver(t)
	rc.down.Store(true)
	cfg := loopbackConfig(t)
	cfg.AllowFetch = []netip.AddrPort{rc.addr()}
	url := "http://" + cfg.Listen
	stop := serveFor(t, cfg, true)
	subscribeHook(t, url, "/doc", rc.url())
	putText(t, url+"/doc", "one", http.StatusCreated)
	for end := time.Now().Add(10 * time.Second); rc.hits.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the receiver was never tried")
		}
	}
	stop()

	// A write while the server is not serving: committed to the store
	// and its change log only (no worker runs).
	log, _ := NewLogger(io.Discard, "json", "info")
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("PUT", url+"/doc", strings.NewReader("two"))
	req.Header.Set("Content-Type", "text/plain")
	w := httptest.NewRecorder()
	s.http.Handler.ServeHTTP(w, req)
	closeServer(s)
	if w.Code != http.StatusNoContent {
		t.Fatalf("PUT while stopped = %d: %s", w.Code, w.Body)
	}

	rc.down.Store(false)
	stop = serveFor(t, cfg, false)
	defer stop()
	got := rc.wait(t, 2)
	if got[0]["type"] != "Create" || got[1]["type"] != "Update" {
		t.Fatalf("after the restart got %v, want the Create then the Update", got)
	}
}

// A Solid resource server accepts a delivery as it accepts any request:
// the receiver here is our own Solid-OIDC verifier (auth.Authenticator,
// written to the Solid-OIDC spec, not for this server), which finds the
// issuer from the sender's WebID, verifies the token with the issuer's
// JWKS and the DPoP proof for this URL, and names the sender's WebID.
func TestNotificationsWebhookVerifiedBySolidResourceServer(t *testing.T) {
	rc := newHookReceiver(t)
	var url string
	var once sync.Once
	var authn *auth.Authenticator
	rc.verify = func(r *http.Request, _ string) error {
		once.Do(func() {
			server := netip.MustParseAddrPort(strings.TrimPrefix(url, "http://"))
			authn = auth.NewAuthenticator(auth.AuthOptions{BaseURL: rc.srv.URL,
				Client: safehttp.New(safehttp.Options{AllowAddrPorts: []netip.AddrPort{server}})})
		})
		ag, err := authn.Authenticate(r.Context(), r)
		if err != nil {
			return err
		}
		if want := url + "/.notifications/WebhookChannel2023/webId"; ag.WebID != want {
			return fmt.Errorf("delivery from %q, want %q", ag.WebID, want)
		}
		return nil
	}
	url, _ = startServer(t, func(c *Config) { c.AllowFetch = []netip.AddrPort{rc.addr()} })
	subscribeHook(t, url, "/doc", rc.url())
	putText(t, url+"/doc", "one", http.StatusCreated)
	if got := rc.wait(t, 1); got[0]["type"] != "Create" {
		t.Fatalf("delivery %v", got)
	}
}
