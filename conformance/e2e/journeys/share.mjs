// Journey "share" (issue 15 items 1 and 6): the owner of a pod shares a
// folder with a second account by WebID on the sharing page; the second
// account, logged in in its own browser context, reads the file in it;
// the owner removes the grant and the second account can no longer read
// it; the page refuses to take the owner's own Control away, and refuses
// hostile input (javascript: WebIDs, markup, very long text) without
// writing anything. Also the profile page: the owner sets a name and
// sees what apps and Fediverse peers see.
// Input from the environment: NAAMIO_BASE (the server's base URL),
// NAAMIO_OWNER_EMAIL, NAAMIO_OWNER_POD (URL), NAAMIO_OWNER_WEBID,
// NAAMIO_FRIEND_EMAIL, NAAMIO_FRIEND_POD, NAAMIO_FRIEND_WEBID,
// NAAMIO_PASSWORD (both accounts), NAAMIO_SHOTS (the screenshots'
// folder), CHROMIUM (optional).
// Output: one JSON line per step; exit status 0 only if every step passed.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { launch, runner } from "../steps.mjs";

const STEP_MS = 30_000;
const TOTAL_MS = 240_000;

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const issuer = env("NAAMIO_BASE").replace(/\/$/, "");
const password = env("NAAMIO_PASSWORD");
const owner = { email: env("NAAMIO_OWNER_EMAIL"), pod: env("NAAMIO_OWNER_POD"), webId: env("NAAMIO_OWNER_WEBID") };
const friend = { email: env("NAAMIO_FRIEND_EMAIL"), pod: env("NAAMIO_FRIEND_POD"), webId: env("NAAMIO_FRIEND_WEBID") };
const shots = env("NAAMIO_SHOTS");
mkdirSync(shots, { recursive: true });

const folder = owner.pod + "shared/";
const note = folder + "note.txt";
const secret = "the plans for the garden, " + Date.now();
const podName = (pod) => new URL(pod).pathname.split("/").filter(Boolean).pop();

const log = (...a) => console.error("[journey share]", ...a);
let current = null;
const { step, finish } = runner({
  stepMs: STEP_MS,
  totalMs: TOTAL_MS,
  describeFailure: async () => {
    if (!current) return "";
    const status = await current.locator("#share-status, #profile-status").first().textContent().catch(() => "");
    await current.screenshot({ path: join(shots, "failure.png"), fullPage: true }).catch(() => {});
    return ` (on ${current.url()}; status ${JSON.stringify(status)})`;
  },
});

let browser;
const pages = {};
const shot = (page, name) => page.screenshot({ path: join(shots, name + ".png"), fullPage: true });

await step("launch", async () => {
  browser = await launch(chromium, STEP_MS);
  return browser.version();
});

// logIn signs a person in on the provider's pages in a fresh context.
const logIn = async (who, name, viewport) => {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  const page = await context.newPage();
  page.on("console", (m) => log(`${name} console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log(`${name} page error: ${e.message}`));
  page.on("response", async (r) => {
    if (r.status() >= 400) log(`${name} ${r.request().method()} ${r.url().split("?")[0]} → ${r.status()} ${(await r.text().catch(() => "")).slice(0, 200)}`);
  });
  page.on("framenavigated", (f) => { if (f === page.mainFrame()) log(`${name} at ${f.url().split("?")[0]}`); });
  await page.goto(`${issuer}/.idp/login`);
  await page.fill("#email", who.email);
  await page.fill("#password", password);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${issuer}/.idp/account`)),
    page.click("form button[type=submit]"),
  ]);
  pages[name] = page;
  current = page;
  return `logged in as ${who.webId}`;
};

// openShare opens the sharing page of resource and waits until its
// script holds a token (the add form is shown then).
const openShare = async (page, resource) => {
  current = page;
  await page.goto(`${issuer}/.web/share?resource=${encodeURIComponent(resource)}`);
  if (page.url().includes("/.web/callback") || !page.url().includes("/.web/share")) {
    await page.waitForURL((u) => u.href.includes("/.web/share"));
  }
  await page.locator("#share-add").waitFor({ state: "visible" });
};

