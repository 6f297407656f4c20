package account

import (
	"fmt"
	"net/url"
	"time"
)

// Registration says who may create an account with Create.
type Registration string

const (
	// RegistrationOpen: anyone may sign up (the zero value).
	RegistrationOpen Registration = "open"
	// RegistrationInvite: sign-up needs a single-use invite code from an admin.
	RegistrationInvite Registration = "invite"
	// RegistrationClosed: only Provision (the operator's command) creates accounts.
	RegistrationClosed Registration = "closed"
)

// RateLimit is a fixed window: after Failures counted attempts within
// Window of the first one, further attempts fail with ErrRateLimited until
// the window has passed. MaxKeys bounds the memory of the table.
type RateLimit struct {
	Failures int
	Window   time.Duration
	MaxKeys  int
}

// DefaultSignupsPerHour is Options.SignupLimit's default: sign-ups per
// remote address in an hour.
const DefaultSignupsPerHour = 10

// Options configure a Service. The zero value is usable: open registration,
// strong Argon2id parameters, 14-day sessions, 1-hour reset tokens.
type Options struct {
	// Registration is the sign-up mode for Create ("" means open).
	Registration Registration
	// Revoker, if set, makes Delete and DeleteClientCredentials revoke the
	// account's or the credential's tokens first (SECURITY.md row 59).
	Revoker Revoker
	// FirstAccountAdmin makes the first account ever created an admin.
	FirstAccountAdmin bool
	// BaseURL is the server's public URL; https makes cookies Secure.
	BaseURL string
	// CookieName overrides the session cookie's name (default
	// "__Host-naamio-session" over https, "naamio-session" otherwise).
	CookieName string
	// SessionTTL is how long a session lives (default 14 days).
	SessionTTL time.Duration
	// SlidingSessions renews a session's lifetime when it is used after
	// half of it has passed.
	SlidingSessions bool
	// ResetTTL is how long a password-reset token is valid (default 1 hour).
	ResetTTL time.Duration
	// InviteTTL is how long an invite code is valid (default 7 days;
	// negative: no expiry).
	InviteTTL time.Duration
	// Argon2 are the parameters for new password hashes (zero: DefaultArgon2).
	// Hashes made with other parameters are upgraded at the next login.
	Argon2 Argon2Params
	// MaxConcurrentHashes bounds how many Argon2id computations run at
	// once, and so their memory (default 4: 256 MiB with DefaultArgon2).
	MaxConcurrentHashes int
	// AccountLimit limits failed logins per email (default 10 per 15 minutes).
	AccountLimit RateLimit
	// IPLimit limits failed logins per remote address, IPv6 per /64
	// (default 30 per 15 minutes).
	IPLimit RateLimit
	// SignupLimit limits sign-ups (Create) per remote address, IPv6 per
	// /64 (default 10 per hour). Every sign-up that passes the syntax
	// checks counts, whether or not it creates an account (a taken email
	// or a bad invite too, so that sign-up cannot probe many emails); only
	// failures of the server itself are given back. Provision and sign-ups
	// without NewAccount.RemoteIP are not limited.
	SignupLimit RateLimit
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

const (
	defaultSessionTTL = 14 * 24 * time.Hour
	defaultResetTTL   = time.Hour
	defaultInviteTTL  = 7 * 24 * time.Hour
	defaultMaxKeys    = 100_000

	defaultLoginWindow  = 15 * time.Minute
	defaultSignups      = DefaultSignupsPerHour
	defaultSignupWindow = time.Hour
)

func (o Options) withDefaults() (Options, error) {
	switch o.Registration {
	case "":
		o.Registration = RegistrationOpen
	case RegistrationOpen, RegistrationInvite, RegistrationClosed:
	default:
		return o, fmt.Errorf("account: unknown registration mode %q", o.Registration)
	}
	secure := false
	if o.BaseURL != "" {
		u, err := url.Parse(o.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, fmt.Errorf("account: base URL %q is not an absolute http(s) URL", o.BaseURL)
		}
		secure = u.Scheme == "https"
	}
	if o.CookieName == "" {
		o.CookieName = "naamio-session"
		if secure {
			// The __Host- prefix pins the cookie to this host, Secure and Path=/.
			o.CookieName = "__Host-naamio-session"
		}
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = defaultSessionTTL
	}
	if o.ResetTTL <= 0 {
		o.ResetTTL = defaultResetTTL
	}
	if o.InviteTTL == 0 {
		o.InviteTTL = defaultInviteTTL
	}
	if o.Argon2 == (Argon2Params{}) {
		o.Argon2 = DefaultArgon2
	}
	if err := o.Argon2.validate(); err != nil {
		return o, err
	}
	if o.MaxConcurrentHashes <= 0 {
		o.MaxConcurrentHashes = 4
	}
	o.AccountLimit = o.AccountLimit.withDefaults(10, defaultLoginWindow)
	o.IPLimit = o.IPLimit.withDefaults(30, defaultLoginWindow)
	o.SignupLimit = o.SignupLimit.withDefaults(defaultSignups, defaultSignupWindow)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

func (r RateLimit) withDefaults(failures int, window time.Duration) RateLimit {
	if r.Failures <= 0 {
		r.Failures = failures
	}
	if r.Window <= 0 {
		r.Window = window
	}
	if r.MaxKeys <= 0 {
		r.MaxKeys = defaultMaxKeys
	}
	return r
}

func (o Options) secureCookies() bool {
	u, err := url.Parse(o.BaseURL)
	return err == nil && u.Scheme == "https"
}
