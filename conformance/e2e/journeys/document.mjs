// The document journey (issue 15 item 1): a person logs in on Naamio's own
// pages and opens a private Turtle document of their pod in the browser.
// The page shows its statements as a table and its Turtle; the person
// edits the Turtle with a syntax error on line 3, sees the server's error
// on that line, fixes it and saves (the Go test, TestJourneyDocument,
// checks the saved document on the server). Then a private image is
// previewed and downloaded, and a public text file is downloaded by its
// plain link. Screenshots go to NAAMIO_SHOTS (runJourney: the
// artifacts directory's document/).
// Input from the environment: NAAMIO_BASE, NAAMIO_SHOTS, NAAMIO_EMAIL, NAAMIO_PASSWORD,
// NAAMIO_DOC_URL (the Turtle document), NAAMIO_IMAGE_URL (a private PNG),
// NAAMIO_IMAGE_SHA256 (its bytes' hash), NAAMIO_AUDIO_URL (a
// private WAV), NAAMIO_TEXT_URL (a public text
// file), NAAMIO_TEXT (its content), CHROMIUM.
// Output: one JSON line per step; exit status 0 only if every step passed.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { launch, runner } from "../steps.mjs";

const STEP_MS = 20_000;
const TOTAL_MS = 120_000;

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const base = env("NAAMIO_BASE");
const email = env("NAAMIO_EMAIL");
const password = env("NAAMIO_PASSWORD");
const docUrl = env("NAAMIO_DOC_URL");
const imageUrl = env("NAAMIO_IMAGE_URL");
const imageSha = env("NAAMIO_IMAGE_SHA256");
const textUrl = env("NAAMIO_TEXT_URL");
const audioUrl = env("NAAMIO_AUDIO_URL");
const text = env("NAAMIO_TEXT");
const shots = process.env.NAAMIO_SHOTS || join(homedir(), ".cache", "naamio", "artifacts", "document");
mkdirSync(shots, { recursive: true });

let browser, context, page;
const { step, finish } = runner({
  stepMs: STEP_MS,
  totalMs: TOTAL_MS,
  describeFailure: async () => {
    await page?.screenshot({ path: join(shots, "failure.png"), fullPage: true }).catch(() => {});
    const t = await page?.locator("body").innerText({ timeout: 2_000 }).catch(() => "");
    return ` (page: ${page?.url()}; text: ${(t ?? "").slice(0, 400)})`;
  },
});
const log = (...a) => console.error("[document]", ...a);
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const loopback = /^(http|ws):\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;
const path = (u) => new URL(u).pathname;

await step("launch", async () => {
  browser = await launch(chromium, STEP_MS);
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  await context.route((u) => !loopback.test(u.href), (r) => r.abort());
  page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") log(`console.${m.type()}: ${m.text().slice(0, 300)}`); });
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  return browser.version();
});

// pageToken waits until the page's script holds its DPoP-bound token: on
// the first page it signs in through the session (a round trip through
// the provider back to the page).
async function pageToken() {
  const until = Date.now() + STEP_MS - 2_000;
  while (Date.now() < until) {
    const ok = await page.evaluate(() => document.readyState === "complete" && !!sessionStorage.getItem("naamio.token")).catch(() => false);
    if (ok && page.url().startsWith(docUrl)) return;
    await page.waitForTimeout(200);
  }
  throw new Error(`the page got no token (at ${page.url()})`);
}