// solid runs a request with the page's own client (naamio.js solidFetch).
const solid = (page, url, init) => page.evaluate(async ([url, init]) => {
  const m = await import("/.web/static/naamio.js");
  const r = await m.solidFetch(url, init);
  return { status: r.status, text: await r.text() };
}, [url, init]);

// rowOf is the table row of who on the sharing page.
const rowOf = (page, who) => page.locator("#share-table tr[data-index]", { has: page.locator(`th:has-text("${who}")`) });

await step("owner-log-in", () => logIn(owner, "owner", { width: 1280, height: 900 }));

await step("owner-makes-folder", async () => {
  const page = pages.owner;
  await openShare(page, owner.pod);
  for (const [url, init] of [
    [folder, { method: "PUT", headers: { "Content-Type": "text/turtle" }, body: "" }],
    [note, { method: "PUT", headers: { "Content-Type": "text/plain" }, body: secret }],
  ]) {
    const r = await solid(page, url, init);
    if (r.status >= 300) throw new Error(`PUT ${url}: ${r.status} ${r.text}`);
  }
  await shot(page, "01-pod-root-sharing");
  return `made ${note}`;
});

await step("inherited-shown", async () => {
  const page = pages.owner;
  await openShare(page, folder);
  const text = await page.locator("#inherited-note").innerText();
  if (!text.includes(owner.pod)) throw new Error(`inherited note: ${text}`);
  if (await rowOf(page, owner.webId).locator(".tag.inherited").count() !== 1) throw new Error("the owner's inherited rule is not marked inherited");
  await shot(page, "02-folder-inherits");
  return text.slice(0, 80);
});

await step("bad-input-refused", async () => {
  const page = pages.owner;
  const before = await solid(page, folder + ".acl", {});
  const tried = [];
  const status = page.locator("#share-status");
  for (const bad of ["javascript:alert(1)", "<img src=x onerror=alert(1)>", "https://x.example/" + "a".repeat(3000),
    "data:text/html,hi", "@<b>@x.example", "JaVaScRiPt:alert(1)//@x.example"]) {
    await status.evaluate((el) => { el.textContent = ""; el.className = ""; });
    // Set the value as a script would, past the input's maxlength.
    await page.locator("#share-who").evaluate((el, v) => { el.value = v; }, bad);
    await page.click("#share-add button[type=submit]");
    await page.locator("#share-status.error").waitFor();
    tried.push((await status.innerText()).slice(0, 60));
  }
  if (await page.locator("#share-who").getAttribute("maxlength") !== "2048") throw new Error("the WebID field has no maxlength");
  const after = await solid(page, folder + ".acl", {});
  if (before.status !== 404 || after.status !== 404) throw new Error(`an ACL was written: ${before.status} → ${after.status}`);
  if (await page.locator("img[src=x]").count() !== 0) throw new Error("markup from the input reached the page");
  await shot(page, "03-bad-input-refused");
  return tried.join(" | ");
});

await step("owner-shares-with-friend", async () => {
  const page = pages.owner;
  await page.fill("#share-who", friend.webId);
  await page.check('#share-add input[name=mode][value=Read]');
  await Promise.all([
    page.waitForEvent("load"),
    page.click("#share-add button[type=submit]"),
  ]);
  await page.locator("#share-add").waitFor({ state: "visible" });
  const row = rowOf(page, friend.webId);
  if (await row.count() !== 1) throw new Error("the friend is not listed after sharing");
  if (!(await row.locator('input[data-mode="Read"]').isChecked())) throw new Error("the friend's row lacks Read");
  if (await page.locator("#inherited-note").count() !== 0) throw new Error("the folder still shows as inherited");
  const acl = await solid(page, folder + ".acl", { headers: { Accept: "text/turtle" } });
  if (acl.status !== 200 || !acl.text.includes(friend.webId) || !acl.text.includes(owner.webId)) throw new Error(`ACL: ${acl.status} ${acl.text}`);
  await shot(page, "04-shared-with-friend");
  return "friend has Read; the owner's inherited Control was copied";
});

