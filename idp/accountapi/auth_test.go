package accountapi

import (
	"context"
	"testing"
)

// The cookie works like the header for scripts that replay it, but a
// state-changing request made with it must be JSON and same-origin.
func TestCookieAndCSRF(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.signUp("dana@example.org", "dana")
	cookie := map[string]string{"Cookie": cookieName + "=" + u.token}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range cookie {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	body := map[string]any{"webId": u.webID}
	ccURL := u.control("account.clientCredentials")

	must(t, "GET by cookie", e.do(req{method: "GET", url: ccURL, header: cookie}), 200)
	must(t, "POST by cookie, JSON", e.do(req{method: "POST", url: ccURL, body: body, header: cookie}), 200)
	must(t, "POST by cookie, own Origin, no Fetch Metadata", e.do(req{method: "POST", url: ccURL, body: body,
		header: with(map[string]string{"Origin": e.srv.URL})}), 200)
	must(t, "GET by cookie, typed into the address bar", e.do(req{method: "GET", url: ccURL,
		header: with(map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"})}), 200)
	// SECURITY row 58: a browser's script may not use the cookie, not even
	// from this origin, where a pod's stored page lives in the path layout.
	for name, hdr := range map[string]map[string]string{
		"same-origin fetch":              {"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
		"same-origin navigation":         {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
		"same-origin iframe":             {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"},
		"sandboxed page":                 {"Origin": "null", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
		"Origin null, no Fetch Metadata": {"Origin": "null"},
		"same-site pod host":             {"Origin": "http://alice.localhost", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"},
	} {
		must(t, "GET by cookie, "+name, e.do(req{method: "GET", url: ccURL, header: with(hdr)}), 403)
		must(t, "POST by cookie, "+name, e.do(req{method: "POST", url: ccURL, body: body, header: with(hdr)}), 403)
		must(t, "GET account by cookie, "+name, e.do(req{method: "GET", url: u.control("account.account"), header: with(hdr)}), 403)
	}
	must(t, "POST by cookie, form", e.do(req{method: "POST", url: ccURL, body: "webId=x",
		header: with(map[string]string{"Content-Type": "application/x-www-form-urlencoded"})}), 403)
	must(t, "POST by cookie, text/plain", e.do(req{method: "POST", url: ccURL, body: `{"webId":"` + u.webID + `"}`,
		header: with(map[string]string{"Content-Type": "text/plain"})}), 403)
	must(t, "POST by cookie, no type", e.do(req{method: "POST", url: ccURL, header: cookie}), 403)
	must(t, "POST by cookie, other origin", e.do(req{method: "POST", url: ccURL, body: body,
		header: with(map[string]string{"Origin": "https://evil.example"})}), 403)
	must(t, "POST by cookie, cross-site", e.do(req{method: "POST", url: ccURL, body: body,
		header: with(map[string]string{"Sec-Fetch-Site": "cross-site"})}), 403)
	must(t, "POST by cookie, same-site", e.do(req{method: "POST", url: ccURL, body: body,
		header: with(map[string]string{"Sec-Fetch-Site": "same-site"})}), 403)
	// The header is not forgeable: other origins may use it.
	must(t, "POST by header from another origin", e.do(req{method: "POST", url: ccURL, token: u.token, body: body,
		header: map[string]string{"Origin": "https://app.example"}}), 200)

	// CORS: "*" and never credentials.
	pre := e.do(req{method: "OPTIONS", url: ccURL, header: map[string]string{
		"Origin": "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}})
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "*" || pre.header.Get("Access-Control-Allow-Credentials") != "" ||
		pre.header.Get("Access-Control-Allow-Headers") == "" {
		t.Fatalf("preflight: %d %v", pre.status, pre.header)
	}
}

// The token from account creation stands for the account's session once
// a login was added; logging out, ending all sessions and the alias's
// lifetime all end it.
func TestPendingTokens(t *testing.T) {
	e := newEnv(t, envOptions{api: Options{MaxPending: 3}})
	ctx := context.Background()

	// An unbound pending account expires.
	tok := must(t, "create", e.post(e.base+".account/account/", "", nil), 200).str("authorization")
	idx := must(t, "index", e.get(e.base+".account/", tok), 200)
	must(t, "pending details", e.get(idx.str("controls.account.account"), tok), 200)
	e.clock.advance(defaultPendingTTL + 1)
	must(t, "expired pending", e.get(idx.str("controls.account.account"), tok), 401)

	// The table is bounded: when full of live entries, 429.
	var toks []string
	for i := range 3 {
		toks = append(toks, must(t, "fill", e.post(e.base+".account/account/", "", nil), 200).str("authorization"))
		_ = i
	}
	must(t, "full", e.post(e.base+".account/account/", "", nil), 429)
	// Logging out of a pending account frees its entry.
	out := must(t, "index", e.get(e.base+".account/", toks[0]), 200).str("controls.account.logout")
	must(t, "logout pending", e.post(out, toks[0], nil), 200)
	must(t, "room again", e.post(e.base+".account/account/", "", nil), 200)
	e.clock.advance(defaultPendingTTL + 1) // sweep the rest

	// An alias follows its session.
	u := e.signUp("erin@example.org", "erin")
	acct, err := e.accounts.ByEmail(ctx, "erin@example.org")
	if err != nil {
		t.Fatal(err)
	}
	// The account's own id works in URLs as well as the pending handle.
	must(t, "by account id", e.get(e.base+".account/account/"+acct.ID+"/", u.token), 200)
	if err := e.accounts.EndAllSessions(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	must(t, "after EndAllSessions", e.get(u.control("account.account"), u.token), 401)

	v := e.signUp("fay@example.org", "")
	e.clock.advance(defaultAliasTTL + 1)
	must(t, "alias expired", e.get(v.control("account.account"), v.token), 401)
	// A login gives a real session, which outlives the alias.
	login := must(t, "login", e.post(e.base+".account/login/password/", "", map[string]any{"email": "fay@example.org", "password": testPassword}), 200)
	must(t, "session", e.get(login.str("controls.account.account"), login.str("authorization")), 200)

	// Logging out through an alias ends the session behind it.
	w := e.signUp("gus@example.org", "")
	must(t, "logout", e.post(w.control("account.logout"), w.token, nil), 200)
	must(t, "after logout", e.get(w.control("account.account"), w.token), 401)
}
