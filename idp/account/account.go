package account

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/naamio/naamio/kv"
)

// Account is what callers see of an account; the password hash never
// leaves the package.
type Account struct {
	ID      string
	Email   string
	Admin   bool
	Created time.Time
	// Pods and WebIDs are set by the caller (pod provisioning) with
	// NewAccount or AddPod.
	Pods   []string
	WebIDs []string
	// Disabled: an administrator disabled it (Disable).
	Disabled bool
}

// NewAccount is a sign-up.
type NewAccount struct {
	Email    string
	Password string
	// Invite is the code for invite-only registration (ignored otherwise).
	Invite string
	Pods   []string
	WebIDs []string
	// RemoteIP is the address the sign-up comes from, for the per-address
	// limit on Create (Options.SignupLimit); "" is not limited, so every
	// caller serving outside requests must set it.
	RemoteIP string
}

func (r *accountRecord) account() *Account {
	return &Account{ID: r.ID, Email: r.Email, Admin: r.Admin, Created: r.Created,
		Pods: slices.Clone(r.Pods), WebIDs: slices.Clone(r.WebIDs), Disabled: r.Disabled}
}

// Create signs up under the registration mode: open, invite-only (the
// invite code is used up in the same transaction) or closed. With
// FirstAccountAdmin, the first account ever created is an admin. The
// email is unique: of two concurrent sign-ups with one email exactly one
// succeeds, the other gets ErrEmailTaken. Sign-ups are limited per
// n.RemoteIP (Options.SignupLimit): past the limit Create answers
// ErrRateLimited, after the mode and syntax checks and before any
// lookup or password hash.
func (s *Service) Create(ctx context.Context, n NewAccount) (*Account, error) {
	switch s.opts.Registration {
	case RegistrationClosed:
		return nil, ErrRegistrationClosed
	case RegistrationInvite:
		if n.Invite == "" {
			return nil, ErrInviteRequired
		}
	default:
		n.Invite = ""
	}
	return s.create(ctx, n, false, true)
}

// Provision creates an account whatever the registration mode, for the
// operator's command line (naamio account create); admin makes it an
// administrator.
func (s *Service) Provision(ctx context.Context, n NewAccount, admin bool) (*Account, error) {
	n.Invite = ""
	return s.create(ctx, n, admin, false)
}

// create makes the account; limit applies the per-address sign-up limit.
func (s *Service) create(ctx context.Context, n NewAccount, admin, limit bool) (_ *Account, err error) {
	email, err := NormalizeEmail(n.Email)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(n.Password); err != nil {
		return nil, err
	}
	if limit && n.RemoteIP != "" {
		if !s.limits.takeSignup(n.RemoteIP, s.now()) {
			return nil, ErrRateLimited
		}
		defer func() {
			if err != nil && !clientFault(ctx, err) {
				s.limits.refundSignup(n.RemoteIP)
			}
		}()
	}
	// Cheap checks first, so that sign-ups bound to fail cost no hash; the
	// transaction checks again.
	if err := s.precheck(ctx, email, n.Invite); err != nil {
		return nil, err
	}
	// Hash before the transaction: it is slow, and the transaction may run
	// more than once.
	hash, err := s.hashPassword(ctx, n.Password)
	if err != nil {
		return nil, err
	}
	rec := &accountRecord{V: recordVersion, ID: newToken(idBytes), Email: email, Hash: hash,
		Created: s.now().UTC(), Pods: slices.Clone(n.Pods), WebIDs: slices.Clone(n.WebIDs)}
	err = s.kv.Update(ctx, func(tx kv.Txn) error {
		rec.Admin = admin
		var idx emailRecord
		if taken, err := txGet(tx, keyEmail(email), &idx); err != nil {
			return err
		} else if taken {
			return ErrEmailTaken
		}
		if n.Invite != "" {
			if err := s.useInvite(tx, n.Invite); err != nil {
				return err
			}
		}
		var first firstRecord
		exists, err := txGet(tx, keyFirst, &first)
		if err != nil {
			return err
		}
		if !exists {
			rec.Admin = rec.Admin || s.opts.FirstAccountAdmin
			if err := txPut(tx, keyFirst, &firstRecord{V: recordVersion, Account: rec.ID}, 0); err != nil {
				return err
			}
		}
		if err := txPut(tx, keyEmail(email), &emailRecord{V: recordVersion, ID: rec.ID}, 0); err != nil {
			return err
		}
		return txPut(tx, keyAccount(rec.ID), rec, 0)
	})
	if err != nil {
		return nil, fmt.Errorf("account: create: %w", err)
	}
	return rec.account(), nil
}

