// Journey "fediverse" (issue 15 items 3 and 6): a person logs in and, on
// the Fediverse page, follows a real Fedify peer (internal/fedipeer) by
// its handle @name@127.0.0.1:PORT; the peer accepts; the peer posts to its
// followers and the post shows in the person's timeline; the person
// composes a post and it reaches the peer; the person deletes it and the
// Delete reaches the peer; the person locks the account, another peer
// actor asks to follow, and the person approves the request. Every write is the page's script (C2S through
// solidFetch, DPoP). Screenshots (desktop and 375 px wide) go to
// NAAMIO_ARTIFACTS.
// Input from the environment: NAAMIO_BASE (with trailing slash),
// NAAMIO_EMAIL, NAAMIO_PASSWORD, NAAMIO_POD, NAAMIO_PEER (the peer's
// origin), NAAMIO_PEER_ACTOR and NAAMIO_PEER_ACTOR2 (its actors' names),
// NAAMIO_SHOTS (a
// directory), CHROMIUM (optional).
// Output: one JSON line per step; exit status 0 only if every step passed.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { launch, runner } from "../steps.mjs";

const STEP_MS = 45_000;
const TOTAL_MS = 300_000;

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const base = env("NAAMIO_BASE");
const email = env("NAAMIO_EMAIL");
const password = env("NAAMIO_PASSWORD");
const pod = env("NAAMIO_POD");
const peer = env("NAAMIO_PEER");
const peerActor = env("NAAMIO_PEER_ACTOR");
const shots = env("NAAMIO_SHOTS");
mkdirSync(shots, { recursive: true });

const peerHost = new URL(peer).host;
const handle = `@${peerActor}@${peerHost}`;
const pageURL = `${base}.web/fediverse?pod=${pod}`;
const stamp = Date.now().toString(36);
const peerText = `Hello from the Fedify peer ${stamp}`;
const myText = `My first post from Naamio ${stamp} <b>not bold</b>`;

const log = (...a) => console.error("[journey]", ...a);
let browser, context, page;
const { step, finish } = runner({
  stepMs: STEP_MS,
  totalMs: TOTAL_MS,
  describeFailure: async () => (page ? ` (on ${page.url()}: ${(await page.locator("main").innerText()).slice(0, 800)})` : ""),
});

const shot = async (name) => {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  await page.setViewportSize({ width: 375, height: 800 });
  await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize({ width: 1200, height: 900 });
};

const control = async (method, path, body) => {
  const r = await fetch(peer + path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`peer ${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
};

const until = async (what, fn, ms = 30_000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
};

// done waits for the page to come back with ?done=<what> and its notice.
const done = async (what) => {
  await page.waitForURL((u) => u.searchParams.get("done") === what);
  await page.locator("p.notice").waitFor();
};

await step("launch", async () => {
  browser = await launch(chromium, STEP_MS);
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  page = await context.newPage();
  page.on("console", (m) => log(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  page.on("dialog", (d) => d.accept());
  return browser.version();
});

await step("log-in", async () => {
  await page.goto(`${base}.idp/login?next=${encodeURIComponent(`/.web/fediverse?pod=${pod}`)}`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  // The log-in returns to the Fediverse page; its script then fetches its
  // token through the session (a silent round trip through the provider)
  // and comes back.
  await Promise.all([page.waitForURL((u) => u.pathname.endsWith("/.web/fediverse")), page.click("form button[type=submit]")]);
  await page.waitForLoadState("networkidle");
  await page.waitForURL((u) => u.pathname.endsWith("/.web/fediverse"));
  const h = await page.locator("#handle").innerText();
  if (!h.startsWith(`@${pod}@`)) throw new Error(`handle shown: ${h}`);
  await shot("01-fediverse-page");
  return h;
});

await step("follow-by-handle", async () => {
  await page.fill("#follow-handle", handle);
  await page.click("#follow button[type=submit]");
  await done("followed");
  const actor = `${peer}/users/${peerActor}`;
  // The peer accepts; the page then lists it as followed (not pending).
  await until("the peer's Accept", async () => {
    await page.goto(pageURL);
    const t = await page.locator("#following").innerText();
    return t.includes(`${peerActor}@${peerHost}`) && !t.includes("request sent") ? t : null;
  });
  const followers = await control("GET", `/control/followers?actor=${peerActor}`);
  if (!JSON.stringify(followers).includes(`/.ap/actors/${pod}`)) throw new Error(`the peer's followers: ${JSON.stringify(followers)}`);
  await shot("02-following-peer");
  return `following ${actor}`;
});

