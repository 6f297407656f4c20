package modules

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/naamio/naamio/internal/safehttp"
)

// compileFetcher compiles the guest with allowedHosts hosts on an engine
// whose modules fetch through client.
func compileFetcher(t *testing.T, client *http.Client, hosts []string) (*module, func() string) {
	t.Helper()
	bin := guestWasm(t)
	e, err := NewEngine(sharedCache, func(context.Context, string, []byte) []byte { return []byte(`{"status":501}`) }, client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	m := guestManifest(bin, Limits{TimeoutMs: 10000, MemoryMiB: 32}, nil)
	m.AllowedHosts = hosts
	mod := newModule("/p/settings/modules/g.json", "https://pod.example/p/settings/modules/g.json", "https://pod.example/p/#me", m)
	var logs logLines
	mod.prog, err = e.compile(context.Background(), m, bin, logs.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.prog.close(context.Background()) })
	return mod, func() string {
		var b strings.Builder
		for _, l := range mod.status.snapshot().Log {
			b.WriteString(l.Message + "\n")
		}
		return b.String() + logs.String()
	}
}

func fetchAs(t *testing.T, mod *module, url string) (status int, body string) {
	t.Helper()
	out, err := mod.call(context.Background(), "fetch", []byte(url))
	if err != nil {
		t.Fatalf("fetch %s: %v", url, err)
	}
	var r struct {
		Status int
		Body   string
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("output %q", out)
	}
	return r.Status, r.Body
}

// A module's http_request reaches only its allowedHosts, over https, with
// no redirect off the list; a refusal is an answer and a line in the
// module's log, never a trap (SECURITY row 50).
func TestModuleHTTP(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hello":
			_, _ = w.Write([]byte("hi"))
		case "/away":
			http.Redirect(w, r, "https://localhost:1/inside", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/hello", http.StatusFound)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	mod, logs := compileFetcher(t, srv.Client(), []string{"127.0.0.1"})
	for _, tc := range []struct {
		name, url  string
		status     int
		body, logs string
	}{
		{"allowed host", srv.URL + "/hello", 200, "hi", ""},
		{"redirect within the list", srv.URL + "/loop", 200, "hi", ""},
		{"redirect off the list", srv.URL + "/away", 502, "", "not in allowedHosts"},
		{"plain http", "http://" + host + "/hello", 403, "", "not an https URL"},
		{"host not listed", "https://example.org/", 403, "", "not an https URL on a host in allowedHosts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := fetchAs(t, mod, tc.url)
			if status != tc.status || body != tc.body || !strings.Contains(logs(), tc.logs) {
				t.Fatalf("got %d %q (log %q); want %d %q with %q", status, body, logs(), tc.status, tc.body, tc.logs)
			}
		})
	}

	// Through the SSRF-safe client, a listed host that is an internal
	// address is never reached.
	safe := safehttp.New(safehttp.Options{}).HTTPClient()
	mod, logs = compileFetcher(t, safe, []string{"localhost", "127.0.0.1"})
	if status, _ := fetchAs(t, mod, srv.URL+"/hello"); status != 502 || !strings.Contains(logs(), "http_request") {
		t.Fatalf("loopback through the safe client: %d, log %q", status, logs())
	}
	if status, _ := fetchAs(t, mod, "https://localhost:1/"); status != 502 {
		t.Fatalf("localhost through the safe client: %d", status)
	}
}
