package federation

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func webfinger(f *fixture, resource string) *http.Response {
	f.t.Helper()
	return f.get(WebFingerPath+"?resource="+url.QueryEscape(resource), "")
}

// RFC 7033 §4: a pod's handle, actor IRI or WebID gives the JRD that
// names the actor (rel self, AS2) and the WebID.
func TestWebFinger(t *testing.T) {
	f := newFixture(t)
	p := f.addPod("alice", "")
	actor := f.srv.URL + "/.ap/actors/alice"
	host := strings.TrimPrefix(f.srv.URL, "http://")
	for _, res := range []string{
		"acct:alice@" + host,
		"acct:ALICE@" + strings.ToUpper(host), // user and host are case-insensitive
		"ACCT:alice@" + host,
		"alice@" + host,        // no acct: scheme, as Mastodon also accepts
		"acct:%61lice@" + host, // RFC 7565: the user part may be percent-encoded
		actor,
		p.WebID,
		strings.TrimSuffix(p.WebID, "#me"),
	} {
		resp := webfinger(f, res)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != MediaJRD {
			t.Errorf("%s: %d %s", res, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: no Access-Control-Allow-Origin: * (RFC 7033 §5)", res)
		}
		var d jrd
		if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
			t.Fatal(err)
		}
		if d.Subject != "acct:alice@"+host {
			t.Errorf("%s: subject %q", res, d.Subject)
		}
		if len(d.Aliases) != 2 || d.Aliases[0] != actor || d.Aliases[1] != p.WebID {
			t.Errorf("%s: aliases %v", res, d.Aliases)
		}
		self := jrdLink{Rel: "self", Type: MediaActivityJSON, Href: actor}
		page := jrdLink{Rel: relProfilePage, Href: p.WebID}
		if len(d.Links) != 2 || d.Links[0] != self || d.Links[1] != page {
			t.Errorf("%s: links %+v", res, d.Links)
		}
	}
	// §4.3: rel selects links.
	resp := f.get(WebFingerPath+"?resource=acct:alice@"+host+"&rel=self", "")
	var d jrd
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || len(d.Links) != 1 || d.Links[0].Rel != "self" {
		t.Errorf("rel=self: %+v (%v)", d.Links, err)
	}
}

