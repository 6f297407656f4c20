package account

import (
	"errors"
	"fmt"
)

// Sentinel errors. None of them carries a secret; wrap them with %w.
var (
	// ErrNotFound: no such account, credential or approval.
	ErrNotFound = errors.New("account: not found")
	// ErrInvalidEmail: not a plain address net/mail accepts.
	ErrInvalidEmail = errors.New("account: invalid email address")
	// ErrEmailTaken: another account already has this email.
	ErrEmailTaken = errors.New("account: email already registered")
	// ErrPasswordTooShort: fewer than MinPasswordLen characters.
	ErrPasswordTooShort = errors.New("account: password too short")
	// ErrPasswordTooLong: more than MaxPasswordBytes bytes.
	ErrPasswordTooLong = errors.New("account: password too long")
	// ErrRegistrationClosed: the server does not accept sign-ups.
	ErrRegistrationClosed = errors.New("account: registration is closed")
	// ErrInviteRequired: invite-only registration and no code given.
	ErrInviteRequired = errors.New("account: an invite code is required")
	// ErrBadInvite: unknown, used or expired invite code.
	ErrBadInvite = errors.New("account: invalid invite code")
	// ErrNotAdmin: the account is not an administrator.
	ErrNotAdmin = errors.New("account: not an administrator")
	// ErrBadLogin: unknown email or wrong password (deliberately the same).
	ErrBadLogin = errors.New("account: wrong email or password")
	// ErrDisabled: the right password for a disabled account (Disable).
	// It matches ErrBadLogin too, so every caller refuses the log-in.
	ErrDisabled = fmt.Errorf("%w: the account is disabled", ErrBadLogin)
	// ErrRateLimited: too many failed attempts; try again later.
	ErrRateLimited = errors.New("account: too many failed attempts")
	// ErrNoSession: unknown, ended or expired session token.
	ErrNoSession = errors.New("account: no such session")
	// ErrBadToken: unknown, used or expired reset token.
	ErrBadToken = errors.New("account: invalid or expired token")
	// ErrBadCredentials: unknown client credential id or wrong secret.
	ErrBadCredentials = errors.New("account: invalid client credentials")
	// ErrWebIDNotOwned: the WebID is not one of the account's.
	ErrWebIDNotOwned = errors.New("account: WebID does not belong to the account")
	// ErrInvalidName: empty or overlong name.
	ErrInvalidName = errors.New("account: invalid name")
	// ErrInvalidClient: empty or overlong client identifier, or bad scope.
	ErrInvalidClient = errors.New("account: invalid client identifier")
	// ErrCorrupt: a stored record could not be decoded.
	ErrCorrupt = errors.New("account: corrupt record")
)
