// Package mail sends the server's few emails (password-reset links) over
// SMTP with net/smtp: STARTTLS whenever the server offers it, and always
// when credentials are sent (net/smtp refuses PLAIN auth over plain text
// except to localhost). Each recipient gets at most PerRecipient mails an
// hour, so the reset form cannot be used to flood an inbox.
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"sync"
	"time"
)

// Options configure a Sender.
type Options struct {
	Addr     string // SMTP server, host:port
	From     string // envelope and header sender
	Username string // "" = no authentication
	Password string
	// Timeout bounds one delivery (default 20 s).
	Timeout time.Duration
	// PerRecipient is how many mails one address may get per hour
	// (default 3).
	PerRecipient int
	// TLSConfig overrides the STARTTLS configuration (tests).
	TLSConfig *tls.Config
	Now       func() time.Time
}

// ErrRateLimited: the recipient already got PerRecipient mails this hour.
var ErrRateLimited = errors.New("mail: too many mails to this address")

// Sender delivers mail. It is safe for concurrent use.
type Sender struct {
	opts Options
	host string
	from string

	mu   sync.Mutex
	sent map[string][]time.Time // recipient -> send times in the last hour
}

// New checks opts.
func New(opts Options) (*Sender, error) {
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP address %q: %w", opts.Addr, err)
	}
	from, err := mail.ParseAddress(opts.From)
	if err != nil {
		return nil, fmt.Errorf("mail: sender %q: %w", opts.From, err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 20 * time.Second
	}
	if opts.PerRecipient <= 0 {
		opts.PerRecipient = 3
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Sender{opts: opts, host: host, from: from.Address, sent: map[string][]time.Time{}}, nil
}

// SendPasswordReset mails a reset link (web.Mailer).
func (s *Sender) SendPasswordReset(ctx context.Context, to, link string) error {
	body := "Someone asked to reset the password of your account on this Solid server.\r\n" +
		"If it was you, open this link within the hour to choose a new password:\r\n\r\n" +
		link + "\r\n\r\nIf it was not you, ignore this mail: your password stays as it is.\r\n"
	return s.send(ctx, to, "Reset your password", body)
}

func (s *Sender) send(ctx context.Context, to, subject, body string) error {
	addr, err := mail.ParseAddress(to)
	if err != nil || strings.ContainsAny(to, "\r\n") {
		return fmt.Errorf("mail: recipient %q is not an address", to)
	}
	if !s.allow(addr.Address) {
		return ErrRateLimited
	}
	msg, err := s.message(addr.Address, subject, body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.opts.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("mail: STARTTLS: %w", err)
		}
	}
	if s.opts.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.opts.Username, s.opts.Password, s.host)); err != nil {
			return fmt.Errorf("mail: authentication: %w", err)
		}
	}
	if err := c.Mail(s.from); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(addr.Address); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return c.Quit()
}

// message builds an RFC 5322 message; every header value is ours or a
// parsed address, so nothing from a request can add a header.
func (s *Sender) message(to, subject, body string) ([]byte, error) {
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		s.from, to, subject, s.opts.Now().UTC().Format(time.RFC1123Z), hex.EncodeToString(id), s.host)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(body)
	return []byte(b.String()), nil
}

// allow records a send to addr unless it already had PerRecipient in the
// last hour. The table is pruned as it is used and bounded.
func (s *Sender) allow(addr string) bool {
	key := strings.ToLower(addr)
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	recent := s.sent[key][:0]
	for _, t := range s.sent[key] {
		if now.Sub(t) < time.Hour {
			recent = append(recent, t)
		}
	}
	if len(recent) >= s.opts.PerRecipient {
		s.sent[key] = recent
		return false
	}
	if len(s.sent) >= 100_000 {
		for k := range s.sent { // drop an arbitrary entry
			delete(s.sent, k)
			break
		}
	}
	s.sent[key] = append(recent, now)
	return true
}
