package conformance

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/naamio/naamio/internal/testissuer"
)

// WebhookChannel2023 (solid.github.io/notifications/webhook-channel-2023)
// black-box: a server of its own whose --allow-fetch-addr names, beside
// the test issuer, a webhook receiver on 127.0.0.1 that verifies every
// delivery as a receiver written for the reference server does
// (verifyDelivery), trusting nothing but documents it fetches.

// delivery is one POST the receiver got.
type delivery struct {
	n      note // kind is always websocket.MessageText: the body
	header http.Header
	status int   // what the receiver answered
	verr   error // why the delivery did not verify (nil: it did)
	token  string
	proof  string
	sendTo string
}

// hookSink is one sendTo URL of the receiver.
type hookSink struct {
	url string
	// status answers the n-th delivery (0-based); nil: 200.
	status func(n int) int
	mu     sync.Mutex
	got    []delivery
	ch     chan delivery
}

// hookReceiver is the webhook receiver: one listener on 127.0.0.1, a sink
// per path.
type hookReceiver struct {
	ln    net.Listener
	srv   *http.Server
	seq   atomic.Int64
	mu    sync.Mutex
	sinks map[string]*hookSink
}

func newHookReceiver(t *testing.T) *hookReceiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc := &hookReceiver{ln: ln, sinks: map[string]*hookSink{}}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = rc.srv.Serve(ln) }()
	t.Cleanup(func() { _ = rc.srv.Close() })
	return rc
}

func (rc *hookReceiver) addrPort() string { return rc.ln.Addr().String() }

// sink makes a new sendTo URL on the receiver.
func (rc *hookReceiver) sink(status func(n int) int) *hookSink {
	p := "/hook/" + strconv.FormatInt(rc.seq.Add(1), 10)
	s := &hookSink{url: "http://" + rc.addrPort() + p, status: status, ch: make(chan delivery, 256)}
	rc.mu.Lock()
	rc.sinks[p] = s
	rc.mu.Unlock()
	return s
}

