package notify

import (
	"errors"
	"strings"
	"testing"
)

// Bad input of a WebhookChannel2023 request's sendTo (issue 12 item 3):
// one absolute http(s) URL, or 422. Which hosts may be contacted is the
// service's rule (Permits), tested with the running service.
func TestParseRequestSendTo(t *testing.T) {
	const head = `{"@context":"https://www.w3.org/ns/solid/notification/v1","type":"notify:WebhookChannel2023","topic":"https://pod.example/doc"`
	for _, tc := range []struct {
		name, tail, want string
	}{
		{"string", `,"sendTo":"https://hook.example/in?k=1"}`, "https://hook.example/in?k=1"},
		{"node reference", `,"sendTo":{"id":"https://hook.example/in"}}`, "https://hook.example/in"},
		{"@id node reference", `,"sendTo":{"@id":"https://hook.example/in"}}`, "https://hook.example/in"},
		{"missing", `}`, ""},
		{"null", `,"sendTo":null}`, ""},
		{"number", `,"sendTo":1}`, ""},
		{"list", `,"sendTo":["https://a.example/","https://b.example/"]}`, ""},
		{"relative", `,"sendTo":"/in"}`, ""},
		{"no host", `,"sendTo":"https:///in"}`, ""},
		{"other scheme", `,"sendTo":"mailto:a@b.example"}`, ""},
		{"user info", `,"sendTo":"https://user:pw@hook.example/in"}`, ""},
		{"fragment", `,"sendTo":"https://hook.example/in#x"}`, ""},
		{"too long", `,"sendTo":"https://hook.example/` + strings.Repeat("a", maxSendTo) + `"}`, ""},
		{"bad escape", `,"sendTo":"https://hook.example/%zz"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := parseRequest([]byte(head+tc.tail), typeWebhook)
			if tc.want == "" {
				if !errors.Is(err, errUnprocessed) {
					t.Fatalf("got %+v, %v; want 422", req, err)
				}
				return
			}
			if err != nil || req.SendTo != tc.want || req.Type != typeWebhook {
				t.Fatalf("got %+v, %v; want sendTo %s", req, err, tc.want)
			}
		})
	}
	// Other channel types take no sendTo.
	req, err := parseRequest([]byte(strings.Replace(head, "Webhook", "WebSocket", 1)+`,"sendTo":"https://hook.example/"}`), typeWebSocket)
	if err != nil || req.SendTo != "" {
		t.Fatalf("WebSocket request: %+v, %v", req, err)
	}
}