// clientFault reports whether a failed sign-up still counts towards the
// address's limit: a taken email or bad invite (the client's doing), or a
// request abandoned half-way; a failure of the server is given back.
func clientFault(ctx context.Context, err error) bool {
	return errors.Is(err, ErrEmailTaken) || errors.Is(err, ErrBadInvite) || ctx.Err() != nil
}

func (s *Service) precheck(ctx context.Context, email, invite string) error {
	var idx emailRecord
	if taken, err := s.get(ctx, keyEmail(email), &idx); err != nil {
		return fmt.Errorf("account: create: %w", err)
	} else if taken {
		return ErrEmailTaken
	}
	if invite == "" {
		return nil
	}
	var inv inviteRecord
	if len(invite) > maxTokenLen {
		return ErrBadInvite
	}
	if found, err := s.get(ctx, keyInvite(invite), &inv); err != nil {
		return fmt.Errorf("account: create: %w", err)
	} else if !found {
		return ErrBadInvite
	}
	return nil
}

// Get returns the account with this id, or ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*Account, error) {
	rec, err := s.record(ctx, id)
	if err != nil {
		return nil, err
	}
	return rec.account(), nil
}

func (s *Service) record(ctx context.Context, id string) (*accountRecord, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	var rec accountRecord
	found, err := s.get(ctx, keyAccount(id), &rec)
	if err != nil {
		return nil, fmt.Errorf("account: get: %w", err)
	}
	if !found {
		return nil, ErrNotFound
	}
	return &rec, nil
}

// ByEmail returns the account with this email (normalized first), or
// ErrNotFound.
func (s *Service) ByEmail(ctx context.Context, email string) (*Account, error) {
	rec, err := s.recordByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return rec.account(), nil
}

func (s *Service) recordByEmail(ctx context.Context, email string) (*accountRecord, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, ErrNotFound
	}
	var idx emailRecord
	found, err := s.get(ctx, keyEmail(email), &idx)
	if err != nil {
		return nil, fmt.Errorf("account: by email: %w", err)
	}
	if !found {
		return nil, ErrNotFound
	}
	return s.record(ctx, idx.ID)
}

