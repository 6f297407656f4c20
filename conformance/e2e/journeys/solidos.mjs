// The SolidOS journey (issue 15 item 4): a Naamio server started with
// --data-browser solidos --mashlib-url <local folder> serves the SolidOS
// shell for a browser's HTML requests. Headless Chromium (Debian's, through
// playwright-core) opens the person's private pod root, sees SolidOS offer
// its log-in, logs in with Naamio's own provider (Inrupt's browser client
// inside mashlib: dynamic registration, authorization code + PKCE, DPoP),
// browses the now readable folder and the profile, writes with SolidOS's
// own UI (a new folder) and with its update manager (a profile triple), and
// opens a stored HTML page with scripts that must not run.
// The Go test (TestJourneySolidOS) checks the writes on the server.
// Input from the environment: NAAMIO_BASE (server base URL, trailing
// slash), NAAMIO_POD_URL, NAAMIO_EMAIL, NAAMIO_PASSWORD, NAAMIO_FOLDER (the
// folder name to create), NAAMIO_NICK (the profile value to write),
// NAAMIO_EVIL_URL (a stored HTML page whose scripts would set PWNED),
// NAAMIO_SHOTS (where the screenshots go; runJourney: the artifacts
// directory's solidos/), CHROMIUM.
// Output: one JSON line per step; exit status 0 only if every step passed.
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { launch, runner } from "../steps.mjs";

const STEP_MS = 30_000;
const TOTAL_MS = 150_000;

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const base = env("NAAMIO_BASE");
const podUrl = env("NAAMIO_POD_URL");
const email = env("NAAMIO_EMAIL");
const password = env("NAAMIO_PASSWORD");
const folder = env("NAAMIO_FOLDER");
const nick = env("NAAMIO_NICK");
const evilUrl = env("NAAMIO_EVIL_URL");
const issuer = base.replace(/\/$/, "");
const shots = process.env.NAAMIO_SHOTS || join(homedir(), ".cache", "naamio", "artifacts", "solidos");
mkdirSync(shots, { recursive: true });

let browser, page;
const cspViolations = [];
const dialogs = [];
const { step, finish } = runner({
  stepMs: STEP_MS,
  totalMs: TOTAL_MS,
  describeFailure: async () => {
    await page?.screenshot({ path: join(shots, "failure.png") }).catch(() => {});
    const text = await page?.locator("body").innerText({ timeout: 2_000 }).catch(() => "");
    return ` (page: ${page?.url()}; text: ${(text ?? "").slice(0, 400)})`;
  },
});
const log = (...a) => console.error("[solidos]", ...a);
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });
const loopback = /^(http|ws):\/\/(127\.0\.0\.1|([a-z0-9-]+\.)*localhost|\[::1\])(:\d+)?\//;

await step("launch", async () => {
  browser = await launch(chromium, STEP_MS);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  // Only the two local servers: solid-ui's icons on the public web are
  // not fetched (the test talks to loopback only).
  await context.route((u) => !loopback.test(u.href), (r) => r.abort());
  page = await context.newPage();
  page.on("console", (m) => {
    const t = m.text();
    if (t.includes("Content Security Policy")) cspViolations.push(t);
    if (m.type() === "error" && !t.includes("Failed to load resource")) log(`console.${m.type()}: ${t.slice(0, 300)}`);
  });
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  return browser.version();
});

// The pod root is private: SolidOS loads anyway and offers its log-in.
await step("shell-offers-login", async () => {
  const res = await page.goto(podUrl);
  if (res.status() !== 200) throw new Error(`the shell answered ${res.status()}`);
  await page.locator("button.login-button").waitFor();
  await page.getByText("not publicly readable").first().waitFor();
  await shot("1-logged-out");
  return page.url();
});

