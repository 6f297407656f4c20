package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/naamio/naamio/internal/testissuer"
)

// A subdomain pod's storage description lists subscription services that
// work for it: they stay on the base host, which accepts topics on the
// pod's own host. Its owner subscribes over WebSocketChannel2023 to a
// resource of the pod and is sent its Create, with the pod-host IRI
// (issue 12 item 2; notifications-protocol
// resource-server-description-resource-response).
func TestNotificationsSubdomainPod(t *testing.T) {
	s, base, hostPort, client := subdomainServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	background := startWorkers(ctx, s.workers...) // the change-log feed
	t.Cleanup(func() { cancel(); background.stop() })
	alice := "http://alice." + hostPort + "/"
	id, secret, key := scriptCredentials(t, s, "alice@example.org")
	tok := clientCredentialsToken(t, base, id, secret, key)
	do := func(method, url string, key *testissuer.Key, ct, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("Accept", "application/n-triples, */*;q=0.1")
		if key != nil {
			proof, err := key.Proof(method, url, tok, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "DPoP "+tok)
			req.Header.Set("DPoP", proof)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}

	svc := base + ".notifications/WebSocketChannel2023/"
	_, desc := do("GET", alice+".well-known/solid", nil, "", "")
	if want := "<" + alice + "> <http://www.w3.org/ns/solid/notifications#subscription> <" + svc + "> ."; !strings.Contains(desc, want) {
		t.Fatalf("pod's storage description lacks %s:\n%s", want, desc)
	}
	topic := alice + "notes/doc"
	body := `{"@context":["https://www.w3.org/ns/solid/notification/v1"],"type":"notify:WebSocketChannel2023","topic":"` + topic + `"}`
	if resp, _ := do("POST", svc, nil, "application/ld+json", body); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous subscription to a private pod topic: %d, want 401", resp.StatusCode)
	}
	resp, b := do("POST", svc, key, "application/ld+json", body)
	var ch struct {
		Topic       string `json:"topic"`
		ReceiveFrom string `json:"receiveFrom"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(b), &ch) != nil || ch.Topic != topic {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, b)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	c, _, err := websocket.Dial(wctx, ch.ReceiveFrom, &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if resp, _ := do("PUT", topic, key, "text/plain", "hello"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
	_, msg, err := c.Read(wctx)
	if err != nil {
		t.Fatal(err)
	}
	var n map[string]any
	if err := json.Unmarshal(msg, &n); err != nil || n["type"] != "Create" || n["object"] != topic {
		t.Fatalf("notification %s (%v)", msg, err)
	}

	// The pod's resources link their StreamingHTTPChannel2023 stream on
	// the base host, which serves it to the pod's owner.
	stream := base + ".notifications/StreamingHTTPChannel2023/" + strings.ReplaceAll(url.QueryEscape(topic), "+", "%20")
	resp, _ = do("HEAD", topic, key, "", "")
	if want := "<" + stream + `>; rel="http://www.w3.org/ns/solid/terms#updatesViaStreamingHttp2023"`; !strings.Contains(strings.Join(resp.Header.Values("Link"), ", "), want) {
		t.Fatalf("Link %v lacks %s", resp.Header.Values("Link"), want)
	}
	req, _ := http.NewRequest("GET", stream, nil)
	proof, err := key.Proof("GET", stream, tok, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "DPoP "+tok)
	req.Header.Set("DPoP", proof)
	sresp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	first, err := bufio.NewReader(sresp.Body).ReadString('\n')
	if sresp.StatusCode != http.StatusOK || err != nil || !strings.Contains(first, "activitystreams#Update>") {
		t.Fatalf("stream of the pod's resource: %d %q %v", sresp.StatusCode, first, err)
	}
}