await step("peer-post-in-timeline", async () => {
  await control("POST", "/control/note", { actor: peerActor, content: `<p>${peerText}</p><script>alert(1)</script>`, to: "followers" });
  await until("the peer's post in the timeline", async () => {
    await page.goto(pageURL);
    return (await page.locator("#timeline").count()) > 0 && (await page.locator("#timeline").innerText()).includes(peerText);
  });
  const html = await page.locator("#timeline").innerHTML();
  if (html.includes("<script>alert")) throw new Error("remote markup rendered as markup");
  await shot("03-timeline");
  return "the peer's post is in the timeline";
});

await step("peer-follows-back", async () => {
  // The peer follows the person back (by actor IRI: Fedify asks https
  // WebFinger only); the Accept is automatic (an unlocked account).
  const me = `${base}.ap/actors/${pod}`;
  await control("POST", "/control/follow", { actor: peerActor, target: me });
  await until("the peer listed as a follower", async () => {
    await page.goto(pageURL);
    return (await page.locator("#followers").innerText()).includes(`${peerActor}@${peerHost}`);
  });
  await until("the Accept at the peer", async () => {
    const f = await control("GET", `/control/following?actor=${peerActor}`);
    return f.some((x) => x.id === me && x.state === "accepted");
  });
  return "the peer follows the person";
});

await step("compose-reaches-peer", async () => {
  await page.fill("#post-text", myText);
  await page.selectOption("#post-audience", "public");
  await page.click("#compose button[type=submit]");
  await done("posted");
  const posts = await page.locator("#posts").innerText();
  if (!posts.includes(myText)) throw new Error(`my post is not listed: ${posts}`);
  const got = await until("the Create at the peer", async () => {
    const r = await control("GET", "/control/received?type=Create");
    return r.find((a) => JSON.stringify(a).includes(stamp) && JSON.stringify(a).includes("My first post"));
  });
  await shot("04-posted");
  return `the peer received ${got.id ?? "the Create"}`;
});

await step("delete-reaches-peer", async () => {
  const item = page.locator("#posts li", { hasText: myText });
  await item.locator("button.delete").click();
  await done("deleted");
  await until("the Delete at the peer", async () => {
    const r = await control("GET", "/control/received?type=Delete");
    return r.length > 0;
  });
  const posts = await page.locator("#posts").innerText();
  if (posts.includes(myText)) throw new Error("the deleted post still shows its text");
  await shot("05-deleted");
  return "the peer received the Delete";
});

await step("lock-and-approve", async () => {
  // Lock the account on the page; a second peer actor's Follow then waits
  // until the person approves it.
  const other = env("NAAMIO_PEER_ACTOR2");
  const me = `${base}.ap/actors/${pod}`;
  await page.goto(pageURL);
  await page.check("#locked");
  await page.click("#settings button[type=submit]");
  await done("saved");
  if (!(await page.isChecked("#locked"))) throw new Error("the lock did not stay set");
  // The follower's server (Fedify) accepts the Update of the actor.
  await until("the Update of the actor at the peer", async () => {
    const r = await control("GET", "/control/received?type=Update");
    return r.some((a) => a.actor === me && a.object === me);
  });
  await control("POST", "/control/follow", { actor: other, target: me });
  await until("the request on the page", async () => {
    await page.goto(pageURL);
    return (await page.locator("#requests").count()) > 0 && (await page.locator("#requests").innerText()).includes(`${other}@${peerHost}`);
  });
  await shot("06-follow-request");
  await page.locator("#requests li", { hasText: `${other}@${peerHost}` }).locator("button.approve").click();
  await done("accepted");
  await until("the Accept at the peer", async () => {
    const f = await control("GET", `/control/following?actor=${other}`);
    return f.some((x) => x.id === me && x.state === "accepted");
  });
  if (!(await page.locator("#followers").innerText()).includes(`${other}@${peerHost}`)) throw new Error("the approved follower is not listed");
  await shot("07-approved");
  return `${other} approved`;
});

await finish(async () => browser?.close());