// Bad input: RFC 7033 §4.2 (400 for a missing or malformed resource, 404
// for one that is not here), and the host must be ours.
func TestWebFingerBadResource(t *testing.T) {
	f := newFixture(t)
	p := f.addPod("alice", "")
	host := strings.TrimPrefix(f.srv.URL, "http://")
	hostname, port, _ := strings.Cut(host, ":")
	for _, c := range []struct {
		name, query string
		want        int
	}{
		{"missing", "", 400},
		{"empty", "resource=", 400},
		{"twice", "resource=acct:alice@" + host + "&resource=acct:alice@" + host, 400},
		{"huge", "resource=acct:" + strings.Repeat("a", 5000) + "@" + host, 400},
		{"bad query", "resource=%zz", 400},
		{"no scheme, no @", "resource=" + host, 400},
		{"bad scheme", "resource=" + url.QueryEscape("a_b:alice@"+host), 400},
		{"acct without @", "resource=acct:alice", 400},
		{"acct with empty user", "resource=acct:@" + host, 400},
		{"acct with empty host", "resource=acct:alice@", 400},
		{"acct with two @", "resource=acct:%40alice@" + host, 400},
		{"space", "resource=" + url.QueryEscape("acct:al ice@"+host), 400},
		{"raw unicode", "resource=" + url.QueryEscape("acct:älice@"+host), 400},
		{"bad percent escape", "resource=" + url.QueryEscape("acct:%zzalice@"+host), 400},
		{"wrong host", "resource=acct:alice@evil.example", 404},
		{"other port", "resource=acct:alice@" + hostname + ":1", 404},
		{"no port", "resource=acct:alice@" + hostname, 404},
		{"port " + port + " elsewhere", "resource=acct:alice@localhost:" + port, 404},
		{"unknown pod", "resource=acct:bob@" + host, 404},
		{"pod name with dots", "resource=acct:al.ice@" + host, 404},
		{"percent-encoded unicode", "resource=" + url.QueryEscape("acct:%C3%A4lice@"+host), 404},
		{"other scheme", "resource=mailto:alice@" + host, 404},
		{"key id", "resource=" + url.QueryEscape(f.srv.URL+"/.ap/actors/alice#main-key"), 404},
		{"outbox", "resource=" + url.QueryEscape(f.srv.URL+"/.ap/actors/alice/outbox"), 404},
		{"another resource of the pod", "resource=" + url.QueryEscape(p.Root+"inbox/"), 404},
		{"a WebID of another server", "resource=" + url.QueryEscape("https://evil.example/alice/profile/card#me"), 404},
		{"actor on another host", "resource=" + url.QueryEscape("http://evil.example/.ap/actors/alice"), 404},
	} {
		resp := f.get(WebFingerPath+"?"+c.query, "")
		if resp.StatusCode != c.want {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("%s: %d, want %d (%s)", c.name, resp.StatusCode, c.want, b)
		}
	}
	if resp := f.do(http.MethodPost, f.srv.URL+WebFingerPath+"?resource=acct:alice@"+host, ""); resp.StatusCode != 405 {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

// An https server answers a handle with or without its default port.
func TestWebFingerDefaultPort(t *testing.T) {
	paths := testPaths(t, "https://example.org/")
	s := &Service{cfg: Config{Paths: paths}}
	for host, want := range map[string]bool{
		"example.org": true, "EXAMPLE.org": true, "example.org:443": true,
		"example.org:80": false, "example.org:8443": false, "example.org.": false, "sub.example.org": false,
	} {
		if got := s.ourHost(host); got != want {
			t.Errorf("ourHost(%q) = %v, want %v", host, got, want)
		}
	}
	s.cfg.Paths = testPaths(t, "https://example.org:443/")
	if !s.ourHost("example.org") {
		t.Error("a base URL with :443 does not answer example.org")
	}
}

// The Mastodon round trip: from the actor, WebFinger of
// preferredUsername@<host of the actor id> must give back the same id
// (Mastodon checks this before it trusts a remote account).
func TestMastodonRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.addPod("alice", "")
	// Start, as Mastodon does for a handle, from WebFinger.
	host := strings.TrimPrefix(f.srv.URL, "http://")
	var d jrd
	if err := json.NewDecoder(webfinger(f, "acct:alice@"+host).Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	var self string
	for _, l := range d.Links {
		if l.Rel == "self" && l.Type == MediaActivityJSON {
			self = l.Href
		}
	}
	resp := f.do(http.MethodGet, self, MediaActivityJSON)
	doc := readJSON(t, resp)
	if doc["id"] != self {
		t.Fatalf("actor id %v, fetched from %s", doc["id"], self)
	}
	u, _ := url.Parse(doc["id"].(string))
	var back jrd
	if err := json.NewDecoder(webfinger(f, "acct:"+doc["preferredUsername"].(string)+"@"+u.Host).Body).Decode(&back); err != nil {
		t.Fatal(err)
	}
	if back.Subject != d.Subject || back.Links[0].Href != doc["id"] {
		t.Errorf("round trip: %s → %v → %+v", d.Subject, doc["id"], back)
	}
}

// NodeInfo 2.1 and its well-known link; host-meta in XML and JSON.
func TestNodeInfoAndHostMeta(t *testing.T) {
	f := newFixture(t)
	f.addPod("alice", "")
	f.addPod("bob", "")
	var links struct{ Links []jrdLink }
	if err := json.NewDecoder(f.get(NodeInfoLinkPath, "").Body).Decode(&links); err != nil {
		t.Fatal(err)
	}
	if len(links.Links) != 1 || links.Links[0].Rel != nodeInfoRel || links.Links[0].Href != f.srv.URL+NodeInfoPath {
		t.Fatalf("nodeinfo links %+v", links)
	}
	resp := f.get(NodeInfoPath, "")
	if ct := resp.Header.Get("Content-Type"); ct != mediaNodeInfo21 {
		t.Errorf("NodeInfo type %q", ct)
	}
	ni := readJSON(t, resp)
	sw, _ := ni["software"].(map[string]any)
	usage, _ := ni["usage"].(map[string]any)
	users, _ := usage["users"].(map[string]any)
	if ni["version"] != "2.1" || sw["name"] != "naamio" || sw["version"] != "test" ||
		len(ni["protocols"].([]any)) != 1 || ni["protocols"].([]any)[0] != "activitypub" ||
		ni["openRegistrations"] != true || users["total"] != float64(2) {
		t.Errorf("NodeInfo %v", ni)
	}
	// Counted from the outbox (nothing posted yet), not guessed.
	if users["activeMonth"] != float64(0) || users["activeHalfyear"] != float64(0) || usage["localPosts"] != float64(0) {
		t.Errorf("usage on a server where nobody posted: %v", usage)
	}
	f.svc.cfg.LocalPosts = func() (int, bool) { return 7, true }
	f.svc.cfg.ActiveUsers = func() (int, int, bool) { return 1, 2, true }
	ni = readJSON(t, f.get(NodeInfoPath, ""))
	usage = ni["usage"].(map[string]any)
	if usage["localPosts"] != float64(7) || usage["users"].(map[string]any)["activeMonth"] != float64(1) {
		t.Errorf("usage %v", usage)
	}

	resp = f.get(HostMetaPath, "")
	var xrd struct {
		Links []struct {
			Rel      string `xml:"rel,attr"`
			Template string `xml:"template,attr"`
		} `xml:"Link"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&xrd); err != nil {
		t.Fatal(err)
	}
	tmpl := f.srv.URL + WebFingerPath + "?resource={uri}"
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xrd+xml") ||
		len(xrd.Links) != 1 || xrd.Links[0].Rel != "lrdd" || xrd.Links[0].Template != tmpl {
		t.Errorf("host-meta %s %+v", resp.Header.Get("Content-Type"), xrd)
	}
	var hm struct{ Links []jrdLink }
	if err := json.NewDecoder(f.get(HostMetaJSONPath, "").Body).Decode(&hm); err != nil || len(hm.Links) != 1 || hm.Links[0].Template != tmpl {
		t.Errorf("host-meta.json %+v %v", hm, err)
	}
	// The template, filled in, is a working WebFinger query.
	host := strings.TrimPrefix(f.srv.URL, "http://")
	filled := strings.Replace(tmpl, "{uri}", url.QueryEscape("acct:alice@"+host), 1)
	if r := f.do(http.MethodGet, filled, ""); r.StatusCode != 200 {
		t.Errorf("lrdd template filled: %d", r.StatusCode)
	}
	for _, p := range []string{NodeInfoLinkPath, NodeInfoPath, HostMetaPath, HostMetaJSONPath} {
		if r := f.do(http.MethodPut, f.srv.URL+p, ""); r.StatusCode != 405 {
			t.Errorf("PUT %s: %d", p, r.StatusCode)
		}
	}
	for _, p := range []string{WebFingerPath, NodeInfoPath, HostMetaPath, "/.ap/actors/alice"} {
		if r := f.do(http.MethodOptions, f.srv.URL+p, ""); r.StatusCode != 204 || r.Header.Get("Allow") != "GET, HEAD, OPTIONS" {
			t.Errorf("OPTIONS %s: %d %q", p, r.StatusCode, r.Header.Get("Allow"))
		}
	}
}
