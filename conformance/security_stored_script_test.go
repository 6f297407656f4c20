package conformance

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
)

// storedScriptSteps are the steps of conformance/e2e/stored-script.mjs.
var storedScriptSteps = []string{"launch", "log-in", "log-in-csp-ignored",
	"html-sandboxed", "html-csp-ignored", "svg-sandboxed", "svg-csp-ignored"}

// attackScript is what a hostile pod owner stores in a public page: it
// tries every way a script with the server's origin has to take over the
// account of the logged-in person who opens it, and writes what it got
// into the document for the driver to read.
const attackScript = `(async () => {
  const out = {};
  const note = (k, v) => { out[k] = String(v).slice(0, 3000); };
  const base = location.origin !== "null" ? location.origin : new URL(document.URL).origin;
  const text = async (r) => r.status + " " + (await r.text());
  try {
    const r = await fetch(base + "/.idp/account", { credentials: "include" });
    const t = await r.text();
    note("idpAccount", r.status + " " + t);
    const m = t.match(/name="csrf" value="([^"]+)"/);
    const w = t.match(/https?:[^"<\s]*profile\/card#me/);
    if (m) {
      const body = new URLSearchParams({ csrf: m[1], name: "stolen", webid: w ? w[0] : "" });
      note("idpCreate", await text(await fetch(base + "/.idp/account/credentials", { method: "POST", body, credentials: "include" })));
    }
  } catch (e) { note("idpError", e); }
  try {
    const r = await fetch(base + "/.account/", { credentials: "include" });
    const t = await r.text();
    note("apiIndex", r.status + " " + t);
    const c = (JSON.parse(t).controls || {}).account || {};
    if (c.account) note("apiAccount", await text(await fetch(c.account, { credentials: "include" })));
    if (c.clientCredentials) note("apiCreate", await text(await fetch(c.clientCredentials, { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "stolen", webId: "x" }), credentials: "include" })));
  } catch (e) { note("apiError", e); }
  try {
    const f = document.createElementNS("http://www.w3.org/1999/xhtml", "iframe");
    f.src = base + "/.idp/account";
    document.documentElement.appendChild(f);
    await new Promise((res) => { f.onload = res; setTimeout(res, 3000); });
    let d = "no access";
    try { d = f.contentDocument ? f.contentDocument.documentElement.outerHTML : "no document"; } catch (e) { d = "no access: " + e; }
    note("iframe", d);
  } catch (e) { note("iframeError", e); }
  try {
    const w = window.open(base + "/.idp/account");
    await new Promise((res) => setTimeout(res, 2500));
    let d = "blocked";
    if (w) { try { d = w.document.documentElement.outerHTML; } catch (e) { d = "no access: " + e; } }
    note("popup", d);
    if (w) w.close();
  } catch (e) { note("popupError", e); }
  document.documentElement.setAttribute("data-out", JSON.stringify(out));
  document.documentElement.setAttribute("data-done", "1");
})();`

// TestSecurityStoredScript: SECURITY row 58 (issue 10 item 2). A stored
// public HTML page and SVG image with script, opened by a logged-in person
// on the server's origin (the default path layout), can read nothing from
// /.idp/ or /.account/ and create no client credentials: served sandboxed
// their script does not run with the origin, and in a browser that ignores
// CSP it runs but the provider's pages and the account API refuse it.
func TestSecurityStoredScript(t *testing.T) {
	chromium := testdeps.NeedChromium(t)
	e2e := e2eWorkspace(t)

	victim := newIdPAccount(t, srv, "victim")
	login := srv.doAs(t, nil, http.MethodPost, "/.account/login/password/",
		[]byte(`{"email":"`+victim.email+`","password":"`+victim.password+`"}`), "Content-Type", "application/json")
	mustStatus(t, login, http.StatusOK)
	var tok struct{ Authorization string }
	if err := json.Unmarshal(login.body, &tok); err != nil || tok.Authorization == "" {
		t.Fatalf("API log-in: %v %s", err, login)
	}
	auth := []string{"Authorization", "CSS-Account-Token " + tok.Authorization}
	var idx struct {
		Controls struct {
			Account struct{ Account, ClientCredentials string }
		}
	}
	if err := json.Unmarshal(srv.doAs(t, nil, http.MethodGet, "/.account/", nil, auth...).body, &idx); err != nil ||
		idx.Controls.Account.Account == "" || idx.Controls.Account.ClientCredentials == "" {
		t.Fatalf("account controls: %v", err)
	}
	credentials := func() int {
		t.Helper()
		r := srv.doAs(t, nil, http.MethodGet, idx.Controls.Account.ClientCredentials, nil, auth...)
		var v struct{ ClientCredentials map[string]string }
		if err := json.Unmarshal(r.body, &v); err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("listing client credentials: %v %s", err, r)
		}
		return len(v.ClientCredentials)
	}
	before := credentials()

	// The attacker's public pages, in a pod on the server's origin.
	dir, _ := aclDir(t, t.Name(), grant{subject: publicSubject, modes: "R"})
	html := `<!DOCTYPE html><html><head><title>holiday photos</title></head><body><p>Nice pictures.</p><script>` + attackScript + `</script></body></html>`
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="5"/><script><![CDATA[` + attackScript + `]]></script></svg>`
	srv.put(t, dir+"page.html", "text/html", []byte(html))
	srv.put(t, dir+"pic.svg", "image/svg+xml", []byte(svg))
	for _, p := range []string{dir + "page.html", dir + "pic.svg"} {
		mustStatus(t, srv.doAs(t, nil, http.MethodGet, p, nil), http.StatusOK)
	}

	runNodeSteps(t, e2e, "stored-script.mjs", 3*time.Minute, "security-row-58-stored-script-", storedScriptSteps,
		"NAAMIO_ISSUER="+strings.TrimSuffix(srv.base, "/"),
		"NAAMIO_EMAIL="+victim.email,
		"NAAMIO_PASSWORD="+victim.password,
		"NAAMIO_WEBID="+victim.webID,
		"NAAMIO_ACCOUNT="+idx.Controls.Account.Account,
		// "?raw": the file itself. A plain navigation gets its page
		// (web/browse, issue 15), which never runs the file's script
		// (TestJourneyHostileFiles).
		"NAAMIO_HTML="+srv.url(dir+"page.html")+"?raw",
		"NAAMIO_SVG="+srv.url(dir+"pic.svg")+"?raw",
		"CHROMIUM="+chromium)

	requirement(t, "security-row-58-stored-script-no-credentials-minted", func(t *testing.T) {
		if after := credentials(); after != before {
			t.Fatalf("the stored pages' scripts created %d client credentials", after-before)
		}
	})
}
