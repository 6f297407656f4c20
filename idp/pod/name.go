package pod

import (
	"errors"
	"fmt"
)

// ErrInvalidName: the name cannot be a pod's (syntax or reserved).
var ErrInvalidName = errors.New("pod: invalid name")

// MaxNameLen is the longest pod name: a DNS label, so that the same names
// work for subdomain pods.
const MaxNameLen = 63

// reservedNames cannot be pod names. They are the server's own top-level
// routes, present or planned (the account API and pages, the OpenID
// Provider, WebFinger/NodeInfo and other well-known endpoints, static
// assets), names a visitor would take for the site's own (admin, root,
// support, ...), and host names a subdomain layout must keep (www, mail).
// Names starting with "." (/.well-known/, /.account/) cannot be chosen
// anyway: a name has only lowercase letters, digits and '-'.
var reservedNames = map[string]bool{
	"well-known": true, "account": true, "accounts": true, "oidc": true, "idp": true,
	"naamio": true, "inbox": true, "outbox": true, "profile": true, "settings": true,
	"admin": true, "administrator": true, "root": true, "system": true, "support": true,
	"api": true, "static": true, "assets": true, "public": true, "auth": true,
	"login": true, "logout": true, "signup": true, "register": true, "consent": true,
	"token": true, "jwks": true, "nodeinfo": true, "webfinger": true, "users": true,
	"health": true, "metrics": true, "www": true, "mail": true, "localhost": true,
}

// ValidName reports whether name may name a new pod: 1 to 63 characters,
// lowercase ASCII letters, digits and '-', not starting or ending with
// '-', without "--" at positions 3-4 (the IDNA "xn--" form, which a
// subdomain layout would show as another name), and not reserved.
// Errors match ErrInvalidName.
func ValidName(name string) error {
	if err := checkSyntax(name); err != nil {
		return err
	}
	if reservedNames[name] {
		return fmt.Errorf("%w: %q is reserved", ErrInvalidName, name)
	}
	return nil
}

// checkSyntax is ValidName without the reserved list: a pod created before
// a name was reserved can still be found and deleted.
func checkSyntax(name string) error {
	if len(name) == 0 || len(name) > MaxNameLen {
		return fmt.Errorf("%w: a name has 1 to %d characters", ErrInvalidName, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("%w: %q: only lowercase letters, digits and '-'", ErrInvalidName, name)
		}
	}
	if name[0] == '-' || name[len(name)-1] == '-' {
		return fmt.Errorf("%w: %q starts or ends with '-'", ErrInvalidName, name)
	}
	if len(name) >= 4 && name[2:4] == "--" {
		return fmt.Errorf("%w: %q has '--' at positions 3-4", ErrInvalidName, name)
	}
	return nil
}