await step("login", async () => {
  await page.locator("button.login-button").click();
  const dialog = page.getByRole("dialog");
  await dialog.locator("input").first().fill(issuer);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${issuer}/.idp/login?`)),
    dialog.getByRole("button", { name: "Log In" }).click(),
  ]);
  await shot("2-provider-login");
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL((u) => u.href.startsWith(`${issuer}/.idp/consent?`)), page.click("form button[type=submit]")]);
  await shot("3-consent");
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(podUrl)),
    page.click("button[name=decision][value=approve]"),
  ]);
  return page.url();
});

await step("logged-in", async () => {
  // mashlib finishes the code exchange and removes code and state.
  await page.waitForURL((u) => u.href === podUrl, { timeout: STEP_MS });
  const me = await page.waitForFunction(() => window.SolidLogic?.authn?.currentUser()?.uri);
  return me.jsonValue();
});

await step("browse-folder", async () => {
  const outline = page.locator("#OutlineView");
  for (const child of ["profile", "settings", "inbox"]) await outline.getByText(child, { exact: true }).first().waitFor();
  await shot("4-pod-root");
  return (await outline.innerText()).replace(/\s+/g, " ").slice(0, 200);
});

await step("browse-profile", async () => {
  await page.goto(`${podUrl}profile/card#me`);
  await page.locator("#OutlineView").waitFor();
  await page.waitForFunction(() => window.SolidLogic?.authn?.currentUser()?.uri);
  await page.waitForTimeout(1500); // the profile pane renders after its fetches
  await shot("5-profile");
  return page.url();
});

// A write with SolidOS's own UI: the folder pane's "Make new folder".
await step("write-folder", async () => {
  await page.goto(podUrl);
  const outline = page.locator("#OutlineView");
  await outline.getByText("settings", { exact: true }).first().waitFor();
  await page.locator("img[title='Add another tool']").first().click();
  await page.locator("img[title^='Make new folder']").first().click();
  const name = page.locator(".folderPaneCreationDiv input[type=text]").first();
  await name.fill(folder);
  await name.press("Enter");
  await outline.getByText(folder.replace(/-/g, " "), { exact: true }).first().waitFor();
  await shot("6-folder-made");
  return `${podUrl}${folder}/`;
});

// A write through SolidOS's update manager (rdflib's UpdateManager, which
// every editing pane uses): one triple added to the profile.
await step("write-profile", async () => {
  return page.evaluate(async (value) => {
    const store = window.SolidLogic.store;
    const me = window.SolidLogic.authn.currentUser();
    await store.fetcher.load(me.doc());
    await store.updater.update([], [window.$rdf.st(me, window.$rdf.sym("http://xmlns.com/foaf/0.1/nick"), window.$rdf.lit(value), me.doc())]);
    return `${me.doc().uri}: foaf:nick "${value}"`;
  }, nick);
});

// A stored HTML page with scripts: SolidOS shows it, its scripts never run
// (the shell runs no script of this origin; the page itself is served
// sandboxed).
await step("stored-script-inert", async () => {
  await page.goto(evilUrl);
  await page.locator("#OutlineView").waitFor();
  await page.waitForTimeout(2500);
  await shot("7-stored-html");
  let shown = false;
  for (const f of page.frames()) {
    const seen = await f.evaluate(() => ({ title: document.title, pwned: window.PWNED ?? window.top?.PWNED })).catch(() => ({}));
    if (seen.pwned !== undefined) throw new Error(`a stored script ran in ${f.url()}: ${seen.pwned}`);
    if (seen.title === "evil") shown = true;
  }
  // SolidOS did show the stored page (so its scripts had their chance).
  if (!shown) throw new Error(`the stored page was not shown in any of ${page.frames().length} frame(s)`);
  if (dialogs.length) throw new Error(`dialogs opened: ${dialogs.join(" | ")}`);
  return `${page.frames().length} frame(s), no script ran; CSP refusals: ${cspViolations.length}`;
});

if (cspViolations.length) log(`CSP refusals:\n${cspViolations.join("\n")}`);
await finish(() => browser?.close());
