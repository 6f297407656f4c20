package notify

import (
	"errors"
	"net/url"
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

// FuzzParseWebhookRequest: any body gives a webhook request whose sendTo
// is an absolute http(s) URL without user info, or a request error
// (400/422), never a panic.
func FuzzParseWebhookRequest(f *testing.F) {
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/solid/notification/v1","type":"notify:WebhookChannel2023","topic":"https://a.example/x","sendTo":"https://h.example/in"}`))
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/solid/notification/v1","type":"notify:WebhookChannel2023","topic":"https://a.example/x","sendTo":{"id":"http://u@h/"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseRequest(body, typeWebhook)
		if err != nil {
			if !errors.Is(err, errBadRequest) && !errors.Is(err, errUnprocessed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		u, perr := url.Parse(req.SendTo)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			t.Fatalf("accepted sendTo %q", req.SendTo)
		}
	})
}