// (Returning to the page after log-in is the log-in page's own work,
// tested by its journeys: here the person logs in, then opens the page.)
await step("login", async () => {
  await page.goto(`${base}.idp/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/.idp/login")), page.click("form button[type=submit]")]);
  await page.goto(docUrl);
  return page.url();
});

await step("statements-table", async () => {
  const table = page.locator("#statements");
  await table.waitFor();
  const rows = await table.locator("tbody tr").count();
  const cells = await table.innerText();
  for (const want of ["foaf:name", "Alice", "<#me>", "rdf:type", "foaf:Person"]) {
    if (!cells.includes(want)) throw new Error(`the table lacks ${want}: ${cells.slice(0, 300)}`);
  }
  const turtle = await page.locator("#turtle").inputValue();
  if (!turtle.includes("Alice")) throw new Error(`the Turtle is not shown: ${turtle.slice(0, 200)}`);
  await shot("1-turtle-document");
  return `${rows} statements`;
});

const broken = `@prefix foaf: <http://xmlns.com/foaf/0.1/>.
<#me> a foaf:Person;
  foaf:name "Alice" "oops";
  foaf:nick "ally".
`;
await step("syntax-error-on-its-line", async () => {
  await pageToken();
  await page.fill("#turtle", broken);
  await page.click("#save");
  const out = page.locator("#edit-status.error");
  await out.waitFor();
  const msg = await out.innerText();
  if (!/Line 3\b/.test(msg)) throw new Error(`the error does not name line 3: ${msg}`);
  const marked = await page.locator("#gutter mark").getAttribute("data-line");
  if (marked !== "3") throw new Error(`the gutter marks line ${marked}, want 3`);
  const selected = await page.locator("#turtle").evaluate((ta) => ta.value.slice(ta.selectionStart, ta.selectionEnd));
  if (!selected.includes('"oops"')) throw new Error(`the selection is not line 3: ${JSON.stringify(selected)}`);
  if ((await page.locator("#turtle").getAttribute("aria-invalid")) !== "true") throw new Error("the editor is not marked invalid");
  await shot("2-syntax-error");
  return msg;
});

await step("fix-and-save", async () => {
  await page.fill("#turtle", broken.replace(' "oops"', ', "Alice Liddell"'));
  await Promise.all([page.waitForEvent("load"), page.click("#save")]);
  await page.locator("#edit-status.notice").waitFor();
  const cells = await page.locator("#statements").innerText();
  if (!cells.includes("Alice Liddell") || !cells.includes("ally")) throw new Error(`the table does not show the saved statements: ${cells.slice(0, 300)}`);
  await shot("3-saved");
  return await page.locator("#edit-status").innerText();
});

await step("image-preview", async () => {
  await page.goto(imageUrl);
  const img = page.locator("#preview");
  await img.waitFor();
  await page.waitForFunction(() => document.getElementById("preview")?.naturalWidth > 0);
  const size = await img.evaluate((i) => `${i.naturalWidth}x${i.naturalHeight}`);
  await shot("4-image-preview");
  return size;
});

const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

await step("download-private", async () => {
  const [d] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const file = await d.path();
  const got = sha256(file);
  if (got !== imageSha) throw new Error(`downloaded ${d.suggestedFilename()} has sha256 ${got}, want ${imageSha}`);
  return `${d.suggestedFilename()}: same bytes`;
});

// A private medium (only small images are inlined): the script loads it with
// solidFetch into a blob: URL; the <audio> element plays it.
await step("private-audio-preview", async () => {
  await page.goto(audioUrl);
  const audio = page.locator("audio#preview");
  await audio.waitFor();
  await page.waitForFunction(() => {
    const a = document.getElementById("preview");
    return a && a.src.startsWith("blob:") && a.readyState >= 1 && a.duration > 1;
  });
  const d = await audio.evaluate((a) => a.duration.toFixed(2));
  await shot("5-private-audio");
  return `blob: audio of ${d} s`;
});

await step("download-public", async () => {
  await page.goto(textUrl);
  const shown = await page.locator("#text-preview").innerText();
  if (shown.trim() !== text.trim()) throw new Error(`text preview ${JSON.stringify(shown)}`);
  if (await page.locator("#download[data-private]").count()) throw new Error("a public file's link is marked private");
  await shot("6-text-preview");
  const [d] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const got = readFileSync(await d.path(), "utf8");
  if (got !== text) throw new Error(`downloaded ${JSON.stringify(got.slice(0, 100))}, want the file's bytes`);
  return `${d.suggestedFilename()}: same bytes`;
});

await step("phone-width", async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(docUrl);
  await page.locator("#statements").waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await shot("7-phone");
  if (overflow > 1) throw new Error(`the page is ${overflow}px wider than a 375px screen`);
  return "fits 375px";
});

await finish(() => browser?.close());
