package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/notify"
)

// gatewaySubscribe negotiates with the gateway and subscribes to path as
// ag, as @inrupt/solid-client-notifications does; it returns the socket
// URL of the answer.
func (p *pod) gatewaySubscribe(t *testing.T, path string) string {
	t.Helper()
	var neg struct{ Endpoint, Protocol string }
	b := p.must(t, nil, "POST", notify.GatewayPath, "application/json", `{"protocols":["ws"],"features":[]}`, http.StatusOK)
	if err := json.Unmarshal([]byte(b), &neg); err != nil || neg.Protocol != "ws" || !strings.HasPrefix(neg.Endpoint, p.base) {
		t.Fatalf("negotiation answer %s (%v)", b, err)
	}
	var sub struct{ Endpoint string }
	b = p.must(t, p.owner, "POST", strings.TrimPrefix(neg.Endpoint, p.base), "application/json", `{"topic":"`+p.base+strings.TrimPrefix(path, "/")+`"}`, http.StatusOK)
	if err := json.Unmarshal([]byte(b), &sub); err != nil || !strings.HasPrefix(sub.Endpoint, "ws://127.0.0.1:") {
		t.Fatalf("subscription answer %s (%v)", b, err)
	}
	return sub.Endpoint
}

// The gateway of Inrupt's notifications client: discovered from the
// storage description (solid:notificationGateway), negotiated, and its
// socket gets the WebSocketChannel2023 notifications.
func TestGateway_SubscribeAndReceive(t *testing.T) {
	p := newPod(t, 0)
	_, b := ldptest.Send(t, nil, "GET", p.base+".well-known/solid", "", "", "Accept", "application/n-triples")
	want := "<" + p.base + "> <http://www.w3.org/ns/solid/terms#notificationGateway> <" + p.base + ".notifications/gateway/> ."
	if !strings.Contains(b, want) {
		t.Fatalf("storage description lacks %s:\n%s", want, b)
	}
	from := p.gatewaySubscribe(t, "/doc")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, from, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "one", http.StatusCreated)
	expect(t, c, "Create", p.base+"doc")
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "two", http.StatusNoContent)
	expect(t, c, "Update", p.base+"doc")
}

// Bad input to the gateway (issue 12 item 3), and the same access rules
// as the WebSocketChannel2023 service: 401 anonymous, 403 without Read,
// alike for an existing and a missing topic.
func TestGateway_BadInput(t *testing.T) {
	p := newPod(t, 0)
	p.must(t, p.owner, "PUT", "/secret", "text/plain", "x", http.StatusCreated)
	ws := notify.GatewayPath + "ws"
	topic := `{"topic":"` + p.base + `secret"}`
	for _, tc := range []struct {
		name, method, path, ct, body string
		anonymous                    bool
		want                         int
	}{
		{"GET gateway", "GET", notify.GatewayPath, "", "", true, http.StatusMethodNotAllowed},
		{"PUT ws", "PUT", ws, "application/json", topic, false, http.StatusMethodNotAllowed},
		{"unknown path", "POST", notify.GatewayPath + "other", "application/json", topic, false, http.StatusNotFound},
		{"text/plain", "POST", notify.GatewayPath, "text/plain", `{"protocols":["ws"]}`, true, http.StatusUnsupportedMediaType},
		{"no content type", "POST", ws, "", topic, false, http.StatusUnsupportedMediaType},
		{"malformed JSON", "POST", notify.GatewayPath, "application/json", `{"protocols":`, true, http.StatusBadRequest},
		{"array", "POST", ws, "application/json", `[]`, false, http.StatusBadRequest},
		{"null", "POST", ws, "application/json", `null`, false, http.StatusBadRequest},
		{"no protocols", "POST", notify.GatewayPath, "application/json", `{}`, true, http.StatusUnprocessableEntity},
		{"other protocol", "POST", notify.GatewayPath, "application/json", `{"protocols":["webhook"]}`, true, http.StatusUnprocessableEntity},
		{"protocols not a list", "POST", notify.GatewayPath, "application/json", `{"protocols":"ws"}`, true, http.StatusUnprocessableEntity},
		{"feature asked for", "POST", notify.GatewayPath, "application/json", `{"protocols":["ws"],"features":["state"]}`, true, http.StatusUnprocessableEntity},
		{"too large", "POST", notify.GatewayPath, "application/json", `{"x":"` + strings.Repeat("a", 70<<10) + `"}`, true, http.StatusRequestEntityTooLarge},
		{"no topic", "POST", ws, "application/json", `{}`, false, http.StatusUnprocessableEntity},
		{"relative topic", "POST", ws, "application/json", `{"topic":"/secret"}`, false, http.StatusUnprocessableEntity},
		{"topic elsewhere", "POST", ws, "application/json", `{"topic":"https://elsewhere.example/x"}`, false, http.StatusUnprocessableEntity},
		{"feature not offered", "POST", ws, "application/json", `{"topic":"` + p.base + `secret","state":"x"}`, false, http.StatusUnprocessableEntity},
		{"anonymous, existing", "POST", ws, "application/json", topic, true, http.StatusUnauthorized},
		{"anonymous, missing", "POST", ws, "application/json", `{"topic":"` + p.base + `missing"}`, true, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ag := p.owner
			if tc.anonymous {
				ag = nil
			}
			p.must(t, ag, tc.method, tc.path, tc.ct, tc.body, tc.want)
		})
	}
	t.Run("no Read, existing vs missing", func(t *testing.T) {
		a := p.must(t, p.other, "POST", ws, "application/json", topic, http.StatusForbidden)
		b := p.must(t, p.other, "POST", ws, "application/json", `{"topic":"`+p.base+`missing"}`, http.StatusForbidden)
		if strings.ReplaceAll(a, "secret", "missing") != b {
			t.Fatalf("answers differ: %q vs %q", a, b)
		}
	})
	p.must(t, nil, "OPTIONS", notify.GatewayPath, "", "", http.StatusNoContent)
}
