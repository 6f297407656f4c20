package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/naamio/naamio/kv"
)

// recordVersion is the "v" of every record this package writes. A reader
// meeting a higher version refuses it (ErrCorrupt) rather than guess.
const recordVersion = 1

type versioned interface{ version() int }

type accountRecord struct {
	V       int       `json:"v"`
	ID      string    `json:"id"`
	Email   string    `json:"email"`
	Hash    string    `json:"hash"` // PHC string (password.go)
	Admin   bool      `json:"admin,omitempty"`
	Created time.Time `json:"created"`
	Pods    []string  `json:"pods,omitempty"`
	WebIDs  []string  `json:"webids,omitempty"`
	// PwGen changes with every password change: reset tokens issued
	// before it are void.
	PwGen uint64 `json:"pwgen"`
	// SessGen changes when all sessions end: sessions issued before it are void.
	SessGen uint64 `json:"sessgen"`
	// Disabled: an administrator disabled the account (naamio account
	// disable): no log-in, session or client credential works for it.
	Disabled bool `json:"disabled,omitempty"`
}

type emailRecord struct {
	V  int    `json:"v"`
	ID string `json:"id"`
}

type markerRecord struct {
	V int `json:"v"`
}

// firstRecord is the first-account marker (keyFirst): which account was
// the first, so that undoing that sign-up undoes the marker too. Markers
// written before it named the account have Account "".
type firstRecord struct {
	V       int    `json:"v"`
	Account string `json:"account,omitempty"`
}

type sessionRecord struct {
	V       int       `json:"v"`
	Account string    `json:"acct"`
	SessGen uint64    `json:"sessgen"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

type resetRecord struct {
	V       int       `json:"v"`
	Account string    `json:"acct"`
	PwGen   uint64    `json:"pwgen"`
	Expires time.Time `json:"expires"`
}

type inviteRecord struct {
	V       int       `json:"v"`
	By      string    `json:"by"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitzero"`
}

type credRecord struct {
	V          int       `json:"v"`
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Account    string    `json:"acct"`
	WebID      string    `json:"webid"`
	SecretHash string    `json:"secret"` // hex SHA-256 of the secret
	Created    time.Time `json:"created"`
}

type approvalRecord struct {
	V       int       `json:"v"`
	Client  string    `json:"client"`
	Scopes  []string  `json:"scopes"`
	Updated time.Time `json:"updated"`
}

func (r *accountRecord) version() int  { return r.V }
func (r *emailRecord) version() int    { return r.V }
func (r *markerRecord) version() int   { return r.V }
func (r *firstRecord) version() int    { return r.V }
func (r *sessionRecord) version() int  { return r.V }
func (r *resetRecord) version() int    { return r.V }
func (r *inviteRecord) version() int   { return r.V }
func (r *credRecord) version() int     { return r.V }
func (r *approvalRecord) version() int { return r.V }

func decode(key string, b []byte, into versioned) error {
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, key, err)
	}
	if v := into.version(); v < 1 || v > recordVersion {
		return fmt.Errorf("%w: %s: version %d", ErrCorrupt, key, v)
	}
	return nil
}

func encode(r any) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		// Only plain structs of strings, times and numbers are encoded.
		panic("account: encode: " + err.Error())
	}
	return b
}

// txGet reads and decodes key inside tx; a missing key is reported as
// found == false.
func txGet(tx kv.Txn, key string, into versioned) (found bool, err error) {
	b, err := tx.Get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, decode(key, b, into)
}

func txPut(tx kv.Txn, key string, r any, ttl time.Duration) error {
	return tx.Set(key, encode(r), ttl)
}
