// Package accountapi serves the account API of the Community Solid Server
// (CSS) v7 — its JSON API under /.account/ (API version 0.5) — on top of
// Naamio's account system (idp/account) and pod provisioning (idp), so
// that scripts and the Solid conformance harness's credential helper
// written for CSS work against Naamio unchanged. Pages for people live
// elsewhere; this handler only speaks JSON.
//
// # Endpoints
//
// Every success answer is a JSON object with a "controls" object (the
// URLs below, by CSS's names; the account ones only with a valid token);
// a GET on a POST API describes its input as {"fields": ...}.
//
//	GET    .account/                          controls.main.index  {"version":"0.5"}
//	GET    .account/login/                    controls.main.logins {"logins":{"password":<url>}}
//	POST   .account/login/password/           controls.password.login {"email","password","remember"} → {"authorization"}
//	POST   .account/account/                  controls.account.create (empty) → {"authorization"}
//	GET    .account/account/<a>/              controls.account.account {"logins","pods","webIds","clientCredentials","settings"}
//	POST   .account/account/<a>/logout/       controls.account.logout → {}
//	GET    .account/account/<a>/login/password/      {"passwordLogins":{<email>:<url>}}
//	POST   .account/account/<a>/login/password/      controls.password.create {"email","password"} → {"resource"}
//	GET|POST|DELETE .account/account/<a>/login/password/<id>/  show / {"oldPassword","newPassword"} / refused
//	GET    .account/account/<a>/pod/                 {"pods":{<pod URL>:<url>}}
//	POST   .account/account/<a>/pod/                 controls.account.pod {"name"} → {"pod","webId","podResource","webIdResource"}
//	GET    .account/account/<a>/pod/<name>/          {"baseUrl","owners":[{"webId","visible"}]}
//	GET    .account/account/<a>/webid/               controls.account.webId {"webIdLinks":{<WebID>:<url>}}
//	GET    .account/account/<a>/client-credentials/  {"clientCredentials":{<id>:<url>}}
//	POST   .account/account/<a>/client-credentials/  controls.account.clientCredentials {"name","webId"} → {"id","secret","resource"}
//	GET|DELETE .account/account/<a>/client-credentials/<id>/  {"id","name","webId"} / {}
//
// Errors have CSS's shape, {"name": "BadRequestHttpError", "message",
// "statusCode", "errorCode": "H400", "details": {}}: 400 bad JSON or
// fields, 401 no or invalid token, 403 closed registration, wrong login,
// another account's URL, or a pending account doing more than adding its
// login, 404, 405, 409 email or pod name taken, 413 body over 64 KiB, 415
// a body that is not JSON, 429 login rate limits or a full pending table.
//
// # Mapping CSS's model onto Naamio's
//
//   - Account tokens are account sessions (account.Service NewSession /
//     Session / EndSession), accepted as "Authorization: CSS-Account-Token
//     <token>" or as the css-account cookie (HttpOnly, SameSite=Lax,
//     Secure over https, path .account/).
//   - CSS creates an empty account, then adds an email/password login to
//     it; a Naamio account needs both at creation. So account creation
//     opens a short-lived pending entry in memory, and adding the login
//     creates the account (account.Service.Create: registration mode,
//     invite codes — sent as "invite" with the login — and email
//     uniqueness apply) and a session, which the pending token then
//     stands for. Bounds, lifetimes and what a restart does: pending.go.
//     Closed registration is refused at account creation already.
//   - A Naamio account has one email/password login; adding a second
//     answers 409, removing it 403. Password change uses
//     account.Service.ChangePassword.
//   - Login is account.Service.Login: identical 403 for unknown email and
//     wrong password, its rate limits per email and per address (the
//     request's RemoteAddr) answer 429.
//   - Pods are made by idp.Provisioner.CreatePod, which also links the
//     pod's WebID to the account; CSS's "settings.webId" (a pod for an
//     outside WebID) and linking outside WebIDs are refused with 400.
//   - Client credentials are account.Service's: the returned "id" is the
//     client_id for the token endpoint (CSS uses the label there; here
//     the name is only a label, and defaults to "client-credentials").
//     Lists are keyed by that id.
//   - Not offered: password reset by mail (forgot/reset controls), OIDC
//     interaction controls and HTML controls; CSS omits disabled features
//     the same way.
//
// # Forged requests
//
// The API is meant for the Authorization header, which another site
// cannot make a browser send. The cookie is accepted too (CSS scripts
// replay it), but never from a browser's script (SECURITY row 58): a
// cookie-authenticated request that carries Sec-Fetch-Site other than
// "none" (an address typed by the person), or an Origin other than this
// server's, is refused — in the path layout a pod's stored page shares
// this origin, so "same-origin" proves nothing. A cookie-authenticated
// state-changing request must also be a POST with a JSON Content-Type or
// a DELETE — requests a browser without Fetch Metadata only sends
// cross-origin after a CORS preflight, which this handler answers with
// "Access-Control-Allow-Origin: *" and so never for credentials. For this
// to hold, the server must not wrap the handler in the pods' credentialed
// CORS middleware.
//
// Passwords, tokens and secrets are never logged; a new client secret is
// returned once, in the answer that created it.
package accountapi
