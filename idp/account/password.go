package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

const (
	// MinPasswordLen is the fewest characters (runes) a password may have.
	MinPasswordLen = 8
	// MaxPasswordBytes is the most bytes a password may have: it bounds
	// the work an attacker can ask of the hash.
	MaxPasswordBytes = 1024
)

// checkPassword applies the password policy.
func checkPassword(pw string) error {
	if len(pw) > MaxPasswordBytes {
		return ErrPasswordTooLong
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return ErrPasswordTooShort
	}
	return nil
}

// Argon2Params are Argon2id cost parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultArgon2 is the second recommended option of RFC 9106 §4 (for
// settings where 2 GiB per hash is too much): Argon2id, t=3, p=4, m=64 MiB,
// 128-bit salt, 256-bit tag.
var DefaultArgon2 = Argon2Params{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}

// Bounds on parameters, ours or read back from a stored hash.
const (
	maxMemory = 4 * 1024 * 1024 // 4 GiB
	maxTime   = 64
	maxKeyLen = 128
)

func (p Argon2Params) validate() error {
	if p.Time < 1 || p.Time > maxTime || p.Threads < 1 ||
		p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory ||
		p.SaltLen < 8 || p.SaltLen > 64 || p.KeyLen < 16 || p.KeyLen > maxKeyLen {
		return errors.New("account: argon2 parameters out of range")
	}
	return nil
}

// hashPassword returns the PHC string
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<tag>
// (unpadded standard base64, as the reference implementation writes it).
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	p := s.opts.Argon2
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	if err := s.acquireHash(ctx); err != nil {
		return "", err
	}
	defer s.releaseHash()
	tag := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(tag)), nil
}

// verifyPassword reports whether pw matches the PHC string, comparing in
// constant time, and whether the hash should be redone with the current
// parameters.
func (s *Service) verifyPassword(ctx context.Context, phc, pw string) (ok, stale bool, err error) {
	p, salt, tag, err := parsePHC(phc)
	if err != nil {
		return false, false, err
	}
	if err := s.acquireHash(ctx); err != nil {
		return false, false, err
	}
	defer s.releaseHash()
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(tag)))
	ok = subtle.ConstantTimeCompare(got, tag) == 1
	cur := s.opts.Argon2
	stale = p.Memory != cur.Memory || p.Time != cur.Time || p.Threads != cur.Threads ||
		uint32(len(salt)) != cur.SaltLen || uint32(len(tag)) != cur.KeyLen
	return ok, stale, nil
}

// parsePHC reads what hashPassword writes; parameters outside our bounds
// are refused so that a damaged record cannot make a login allocate
// unbounded memory.
func parsePHC(phc string) (p Argon2Params, salt, tag []byte, err error) {
	bad := fmt.Errorf("%w: password hash", ErrCorrupt)
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, bad
	}
	var m, t, th uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, bad
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			th = n
		default:
			return p, nil, nil, bad
		}
	}
	if th > 255 {
		return p, nil, nil, bad
	}
	if salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return p, nil, nil, bad
	}
	if tag, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil {
		return p, nil, nil, bad
	}
	p = Argon2Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th), SaltLen: uint32(len(salt)), KeyLen: uint32(len(tag))}
	if p.validate() != nil {
		return p, nil, nil, bad
	}
	return p, salt, tag, nil
}

func (s *Service) acquireHash(ctx context.Context) error {
	select {
	case s.hashSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) releaseHash() { <-s.hashSem }
