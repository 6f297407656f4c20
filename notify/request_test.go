package notify

import (
	"errors"
	"testing"

	"github.com/naamio/naamio/acl"
)

// FuzzParseRequest: any body gives a request with an http(s) topic or
// one of the request errors (400/422), never a panic.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/solid/notification/v1"],"type":"notify:WebSocketChannel2023","topic":"https://a.example/x"}`))
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/solid/notification/v1","@type":"` + typeWebSocket + `","topic":{"@id":"http://a/"}}`))
	f.Add([]byte(`{"@context":[1],"topic":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseRequest(body, typeWebSocket)
		if err != nil {
			if !errors.Is(err, errBadRequest) && !errors.Is(err, errUnprocessed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(req.Topic) < len("http://") {
			t.Fatalf("accepted topic %q", req.Topic)
		}
	})
}

// The per-agent limit counts an authenticated subscriber by WebID and an
// anonymous one by its address, so one anonymous client cannot use up
// every anonymous client's channels.
func TestBucketOf(t *testing.T) {
	me := acl.Agent{WebID: "https://a.example/#me", Authenticated: true}
	for _, tc := range []struct {
		ag         acl.Agent
		addr, want string
	}{
		{me, "192.0.2.1:5000", "https://a.example/#me"},
		{acl.Agent{}, "192.0.2.1:5000", "-192.0.2.1"},
		{acl.Agent{}, "192.0.2.2:6000", "-192.0.2.2"},
		{acl.Agent{}, "[2001:db8::1]:80", "-2001:db8::1"},
	} {
		if got := bucketOf(tc.ag, tc.addr); got != tc.want {
			t.Errorf("bucketOf(%v, %s) = %q, want %q", tc.ag, tc.addr, got, tc.want)
		}
	}
}
