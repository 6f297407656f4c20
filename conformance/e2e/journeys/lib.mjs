// What the journeys share (conformance/e2e/journeys/<name>.mjs, each run
// by TestJourney<Name> in conformance/): the step runner of steps.mjs,
// Debian's Chromium through playwright-core, numbered full-page
// screenshots into NAAMIO_SHOTS, and the common moves of a person (sign
// up, log in). Input from the environment: NAAMIO_BASE (the server's base
// URL, with its trailing slash), NAAMIO_SHOTS, CHROMIUM (optional).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, runner } from "../steps.mjs";

export const env = (k, def) => {
  const v = process.env[k] ?? def;
  if (v === undefined || v === "") throw new Error(`missing ${k}`);
  return v;
};

export const log = (...a) => console.error("[journey]", ...a);

// journey starts a run: it returns step and finish (steps.mjs), the base
// URL, newPage(name, options) (a fresh browser context, so a fresh
// person) and shot(page, name).
export function journey({ stepMs = 30_000, totalMs = 200_000 } = {}) {
  const base = env("NAAMIO_BASE");
  const shots = env("NAAMIO_SHOTS");
  mkdirSync(shots, { recursive: true });
  let current = null;
  let browser = null;
  let n = 0;
  const { step, finish } = runner({
    stepMs, totalMs,
    describeFailure: async () => {
      if (!current) return "";
      await shot(current, "failure").catch(() => {});
      const text = (await current.locator("body").innerText().catch(() => "")).slice(0, 800);
      return ` (on ${current.url()}: ${text.replace(/\s+/g, " ")})`;
    },
  });
  const shot = async (page, name) => {
    n++;
    const file = join(shots, `${String(n).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
  const newPage = async (who, options = {}) => {
    browser ??= await launch(chromium, stepMs);
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, ...options });
    context.setDefaultTimeout(stepMs);
    context.setDefaultNavigationTimeout(stepMs);
    const page = await context.newPage();
    page.on("console", (m) => log(`${who} console.${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => log(`${who} page error: ${e.message}`));
    current = page;
    return page;
  };
  const done = () => finish(() => browser?.close());
  return { step, finish: done, base, shot, newPage, setCurrent: (p) => { current = p; } };
}

// signUp fills the sign-up page and submits it; it resolves once the
// browser has left the form.
export async function signUp(page, base, { email, password, pod }) {
  await page.goto(`${base}.idp/signup`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.fill("#pod", pod);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith("/.idp/signup")), page.click("form.stack button[type=submit]")]);
}

// logIn fills the log-in form the page shows and submits it.
export async function logIn(page, { email, password }) {
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith("/.idp/login")), page.click("form.stack button[type=submit]")]);
}

// tokenReady waits until the page's tab holds a token of naamio.js (the
// pages sign in through the session once per tab).
export async function tokenReady(page) {
  await page.waitForFunction(() => !!sessionStorage.getItem("naamio.token"));
}
