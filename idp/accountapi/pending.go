package accountapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// The pending table bridges the one real difference between the
// Community Solid Server's account model and ours. There, an account is
// created empty (POST controls.account.create) and a login is added to it
// afterwards (POST controls.password.create), both calls carrying the
// token the first one returned. Here an account cannot exist without its
// email and password (account.Service.Create needs both). So the first
// call only opens a pending entry, keyed by a fresh random token, and the
// second creates the account and a real session for it; from then on the
// pending token is an alias of that session, so the script's token and
// the URLs it has been given keep working.
//
// The table is in memory: bounded (maxEntries; when full, expired entries
// are swept and, if that is not enough, new sign-ups are refused with 429
// rather than evicting someone's live entry), and lost on restart. An
// unbound entry lives pendingTTL; an alias lives aliasTTL after binding,
// and never longer than its session, which is checked on every use (so
// logging out, ending all sessions or deleting the account ends it too).
// A script that needs an account token for longer logs in with
// controls.password.login and gets a real session token.
type pendingTable struct {
	mu         sync.Mutex
	entries    map[string]*pendingEntry // by tokenKey(token)
	maxEntries int
	now        func() time.Time
}

type pendingEntry struct {
	handle  string // the account segment of the URLs handed out with this token
	expires time.Time
	binding bool // a login is being added right now

	// Set once a login was added: the account and the session this token
	// now stands for.
	accountID string
	session   string
}

var errPendingFull = errors.New("accountapi: too many pending accounts")

func newPendingTable(maxEntries int, now func() time.Time) *pendingTable {
	return &pendingTable{entries: map[string]*pendingEntry{}, maxEntries: maxEntries, now: now}
}

// tokenKey is what the table keys on: the token's SHA-256, so that a dump
// of the process memory's map keys does not hand out usable tokens.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newSecret returns n random bytes, base64url without padding.
func newSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// open starts a pending account and returns its token and handle.
func (t *pendingTable) open(ttl time.Duration) (token, handle string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.entries) >= t.maxEntries {
		t.sweep(now)
	}
	if len(t.entries) >= t.maxEntries {
		return "", "", errPendingFull
	}
	token, handle = newSecret(32), "p-"+newSecret(16)
	t.entries[tokenKey(token)] = &pendingEntry{handle: handle, expires: now.Add(ttl)}
	return token, handle, nil
}

func (t *pendingTable) sweep(now time.Time) {
	for k, e := range t.entries {
		if !now.Before(e.expires) {
			delete(t.entries, k)
		}
	}
}

// get returns a copy of the live entry for token.
func (t *pendingTable) get(token string) (pendingEntry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := tokenKey(token)
	e, ok := t.entries[k]
	if !ok {
		return pendingEntry{}, false
	}
	if !t.now().Before(e.expires) {
		delete(t.entries, k)
		return pendingEntry{}, false
	}
	return *e, true
}

// beginBind claims the right to add a login to the unbound entry, so that
// two concurrent calls cannot make two accounts for one token.
func (t *pendingTable) beginBind(token string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[tokenKey(token)]
	if !ok || e.binding || e.accountID != "" || !t.now().Before(e.expires) {
		return false
	}
	e.binding = true
	return true
}

// endBind finishes what beginBind started: with an account and session,
// the entry becomes their alias for ttl; without, it is pending again.
func (t *pendingTable) endBind(token, accountID, session string, ttl time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[tokenKey(token)]
	if !ok {
		return
	}
	e.binding = false
	if accountID != "" {
		e.accountID, e.session, e.expires = accountID, session, t.now().Add(ttl)
	}
}

// remove forgets the entry for token.
func (t *pendingTable) remove(token string) {
	t.mu.Lock()
	delete(t.entries, tokenKey(token))
	t.mu.Unlock()
}
