package mail

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpSink is a minimal SMTP receiver on 127.0.0.1 (RFC 5321 commands
// only, no extensions): enough to see what the sender delivers.
type smtpSink struct {
	ln   net.Listener
	mu   sync.Mutex
	mail []string // one entry per delivered message: "rcpt\n" + data
}

func newSink(t *testing.T) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = c.Write([]byte(line + "\r\n")) }
	say("220 sink ready")
	var rcpt string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 sink")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			rcpt = strings.TrimSpace(line[len("RCPT TO:"):])
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(l)
			}
			s.mu.Lock()
			s.mail = append(s.mail, rcpt+"\n"+data.String())
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func (s *smtpSink) delivered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.mail...)
}

func TestSendPasswordReset(t *testing.T) {
	sink := newSink(t)
	now := time.Unix(1_800_000_000, 0)
	snd, err := New(Options{Addr: sink.ln.Addr().String(), From: "Naamio <naamio@pod.test>", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	link := "http://pod.test/.idp/reset?token=abc"
	if err := snd.SendPasswordReset(ctx, "alice@example.org", link); err != nil {
		t.Fatal(err)
	}
	got := sink.delivered()
	if len(got) != 1 || !strings.HasPrefix(got[0], "<alice@example.org>\n") || !strings.Contains(got[0], link) ||
		!strings.Contains(got[0], "From: naamio@pod.test\r\n") || !strings.Contains(got[0], "Subject: Reset your password\r\n") {
		t.Fatalf("delivered: %q", got)
	}
	// Header injection through the recipient is impossible.
	for _, bad := range []string{"a@example.org\r\nBcc: x@evil.example", "not an address", ""} {
		if err := snd.SendPasswordReset(ctx, bad, link); err == nil {
			t.Errorf("sent to %q", bad)
		}
	}
	// At most PerRecipient (3) an hour to one address, case-insensitively.
	for i := 0; i < 2; i++ {
		if err := snd.SendPasswordReset(ctx, "Alice@example.org", link); err != nil {
			t.Fatal(err)
		}
	}
	if err := snd.SendPasswordReset(ctx, "alice@example.org", link); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("fourth mail in an hour: %v", err)
	}
	now = now.Add(61 * time.Minute)
	if err := snd.SendPasswordReset(ctx, "alice@example.org", link); err != nil {
		t.Fatalf("after an hour: %v", err)
	}
	if n := len(sink.delivered()); n != 4 {
		t.Fatalf("%d mails delivered, want 4", n)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{{Addr: "nohost", From: "a@b.example"}, {Addr: "127.0.0.1:25", From: "not an address"}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

// An unreachable server fails within the timeout.
func TestUnreachable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	snd, _ := New(Options{Addr: addr, From: "a@pod.test", Timeout: 2 * time.Second})
	if err := snd.SendPasswordReset(context.Background(), "b@example.org", "x"); err == nil {
		t.Fatal("delivered to nowhere")
	}
}
