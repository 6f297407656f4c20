package server

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
)

// The access log names the agent that the authentication middleware
// established (issue 11 item 2: read from the request's context, no
// back-channel from the LDP handler), also when the handler refused the
// request, and names none for an anonymous request or refused
// credentials; its duration covers the authentication.
func TestAccessLogNamesAgent(t *testing.T) {
	logs := &lockedBuffer{}
	s, base := serveAccountsLogging(t, logs, "alice", "bob")
	id, secret, key := scriptCredentials(t, s, "alice@example.org")
	access := clientCredentialsToken(t, base, id, secret, key)
	alice := base + "alice/profile/card#me"

	get := func(path, access string, want int) string {
		t.Helper()
		resp := sendWith(t, "GET", base, path, "", "", access, key)
		if resp.StatusCode != want {
			t.Fatalf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
		return resp.Header.Get("X-Request-ID")
	}
	wants := map[string]string{ // request id -> the webid its log line names
		get("/alice/", access, 200):     alice,
		get("/bob/", access, 403):       alice,
		get("/alice/", "", 401):         "",
		get("/alice/", "forged", 401):   "",
		get("/.naamio/health", "", 200): "",
	}
	lines := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "request" {
			if id, ok := rec["request_id"].(string); ok {
				lines[id] = rec
			}
		}
	}
	for id, webid := range wants {
		rec, ok := lines[id]
		if !ok {
			t.Errorf("no access log line for request %s", id)
			continue
		}
		if got, _ := rec["webid"].(string); got != webid {
			t.Errorf("request %s %v: webid %q, want %q", id, rec["path"], got, webid)
		}
		if _, ok := rec["duration_ms"]; !ok {
			t.Errorf("request %s: no duration", id)
		}
	}
}
