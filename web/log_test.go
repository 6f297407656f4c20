package web_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/web"
)

type failingMailer struct{}

func (failingMailer) SendPasswordReset(context.Context, string, string) error {
	return errors.New("smtp down")
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogNamesComponentOnce: the pages log under the component their
// caller names them with (the server: component=web), once, not a second
// component key of their own (issue 11 item 7). The line is a failed reset
// email.
func TestLogNamesComponentOnce(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil)).With("component", "web")
	e := newEnv(t, func(_ *account.Options, w *web.Options) { w.Mailer, w.Logger = failingMailer{}, log })
	e.user(t, "alice@example.org", "correct horse", "alice")
	b := e.browser(t)
	page := b.get("/.idp/reset")
	b.submit(page, "/.idp/reset", url.Values{"email": {"alice@example.org"}})
	e.pages.Close() // waits for the email
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "sending reset email failed") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no failed-email line:\n%s", logs.String())
	}
	if n := strings.Count(line, `"component":`); n != 1 {
		t.Fatalf("%d component keys: %s", n, line)
	}
}
