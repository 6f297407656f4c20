package accountapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// The flow of CSS scripts and of the conformance harness's credential
// helper: controls → create account → add email/password → create pod →
// client credentials; then list, inspect and delete.
func TestScriptFlow(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()

	idx := must(t, "index", e.get(e.base+".account/", ""), 200)
	if idx.str("version") != "0.5" || idx.str("controls.main.index") != e.base+".account/" ||
		idx.str("controls.account.create") != e.base+".account/account/" ||
		idx.str("controls.password.login") != e.base+".account/login/password/" {
		t.Fatalf("anonymous controls: %s", idx.raw)
	}
	if idx.str("controls.account.pod") != "" || idx.str("controls.password.create") != "" {
		t.Fatalf("anonymous controls show account URLs: %s", idx.raw)
	}
	if idx.header.Get("Content-Type") != "application/json" || idx.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", idx.header)
	}

	// Account creation: an empty POST, as css-populate sends it.
	created := must(t, "create", e.do(req{method: "POST", url: idx.str("controls.account.create")}), 200)
	token := created.str("authorization")
	if token == "" {
		t.Fatalf("create: %s", created.raw)
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: created.header}).Cookies() {
		if c.Name == cookieName {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != token || !cookie.HttpOnly || cookie.Path != "/.account/" {
		t.Fatalf("cookie %+v", cookie)
	}

	full := must(t, "index with token", e.get(e.base+".account/", token), 200)
	acctURL := full.str("controls.account.account")
	for _, k := range []string{"account.pod", "account.clientCredentials", "account.logout", "account.webId", "password.create"} {
		if v := full.str("controls." + k); !strings.HasPrefix(v, acctURL) || acctURL == "" {
			t.Fatalf("controls.%s = %q (account %q)", k, v, acctURL)
		}
	}
	// A pending account can only add its login.
	must(t, "pod before login", e.post(full.str("controls.account.pod"), token, map[string]any{"name": "alice"}), 403)

	pw := must(t, "password.create", e.post(full.str("controls.password.create"), token,
		map[string]any{"email": "alice@Example.org", "password": testPassword}), 200)
	if !strings.HasPrefix(pw.str("resource"), acctURL+"login/password/") {
		t.Fatalf("password resource %s", pw.raw)
	}
	if strings.Contains(pw.raw, testPassword) {
		t.Fatal("password echoed")
	}
	acct, err := e.accounts.ByEmail(ctx, "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}

	// The URLs handed out before the login was added keep working.
	pod := must(t, "create pod", e.post(full.str("controls.account.pod"), token, map[string]any{"name": "alice"}), 200)
	if pod.str("pod") != e.base+"alice/" || pod.str("webId") != e.base+"alice/profile/card#me" ||
		pod.str("podResource") != acctURL+"pod/alice/" || !strings.HasPrefix(pod.str("webIdResource"), acctURL+"webid/") {
		t.Fatalf("pod: %s", pod.raw)
	}
	pods := must(t, "list pods", e.get(full.str("controls.account.pod"), token), 200)
	if pods.obj("pods")[e.base+"alice/"] != acctURL+"pod/alice/" {
		t.Fatalf("pods: %s", pods.raw)
	}
	details := must(t, "pod details", e.get(pod.str("podResource"), token), 200)
	if details.str("baseUrl") != e.base+"alice/" || !strings.Contains(details.raw, pod.str("webId")) {
		t.Fatalf("pod details: %s", details.raw)
	}
	webids := must(t, "webids", e.get(full.str("controls.account.webId"), token), 200)
	if webids.obj("webIdLinks")[pod.str("webId")] != pod.str("webIdResource") {
		t.Fatalf("webIdLinks: %s", webids.raw)
	}
	must(t, "webid link", e.get(pod.str("webIdResource"), token), 200)

	cc := must(t, "client credentials", e.post(full.str("controls.account.clientCredentials"), token,
		map[string]any{"name": "my-token", "webId": pod.str("webId")}), 200)
	id, secret := cc.str("id"), cc.str("secret")
	if id == "" || secret == "" || cc.str("resource") != acctURL+"client-credentials/"+id+"/" {
		t.Fatalf("client credentials: %s", cc.raw)
	}
	webID, acctID, err := e.accounts.CheckClientCredentials(ctx, id, secret)
	if err != nil || webID != pod.str("webId") || acctID != acct.ID {
		t.Fatalf("CheckClientCredentials: %q %q %v", webID, acctID, err)
	}
	list := must(t, "list credentials", e.get(full.str("controls.account.clientCredentials"), token), 200)
	if list.obj("clientCredentials")[id] != cc.str("resource") || strings.Contains(list.raw, secret) {
		t.Fatalf("list: %s", list.raw)
	}
	one := must(t, "credential", e.get(cc.str("resource"), token), 200)
	if one.str("id") != id || one.str("webId") != webID || one.str("name") != "my-token" || strings.Contains(one.raw, secret) {
		t.Fatalf("credential: %s", one.raw)
	}

	info := must(t, "account", e.get(acctURL, token), 200)
	if info.obj("logins.password")["alice@example.org"] == nil || info.obj("pods")[e.base+"alice/"] == nil ||
		info.obj("webIds")[webID] == nil || info.obj("clientCredentials")[id] == nil {
		t.Fatalf("account: %s", info.raw)
	}

	must(t, "delete credential", e.do(req{method: "DELETE", url: cc.str("resource"), token: token}), 200)
	if _, _, err := e.accounts.CheckClientCredentials(ctx, id, secret); err == nil {
		t.Fatal("deleted credential still works")
	}
	must(t, "credential after delete", e.get(cc.str("resource"), token), 404)

	// Logout: the token stops working, and so does the session behind it.
	must(t, "logout", e.post(full.str("controls.account.logout"), token, nil), 200)
	must(t, "account after logout", e.get(acctURL, token), 401)
	if after := must(t, "index after logout", e.get(e.base+".account/", token), 200); after.str("controls.account.pod") != "" {
		t.Fatalf("index after logout shows account URLs: %s", after.raw)
	}
}

func TestPasswordLogin(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.signUp("bob@example.org", "bob")
	login := e.base + ".account/login/password/"

	must(t, "login view", e.get(login, ""), 200)
	ok := must(t, "login", e.post(login, "", map[string]any{"email": "bob@example.org", "password": testPassword, "remember": true}), 200)
	token := ok.str("authorization")
	if token == "" || token == u.token || strings.Contains(ok.raw, testPassword) {
		t.Fatalf("login: %s", ok.raw)
	}
	sc := ok.header.Get("Set-Cookie")
	if !strings.Contains(sc, cookieName+"="+token) || !strings.Contains(sc, "Max-Age=") || !strings.Contains(sc, "HttpOnly") {
		t.Fatalf("Set-Cookie %q", sc)
	}
	idx := must(t, "index", e.get(e.base+".account/", token), 200)
	acct, _ := e.accounts.ByEmail(context.Background(), "bob@example.org")
	if idx.str("controls.account.account") != e.base+".account/account/"+acct.ID+"/" {
		t.Fatalf("controls after login: %s", idx.raw)
	}
	cc := must(t, "credentials", e.post(idx.str("controls.account.clientCredentials"), token, map[string]any{"webId": u.webID}), 200)
	if cc.str("id") == "" {
		t.Fatal(cc.raw)
	}
	// Without remember, the cookie lasts the browser session.
	short := must(t, "login", e.post(login, "", map[string]any{"email": "bob@example.org", "password": testPassword}), 200)
	if sc := short.header.Get("Set-Cookie"); strings.Contains(sc, "Max-Age") || strings.Contains(sc, "Expires") {
		t.Fatalf("session cookie %q", sc)
	}

	// Unknown email and wrong password: the same answer.
	wrong := must(t, "wrong password", e.post(login, "", map[string]any{"email": "bob@example.org", "password": "not the password"}), 403)
	unknown := must(t, "unknown email", e.post(login, "", map[string]any{"email": "nobody@example.org", "password": "not the password"}), 403)
	if wrong.raw != unknown.raw || wrong.str("message") != msgBadLogin {
		t.Fatalf("wrong %s / unknown %s", wrong.raw, unknown.raw)
	}

	// The password can be changed on the login's resource.
	info := must(t, "account", e.get(idx.str("controls.account.account"), token), 200)
	res, _ := info.obj("logins.password")["bob@example.org"].(string)
	must(t, "change password, wrong old", e.post(res, token, map[string]any{"oldPassword": "nope nope nope", "newPassword": "a new password"}), 403)
	must(t, "change password", e.post(res, token, map[string]any{"oldPassword": testPassword, "newPassword": "a new password"}), 200)
	must(t, "old password", e.post(login, "", map[string]any{"email": "bob@example.org", "password": testPassword}), 403)
	must(t, "new password", e.post(login, "", map[string]any{"email": "bob@example.org", "password": "a new password"}), 200)
	must(t, "delete login", e.do(req{method: "DELETE", url: res, token: token}), 403)
}