func (rc *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	s := rc.sinks[r.URL.Path]
	rc.mu.Unlock()
	if s == nil {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	d := delivery{n: note{kind: websocket.MessageText, raw: body}, header: r.Header.Clone(), sendTo: s.url}
	d.token, _ = strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
	d.proof = r.Header.Get("DPoP")
	d.verr = verifyDelivery(r.Method, r.Header, s.url)
	if err := json.Unmarshal(body, &d.n.m); err != nil && d.verr == nil {
		d.verr = fmt.Errorf("body is not a JSON object: %v: %q", err, body)
	}
	s.mu.Lock()
	d.status = http.StatusOK
	if s.status != nil {
		d.status = s.status(len(s.got))
	}
	s.got = append(s.got, d)
	s.mu.Unlock()
	select {
	case s.ch <- d:
	default: // a sink nobody reads never holds up the server's senders
	}
	w.WriteHeader(d.status)
}

// next returns the next delivery within d.
func (s *hookSink) next(d time.Duration) (delivery, bool) {
	select {
	case x := <-s.ch:
		return x, true
	case <-time.After(d):
		return delivery{}, false
	}
}

// wait reads deliveries until one of typ about object; every delivery
// must verify.
func (s *hookSink) wait(t testing.TB, typ, object string) delivery {
	t.Helper()
	deadline := time.Now().Add(noteWait)
	var seen []string
	for time.Now().Before(deadline) {
		d, ok := s.next(time.Until(deadline))
		if !ok {
			break
		}
		if d.verr != nil {
			t.Errorf("delivery did not verify: %v", d.verr)
		}
		if d.n.str("type") == typ && d.n.str("object") == object {
			return d
		}
		seen = append(seen, string(d.n.raw))
	}
	t.Fatalf("no %s of %s delivered within %v; got %v", typ, object, noteWait, seen)
	return delivery{}
}

// verifyDelivery checks a delivery as a receiver written for the
// reference server does: an `Authorization: DPoP` token and a DPoP proof;
// the token's webid is a WebID document whose solid:oidcIssuer is the
// token's iss; the issuer's discovery document names its JWKS, which
// verifies the token (audience "solid", not expired); the proof is signed
// by the key in its header, whose RFC 7638 thumbprint is the token's
// cnf.jkt, and is for a POST to sendTo, made now, bound to the token
// (ath) when it says so.
func verifyDelivery(method string, h http.Header, sendTo string) error {
	tok, ok := strings.CutPrefix(h.Get("Authorization"), "DPoP ")
	if !ok || tok == "" {
		return fmt.Errorf("no DPoP token: Authorization %q", h.Get("Authorization"))
	}
	if method != http.MethodPost {
		return fmt.Errorf("method %s", method)
	}
	if ct := strings.TrimSpace(strings.Split(h.Get("Content-Type"), ";")[0]); ct != ctJSONLD {
		return fmt.Errorf("Content-Type %q", h.Get("Content-Type"))
	}
	unverified, err := jwt.ParseInsecure([]byte(tok))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	webID, _ := unverified.PrivateClaims()["webid"].(string)
	iss := unverified.Issuer()
	if webID == "" || iss == "" {
		return fmt.Errorf("token without webid or iss")
	}
	// The WebID names the issuer.
	profile, err := fetchDoc(webID, ctTurtle)
	if err != nil {
		return err
	}
	g, err := parseTurtle(profile, webID)
	if err != nil {
		return fmt.Errorf("WebID %s: %w", webID, err)
	}
	if !g.has(iri(webID), iri(solidNS+"oidcIssuer"), iri(iss)) {
		return fmt.Errorf("WebID %s does not name the issuer %s:\n%s", webID, iss, profile)
	}
	// The issuer's discovery document and JWKS.
	disc, err := fetchDoc(strings.TrimSuffix(iss, "/")+"/.well-known/openid-configuration", "application/json")
	if err != nil {
		return err
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(disc, &meta); err != nil || meta.Issuer != iss || meta.JWKSURI == "" {
		return fmt.Errorf("discovery of %s: %v %s", iss, err, disc)
	}
	keys, err := fetchDoc(meta.JWKSURI, "application/json")
	if err != nil {
		return err
	}
	set, err := jwk.Parse(keys)
	if err != nil {
		return fmt.Errorf("JWKS: %w", err)
	}
	token, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set, jws.WithInferAlgorithmFromKey(true)),
		jwt.WithIssuer(iss), jwt.WithAudience("solid"), jwt.WithValidate(true),
		jwt.WithAcceptableSkew(time.Minute))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	cnf, _ := token.PrivateClaims()["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	if jkt == "" {
		return errors.New("token without cnf.jkt")
	}
	// The proof: signed by its header's key, which cnf.jkt names.
	proof := h.Get("DPoP")
	msg, err := jws.Parse([]byte(proof))
	if err != nil || len(msg.Signatures()) != 1 {
		return fmt.Errorf("proof: %v", err)
	}
	hdr := msg.Signatures()[0].ProtectedHeaders()
	if hdr.Type() != "dpop+jwt" || hdr.JWK() == nil {
		return fmt.Errorf("proof header typ %q, jwk %v", hdr.Type(), hdr.JWK() != nil)
	}
	if _, isPrivate := hdr.JWK().(interface{ D() []byte }); isPrivate {
		return errors.New("proof header carries a private key")
	}
	tp, err := hdr.JWK().Thumbprint(crypto.SHA256)
	if err != nil || base64.RawURLEncoding.EncodeToString(tp) != jkt {
		return fmt.Errorf("proof key is not the token's cnf.jkt %q", jkt)
	}
	payload, err := jws.Verify([]byte(proof), jws.WithKey(hdr.Algorithm(), hdr.JWK()))
	if err != nil {
		return fmt.Errorf("proof signature: %w", err)
	}
	var claims struct {
		HTU string `json:"htu"`
		HTM string `json:"htm"`
		IAT int64  `json:"iat"`
		JTI string `json:"jti"`
		ATH string `json:"ath"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return fmt.Errorf("proof claims: %w", err)
	}
	if claims.HTU != sendTo || claims.HTM != http.MethodPost {
		return fmt.Errorf("proof for %s %s, delivered as POST to %s", claims.HTM, claims.HTU, sendTo)
	}
	if claims.JTI == "" || time.Since(time.Unix(claims.IAT, 0)).Abs() > time.Minute {
		return fmt.Errorf("proof jti %q iat %d", claims.JTI, claims.IAT)
	}
	if claims.ATH != "" {
		sum := sha256.Sum256([]byte(tok))
		if claims.ATH != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return errors.New("proof ath is not the token's hash")
		}
	}
	return nil
}

// fetchDoc GETs u anonymously (a receiver has no credentials).
func fetchDoc(u, accept string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	return b, err
}

// hookRequest is a WebhookChannel2023 request for topic to sendTo.
func hookRequest(topic, sendTo string) []byte {
	return channelRequestWith(webhookChannelType, topic, map[string]any{"sendTo": sendTo})
}

func TestNotificationsWebhook(t *testing.T) {
	rc := newHookReceiver(t)
	// A loopback listener the server is not allowed to contact.
	internal := newCountingListener(t)
	hs := startLimited(t, "--allow-fetch-addr", issuer.AddrPort()+","+rc.addrPort())

	// subscribe POSTs a channel request for p to sendTo as the owner.
	subscribe := func(t *testing.T, p, sendTo string) *reply {
		t.Helper()
		return hs.do(t, http.MethodPost, mustService(t, hs, webhookChannelType), hookRequest(hs.url(p), sendTo),
			"Content-Type", ctJSONLD, "Accept", ctJSONLD)
	}
	// subscribed subscribes and returns the channel description.
	subscribed := func(t *testing.T, p, sendTo string) map[string]any {
		t.Helper()
		r := subscribe(t, p, sendTo)
		mustStatus(t, r, http.StatusOK)
		var d map[string]any
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatalf("channel description: %v: %s", err, r.body)
		}
		return d
	}

	requirement(t, "resource-server-description-resource-response", func(t *testing.T) {
		svc := mustService(t, hs, webhookChannelType)
		r := hs.do(t, http.MethodHead, "/", nil)
		target := linkTargets(r, relStorageDescription)[0]
		for _, accept := range []string{ctJSONLD, ctTurtle} {
			rep := hs.do(t, http.MethodGet, target, nil, "Accept", accept)
			mustStatus(t, rep, http.StatusOK)
			g, err := parseAs(rep)
			if err != nil {
				t.Fatalf("%s: %v", accept, err)
			}
			if len(g.match(term{}, iri(notifyNS+"subscription"), iri(svc))) == 0 {
				t.Errorf("%s: no notify:subscription <%s>:\n%s", accept, svc, g)
			}
			if !g.has(iri(svc), iri(notifyNS+"channelType"), iri(webhookChannelType)) {
				t.Errorf("%s: <%s> has no notify:channelType notify:WebhookChannel2023:\n%s", accept, svc, g)
			}
			for _, f := range []string{"accept", "endAt", "rate", "startAt", "state"} {
				if !g.has(iri(svc), iri(notifyNS+"feature"), iri(notifyNS+f)) {
					t.Errorf("%s: <%s> does not list notify:%s", accept, svc, f)
				}
			}
		}
	})

	requirement(t, "subscription-server-subscription-request-methods", func(t *testing.T) {
		checkServiceMethods(t, hs, mustService(t, hs, webhookChannelType))
		dir := fresh(t.Name())
		hs.put(t, dir+"a.txt", "text/plain", []byte("a"))
		expect(t, subscribe(t, dir+"a.txt", rc.sink(nil).url), http.StatusOK)
	})

	requirement(t, "subscription-server-subscription-request-accept", func(t *testing.T) {
		svc := mustService(t, hs, webhookChannelType)
		dir := fresh(t.Name())
		hs.put(t, dir+"a.txt", "text/plain", []byte("a"))
		for _, accept := range []string{ctJSONLD, "application/ld+json;q=1.0, */*;q=0.1", `application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"`} {
			r := hs.do(t, http.MethodPost, svc, hookRequest(hs.url(dir+"a.txt"), rc.sink(nil).url), "Content-Type", ctJSONLD, "Accept", accept)
			if expect(t, r, http.StatusOK) && mediaType(r) != ctJSONLD {
				t.Errorf("POST, Accept %q: Content-Type %q", accept, r.Header.Get("Content-Type"))
			}
			g := hs.do(t, http.MethodGet, svc, nil, "Accept", accept)
			if expect(t, g, http.StatusOK) && mediaType(g) != ctJSONLD {
				t.Errorf("GET, Accept %q: Content-Type %q", accept, g.Header.Get("Content-Type"))
			}
		}
	})

	requirement(t, "subscription-server-subscription-request-content-type", func(t *testing.T) {
		svc := mustService(t, hs, webhookChannelType)
		dir := fresh(t.Name())
		hs.put(t, dir+"a.txt", "text/plain", []byte("a"))
		body := hookRequest(hs.url(dir+"a.txt"), rc.sink(nil).url)
		for _, ct := range []string{ctJSONLD, "application/ld+json; charset=utf-8", `application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"`, "Application/LD+JSON"} {
			expect(t, hs.do(t, http.MethodPost, svc, body, "Content-Type", ct), http.StatusOK)
		}
		for _, ct := range []string{ctTurtle, "text/plain", "application/x-www-form-urlencoded"} {
			expect(t, hs.do(t, http.MethodPost, svc, body, "Content-Type", ct), http.StatusUnsupportedMediaType)
		}
		expect(t, hs.do(t, http.MethodPost, svc, body), http.StatusUnsupportedMediaType)
	})

	requirement(t, "subscription-server-subscription-request-profile-unrecognised", func(t *testing.T) {
		svc := mustService(t, hs, webhookChannelType)
		dir := fresh(t.Name())
		hs.put(t, dir+"a.txt", "text/plain", []byte("a"))
		body := hookRequest(hs.url(dir+"a.txt"), rc.sink(nil).url)
		for _, ct := range []string{
			`application/ld+json;profile="https://example.org/unknown-profile"`,
			`application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"`,
		} {
			expect(t, hs.do(t, http.MethodPost, svc, body, "Content-Type", ct), http.StatusUnsupportedMediaType)
		}
	})

	requirement(t, "subscription-server-subscription-request-unprocessable-entity", func(t *testing.T) {
		svc := mustService(t, hs, webhookChannelType)
		dir := fresh(t.Name())
		hs.put(t, dir+"a.txt", "text/plain", []byte("a"))
		topic := hs.url(dir + "a.txt")
		sendTo := rc.sink(nil).url
		v1 := `"@context":["` + ctxNotifyV1 + `"]`
		for name, body := range map[string]string{
			"unrecognised context":    `{"@context":["https://example.org/unknown-context"],"type":"notify:WebhookChannel2023","topic":"` + topic + `","sendTo":"` + sendTo + `"}`,
			"no context":              `{"type":"notify:WebhookChannel2023","topic":"` + topic + `","sendTo":"` + sendTo + `"}`,
			"no topic":                `{` + v1 + `,"type":"notify:WebhookChannel2023","sendTo":"` + sendTo + `"}`,
			"topic on another server": `{` + v1 + `,"type":"notify:WebhookChannel2023","topic":"https://elsewhere.example/x","sendTo":"` + sendTo + `"}`,
			"no sendTo":               `{` + v1 + `,"type":"notify:WebhookChannel2023","topic":"` + topic + `"}`,
			"sendTo not a string":     `{` + v1 + `,"type":"notify:WebhookChannel2023","topic":"` + topic + `","sendTo":42}`,
			"sendTo relative":         `{` + v1 + `,"type":"notify:WebhookChannel2023","topic":"` + topic + `","sendTo":"/hook/1"}`,
			"sendTo not http(s)":      `{` + v1 + `,"type":"notify:WebhookChannel2023","topic":"` + topic + `","sendTo":"ftp://example.org/x"}`,
		} {
			if r := hs.do(t, http.MethodPost, svc, []byte(body), "Content-Type", ctJSONLD); r.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: want 422, got %s", name, r)
			}
		}
	})

	requirement(t, "subscription-server-subscription-response", func(t *testing.T) {
		svc := mustService(t, hs, webhookChannelType)
		dir := fresh(t.Name())
		hs.put(t, dir+"a.txt", "text/plain", []byte("a"))
		topic := hs.url(dir + "a.txt")
		sink := rc.sink(nil)
		r := subscribe(t, dir+"a.txt", sink.url)
		mustStatus(t, r, http.StatusOK)
		if mediaType(r) != ctJSONLD {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		var d map[string]any
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		if !hasString(contexts(d["@context"]), ctxNotifyV1) {
			t.Errorf("@context %v lacks %s", d["@context"], ctxNotifyV1)
		}
		id, _ := d["id"].(string)
		if u, err := url.Parse(id); err != nil || !u.IsAbs() || !strings.HasPrefix(id, svc) {
			t.Errorf("channel id %q is not an absolute IRI under the service %s", id, svc)
		}
		if typ, _ := d["type"].(string); typ != webhookChannelType && typ != "notify:WebhookChannel2023" && typ != "WebhookChannel2023" {
			t.Errorf("type %q is not WebhookChannel2023", typ)
		}
		if d["topic"] != topic {
			t.Errorf("topic %v, want %s", d["topic"], topic)
		}
		// WebhookChannel2023: sendTo is the receiver's URL as asked.
		if d["sendTo"] != sink.url {
			t.Errorf("sendTo %v, want %s", d["sendTo"], sink.url)
		}
		if end, ok := d["endAt"].(string); ok {
			if _, err := time.Parse(time.RFC3339, end); err != nil {
				t.Errorf("endAt %q: %v", end, err)
			}
		}
		d2 := subscribed(t, dir+"a.txt", sink.url)
		if d2["id"] == d["id"] {
			t.Errorf("a second subscription got the same channel: %v", d2)
		}
		// Unsubscribing: DELETE of the channel, after which it is gone
		// and its receiver gets nothing more, while the other channel on
		// the same receiver does.
		expect(t, hs.doAs(t, nil, http.MethodDelete, id, nil), http.StatusResetContent, http.StatusNoContent, http.StatusOK)
		expect(t, hs.doAs(t, nil, http.MethodDelete, id, nil), http.StatusNotFound)
		hs.put(t, dir+"a.txt", "text/plain", []byte("b"))
		sink.wait(t, "Update", topic)
		if x, ok := sink.next(quietWait); ok {
			t.Errorf("a deleted channel's notification was delivered: %s", x.n.raw)
		}
	})

	requirement(t, "notification-sender-notification-message-data-model", func(t *testing.T) {
		dir := fresh(t.Name())
		hs.put(t, dir, ctTurtle, nil)
		doc := dir + "doc.ttl"
		ds, cs := rc.sink(nil), rc.sink(nil)
		subscribed(t, doc, ds.url)
		subscribed(t, dir, cs.url)
		ids := map[string]bool{}
		check := func(d delivery) delivery {
			t.Helper()
			if ct := d.header.Get("Content-Type"); !strings.HasPrefix(ct, ctJSONLD) {
				t.Errorf("delivery Content-Type %q", ct)
			}
			checkNoteModel(t, d.n, ids)
			return d
		}
		hs.put(t, doc, ctTurtle, []byte(`<#s> <#p> "1" .`))
		create := check(ds.wait(t, "Create", hs.url(doc)))
		if add := check(cs.wait(t, "Add", hs.url(doc))); add.n.str("target") != hs.url(dir) {
			t.Errorf("Add target %q, want %s", add.n.str("target"), hs.url(dir))
		}
		hs.put(t, doc, ctTurtle, []byte(`<#s> <#p> "2" .`))
		if update := check(ds.wait(t, "Update", hs.url(doc))); update.n.str("state") == create.n.str("state") {
			t.Errorf("Update has the state of the Create: %q", update.n.str("state"))
		}
		mustStatus(t, hs.do(t, http.MethodDelete, doc, nil), deleted...)
		check(ds.wait(t, "Delete", hs.url(doc)))
		if remove := check(cs.wait(t, "Remove", hs.url(doc))); remove.n.str("target") != hs.url(dir) {
			t.Errorf("Remove target %q, want %s", remove.n.str("target"), hs.url(dir))
		}
	})

	requirement(t, "notification-receiver-notification-message-data-model", func(t *testing.T) {
		dir := fresh(t.Name())
		doc := dir + "doc.ttl"
		hs.put(t, doc, ctTurtle, []byte(`<#s> <#p> "1" .`))
		s := rc.sink(nil)
		subscribed(t, doc, s.url)
		hs.put(t, doc, ctTurtle, []byte(`<#s> <#p> "2" .`))
		d := s.wait(t, "Update", hs.url(doc))
		if got, want := bareTag(d.n.str("state")), etagOf(t, hs, d.n.str("object")); got != want {
			t.Errorf("state %q does not match the ETag %q of a GET of the object", got, want)
		}
		mustStatus(t, hs.do(t, http.MethodDelete, doc, nil), deleted...)
		d = s.wait(t, "Delete", hs.url(doc))
		expect(t, hs.do(t, http.MethodGet, d.n.str("object"), nil), http.StatusNotFound)
	})

	// How a delivery authenticates (the reference server's way, so its
	// receivers work unchanged): every delivery above already verified;
	// here the verifier is shown to catch what it must (it is not
	// vacuous), and the subscription response names the sender's WebID.
	requirement(t, "webhook-delivery-dpop-authenticated", func(t *testing.T) {
		dir := fresh(t.Name())
		doc := dir + "a.txt"
		hs.put(t, doc, "text/plain", []byte("0"))
		s := rc.sink(nil)
		desc := subscribed(t, doc, s.url)
		hs.put(t, doc, "text/plain", []byte("1"))
		d := s.wait(t, "Update", hs.url(doc))
		if d.verr != nil {
			t.Fatalf("delivery did not verify: %v", d.verr)
		}
		claims, err := jwt.ParseInsecure([]byte(d.token))
		if err != nil {
			t.Fatal(err)
		}
		webID, _ := claims.PrivateClaims()["webid"].(string)
		if sender, ok := desc["sender"].(string); ok && sender != webID {
			t.Errorf("channel sender %q, token webid %q", sender, webID)
		}
		if !strings.HasPrefix(webID, hs.base) {
			t.Errorf("token webid %q is not on the server %s", webID, hs.base)
		}
		post := http.Header{"Content-Type": {ctJSONLD}}
		with := func(tok, proof string) http.Header {
			h := post.Clone()
			h.Set("Authorization", "DPoP "+tok)
			h.Set("DPoP", proof)
			return h
		}
		if err := verifyDelivery(http.MethodPost, with(d.token, d.proof), d.sendTo); err != nil {
			t.Fatalf("verifier refuses the delivery it accepted: %v", err)
		}
		flip := func(jws string) string {
			i := strings.LastIndexByte(jws, '.') + 5
			b := []byte(jws)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return string(b)
		}
		for name, h := range map[string]http.Header{
			"token signature changed": with(flip(d.token), d.proof),
			"proof signature changed": with(d.token, flip(d.proof)),
			"no proof":                with(d.token, ""),
			"no token":                {"Content-Type": {ctJSONLD}, "DPoP": {d.proof}},
		} {
			if err := verifyDelivery(http.MethodPost, h, d.sendTo); err == nil {
				t.Errorf("%s: verified", name)
			}
		}
		if err := verifyDelivery(http.MethodPost, with(d.token, d.proof), d.sendTo+"x"); err == nil {
			t.Errorf("a proof for another URL verified")
		}
		if err := verifyDelivery(http.MethodPut, with(d.token, d.proof), d.sendTo); err == nil {
			t.Errorf("a PUT verified")
		}
	})

	// The deliveries come from a durable queue: a notification whose
	// receiver was failing when the server stopped is delivered by the next
	// process (and verifies: its token is signed by the provider's key, and
	// the proof key is the new process's), before the notifications of
	// changes made after the restart.
	requirement(t, "webhook-delivery-after-restart", func(t *testing.T) {
		flags := []string{"--allow-fetch-addr", issuer.AddrPort() + "," + rc.addrPort()}
		s, err := startServer(naamioBin, filepath.Join(t.TempDir(), "data"), flags...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.stop(); err != nil {
				t.Errorf("stop: %v\n%s", err, s.logTail())
			}
		})
		var down atomic.Bool
		down.Store(true)
		sink := rc.sink(func(int) int {
			if down.Load() {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		doc := "/hooked/a.txt"
		s.put(t, doc, "text/plain", []byte("0"))
		r := s.do(t, http.MethodPost, mustService(t, s, webhookChannelType), hookRequest(s.url(doc), sink.url), "Content-Type", ctJSONLD)
		mustStatus(t, r, http.StatusOK)
		s.put(t, doc, "text/plain", []byte("1"))
		before := etagOf(t, s, doc)
		// The receiver has refused it once: it is queued.
		if d, ok := sink.next(noteWait); !ok || d.status != http.StatusServiceUnavailable {
			t.Fatalf("no failed delivery before the restart (%v, %d)", ok, d.status)
		}
		if err := s.stop(); err != nil {
			t.Fatalf("stop: %v\n%s", err, s.logTail())
		}
		down.Store(false)
		s2, err := restartServer(s, flags...)
		if err != nil {
			t.Fatal(err)
		}
		s = s2
		// Delivered by the new process without a further change.
		accepted := func(want string) {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				d, ok := sink.next(time.Until(deadline))
				if !ok {
					break
				}
				if d.verr != nil {
					t.Errorf("delivery after the restart did not verify: %v", d.verr)
				}
				if d.status != http.StatusOK {
					continue
				}
				got := bareTag(d.n.str("state"))
				if got == want {
					return
				}
				if got != before {
					// At least once: the queued one again is allowed,
					// anything else is out of order.
					t.Errorf("accepted after the restart: state %q, want %q", got, want)
				}
			}
			t.Fatalf("no delivery of state %q within 30 s of the restart", want)
		}
		accepted(before)
		s.put(t, doc, "text/plain", []byte("2"))
		accepted(etagOf(t, s, doc))
	})

	// SECURITY row 63 for webhooks: subscribing needs Read on the topic
	// (anonymous 401 with the DPoP challenge, bob 403), the same answer
	// for an existing and a missing topic; alice, who may read, subscribes.
	requirement(t, "security-row-63-webhook-subscribe-needs-read", func(t *testing.T) {
		a, b := agents(t)
		dir := fresh(t.Name())
		doc, missing := dir+"doc.ttl", dir+"nix.ttl"
		hs.put(t, dir, ctTurtle, nil)
		hs.put(t, doc, ctTurtle, []byte(`<#s> <#p> "v" .`))
		dirACL := linkTargets(hs.do(t, http.MethodHead, dir, nil), "acl")
		if len(dirACL) != 1 {
			t.Fatalf("acl links of %s: %v", dir, dirACL)
		}
		hs.put(t, dirACL[0], ctTurtle, aclTurtle(
			grant{subject: agentSubject(owner), modes: "RWAC", accessTo: hs.url(dir), deflt: hs.url(dir)},
			grant{subject: agentSubject(a), modes: "R", accessTo: hs.url(dir), deflt: hs.url(dir)}))
		svc := mustService(t, hs, webhookChannelType)
		sendTo := rc.sink(nil).url
		as := func(who *testissuer.Agent, p string) *reply {
			return hs.doAs(t, who, http.MethodPost, svc, hookRequest(hs.url(p), sendTo), "Content-Type", ctJSONLD)
		}
		for _, c := range []struct {
			agent *testissuer.Agent
			who   string
			want  int
		}{{nil, "anonymous", http.StatusUnauthorized}, {b, "bob", http.StatusForbidden}} {
			have, miss := as(c.agent, doc), as(c.agent, missing)
			if !expect(t, have, c.want) || !expect(t, miss, c.want) {
				continue
			}
			if c.want == http.StatusUnauthorized {
				want401(t, have)
			}
			if got, want := strings.ReplaceAll(string(miss.body), "nix.ttl", "doc.ttl"), string(have.body); got != want {
				t.Errorf("%s: bodies differ for existing and missing: %q vs %q", c.who, want, got)
			}
		}
		expect(t, as(a, doc), http.StatusOK)
		expect(t, as(a, missing), http.StatusOK)
	})

	// SECURITY row 64: a sendTo on an internal address is refused (422),
	// or, for a name the server cannot judge without resolving it, never
	// contacted; the receiver the operator allowed is.
	requirement(t, "security-row-64-internal-send-to", func(t *testing.T) {
		dir := fresh(t.Name())
		doc := dir + "a.txt"
		hs.put(t, doc, "text/plain", []byte("0"))
		port := internal.ln.Addr().(*net.TCPAddr).Port
		for _, u := range []string{
			internal.url() + "/hook",
			fmt.Sprintf("https://127.0.0.1:%d/hook", port),
			fmt.Sprintf("http://[::1]:%d/hook", port),
			fmt.Sprintf("https://[::ffff:127.0.0.1]:%d/hook", port),
			fmt.Sprintf("http://localhost:%d/hook", port),
			"http://10.0.0.1/hook",
			"https://10.0.0.1/hook",
			"https://169.254.169.254/latest/meta-data/",
			"https://[fd00::1]/hook",
			"https://0.0.0.0/hook",
			"http://example.org/hook", // not https
		} {
			if r := subscribe(t, doc, u); r.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("sendTo %s: want 422, got %s", u, r)
			}
		}
		// A name resolving to loopback passes the request check (no
		// lookup there) and is refused when the delivery is dialled.
		named := fmt.Sprintf("https://localhost:%d/hook", port)
		nr := subscribe(t, doc, named)
		expect(t, nr, http.StatusOK, http.StatusUnprocessableEntity)
		ok := rc.sink(nil)
		subscribed(t, doc, ok.url)
		hs.put(t, doc, "text/plain", []byte("1"))
		ok.wait(t, "Update", hs.url(doc))
		time.Sleep(quietWait)
		if n := internal.count(); n != 0 {
			t.Errorf("the internal listener was contacted %d times", n)
		}
	})

	// SECURITY row 64: a receiver that fails is retried, with the same
	// notification, and the channel's later notifications wait their
	// turn: the receiver gets them in order once it answers.
	requirement(t, "security-row-64-receiver-fails-then-recovers", func(t *testing.T) {
		dir := fresh(t.Name())
		doc := dir + "a.txt"
		hs.put(t, doc, "text/plain", []byte("0"))
		fails := 2
		s := rc.sink(func(n int) int {
			if n < fails {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		subscribed(t, doc, s.url)
		var states []string
		for i := 1; i <= 3; i++ {
			hs.put(t, doc, "text/plain", []byte(strconv.Itoa(i)))
			states = append(states, etagOf(t, hs, doc))
		}
		var got []delivery
		deadline := time.Now().Add(30 * time.Second)
		for len(got) < fails+len(states) && time.Now().Before(deadline) {
			if d, ok := s.next(time.Until(deadline)); ok {
				got = append(got, d)
			}
		}
		if len(got) < fails+len(states) {
			t.Fatalf("%d deliveries within 30 s, want %d (%d failures and %d notifications)", len(got), fails+len(states), fails, len(states))
		}
		for _, d := range got {
			if d.verr != nil {
				t.Errorf("delivery did not verify: %v", d.verr)
			}
		}
		// The failed deliveries were the first notification, tried again.
		for i := 0; i < fails; i++ {
			if got[i].status != http.StatusInternalServerError || got[i].n.str("id") != got[fails].n.str("id") {
				t.Errorf("attempt %d: %d %s; want 500 with the notification later accepted, %s", i, got[i].status, got[i].n.raw, got[fails].n.raw)
			}
		}
		for i, want := range states {
			d := got[fails+i]
			if d.n.str("type") != "Update" || bareTag(d.n.str("state")) != want {
				t.Errorf("accepted delivery %d: %s, want the Update with state %q (in write order)", i, d.n.raw, want)
			}
		}
		if x, ok := s.next(quietWait); ok {
			t.Errorf("an accepted notification was delivered again: %s", x.n.raw)
		}
	})
}
