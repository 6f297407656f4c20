// SECURITY row 58 (issue 10 item 2): a logged-in person opens a stored
// public HTML page and an SVG image whose scripts try to take over the
// account — read /.idp/account and its CSRF token, post its form to mint
// client credentials, read and post to the account API with the
// css-account cookie, load the account page in an iframe and a pop-up.
// Headless Chromium (Debian's /usr/bin/chromium through playwright-core,
// no browser download) opens each page twice: as served (the server
// sandboxes it: the script must not run with the server's origin), and in
// a browser context that ignores Content-Security-Policy (bypassCSP), as
// a browser without sandbox support would: the script then runs with the
// server's origin, and must still read nothing and create nothing.
// Input from the environment: NAAMIO_ISSUER (no trailing slash),
// NAAMIO_EMAIL, NAAMIO_PASSWORD, NAAMIO_WEBID, NAAMIO_ACCOUNT (the
// account's API URL, a secret the page must not learn), NAAMIO_HTML and
// NAAMIO_SVG (the stored pages), CHROMIUM (optional).
// Output: one JSON line per step; exit status 0 only if every step passed.
import { chromium } from "playwright-core";
import { launch, runner } from "./steps.mjs";

const STEP_MS = 25_000;
const TOTAL_MS = 150_000;
const SCRIPT_MS = 12_000;

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const issuer = env("NAAMIO_ISSUER");
const email = env("NAAMIO_EMAIL");
const password = env("NAAMIO_PASSWORD");
const webId = env("NAAMIO_WEBID");
const accountURL = env("NAAMIO_ACCOUNT");
const pages = { html: env("NAAMIO_HTML"), svg: env("NAAMIO_SVG") };

const log = (...a) => console.error("[browser]", ...a);
const { step, finish } = runner({ stepMs: STEP_MS, totalMs: TOTAL_MS });

let browser;
const contexts = {};
const csrf = {};

await step("launch", async () => {
  browser = await launch(chromium, STEP_MS);
  return browser.version();
});

// logIn signs the person in on the provider's pages and through the
// account API (the css-account cookie), in a fresh browser context.
const logIn = async (name, options) => {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  contexts[name] = context;
  const page = await context.newPage();
  page.on("console", (m) => log(`${name} console.${m.type()}: ${m.text()}`));
  await page.goto(`${issuer}/.idp/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${issuer}/.idp/account`)),
    page.click("form button[type=submit]"),
  ]);
  const text = await page.locator("body").innerText();
  if (!text.includes(webId)) throw new Error(`the account page does not show ${webId}`);
  csrf[name] = await page.locator("input[name=csrf]").first().getAttribute("value");
  if (!csrf[name]) throw new Error("no CSRF token on the account page");
  const api = await context.request.post(`${issuer}/.account/login/password/`, {
    data: { email, password, remember: true },
  });
  if (!api.ok()) throw new Error(`API log-in: ${api.status()} ${await api.text()}`);
  // The cookie works for a client that is not a page's script.
  const idx = await context.request.get(`${issuer}/.account/`);
  const body = await idx.text();
  if (!body.includes(accountURL)) throw new Error(`the css-account cookie does not authenticate: ${body}`);
  await page.close();
  return "logged in on /.idp/ and /.account/";
};

await step("log-in", () => logIn("sandboxed", {}));
await step("log-in-csp-ignored", () => logIn("csp-ignored", { bypassCSP: true }));

// visit opens a stored page and returns what its script reported (null
// when it did not run) and the answer's CSP.
const visit = async (context, url) => {
  const page = await context.newPage();
  page.on("console", (m) => log(`page console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  page.on("popup", (p) => log(`pop-up opened: ${p.url()}`));
  const resp = await page.goto(url);
  const csp = resp ? (await resp.allHeaders())["content-security-policy"] ?? "" : "";
  const done = await page
    .waitForFunction(() => document.documentElement.getAttribute("data-done") === "1", null, { timeout: SCRIPT_MS })
    .then(() => true, () => false);
  let out = null;
  if (done) out = JSON.parse(await page.evaluate(() => document.documentElement.getAttribute("data-out")));
  await page.close();
  return { csp, out };
};

// leaks lists what a script's report shows of the account.
const leaks = (name, out) => {
  const text = JSON.stringify(out ?? {});
  const found = [];
  for (const [what, secret] of [["CSRF token", csrf[name]], ["account URL", accountURL], ["client credentials", "clientCredentials"], ["account page", "new-credential"]]) {
    if (secret && text.includes(secret)) found.push(what);
  }
  for (const k of ["idpCreate", "apiCreate"]) {
    if (out && /^2\d\d /.test(out[k] ?? "")) found.push(`${k} answered ${out[k].slice(0, 3)}`);
  }
  return found;
};

for (const [kind, url] of Object.entries(pages)) {
  await step(`${kind}-sandboxed`, async () => {
    const { csp, out } = await visit(contexts.sandboxed, url);
    const found = leaks("sandboxed", out);
    if (found.length) throw new Error(`the ${kind} page's script read or made: ${found.join(", ")} (CSP ${JSON.stringify(csp)}; report ${JSON.stringify(out).slice(0, 600)})`);
    if (out !== null) throw new Error(`the ${kind} page's script ran (CSP ${JSON.stringify(csp)}): ${JSON.stringify(out).slice(0, 600)}`);
    return `script did not run; CSP ${JSON.stringify(csp)}`;
  });
  await step(`${kind}-csp-ignored`, async () => {
    const { out } = await visit(contexts["csp-ignored"], url);
    if (out === null) throw new Error(`the ${kind} page's script did not run with CSP ignored: the check would prove nothing`);
    const found = leaks("csp-ignored", out);
    if (found.length) throw new Error(`the ${kind} page's script read or made: ${found.join(", ")}; report ${JSON.stringify(out).slice(0, 800)}`);
    return Object.entries(out).map(([k, v]) => `${k}: ${v.replace(/\s+/g, " ").slice(0, 50)}`).join("; ");
  });
}

await finish(() => browser?.close());
