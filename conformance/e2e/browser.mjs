// Drives headless Chromium (Debian's /usr/bin/chromium, through
// playwright-core; no browser download) through a real Solid-OIDC login:
// the test app (built from app/ by build-app.mjs) uses Inrupt's browser
// client, is sent to the Naamio provider, signs up there (email, password,
// pod), consents, comes back logged in, and writes and reads a private
// resource in the new pod.
// Input from the environment: NAAMIO_ISSUER (no trailing slash),
// NAAMIO_APP_URL (the app page), NAAMIO_EMAIL, NAAMIO_PASSWORD, NAAMIO_POD,
// NAAMIO_POD_URL (optional: the pod's root URL; default the path-based
// <issuer>/<pod>/), CHROMIUM (optional; default /usr/bin/chromium).
// Output: one JSON line per step; exit status 0 only if every step passed.
// Each step is bounded by STEP_MS, the whole run by TOTAL_MS.
import { chromium } from "playwright-core";
import { launch, runner } from "./steps.mjs";

const STEP_MS = 20_000;
const TOTAL_MS = 90_000;

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const issuer = env("NAAMIO_ISSUER");
const appUrl = env("NAAMIO_APP_URL");
const email = env("NAAMIO_EMAIL");
const password = env("NAAMIO_PASSWORD");
const podName = env("NAAMIO_POD");
const podUrl = process.env.NAAMIO_POD_URL || `${issuer}/${podName}/`;
const appOrigin = new URL(appUrl).origin;

let browser, page;
// Each step needs the one before it; a failed step's report says which
// page it was on and what it showed.
const { step, finish } = runner({
  stepMs: STEP_MS,
  totalMs: TOTAL_MS,
  describeFailure: async () => {
    const text = await page?.locator("body").innerText({ timeout: 2_000 }).catch(() => "");
    return ` (page: ${page?.url()}; text: ${(text ?? "").slice(0, 400)})`;
  },
});
const log = (...a) => console.error("[browser]", ...a);
const startsWith = (prefix) => (u) => u.href.startsWith(prefix);

await step("launch", async () => {
  browser = await launch(chromium, STEP_MS);
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  page = await context.newPage();
  page.on("console", (m) => log(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  page.on("requestfailed", (r) => log(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => { if (r.status() >= 400) log(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`); });
  return browser.version();
});

await step("open-app", async () => {
  await page.goto(appUrl);
  await page.locator("#login:enabled").waitFor();
  return page.url();
});

// appFailed settles only if the app shows an error, which it then throws.
const appFailed = () =>
  page.waitForSelector("#result[data-state=error]", { timeout: STEP_MS }).then(
    async () => { throw new Error(`app failed: ${await page.locator("#result").textContent()}`); },
    () => new Promise(() => {}),
  );

await step("redirect-to-login", async () => {
  await Promise.all([
    Promise.race([page.waitForURL(startsWith(`${issuer}/.idp/login?`)), appFailed()]),
    page.click("#login"),
  ]);
  const u = new URL(page.url());
  if (!u.searchParams.get("interaction")) throw new Error("no interaction in the login page's URL");
  const shown = await page.locator(".client").innerText();
  if (!shown.includes(appOrigin)) throw new Error(`login page does not name the app's origin: ${shown}`);
  return page.url();
});

await step("signup", async () => {
  const interaction = new URL(page.url()).searchParams.get("interaction");
  await Promise.all([
    page.waitForURL(startsWith(`${issuer}/.idp/signup?`)),
    page.click("a[href*='/signup']"),
  ]);
  const carried = new URL(page.url()).searchParams.get("interaction");
  if (carried !== interaction) throw new Error(`sign-up page lost the interaction: ${page.url()}`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.fill("#pod", podName);
  await Promise.all([
    page.waitForURL(startsWith(`${issuer}/.idp/consent?`)),
    page.click("form button[type=submit]"),
  ]);
  return page.url();
});

await step("consent", async () => {
  const text = await page.locator("main, body").first().innerText();
  if (!text.includes("Naamio browser test app")) throw new Error("consent page does not show the app's name");
  if (!text.includes(appOrigin)) throw new Error("consent page does not show the app's origin");
  await Promise.all([
    page.waitForURL(startsWith(appOrigin + "/")),
    page.click("button[name=decision][value=approve]"),
  ]);
  return page.url();
});

const wantWebId = `${podUrl}profile/card#me`;
await step("logged-in", async () => {
  await page.waitForFunction(
    () => ["logged in", "error", "logged out"].includes(document.getElementById("status")?.textContent),
  );
  const status = await page.locator("#status").textContent();
  if (status !== "logged in") {
    throw new Error(`app says ${JSON.stringify(status)}: ${await page.locator("#result").textContent()}`);
  }
  const webId = await page.locator("#status").getAttribute("data-webid");
  if (webId !== wantWebId) throw new Error(`WebID ${webId}, want ${wantWebId}`);
  return webId;
});

let result;
await step("write-read", async () => {
  await page.waitForSelector("#result[data-state]");
  result = JSON.parse(await page.locator("#result").textContent());
  if ((await page.locator("#result").getAttribute("data-state")) !== "ok") {
    throw new Error(`app failed: ${JSON.stringify(result)}`);
  }
  if (!result.target.startsWith(podUrl)) throw new Error(`wrote outside the pod: ${result.target}`);
  return `${result.target}: ${result.value}`;
});

await step("private-to-others", async () => {
  if (result.anonymousStatus !== 401) throw new Error(`unauthenticated read answered ${result.anonymousStatus}, want 401`);
  return "refused with 401";
});

// Issue 10 item 15: SolidOS fetches the provider's documents with
// credentials from its own origin; a browser refuses an answer with
// "Access-Control-Allow-Origin: *" to such a fetch.
await step("credentialed-discovery", async () => {
  return page.evaluate(async (iss) => {
    const conf = await (await fetch(`${iss}/.well-known/openid-configuration`, { credentials: "include" })).json();
    if (conf.issuer.replace(/\/$/, "") !== iss) throw new Error(`discovery names ${conf.issuer}`);
    const jwks = await (await fetch(conf.jwks_uri, { credentials: "include" })).json();
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error("JWKS without keys");
    return `${conf.issuer}: ${jwks.keys.length} key(s), read with credentials`;
  }, issuer);
});

await finish(() => browser?.close());
