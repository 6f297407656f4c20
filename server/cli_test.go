package server

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/naamio/naamio/ldp/badgerstore"
)

// TestUsageListsEveryCommand: the usage text names every subcommand the
// CLI accepts (issue 11 item 7), so none is only discoverable by reading
// the code.
func TestUsageListsEveryCommand(t *testing.T) {
	for _, cmd := range []string{"serve", "log", "health", "acl show", "acl set", "account create",
		"account reset-link", "pod release", "keys rotate", "keys list"} {
		if !strings.Contains(usage, "naamio "+cmd) && !strings.Contains(usage, cmd) {
			t.Errorf("usage does not mention %q", cmd)
		}
	}
	for _, line := range []string{"naamio account reset-link", "naamio keys list", "naamio pod release"} {
		if !strings.Contains(usage, line) {
			t.Errorf("usage has no line for %q", line)
		}
	}
}

// TestHealthFollowsListen: naamio health asks the server at the address
// it listens on: --listen, else NAAMIO_LISTEN, else the default; --url
// overrides both (issue 11 item 9).
func TestHealthFollowsListen(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.naamio/health" {
			http.NotFound(w, r)
			return
		}
		hits++
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)

	t.Setenv("NAAMIO_LISTEN", addr)
	var stderr bytes.Buffer
	if code := Main([]string{"health"}, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("health with NAAMIO_LISTEN=%s: exit %d: %s", addr, code, stderr.String())
	}
	t.Setenv("NAAMIO_LISTEN", "127.0.0.1:1")
	if code := Main([]string{"health", "--listen", "0.0.0.0:" + port}, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("health --listen 0.0.0.0:%s (asked on loopback): exit %d: %s", port, code, stderr.String())
	}
	if code := Main([]string{"health", "--listen", ":" + port}, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("health --listen :%s: exit %d: %s", port, code, stderr.String())
	}
	if code := Main([]string{"health", "--url", srv.URL + "/.naamio/health"}, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("health --url: exit %d: %s", code, stderr.String())
	}
	if hits != 4 {
		t.Fatalf("health endpoint asked %d times, want 4", hits)
	}
	stderr.Reset()
	if code := Main([]string{"health"}, &bytes.Buffer{}, &stderr); code == 0 {
		t.Fatal("health with NAAMIO_LISTEN on a closed port succeeded")
	}
}

func TestHealthURL(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/.naamio/health",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/.naamio/health",
		":9000":          "http://127.0.0.1:9000/.naamio/health",
		"[::]:9000":      "http://[::1]:9000/.naamio/health",
		"[::1]:9000":     "http://[::1]:9000/.naamio/health",
		"localhost:9000": "http://localhost:9000/.naamio/health",
	} {
		got, err := healthURL(listen)
		if err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", listen, got, err, want)
		}
	}
	for _, bad := range []string{"", "8080", "host:port:x", "[::1"} {
		if got, err := healthURL(bad); err == nil {
			t.Errorf("healthURL(%q) = %q, want an error", bad, got)
		}
	}
}

// TestLogFollowsNAAMIO_DATA: naamio log reads the data directory named by
// NAAMIO_DATA when --data is not given (issue 11 item 9), like the other
// offline commands.
func TestLogFollowsNAAMIO_DATA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // no ./data here
	t.Setenv("NAAMIO_DATA", dir)
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"log"}, &stdout, &stderr); code != 0 {
		t.Fatalf("log with NAAMIO_DATA: exit %d: %s", code, stderr.String())
	}
	t.Setenv("NAAMIO_DATA", filepath.Join(dir, "missing"))
	stderr.Reset()
	if code := Main([]string{"log"}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "missing") {
		t.Fatalf("log with NAAMIO_DATA naming a missing directory: exit %d: %s", code, stderr.String())
	}
	if code := Main([]string{"log", "--data", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("--data beats NAAMIO_DATA: exit %d: %s", code, stderr.String())
	}
}

// TestACLSetOnNewDataDir: the README's "Try it" opens a container with
// naamio acl set before the server ever ran, so acl set creates the data
// directory (acl show still wants an existing one).
func TestACLSetOnNewDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	acl := "@prefix acl: <http://www.w3.org/ns/auth/acl#> .\n" +
		"<#try> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>;\n" +
		"  acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write .\n"
	var stdout, stderr bytes.Buffer
	if err := aclCommand([]string{"show", "--data", dir, "/notes/"}, strings.NewReader(""), &stdout, &stderr); err == nil {
		t.Fatal("acl show on a missing data directory succeeded")
	}
	if err := aclCommand([]string{"set", "--data", dir, "/notes/"}, strings.NewReader(acl), &stdout, &stderr); err != nil {
		t.Fatalf("acl set on a new data directory: %v\n%s", err, stderr.String())
	}
	stdout.Reset()
	if err := aclCommand([]string{"show", "--data", dir, "/notes/"}, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("acl show after set: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "/notes/.acl") || !strings.Contains(stdout.String(), "Agent") {
		t.Fatalf("acl show after set:\n%s", stdout.String())
	}
}
