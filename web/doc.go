// Package web serves Naamio's account pages under /.idp/: sign-up, log-in,
// consent, the account page, log-out and password reset. The pages are
// server-rendered html/template files embedded with go:embed, styled with
// one plain CSS file and usable without JavaScript; every response carries
// a strict Content-Security-Policy and refuses framing.
//
// The package holds no domain rules: accounts, sessions, CSRF tokens,
// rate limits and consent records belong to idp/account, pods to
// idp.Provisioner and the authorization flow to idp/op. Handler is the
// provider's op.Interaction (Begin sends the browser to the log-in page)
// and op.Sessions (logout ends the page session).
//
// Two bindings protect the forms (see cookies.go and claims.go):
//   - CSRF: forms shown in a session carry account.Service.CSRFToken of
//     the session token; forms shown before log-in carry the same HMAC of
//     a random pre-session cookie (HttpOnly, SameSite=Strict).
//   - Interactions: the first browser to open the log-in page of an
//     authorization request claims it with a random HttpOnly SameSite=Lax
//     cookie; only that browser can log in to, approve or deny it.
package web
