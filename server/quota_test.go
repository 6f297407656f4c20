package server

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// putSized PUTs n bytes at base+path and returns the status.
func putSized(t *testing.T, base, path string, n int) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, base+strings.TrimPrefix(path, "/"), bytes.NewReader(make([]byte, n)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func podQuotaCLI(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := podCommand(append([]string{"quota", "--data", dir}, args...), &out, &errOut)
	return out.String(), err
}

// Issue 16 item 6: per-pod quotas on a real server. alice gets a quota of
// her own, bob the default; a write past either is a 507 while the other
// pod goes on taking writes; a change through the admin socket takes
// effect on the next write; a pod's own quota survives a restart and can
// be set while the server is stopped.
func TestPodQuotasRunningServer(t *testing.T) {
	cfg := loopbackConfig(t)
	cfg.PodQuotaDefault = 10_000
	dir := cfg.DataDir
	stop := runServe(t, cfg, io.Discard)
	base := cfg.BaseURL
	if out, err := podQuotaCLI(t, dir, "alice", "20000"); err != nil || !strings.Contains(out, "quota 20000 bytes") {
		t.Fatalf("pod quota alice 20000 (running): %q %v", out, err)
	}
	step := func(path string, n, want int) {
		t.Helper()
		if got := putSized(t, base, path, n); got != want {
			t.Fatalf("PUT %s (%d bytes): %d, want %d", path, n, got, want)
		}
	}
	step("/alice/a.bin", 15_000, http.StatusCreated) // over the default, within her own
	step("/bob/a.bin", 15_000, http.StatusInsufficientStorage)
	step("/bob/a.bin", 9_000, http.StatusCreated)
	step("/alice/b.bin", 6_000, http.StatusInsufficientStorage) // 21000 > 20000
	step("/bob/b.bin", 2_000, http.StatusInsufficientStorage)   // 11000 > 10000
	step("/alice/b.bin", 4_000, http.StatusCreated)             // bob's 507 does not touch alice
	step("/carol/a.bin", 15_000, http.StatusInsufficientStorage)
	step("/root.bin", 50_000, http.StatusCreated) // outside every pod: only --quota (none) applies
	// The usage the CLI reports is the pod's own.
	out, err := podQuotaCLI(t, dir, "bob")
	if err != nil || !regexp.MustCompile(`quota 10000 bytes .*\[default\], used 9\d{3} bytes`).MatchString(out) {
		t.Fatalf("pod quota bob: %q %v", out, err)
	}
	// Raised while running: the next write fits at once.
	if _, err := podQuotaCLI(t, dir, "bob", "1MiB"); err != nil {
		t.Fatal(err)
	}
	step("/bob/b.bin", 50_000, http.StatusCreated)
	// Back to the default: bob is over it; growing is refused, shrinking is not.
	if out, err := podQuotaCLI(t, dir, "bob", "default"); err != nil || !strings.Contains(out, "[default]") {
		t.Fatalf("pod quota bob default: %q %v", out, err)
	}
	step("/bob/c.bin", 10, http.StatusInsufficientStorage)
	step("/bob/b.bin", 100, http.StatusNoContent)
	// 0 is "no quota" for one pod, whatever the default.
	if _, err := podQuotaCLI(t, dir, "carol", "0"); err != nil {
		t.Fatal(err)
	}
	step("/carol/a.bin", 15_000, http.StatusCreated)

	// Stopped: set offline, then the restarted server applies it.
	stop()
	if out, err := podQuotaCLI(t, dir, "carol", "16000"); err != nil || !strings.Contains(out, "quota 16000 bytes") {
		t.Fatalf("pod quota offline: %q %v", out, err)
	}
	runServe(t, cfg, io.Discard)
	step("/carol/b.bin", 2_000, http.StatusInsufficientStorage)
	step("/alice/c.bin", 1_500, http.StatusInsufficientStorage) // 19000 used: her 20000 survived
	step("/carol/b.bin", 500, http.StatusCreated)
}

// Bad input to naamio pod quota and --pod-quota-default.
func TestPodQuotaBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{},
		{"alice", "-1"},
		{"alice", "-1MiB"},
		{"alice", "+5"},
		{"alice", "99999999999999999999"},
		{"alice", "16EiB"},
		{"alice", "1e400"},
		{"alice", "ten"},
		{"alice", "10 parsecs"},
		{"alice", ""},
		{"alice", "NaN"},
		{"alice", strings.Repeat("9", 100)},
		{"alice", "5", "6"},
		{"../etc", "5"},
		{"Alice<script>", "5"},
		{".hidden", "5"},
	} {
		if out, err := podQuotaCLI(t, dir, args...); err == nil {
			t.Errorf("pod quota %q: accepted (%q)", args, out)
		}
	}
	for _, v := range []string{"-1", "16EiB", "garbage", "1e400", "NaN"} {
		if _, err := parseServeConfig([]string{"--pod-quota-default", v}, func(string) string { return "" }); err == nil {
			t.Errorf("--pod-quota-default %q accepted", v)
		}
		if _, err := parseServeConfig(nil, func(k string) string {
			if k == "NAAMIO_POD_QUOTA_DEFAULT" {
				return v
			}
			return ""
		}); err == nil {
			t.Errorf("NAAMIO_POD_QUOTA_DEFAULT=%q accepted", v)
		}
	}
	c, err := parseServeConfig([]string{"--pod-quota-default", "5MiB"}, func(string) string { return "" })
	if err != nil || c.PodQuotaDefault != 5<<20 {
		t.Fatalf("--pod-quota-default 5MiB: %d %v", c.PodQuotaDefault, err)
	}
}

// The storage description of a pod on its own host states the pod's
// quota and usage, not the server's (issue 16 item 6).
func TestPodQuotaInStorageDescription(t *testing.T) {
	s, _, hostPort, client := subdomainServer(t)
	if err := s.store.SetPodQuota("alice", 123456); err != nil {
		t.Fatal(err)
	}
	get := func(url string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Accept", "text/turtle")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
		}
		return string(b)
	}
	alice := get("http://alice." + hostPort + "/.well-known/solid")
	if !regexp.MustCompile(`quotaBytes>? "?123456`).MatchString(alice) && !strings.Contains(alice, "123456") {
		t.Fatalf("alice's description lacks her quota:\n%s", alice)
	}
	used := s.store.PodUsage("alice").Used
	if used <= 0 || !strings.Contains(alice, "usedBytes") {
		t.Fatalf("alice's usage %d not stated:\n%s", used, alice)
	}
	if bob := get("http://bob." + hostPort + "/.well-known/solid"); strings.Contains(bob, "123456") || strings.Contains(bob, "quotaBytes") {
		t.Fatalf("bob's description shows a quota:\n%s", bob)
	}
}