// update runs fn on the account record inside one transaction and writes
// it back.
func (s *Service) update(ctx context.Context, id string, fn func(rec *accountRecord) error) (*accountRecord, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	var rec accountRecord
	err := s.kv.Update(ctx, func(tx kv.Txn) error {
		rec = accountRecord{}
		found, err := txGet(tx, keyAccount(id), &rec)
		if err != nil {
			return err
		}
		if !found {
			return ErrNotFound
		}
		if err := fn(&rec); err != nil {
			return err
		}
		return txPut(tx, keyAccount(id), &rec, 0)
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// AddPod records a pod (and the WebID it holds, if any) for the account;
// adding one twice is not an error.
func (s *Service) AddPod(ctx context.Context, accountID, pod, webID string) error {
	if pod == "" || len(pod) > maxNameLen {
		return ErrInvalidName
	}
	_, err := s.update(ctx, accountID, func(rec *accountRecord) error {
		if !slices.Contains(rec.Pods, pod) {
			rec.Pods = append(rec.Pods, pod)
		}
		if webID != "" && !slices.Contains(rec.WebIDs, webID) {
			rec.WebIDs = append(rec.WebIDs, webID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("account: add pod: %w", err)
	}
	return nil
}

// RemovePod undoes AddPod for a pod whose creation failed: the account
// loses the pod and its WebID (else, once someone else made a pod of that
// name, the account could bind credentials to their WebID). Removing one
// the account does not have is not an error.
func (s *Service) RemovePod(ctx context.Context, accountID, pod, webID string) error {
	_, err := s.update(ctx, accountID, func(rec *accountRecord) error {
		rec.Pods = slices.DeleteFunc(rec.Pods, func(p string) bool { return p == pod })
		rec.WebIDs = slices.DeleteFunc(rec.WebIDs, func(w string) bool { return w == webID })
		return nil
	})
	if err != nil {
		return fmt.Errorf("account: remove pod: %w", err)
	}
	return nil
}

// SetAdmin grants or withdraws administrator rights.
func (s *Service) SetAdmin(ctx context.Context, accountID string, admin bool) error {
	_, err := s.update(ctx, accountID, func(rec *accountRecord) error {
		rec.Admin = admin
		return nil
	})
	if err != nil {
		return fmt.Errorf("account: set admin: %w", err)
	}
	return nil
}

// ChangePassword replaces the password after checking the old one
// (ErrBadLogin when wrong; failures count towards the account's login
// rate limit). Outstanding reset tokens become void; sessions stay — call
// EndAllSessions to end them.
func (s *Service) ChangePassword(ctx context.Context, accountID, oldPassword, newPassword string) error {
	if err := checkPassword(newPassword); err != nil {
		return err
	}
	rec, err := s.record(ctx, accountID)
	if err != nil {
		return err
	}
	if !s.limits.take(rec.Email, "", s.now()) {
		return ErrRateLimited
	}
	ok := false
	if len(oldPassword) <= MaxPasswordBytes {
		if ok, _, err = s.verifyPassword(ctx, rec.Hash, oldPassword); err != nil {
			return fmt.Errorf("account: change password: %w", err)
		}
	}
	if !ok {
		return ErrBadLogin
	}
	s.limits.succeed(rec.Email, "")
	hash, err := s.hashPassword(ctx, newPassword)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, accountID, func(cur *accountRecord) error {
		if cur.Hash != rec.Hash {
			// Changed meanwhile: the old password checked is no longer current.
			return ErrBadLogin
		}
		cur.Hash = hash
		cur.PwGen++
		return nil
	})
	if err != nil {
		return fmt.Errorf("account: change password: %w", err)
	}
	return nil
}

// Delete removes the account, its email, client credentials and
// approvals, and returns its pod names so that the caller deletes the
// pods. Its sessions and reset tokens stop working at once (they need the
// account) and expire from the store by TTL; its access tokens are
// revoked first (Options.Revoker, SECURITY.md row 59). The first-account marker
// stays: a later sign-up does not become an administrator.
func (s *Service) Delete(ctx context.Context, accountID string) (pods []string, err error) {
	return s.delete(ctx, accountID, false)
}

// Undo removes an account whose sign-up failed before it was handed out
// (its pod could not be made), as if it had never been created: like
// Delete, and when it was the first account, the first-account marker
// too, so that the next sign-up is the first (and, with
// FirstAccountAdmin, the administrator) in its place (issue 10, item 6).
func (s *Service) Undo(ctx context.Context, accountID string) error {
	_, err := s.delete(ctx, accountID, true)
	return err
}

func (s *Service) delete(ctx context.Context, accountID string, undo bool) (pods []string, err error) {
	if !validID(accountID) {
		return nil, ErrNotFound
	}
	// Tokens first: once this returns, none issued for the account works
	// and no new one can be had (a Delete that fails later leaves an
	// account without tokens, which a retry finishes deleting). An undone
	// sign-up was never logged in: it has no tokens.
	if s.revoker != nil && !undo {
		if err := s.revoker.RevokeAccount(ctx, accountID); err != nil {
			return nil, fmt.Errorf("account: delete: revoking tokens: %w", err)
		}
	}
	// Dependants next: if this fails the account still exists and Delete
	// can be retried. A credential added between here and the transaction
	// below is dead anyway, since checking one needs the account.
	if err := s.deleteDependants(ctx, accountID); err != nil {
		return nil, fmt.Errorf("account: delete: %w", err)
	}
	err = s.kv.Update(ctx, func(tx kv.Txn) error {
		var rec accountRecord
		found, err := txGet(tx, keyAccount(accountID), &rec)
		if err != nil {
			return err
		}
		if !found {
			return ErrNotFound
		}
		pods = slices.Clone(rec.Pods)
		if undo {
			var first firstRecord
			if found, err := txGet(tx, keyFirst, &first); err != nil {
				return err
			} else if found && first.Account == accountID {
				if err := tx.Delete(keyFirst); err != nil {
					return err
				}
			}
		}
		if err := tx.Delete(keyAccount(accountID)); err != nil {
			return err
		}
		return tx.Delete(keyEmail(rec.Email))
	})
	if err != nil {
		return nil, fmt.Errorf("account: delete: %w", err)
	}
	return pods, nil
}

func (s *Service) deleteDependants(ctx context.Context, accountID string) error {
	var keys []string
	err := s.kv.List(ctx, prefixCredBy(accountID), func(key string, _ []byte) error {
		id := key[len(prefixCredBy(accountID)):]
		keys = append(keys, key, keyCred(id))
		return nil
	})
	if err != nil {
		return err
	}
	err = s.kv.List(ctx, prefixApproved(accountID), func(key string, _ []byte) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(keys, 500) {
		err := s.kv.Update(ctx, func(tx kv.Txn) error {
			for _, k := range chunk {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
