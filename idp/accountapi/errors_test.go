package accountapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/idp/account"
)

// Every error answer has CSS's shape and the documented status.
func TestErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.signUp("alice@example.org", "alice")
	pending := must(t, "pending", e.post(e.base+".account/account/", "", nil), 200).str("authorization")
	pendingIdx := must(t, "pending index", e.get(e.base+".account/", pending), 200)
	api := e.base + ".account/"
	big := `{"email":"` + strings.Repeat("a", maxBody) + `"}`

	cases := []struct {
		name string
		q    req
		want int
	}{
		{"bad JSON", req{method: "POST", url: api + "login/password/", body: `{"email":`}, 400},
		{"not an object", req{method: "POST", url: api + "login/password/", body: `["a"]`}, 400},
		{"two objects", req{method: "POST", url: api + "login/password/", body: `{} {}`}, 400},
		{"wrong field type", req{method: "POST", url: api + "login/password/", body: `{"email": 5, "password": "x"}`}, 400},
		{"missing fields", req{method: "POST", url: api + "login/password/", body: `{"email": "alice@example.org"}`}, 400},
		{"not JSON", req{method: "POST", url: api + "login/password/", body: `email=a&password=b`,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415},
		{"too large", req{method: "POST", url: api + "login/password/", body: big}, 413},
		{"no token", req{method: "GET", url: alice.control("account.account")}, 401},
		{"invalid token", req{method: "GET", url: alice.control("account.pod"), token: "not-a-token"}, 401},
		{"other scheme", req{method: "GET", url: alice.control("account.pod"), header: map[string]string{"Authorization": "Bearer " + alice.token}}, 401},
		{"someone else's account", req{method: "GET", url: alice.control("account.pod"), token: pending}, 403},
		{"pending: pod", req{method: "POST", url: pendingIdx.str("controls.account.pod"), token: pending, body: map[string]any{"name": "p1"}}, 403},
		{"pending: credentials", req{method: "POST", url: pendingIdx.str("controls.account.clientCredentials"), token: pending,
			body: map[string]any{"webId": alice.webID}}, 403},
		{"email taken", req{method: "POST", url: pendingIdx.str("controls.password.create"), token: pending,
			body: map[string]any{"email": "alice@example.org", "password": testPassword}}, 409},
		{"invalid email", req{method: "POST", url: pendingIdx.str("controls.password.create"), token: pending,
			body: map[string]any{"email": "not an email", "password": testPassword}}, 400},
		{"short password", req{method: "POST", url: pendingIdx.str("controls.password.create"), token: pending,
			body: map[string]any{"email": "new@example.org", "password": "abc123"}}, 400},
		{"second login", req{method: "POST", url: alice.control("password.create"), token: alice.token,
			body: map[string]any{"email": "other@example.org", "password": testPassword}}, 409},
		{"pod name taken", req{method: "POST", url: alice.control("account.pod"), token: alice.token, body: map[string]any{"name": "alice"}}, 409},
		{"pod name invalid", req{method: "POST", url: alice.control("account.pod"), token: alice.token, body: map[string]any{"name": "Not/Valid"}}, 400},
		{"pod name reserved", req{method: "POST", url: alice.control("account.pod"), token: alice.token, body: map[string]any{"name": "admin"}}, 400},
		{"pod name missing", req{method: "POST", url: alice.control("account.pod"), token: alice.token, body: map[string]any{}}, 400},
		{"pod for outside WebID", req{method: "POST", url: alice.control("account.pod"), token: alice.token,
			body: map[string]any{"name": "elsewhere", "settings": map[string]any{"webId": "https://example.org/me#i"}}}, 400},
		{"credentials: WebID not owned", req{method: "POST", url: alice.control("account.clientCredentials"), token: alice.token,
			body: map[string]any{"webId": "https://example.org/me#i"}}, 400},
		{"credentials: no WebID", req{method: "POST", url: alice.control("account.clientCredentials"), token: alice.token,
			body: map[string]any{"name": "x"}}, 400},
		{"credentials: name too long", req{method: "POST", url: alice.control("account.clientCredentials"), token: alice.token,
			body: map[string]any{"name": strings.Repeat("n", 300), "webId": alice.webID}}, 400},
		{"unknown credential", req{method: "DELETE", url: alice.control("account.clientCredentials") + "AAAAAAAAAAAAAAAAAAAAAA/", token: alice.token}, 404},
		{"unknown pod", req{method: "GET", url: alice.control("account.pod") + "nope/", token: alice.token}, 404},
		{"link outside WebID", req{method: "POST", url: alice.control("account.webId"), token: alice.token,
			body: map[string]any{"webId": "https://example.org/me#i"}}, 400},
		{"unknown path", req{method: "GET", url: api + "nothing/here/"}, 404},
		{"no trailing slash", req{method: "GET", url: api + "account"}, 404},
		{"method", req{method: "PUT", url: api + "account/", body: map[string]any{}}, 405},
		{"method on index", req{method: "POST", url: api, body: map[string]any{}}, 405},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.q)
			if r.status != c.want {
				t.Fatalf("status %d, want %d: %s", r.status, c.want, r.raw)
			}
			if r.str("name") == "" || r.str("message") == "" || r.body["statusCode"] != float64(c.want) ||
				r.str("errorCode") != fmt.Sprintf("H%d", c.want) || r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("error shape: %s", r.raw)
			}
			if c.want == 405 && r.header.Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
			if strings.Contains(r.raw, testPassword) || strings.Contains(r.raw, alice.token) {
				t.Fatalf("secret in error: %s", r.raw)
			}
		})
	}
	// A failed login addition leaves the pending account usable.
	must(t, "retry", e.post(pendingIdx.str("controls.password.create"), pending,
		map[string]any{"email": "new@example.org", "password": testPassword}), 200)
}

