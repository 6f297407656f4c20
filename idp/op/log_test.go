package op

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// testRequestID is the context key newTestOP's server sets on every request.
type testRequestID struct{}

// requestIDHandler adds the request id from the context, as the server's
// logger does; a record logged without the request's context has none.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(testRequestID{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(a)}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogKeepsRequestContext: a line the provider logs while answering a
// request carries that request's id (it is logged with the request's
// context), and the component key its caller named it with, once (issue 11
// item 7). The line is the warning for a reused refresh token.
func TestLogKeepsRequestContext(t *testing.T) {
	var buf syncBuffer
	log := slog.New(requestIDHandler{slog.NewJSONHandler(&buf, nil)}).With("component", "oidc")
	o := newTestOP(t, "", func(opts *Options) { opts.Logger = log })
	clientID, key, tok := o.refreshingClient(t)
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}, "client_id": {clientID}}
	if st, body := o.tokenCall(t, refresh, key); st != 200 {
		t.Fatalf("refresh: %d %v", st, body)
	}
	if st, body := o.tokenCall(t, refresh, key); st != 400 {
		t.Fatalf("reuse: %d %v", st, body)
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(l, "refresh token reused") {
			if n := strings.Count(l, `"component":`); n != 1 {
				t.Errorf("%d component keys: %s", n, l)
			}
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no reuse warning logged:\n%s", buf.String())
	}
	if line["request_id"] != "test-request" || line["component"] != "oidc" {
		t.Fatalf("reuse warning without the request id or the caller's component: %v", line)
	}
}
