package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	var trusted []netip.Prefix
	if err := (prefixList{&trusted}).Set("127.0.0.1, 10.0.0.0/8,::1"); err != nil {
		t.Fatal(err)
	}
	var seen string
	h := clientAddr(trusted)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr }))
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct client, header ignored", "203.0.113.9:4000", []string{"198.51.100.1"}, "203.0.113.9:4000"},
		{"one trusted proxy", "127.0.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"client-written entries on the left are not believed", "127.0.0.1:5000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1:0"},
		{"chain of trusted proxies", "127.0.0.1:5000", []string{"198.51.100.1, 10.1.2.3", "10.9.9.9"}, "198.51.100.1:0"},
		{"IPv6 peer and client", "[::1]:5000", []string{"2001:db8::7"}, "[2001:db8::7]:0"},
		{"mapped IPv4 peer", "[::ffff:127.0.0.1]:5000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"no header", "127.0.0.1:5000", nil, "127.0.0.1:5000"},
		{"only trusted hops", "127.0.0.1:5000", []string{"10.0.0.1"}, "127.0.0.1:5000"},
		{"malformed hop", "127.0.0.1:5000", []string{"198.51.100.1, not-an-ip"}, "127.0.0.1:5000"},
		{"untrusted peer in a trusted-looking header", "198.51.100.7:1", []string{"10.0.0.1"}, "198.51.100.7:1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if seen != c.want {
			t.Errorf("%s: RemoteAddr %q, want %q", c.name, seen, c.want)
		}
	}
	// Without trusted proxies the header is never read.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	clientAddr(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr })).ServeHTTP(httptest.NewRecorder(), r)
	if seen != "127.0.0.1:1" {
		t.Errorf("no trusted proxies: RemoteAddr %q", seen)
	}
}

func TestTrustedProxiesConfig(t *testing.T) {
	c, err := parseServeConfig([]string{"--trusted-proxies", "192.168.1.5,fd00::/8"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[0].String() != "192.168.1.5/32" || c.TrustedProxies[1].String() != "fd00::/8" {
		t.Fatalf("TrustedProxies %v", c.TrustedProxies)
	}
	if _, err := parseServeConfig([]string{"--trusted-proxies", "proxy.local"}, func(string) string { return "" }); err == nil {
		t.Fatal("a host name was accepted as a trusted proxy")
	}
}