await step("friend-log-in", () => logIn(friend, "friend", { width: 375, height: 740 }));

await step("friend-reads", async () => {
  const page = pages.friend;
  current = page;
  await page.goto(`${issuer}/.web/profile?pod=${encodeURIComponent(podName(friend.pod))}`);
  await page.locator("#profile-name").waitFor({ state: "visible" });
  const r = await solid(page, note, {});
  if (r.status !== 200 || r.text !== secret) throw new Error(`GET note: ${r.status} ${r.text.slice(0, 100)}`);
  const resp = await page.goto(folder);
  const body = await page.locator("body").innerText();
  await shot(page, "05-friend-sees-folder");
  if (resp.status() !== 200 || !body.includes("note.txt")) throw new Error(`folder page: ${resp.status()} ${body.slice(0, 200)}`);
  return "the friend read the note and sees the folder";
});

await step("owner-control-kept", async () => {
  const page = pages.owner;
  await openShare(page, folder);
  const row = rowOf(page, owner.webId);
  await row.locator("button.remove").click();
  await page.locator("#share-status.error").waitFor();
  const msg = await page.locator("#share-status").innerText();
  if (!msg.includes("Control")) throw new Error(`refusal: ${msg}`);
  await page.locator("#share-status").evaluate((el) => { el.textContent = ""; el.className = ""; });
  const box = row.locator('input[data-mode="Control"]');
  await box.click();
  await page.locator("#share-status.error").waitFor();
  await page.waitForFunction((el) => el.checked, await box.elementHandle());
  const acl = await solid(page, folder + ".acl", { headers: { Accept: "text/turtle" } });
  if (!acl.text.includes(owner.webId) || !acl.text.includes("Control")) throw new Error(`ACL lost the owner's Control: ${acl.text}`);
  // Behind the page, the server refuses such an ACL from the pages' client.
  const lockout = `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#friend> a acl:Authorization; acl:agent <${friend.webId}>; acl:accessTo <${folder}>; acl:mode acl:Read, acl:Control.`;
  const put = await solid(page, folder + ".acl", { method: "PUT", headers: { "Content-Type": "text/turtle" }, body: lockout });
  if (put.status !== 422) throw new Error(`a lock-out ACL written by the page's client got ${put.status}`);
  await shot(page, "06-owner-control-refused");
  return `${msg.slice(0, 80)}; server: ${put.status}`;
});

