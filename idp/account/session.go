package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/naamio/naamio/kv"
)

// maxTokenLen bounds tokens read from outside before they are hashed.
const maxTokenLen = 128

// NewSession starts a session for the account and returns its token (256
// random bits, base64url). Only the token's SHA-256 is stored; it expires
// after Options.SessionTTL.
func (s *Service) NewSession(ctx context.Context, accountID string) (string, error) {
	if !validID(accountID) {
		return "", ErrNotFound
	}
	token := newToken(tokenBytes)
	now := s.now().UTC()
	err := s.kv.Update(ctx, func(tx kv.Txn) error {
		var rec accountRecord
		found, err := txGet(tx, keyAccount(accountID), &rec)
		if err != nil {
			return err
		}
		if !found {
			return ErrNotFound
		}
		if rec.Disabled {
			return ErrDisabled
		}
		sess := &sessionRecord{V: recordVersion, Account: accountID, SessGen: rec.SessGen,
			Created: now, Expires: now.Add(s.opts.SessionTTL)}
		return txPut(tx, keySession(token), sess, s.opts.SessionTTL)
	})
	if err != nil {
		return "", fmt.Errorf("account: new session: %w", err)
	}
	return token, nil
}

// Session returns the account a session token belongs to, or ErrNoSession
// when the token is unknown, ended, expired, or its account is gone or
// ended all its sessions. With SlidingSessions, a session used after half
// its lifetime is renewed.
func (s *Service) Session(ctx context.Context, token string) (*Account, error) {
	info, err := s.SessionInfo(ctx, token)
	if err != nil {
		return nil, err
	}
	return info.Account, nil
}

// SessionInfo is a live session.
type SessionInfo struct {
	Account *Account
	// AuthTime is when the session began, that is when the user last
	// proved who they are (log-in or sign-up): the OpenID Connect
	// auth_time. Renewing a sliding session does not change it.
	AuthTime time.Time
	// Expires is when the session ends unless renewed.
	Expires time.Time
}

// SessionInfo is Session with the session's log-in time, which the
// authorization flow needs for max_age and auth_time (OpenID Connect Core
// §3.1.2.1): a session older than a request's max_age must log in again.
func (s *Service) SessionInfo(ctx context.Context, token string) (*SessionInfo, error) {
	if token == "" || len(token) > maxTokenLen {
		return nil, ErrNoSession
	}
	var sess sessionRecord
	found, err := s.get(ctx, keySession(token), &sess)
	if err != nil {
		return nil, fmt.Errorf("account: session: %w", err)
	}
	now := s.now()
	if !found || !now.Before(sess.Expires) {
		return nil, ErrNoSession
	}
	rec, err := s.record(ctx, sess.Account)
	if errors.Is(err, ErrNotFound) || (err == nil && (rec.SessGen != sess.SessGen || rec.Disabled)) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	if s.opts.SlidingSessions && sess.Expires.Sub(now) < s.opts.SessionTTL/2 {
		renewed := sess
		renewed.Expires = now.UTC().Add(s.opts.SessionTTL)
		// Best effort: if the renewal fails the session simply keeps its
		// old expiry.
		if s.kv.Put(ctx, keySession(token), encode(&renewed), s.opts.SessionTTL) == nil {
			sess = renewed
		}
	}
	return &SessionInfo{Account: rec.account(), AuthTime: sess.Created, Expires: sess.Expires}, nil
}

// EndSession ends one session (log-out). An unknown token is not an error.
func (s *Service) EndSession(ctx context.Context, token string) error {
	if token == "" || len(token) > maxTokenLen {
		return nil
	}
	if err := s.kv.Delete(ctx, keySession(token)); err != nil {
		return fmt.Errorf("account: end session: %w", err)
	}
	return nil
}

// EndAllSessions ends every session of the account (log out everywhere).
// Reset does this itself; after ChangePassword the caller may want it,
// followed by a NewSession for the current browser.
func (s *Service) EndAllSessions(ctx context.Context, accountID string) error {
	_, err := s.update(ctx, accountID, func(rec *accountRecord) error {
		rec.SessGen++
		return nil
	})
	if err != nil {
		return fmt.Errorf("account: end all sessions: %w", err)
	}
	return nil
}

// Cookie returns the session cookie carrying token: HttpOnly,
// SameSite=Lax, Path=/, Secure when the base URL is https, and lasting as
// long as a session.
func (s *Service) Cookie(token string) *http.Cookie {
	return &http.Cookie{
		Name:     s.opts.CookieName,
		Value:    token,
		Path:     "/",
		MaxAge:   int(s.opts.SessionTTL / time.Second),
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// ClearCookie returns a cookie that removes the session cookie (log-out).
func (s *Service) ClearCookie() *http.Cookie {
	c := s.Cookie("")
	c.MaxAge = -1
	return c
}

// CookieName is the session cookie's name, for reading it from a request.
func (s *Service) CookieName() string { return s.opts.CookieName }