func TestClosedRegistration(t *testing.T) {
	e := newEnv(t, envOptions{accounts: account.Options{Registration: account.RegistrationClosed}})
	r := must(t, "create", e.post(e.base+".account/account/", "", nil), 403)
	if r.str("name") != "ForbiddenHttpError" || r.str("authorization") != "" || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("closed: %s %v", r.raw, r.header)
	}
	// Accounts the operator made still log in.
	if _, err := e.accounts.Provision(context.Background(), account.NewAccount{Email: "op@example.org", Password: testPassword}, false); err != nil {
		t.Fatal(err)
	}
	must(t, "login", e.post(e.base+".account/login/password/", "", map[string]any{"email": "op@example.org", "password": testPassword}), 200)
}

func TestInviteRegistration(t *testing.T) {
	e := newEnv(t, envOptions{accounts: account.Options{Registration: account.RegistrationInvite}})
	ctx := context.Background()
	admin, err := e.accounts.Provision(ctx, account.NewAccount{Email: "admin@example.org", Password: testPassword}, true)
	if err != nil {
		t.Fatal(err)
	}
	code, err := e.accounts.NewInvite(ctx, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	token := must(t, "create", e.post(e.base+".account/account/", "", nil), 200).str("authorization")
	pw := must(t, "index", e.get(e.base+".account/", token), 200).str("controls.password.create")
	must(t, "no invite", e.post(pw, token, map[string]any{"email": "new@example.org", "password": testPassword}), 403)
	must(t, "bad invite", e.post(pw, token, map[string]any{"email": "new@example.org", "password": testPassword, "invite": "nope"}), 403)
	must(t, "invite", e.post(pw, token, map[string]any{"email": "new@example.org", "password": testPassword, "invite": code}), 200)
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{accounts: account.Options{AccountLimit: account.RateLimit{Failures: 2, Window: time.Hour}}})
	e.signUp("carol@example.org", "")
	login := e.base + ".account/login/password/"
	bad := map[string]any{"email": "carol@example.org", "password": "wrong password"}
	must(t, "1st", e.post(login, "", bad), 403)
	must(t, "2nd", e.post(login, "", bad), 403)
	r := must(t, "3rd", e.post(login, "", bad), 429)
	if r.str("name") != "TooManyRequestsHttpError" {
		t.Fatal(r.raw)
	}
	must(t, "even the right password", e.post(login, "", map[string]any{"email": "carol@example.org", "password": testPassword}), 429)
}

// A second user cannot see or touch the first one's account, pods or
// credentials.
func TestSecondUser(t *testing.T) {
	e := newEnv(t, envOptions{})
	a := e.signUp("a@example.org", "apod")
	b := e.signUp("b@example.org", "bpod")
	cc := must(t, "a's credentials", e.post(a.control("account.clientCredentials"), a.token, map[string]any{"webId": a.webID}), 200)
	id := cc.str("id")

	for _, q := range []req{
		{method: "GET", url: a.control("account.account"), token: b.token},
		{method: "GET", url: a.control("account.clientCredentials"), token: b.token},
		{method: "GET", url: cc.str("resource"), token: b.token},
		{method: "DELETE", url: cc.str("resource"), token: b.token},
		{method: "POST", url: a.control("account.pod"), token: b.token, body: map[string]any{"name": "intruder"}},
		{method: "POST", url: a.control("account.logout"), token: b.token, body: map[string]any{}},
	} {
		if r := e.do(q); r.status != 403 {
			t.Fatalf("%s %s as b: %d %s", q.method, q.url, r.status, r.raw)
		}
	}
	// Through b's own URLs: a's credential does not exist, a's WebID is not b's.
	must(t, "a's credential via b", e.get(b.control("account.clientCredentials")+id+"/", b.token), 404)
	must(t, "delete a's credential via b", e.do(req{method: "DELETE", url: b.control("account.clientCredentials") + id + "/", token: b.token}), 404)
	must(t, "credentials for a's WebID", e.post(b.control("account.clientCredentials"), b.token, map[string]any{"webId": a.webID}), 400)
	if _, _, err := e.accounts.CheckClientCredentials(context.Background(), id, cc.str("secret")); err != nil {
		t.Fatalf("a's credential was harmed: %v", err)
	}
	if list := must(t, "b's list", e.get(b.control("account.clientCredentials"), b.token), 200); strings.Contains(list.raw, id) {
		t.Fatalf("b sees a's credential: %s", list.raw)
	}
}