await step("owner-removes-grant", async () => {
  const page = pages.owner;
  // On a phone: the table scrolls inside its box, the page does not.
  await page.setViewportSize({ width: 375, height: 740 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  await shot(page, "07a-sharing-on-a-phone");
  if (wide > 375) throw new Error(`the sharing page is ${wide} px wide at 375 px`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await Promise.all([
    page.waitForEvent("load"),
    rowOf(page, friend.webId).locator("button.remove").click(),
  ]);
  await page.locator("#share-add").waitFor({ state: "visible" });
  if (await rowOf(page, friend.webId).count() !== 0) throw new Error("the friend is still listed");
  await shot(page, "07-grant-removed");
  return "removed";
});

await step("friend-refused", async () => {
  const page = pages.friend;
  current = page;
  await page.goto(`${issuer}/.web/profile?pod=${encodeURIComponent(podName(friend.pod))}`);
  await page.locator("#profile-name").waitFor({ state: "visible" });
  const r = await solid(page, note, {});
  if (r.status !== 403) throw new Error(`GET note after removal: ${r.status}`);
  const resp = await page.goto(folder);
  await shot(page, "08-friend-refused");
  if (resp.status() !== 403) throw new Error(`folder page after removal: ${resp.status()}`);
  return "403";
});

await step("share-by-handle", async () => {
  const page = pages.owner;
  await openShare(page, folder);
  const handle = `@${podName(friend.pod)}@${new URL(issuer).host}`;
  await page.fill("#share-who", handle);
  await Promise.all([page.waitForEvent("load"), page.click("#share-add button[type=submit]")]);
  await page.locator("#share-add").waitFor({ state: "visible" });
  if (await rowOf(page, friend.webId).count() !== 1) throw new Error(`${handle} did not become ${friend.webId}`);
  const unknown = `@nobody-${Date.now()}@${new URL(issuer).host}`;
  await page.fill("#share-who", unknown);
  await page.click("#share-add button[type=submit]");
  await page.locator("#share-status.error").waitFor();
  const msg = await page.locator("#share-status").innerText();
  const r = await solid(pages.friend, note, {});
  if (r.status !== 200) throw new Error(`the friend, shared with by handle, reads ${r.status}`);
  await shot(page, "08a-shared-by-handle");
  return `${handle} → ${friend.webId}; ${unknown}: ${msg}`;
});

await step("profile", async () => {
  const page = pages.owner;
  current = page;
  await page.goto(`${issuer}/.web/profile?pod=${encodeURIComponent(podName(owner.pod))}`);
  await page.locator("#profile-name").waitFor({ state: "visible" });
  const name = `Ada <b>Owner</b> ${Date.now() % 1000}`;
  await page.fill("#profile-name-input", name);
  await page.fill("#profile-note-input", "Gardener. Writes about plans.");
  await Promise.all([page.waitForEvent("load"), page.click("#profile-name button[type=submit]")]);
  await page.locator("#profile-name").waitFor({ state: "visible" });
  const heading = await page.locator("#me-heading").innerText();
  if (heading !== name) throw new Error(`name shown: ${heading}`);
  if (await page.locator("#me-heading b").count() !== 0) throw new Error("markup in the name was rendered");
  const fedi = await page.locator("#fedi-heading").locator("xpath=..").innerText();
  await shot(page, "09-profile");
  if (!fedi.includes("Ada") || !fedi.includes("Gardener")) throw new Error(`the actor does not show the new name and bio: ${fedi}`);
  return "name and bio saved; the actor shows them";
});

await step("profile-photo", async () => {
  const page = pages.owner;
  // A 1×1 PNG.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
  await page.setInputFiles("#profile-photo-input", { name: "me.png", mimeType: "image/png", buffer: png });
  await Promise.all([page.waitForEvent("load"), page.click("#profile-photo button[type=submit]")]);
  await page.locator("#profile-name").waitFor({ state: "visible" });
  const img = page.locator("img.profile-photo");
  await img.waitFor();
  await page.waitForFunction((el) => el.complete && el.naturalWidth === 1, await img.elementHandle());
  const src = await img.getAttribute("src");
  const anon = await (await fetch(src)).status;
  const avatar = await page.locator("#actor-view").innerText();
  await shot(page, "10-profile-photo");
  if (anon !== 200) throw new Error(`the photo is not public: ${anon}`);
  if (!avatar.includes(src)) throw new Error(`the actor's avatar is not the photo: ${avatar}`);
  return src;
});

await step("connected-apps", async () => {
  const page = pages.owner;
  current = page;
  await page.goto(`${issuer}/.idp/account`);
  const apps = await page.locator("#apps-heading").locator("xpath=..").innerText();
  await shot(page, "11-connected-apps");
  // The pages' own client got tokens (code exchange, then refreshes).
  if (!apps.includes(".web/client.jsonld") || !/Last used/.test(apps) || !/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/.test(apps)) {
    throw new Error(`connected apps: ${apps}`);
  }
  return apps.split("\n").slice(0, 4).join(" | ").slice(0, 160);
});

await finish(() => browser?.close());
